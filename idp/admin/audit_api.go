package admin

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// maxAuditPage bounds one page of GET /audit.
const maxAuditPage = 1000

type auditPage struct {
	Events     []audit.Record `json:"events"`
	NextCursor string         `json:"next_cursor"` // "" on the last page
}

// listAudit is GET /api/v1/audit: the tenant's events, newest first.
// Query: user_id, type (repeatable), since, until (RFC 3339), limit
// (1–1000, default 50), cursor (the previous page's next_cursor).
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, t *store.Tenant, _ *caller) {
	q := r.URL.Query()
	aq := store.AuditQuery{UserID: q.Get("user_id"), Types: q["type"], Limit: 50}
	var problems []Problem
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"since", &aq.Since}, {"until", &aq.Until}} {
		if v := q.Get(f.name); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				problems = append(problems, Problem{f.name, "must be an RFC 3339 time, such as 2026-12-01T09:00:00Z"})
			}
			*f.dst = tm
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditPage {
			problems = append(problems, Problem{"limit", fmt.Sprintf("must be a number from 1 to %d", maxAuditPage)})
		}
		aq.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problems = append(problems, Problem{"cursor", "must be a next_cursor this API returned"})
		}
		aq.Before = n
	}
	for _, typ := range aq.Types {
		if !knownType(typ) {
			problems = append(problems, Problem{"type", fmt.Sprintf("%q is not an event type (see docs/audit.md)", typ)})
		}
	}
	if len(problems) > 0 {
		apiError(w, http.StatusBadRequest, "invalid_request", "the query has problems", problems...)
		return
	}
	evs, err := h.Store.ListAuditEvents(r.Context(), t.ID, aq)
	if err != nil {
		h.unavailable(w, "list audit events", err)
		return
	}
	out := auditPage{Events: make([]audit.Record, 0, len(evs))}
	for _, e := range evs {
		out.Events = append(out.Events, audit.ToRecord(e))
	}
	if len(evs) == aq.Limit {
		out.NextCursor = strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	web.JSON(w, http.StatusOK, out)
}

func knownType(typ string) bool {
	for _, e := range audit.Catalogue() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// exportView is an export as the API shows it.
type exportView struct {
	ID          string      `json:"id"`
	Status      string      `json:"status"`
	Format      string      `json:"format"`
	Since       time.Time   `json:"since"`
	Until       time.Time   `json:"until"`
	RequestedBy audit.Actor `json:"requested_by"`
	Rows        int64       `json:"rows"` // so far, while running
	Bytes       int64       `json:"bytes,omitempty"`
	SHA256      string      `json:"sha256,omitempty"`
	Error       string      `json:"error,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	FinishedAt  *time.Time  `json:"finished_at"`
	ExpiresAt   *time.Time  `json:"expires_at"` // of a stored file
	Download    string      `json:"download,omitempty"`
}

func viewExport(r *http.Request, x *store.AuditExport) exportView {
	v := exportView{ID: x.ID, Status: x.Status, Format: x.Format, Since: x.Since, Until: x.Until,
		RequestedBy: audit.Actor{Kind: x.ActorKind, ID: x.ActorID}, Rows: x.Rows, Bytes: x.Bytes, SHA256: x.SHA256,
		Error: x.Error, CreatedAt: x.CreatedAt, FinishedAt: x.FinishedAt}
	if x.Stored {
		exp := x.ExpiresAt
		v.ExpiresAt = &exp
	}
	if x.Stored && x.Status == store.ExportReady {
		v.Download = "/t/" + r.PathValue("tenant") + "/api/v1/audit/exports/" + x.ID + "/download"
	}
	return v
}

// maxExportRequest bounds the JSON body of POST /audit/exports.
const maxExportRequest = 4 << 10

// startExport is POST /api/v1/audit/exports {"since", "until", "format"}:
// 202 with the export, which runs in the background; its requester is
// emailed when it is ready.
func (h *Handler) startExport(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *caller) {
	var body struct {
		Since  string `json:"since"`
		Until  string `json:"until"`
		Format string `json:"format"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxExportRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", "the body must be a JSON object with since, until and format")
		return
	}
	var p audit.Period
	var problems []Problem
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"since", body.Since, &p.Since}, {"until", body.Until, &p.Until}} {
		tm, err := time.Parse(time.RFC3339Nano, f.v)
		if err != nil {
			problems = append(problems, Problem{f.name, "must be an RFC 3339 time, such as 2026-12-01T00:00:00Z"})
		}
		*f.dst = tm
	}
	if body.Format == "" {
		body.Format = audit.FormatJSONL
	}
	if !audit.ValidFormat(body.Format) {
		problems = append(problems, Problem{"format", "must be jsonl or csv"})
	}
	if len(problems) == 0 {
		if err := p.Check(); err != nil {
			problems = append(problems, Problem{"until", "must be after since"})
		}
	}
	if len(problems) > 0 {
		apiError(w, http.StatusBadRequest, "invalid_request", "the export request has problems", problems...)
		return
	}
	x, err := h.Exports.Start(r.Context(), t.ID, c.actor(), p, body.Format)
	if err != nil {
		h.unavailable(w, "start export", err)
		return
	}
	w.Header().Set("Location", "/t/"+t.Slug+"/api/v1/audit/exports/"+x.ID)
	web.JSON(w, http.StatusAccepted, viewExport(r, x))
}

// listExports is GET /api/v1/audit/exports: the history, newest first.
func (h *Handler) listExports(w http.ResponseWriter, r *http.Request, t *store.Tenant, _ *caller) {
	xs, err := h.Store.ListAuditExports(r.Context(), t.ID, 100)
	if err != nil {
		h.unavailable(w, "list exports", err)
		return
	}
	out := struct {
		Exports []exportView `json:"exports"`
	}{Exports: make([]exportView, 0, len(xs))}
	for _, x := range xs {
		out.Exports = append(out.Exports, viewExport(r, x))
	}
	web.JSON(w, http.StatusOK, out)
}

// exportStatus is GET /api/v1/audit/exports/{id}: status and progress.
func (h *Handler) exportStatus(w http.ResponseWriter, r *http.Request, t *store.Tenant, _ *caller) {
	x, err := h.Exports.Status(r.Context(), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "not_found", "no such export")
		return
	}
	if err != nil {
		h.unavailable(w, "export status", err)
		return
	}
	web.JSON(w, http.StatusOK, viewExport(r, x))
}

// downloadExport is GET /api/v1/audit/exports/{id}/download: the file,
// streamed chunk by chunk, with its SHA-256 as Repr-Digest (RFC 9530).
func (h *Handler) downloadExport(w http.ResponseWriter, r *http.Request, t *store.Tenant, _ *caller) {
	x, err := h.Exports.Status(r.Context(), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "not_found", "no such export")
		return
	}
	if err != nil {
		h.unavailable(w, "export status", err)
		return
	}
	switch {
	case !x.Stored:
		apiError(w, http.StatusNotFound, "not_found", "this export was written to a file by the CLI; it has nothing to download")
		return
	case x.Status == store.ExportExpired:
		apiError(w, http.StatusGone, "expired", "this export's file has expired; start a new export")
		return
	case x.Status != store.ExportReady:
		apiError(w, http.StatusConflict, "not_ready", "the export is "+x.Status+"; download it when its status is ready")
		return
	}
	ctype, ext := "application/x-ndjson", "jsonl"
	if x.Format == audit.FormatCSV {
		ctype, ext = "text/csv; charset=utf-8", "csv"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s-%s-%s.%s"`, t.Slug,
		x.Since.Format("20060102T150405Z"), x.Until.Format("20060102T150405Z"), ext))
	w.Header().Set("Content-Length", strconv.FormatInt(x.Bytes, 10))
	if sum, err := hex.DecodeString(x.SHA256); err == nil {
		w.Header().Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	if err := h.Exports.Download(r.Context(), t.ID, x.ID, w); err != nil {
		// Headers are gone: the client sees a short body against
		// Content-Length and the digest, never a silently partial file.
		h.Log.Error("admin api: download export", "tenant", t.Slug, "export", x.ID, "err", err)
	}
}

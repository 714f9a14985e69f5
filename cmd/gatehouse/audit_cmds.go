package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	stdio "io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// auditCmds are `gatehouse audit ...`: the tenant's security log, read from
// the database (the CLI is the tenant owners' operator, as for every other
// management command).
var auditCmds = map[string]func(context.Context, []string, *cmdIO) error{
	"list": cmdAuditList, "verify": cmdAuditVerify, "export": cmdAuditExport, "exports": cmdAuditExports,
}

// auditSettings: how long the tenant's audit log is kept.
func auditSettings(fs *flag.FlagSet) func(*store.TenantSettings, func(string) bool) []string {
	days := fs.Int("audit-retention-days", 0, fmt.Sprintf("keep audit events this many days, %d to %d (default %d)",
		store.MinAuditRetentionDays, store.MaxAuditRetentionDays, store.DefaultAuditRetentionDays))
	return func(s *store.TenantSettings, set func(string) bool) []string {
		if !set("audit-retention-days") {
			return nil
		}
		if *days < store.MinAuditRetentionDays || *days > store.MaxAuditRetentionDays {
			return []string{fmt.Sprintf("--audit-retention-days must be between %d and %d but is %d",
				store.MinAuditRetentionDays, store.MaxAuditRetentionDays, *days)}
		}
		s.AuditRetentionDays = *days
		return nil
	}
}

// parseWhen reads a time flag: RFC 3339, or a date (midnight UTC).
func parseWhen(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s: %q is not a time (RFC 3339, e.g. 2026-12-01T09:00:00Z, or a date, 2026-12-01)", flagName, v)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type auditListOut struct {
	Events     []audit.Record `json:"events"`
	NextCursor string         `json:"next_cursor"` // "" on the last page
}

func cmdAuditList(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("audit list", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("user", "", "only events about the user with this `email`")
	var types listFlag
	c.fs.Var(&types, "type", "only events of this `type` (repeatable; see docs/audit.md)")
	since := c.fs.String("since", "", "only events at or after this `time` (RFC 3339 or a date)")
	until := c.fs.String("until", "", "only events before this `time`")
	limit := c.fs.Int("limit", 50, "events per page (1-1000)")
	cursor := c.fs.String("cursor", "", "the next_cursor of the previous page")
	if _, err := c.parse(args); err != nil {
		return err
	}
	q := store.AuditQuery{Types: types, Limit: *limit}
	var problems []error
	var err error
	if q.Since, err = parseWhen("since", *since); err != nil {
		problems = append(problems, err)
	}
	if q.Until, err = parseWhen("until", *until); err != nil {
		problems = append(problems, err)
	}
	if *limit < 1 || *limit > 1000 {
		problems = append(problems, fmt.Errorf("--limit: must be between 1 and 1000, got %d", *limit))
	}
	if *cursor != "" {
		if q.Before, err = strconv.ParseInt(*cursor, 10, 64); err != nil || q.Before < 1 {
			problems = append(problems, fmt.Errorf("--cursor: %q is not a cursor this command printed", *cursor))
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	if *email != "" {
		u, err := a.store.UserByEmail(ctx, t.ID, *email)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("--user: tenant %s has no user %q", t.Slug, *email)
		} else if err != nil {
			return err
		}
		q.UserID = u.ID
	}
	evs, err := a.store.ListAuditEvents(ctx, t.ID, q)
	if err != nil {
		return err
	}
	out := auditListOut{Events: make([]audit.Record, 0, len(evs))}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tTYPE\tOUTCOME\tACTOR\tUSER\tIP\tDETAIL")
	for _, e := range evs {
		out.Events = append(out.Events, audit.ToRecord(e))
		actor := e.ActorKind
		if e.ActorID != "" {
			actor += ":" + e.ActorID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.CreatedAt.UTC().Format("2006-01-02 15:04:05"), e.Type,
			dash(e.Outcome), dash(actor), dash(e.UserID), dash(e.IP), detailText(e.Detail))
	}
	tw.Flush()
	if len(evs) == q.Limit {
		out.NextCursor = strconv.FormatInt(evs[len(evs)-1].Seq, 10)
		fmt.Fprintf(&b, "more: --cursor %s\n", out.NextCursor)
	}
	if len(evs) == 0 {
		b.Reset()
		b.WriteString("no events\n")
	}
	return emit(c, io, out, b.String())
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func detailText(d map[string]string) string {
	if len(d) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

func cmdAuditVerify(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("audit verify", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := audit.Verify(ctx, a.store, t.ID)
	if err != nil {
		return err
	}
	out := map[string]any{"tenant": t.Slug, "intact": r.Broken == nil, "events": r.Events, "first": r.First,
		"last": r.Last, "anchor": r.Anchor}
	var human string
	if r.Broken != nil {
		out["broken_at"], out["broken_id"], out["reason"] = r.Broken.Seq, r.Broken.ID, r.Broken.Reason
		human = fmt.Sprintf("audit log of %s is BROKEN at event %d%s: %s\n(%d events before it verified)\n",
			t.Slug, r.Broken.Seq, idSuffix(r.Broken.ID), r.Broken.Reason, r.Events)
	} else {
		human = fmt.Sprintf("audit log of %s is intact: %d events (%d to %d)", t.Slug, r.Events, r.First, r.Last)
		if r.Anchor > 0 {
			human += fmt.Sprintf("; events up to %d were removed by retention", r.Anchor)
		}
		human += "\n"
	}
	if err := emit(c, io, out, human); err != nil {
		return err
	}
	if r.Broken != nil {
		return exitError{1}
	}
	return nil
}

func idSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (" + id + ")"
}

func cmdAuditExport(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("audit export", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	since := c.fs.String("since", "", "first `time` of the period (required; RFC 3339 or a date)")
	until := c.fs.String("until", "", "end of the period, exclusive (required)")
	format := c.fs.String("format", audit.FormatJSONL, "jsonl or csv")
	outFile := c.fs.String("out", "", "write to this `file` (default: standard output)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	var p audit.Period
	var problems []error
	var err error
	if p.Since, err = parseWhen("since", *since); err != nil {
		problems = append(problems, err)
	}
	if p.Until, err = parseWhen("until", *until); err != nil {
		problems = append(problems, err)
	}
	if err == nil {
		if err := p.Check(); err != nil {
			problems = append(problems, err)
		}
	}
	if !audit.ValidFormat(*format) {
		problems = append(problems, fmt.Errorf("--format: %q is not jsonl or csv", *format))
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()

	var w stdio.Writer = io.out
	var f *os.File
	if *outFile != "" {
		if f, err = os.OpenFile(*outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		w = f
	}
	// Progress on standard error, at most once a second, for long exports.
	var last time.Time
	progress := func(rows int64) {
		if time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(io.err, "exported %d events…\n", rows)
		}
	}
	ex := &audit.Exports{Store: a.store, Clock: time.Now, Log: a.log,
		Recorder: &audit.Recorder{Store: a.store, Clock: time.Now, Logger: a.log}}
	x, err := ex.Write(ctx, t.ID, audit.Actor{Kind: store.ActorCLI}, p, *format, w, progress)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*outFile) // no half-written export left behind
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(io.err, "exported %d events (%d bytes, SHA-256 %s) of %s, %s to %s; export %s recorded in the history\n",
		x.Rows, x.Bytes, x.SHA256, t.Slug, x.Since.Format(time.RFC3339), x.Until.Format(time.RFC3339), x.ID)
	return nil
}

type exportOut struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Actor      string     `json:"actor"`
	Format     string     `json:"format"`
	Since      time.Time  `json:"since"`
	Until      time.Time  `json:"until"`
	Rows       int64      `json:"rows"`
	Bytes      int64      `json:"bytes"`
	SHA256     string     `json:"sha256"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func cmdAuditExports(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("audit exports", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	limit := c.fs.Int("limit", 50, "how many, newest first")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	xs, err := a.store.ListAuditExports(ctx, t.ID, *limit)
	if err != nil {
		return err
	}
	out := make([]exportOut, 0, len(xs))
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUESTED (UTC)\tBY\tPERIOD\tFORMAT\tSTATUS\tROWS\tSHA-256\tID")
	for _, x := range xs {
		actor := x.ActorKind
		if x.ActorID != "" {
			actor += ":" + x.ActorID
		}
		out = append(out, exportOut{x.ID, x.Status, actor, x.Format, x.Since, x.Until, x.Rows, x.Bytes, x.SHA256, x.CreatedAt, x.FinishedAt})
		fmt.Fprintf(tw, "%s\t%s\t%s – %s\t%s\t%s\t%d\t%s\t%s\n", x.CreatedAt.Format("2006-01-02 15:04"), actor,
			x.Since.Format("2006-01-02 15:04"), x.Until.Format("2006-01-02 15:04"), x.Format, x.Status, x.Rows, dash(x.SHA256), x.ID)
	}
	tw.Flush()
	if len(xs) == 0 {
		b.Reset()
		b.WriteString("no exports yet\n")
	}
	return emit(c, io, out, b.String())
}

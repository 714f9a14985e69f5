package audit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Export formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// ValidFormat reports whether f is an export format.
func ValidFormat(f string) bool { return f == FormatJSONL || f == FormatCSV }

// Lister is what Export reads.
type Lister interface {
	ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error)
}

// Period is the span of an export: events created at or after Since and
// before Until. Both are required.
type Period struct{ Since, Until time.Time }

// Check names what is wrong with a period, or returns nil.
func (p Period) Check() error {
	switch {
	case p.Since.IsZero() || p.Until.IsZero():
		return fmt.Errorf("a period needs both --since and --until")
	case !p.Since.Before(p.Until):
		return fmt.Errorf("the period is empty: since %s is not before until %s",
			p.Since.UTC().Format(time.RFC3339), p.Until.UTC().Format(time.RFC3339))
	}
	return nil
}

// Exported is what an export wrote.
type Exported struct {
	Rows   int64
	Bytes  int64
	SHA256 string // hex, of the bytes written
}

// exportPage is how many events Export reads per query: memory stays at one
// page whatever the period holds.
const exportPage = 1000

// Export writes the tenant's events of the period to w, oldest first, as
// JSON lines or CSV, reading one page at a time, and returns the row count
// and the SHA-256 of what it wrote. progress, when set, is called after each
// page with the rows written so far.
func Export(ctx context.Context, st Lister, tenantID string, p Period, format string, w io.Writer, progress func(rows int64)) (Exported, error) {
	if err := p.Check(); err != nil {
		return Exported{}, err
	}
	if !ValidFormat(format) {
		return Exported{}, fmt.Errorf("unknown export format %q (jsonl or csv)", format)
	}
	sum := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, sum)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	enc := newEncoder(format, bw)
	if err := enc.header(); err != nil {
		return Exported{}, err
	}
	var out Exported
	after := int64(0)
	for {
		page, err := st.ListAuditEvents(ctx, tenantID, store.AuditQuery{Since: p.Since, Until: p.Until,
			Oldest: true, After: after, Limit: exportPage})
		if err != nil {
			return out, err
		}
		for _, e := range page {
			if err := enc.event(e); err != nil {
				return out, err
			}
			after = e.Seq
		}
		out.Rows += int64(len(page))
		if progress != nil && len(page) > 0 {
			progress(out.Rows)
		}
		if len(page) < exportPage {
			break
		}
	}
	if err := enc.flush(); err != nil {
		return out, err
	}
	if err := bw.Flush(); err != nil {
		return out, err
	}
	out.Bytes, out.SHA256 = cw.n, hex.EncodeToString(sum.Sum(nil))
	return out, nil
}

// Record is an event as exported and as the API shows it: times in UTC
// with microseconds, hashes in hex so an export can be checked on its own.
type Record struct {
	Seq       int64             `json:"seq"`
	ID        string            `json:"id"`
	Time      string            `json:"time"`
	Type      string            `json:"type"`
	Outcome   string            `json:"outcome,omitempty"`
	ActorKind string            `json:"actor_kind,omitempty"`
	ActorID   string            `json:"actor_id,omitempty"`
	UserID    string            `json:"user_id,omitempty"`
	ClientID  string            `json:"client_id,omitempty"`
	SessionID string            `json:"session_id,omitempty"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Location  string            `json:"location,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
	PrevHash  string            `json:"prev_hash,omitempty"`
	Hash      string            `json:"hash,omitempty"`
}

// TimeFormat is how event times are written: RFC 3339, UTC, microseconds.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// ToRecord converts a stored event.
func ToRecord(e *store.AuditEvent) Record {
	return Record{Seq: e.Seq, ID: e.ID, Time: e.CreatedAt.UTC().Format(TimeFormat), Type: e.Type, Outcome: e.Outcome,
		ActorKind: e.ActorKind, ActorID: e.ActorID, UserID: e.UserID, ClientID: e.ClientID, SessionID: e.SessionID,
		IP: e.IP, UserAgent: e.UserAgent, Location: e.Location, RequestID: e.RequestID, Detail: e.Detail,
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
}

type encoder interface {
	header() error
	event(e *store.AuditEvent) error
	flush() error
}

func newEncoder(format string, w io.Writer) encoder {
	if format == FormatCSV {
		return &csvEncoder{w: csv.NewWriter(w)}
	}
	return &jsonlEncoder{enc: json.NewEncoder(w)}
}

type jsonlEncoder struct{ enc *json.Encoder }

func (j *jsonlEncoder) header() error { return nil }
func (j *jsonlEncoder) flush() error  { return nil }
func (j *jsonlEncoder) event(e *store.AuditEvent) error {
	return j.enc.Encode(ToRecord(e)) // one line: Encode appends the newline
}

// csvColumns is the CSV header; detail is one JSON object per cell.
var csvColumns = []string{"seq", "id", "time", "type", "outcome", "actor_kind", "actor_id", "user_id", "client_id",
	"session_id", "ip", "user_agent", "location", "request_id", "detail", "prev_hash", "hash"}

type csvEncoder struct {
	w   *csv.Writer
	row []string
}

func (c *csvEncoder) header() error { return c.w.Write(csvColumns) }

func (c *csvEncoder) event(e *store.AuditEvent) error {
	r := ToRecord(e)
	detail := ""
	if len(r.Detail) > 0 {
		b, err := json.Marshal(r.Detail)
		if err != nil {
			return err
		}
		detail = string(b)
	}
	c.row = append(c.row[:0], strconv.FormatInt(r.Seq, 10), r.ID, r.Time, r.Type, r.Outcome, r.ActorKind, r.ActorID,
		r.UserID, r.ClientID, r.SessionID, r.IP, r.UserAgent, r.Location, r.RequestID, detail, r.PrevHash, r.Hash)
	for i, v := range c.row {
		c.row[i] = SafeCell(v)
	}
	return c.w.Write(c.row)
}

func (c *csvEncoder) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// SafeCell neutralises a cell a spreadsheet would run as a formula: one
// starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe (OWASP's CSV injection advice). Values are user-influenced
// (user agents, names in details), so every cell goes through here.
func SafeCell(v string) string {
	if v != "" {
		switch v[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + v
		}
	}
	return v
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

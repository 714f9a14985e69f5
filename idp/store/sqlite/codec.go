package sqlite

import (
	"encoding/json"
	"fmt"
	"time"
)

// Column codecs. Times are INTEGER unix microseconds (a zero time.Time is
// stored as NULL where the column is nullable); lists and maps are JSON text;
// empty byte slices are NULL. Values come back in UTC, empty as nil.

// micros encodes a time.
func micros(t time.Time) int64 { return t.UnixMicro() }

// microsOrNull encodes a zero time as NULL.
func microsOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// microsPtr encodes a nil *time.Time as NULL.
func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// bytesOrNull encodes an empty slice as NULL.
func bytesOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// listJSON encodes a string list as a JSON array ("[]" when empty).
func listJSON(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// mapJSON encodes a string map as a JSON object ("{}" when empty).
func mapJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

// timeCol scans a NOT NULL time, or a nullable one into the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = fromMicros(x)
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

// timePtrCol scans a nullable time into a *time.Time.
type timePtrCol struct{ t **time.Time }

func (c timePtrCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = nil
	case int64:
		t := fromMicros(x)
		*c.t = &t
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

// bytesCol scans a BLOB, empty or NULL as nil. The driver's buffer is copied.
type bytesCol struct{ b *[]byte }

func (c bytesCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.b = nil
	case []byte:
		if len(x) == 0 {
			*c.b = nil
		} else {
			*c.b = append([]byte(nil), x...)
		}
	default:
		return fmt.Errorf("blob column: unexpected %T", v)
	}
	return nil
}

// jsonCol scans JSON text into dst (a pointer) with json.Unmarshal.
type jsonCol struct{ dst any }

func (c jsonCol) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("json column: unexpected %T", v)
	}
	return json.Unmarshal(b, c.dst)
}

// listCol scans a JSON array; an empty one becomes nil.
type listCol struct{ l *[]string }

func (c listCol) Scan(v any) error {
	var l []string
	if err := (jsonCol{&l}).Scan(v); err != nil {
		return err
	}
	if len(l) == 0 {
		l = nil
	}
	*c.l = l
	return nil
}

// mapCol scans a JSON object; an empty one becomes nil.
type mapCol struct{ m *map[string]string }

func (c mapCol) Scan(v any) error {
	var m map[string]string
	if err := (jsonCol{&m}).Scan(v); err != nil {
		return err
	}
	if len(m) == 0 {
		m = nil
	}
	*c.m = m
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

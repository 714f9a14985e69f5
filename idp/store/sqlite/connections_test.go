package sqlite

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func openMigrated(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// The pragmas the package documents are in force on each pool.
func TestPragmas(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "p.db"))
	for _, tc := range []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "1"}, // NORMAL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "5000"},
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "5000"},
		{"reader", "query_only", "1"},
	} {
		db := s.w
		if tc.pool == "reader" {
			db = s.r
		}
		var got string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if _, err := s.r.ExecContext(t.Context(), `DELETE FROM tenants`); err == nil {
		t.Error("the read pool accepted a write")
	}
	if n := s.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
}

// A path with characters that mean something in a URI opens that very file.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gate house.db")
	openMigrated(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
}

func TestOpenRejectsEmptyPath(t *testing.T) {
	if _, err := Open(t.Context(), "", Options{}); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

// Two stores on one file behave like two processes (or replicas): each has
// its own writer connection, and SQLite's locks, not Go, pick one winner.
func TestTwoProcessesOneWinner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := openMigrated(t, path), openMigrated(t, path)
	ctx := t.Context()
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

	tn := &store.Tenant{Slug: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}
	u := &store.User{Email: "zoe@example.com", Role: store.RoleAgent, CreatedAt: now, UpdatedAt: now}
	c := &store.Client{ID: "desk", AppType: store.AppWeb, CreatedAt: now, UpdatedAt: now}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.CreateTenant(ctx, tn))
	u.TenantID, c.TenantID = tn.ID, tn.ID
	must(a.CreateUser(ctx, u))
	must(a.CreateClient(ctx, c))
	ss := &store.Session{TenantID: tn.ID, UserID: u.ID, AuthTime: now, CreatedAt: now, LastSeenAt: now,
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
	must(b.CreateSession(ctx, ss))
	rt := &store.RefreshToken{TenantID: tn.ID, Hash: sum("rt"), ClientID: c.ID, UserID: u.ID, SessionID: ss.ID,
		AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(a.CreateRefreshToken(ctx, rt))
	must(b.CreateActionToken(ctx, &store.ActionToken{Hash: sum("act"), TenantID: tn.ID, Kind: store.ActionPasswordReset,
		UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))

	const racers = 50
	for _, tc := range []struct {
		name string
		fn   func(s *Store, i int) error
	}{
		{"RotateRefreshToken", func(s *Store, i int) error {
			next := &store.RefreshToken{Hash: sum("next" + string(rune('A'+i))), ClientID: c.ID, UserID: u.ID,
				SessionID: ss.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			return s.RotateRefreshToken(ctx, tn.ID, rt.Hash, next, now)
		}},
		{"ConsumeActionToken", func(s *Store, _ int) error {
			_, err := s.ConsumeActionToken(ctx, tn.ID, store.ActionPasswordReset, sum("act"), now)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := make([]error, racers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range racers {
				s := a
				if i%2 == 1 {
					s = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = tc.fn(s, i)
				}()
			}
			close(start)
			wg.Wait()
			wins := 0
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, store.ErrAlreadyUsed):
					t.Errorf("racer %d: %v", i, err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d winners, want 1", wins)
			}
		})
	}
}

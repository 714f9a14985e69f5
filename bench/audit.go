package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
)

// seedAudit appends n events to the tenant's audit chain with COPY, each
// hashed and linked exactly as AppendAuditEvent would, spread over the last
// 300 days across 100 users and six types. It runs before the server
// starts, so nothing else appends meanwhile.
func seedAudit(ctx context.Context, dbURL, slug string, n int) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var tenantID string
	if err := conn.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = $1`, slug).Scan(&tenantID); err != nil {
		return err
	}
	var seq int64
	var prev []byte
	err = conn.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_chains WHERE tenant_id = $1`, tenantID).Scan(&seq, &prev)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	start := time.Now().Add(-300 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	step := 300 * 24 * time.Hour / time.Duration(n)
	cols := []string{"tenant_id", "id", "chain_seq", "type", "outcome", "actor_kind", "actor_id", "user_id", "client_id",
		"session_id", "ip", "user_agent", "location", "request_id", "detail", "created_at", "prev_hash", "hash"}
	i := 0
	t0 := time.Now()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		seq++
		user := fmt.Sprintf("user-%02d", i%100)
		e := &store.AuditEvent{TenantID: tenantID, ID: store.NewID(), Seq: seq,
			Outcome: store.AuditSuccess, ActorKind: store.ActorUser, ActorID: user, UserID: user, ClientID: "helpdesk",
			SessionID: fmt.Sprintf("sess-%d", i/10), IP: fmt.Sprintf("203.0.113.%d", i%250), UserAgent: "Firefox 133 on Linux",
			RequestID: fmt.Sprintf("req-%d", i), Detail: map[string]string{"method": "pwd"},
			CreatedAt: start.Add(time.Duration(i) * step).Truncate(time.Microsecond), PrevHash: prev}
		switch i % 8 { // a mix of types; one in eight is device.block
		case 0, 4:
			e.Type = audit.LoginPasswordSucceeded
		case 1, 5:
			e.Type = audit.SessionCreated
		case 2:
			e.Type = audit.MFAChallengeSucceeded
		case 3:
			e.Type = audit.SessionEnded
		case 6:
			e.Type = audit.LoginPasswordFailed
		default:
			e.Type = audit.DeviceBlock
		}
		e.Hash = store.AuditHash(prev, e)
		prev = e.Hash
		i++
		return []any{e.TenantID, e.ID, e.Seq, e.Type, e.Outcome, e.ActorKind, e.ActorID, e.UserID, e.ClientID, e.SessionID,
			e.IP, e.UserAgent, e.Location, e.RequestID, e.Detail, e.CreatedAt, e.PrevHash, e.Hash}, nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"audit_events"}, cols, src); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO audit_chains (tenant_id, last_seq, last_hash) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET last_seq = $2, last_hash = $3`, tenantID, seq, prev); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `ANALYZE audit_events`); err != nil {
		return err
	}
	fmt.Printf("seeded %d audit events in %s\n", n, time.Since(t0).Round(time.Millisecond))
	return nil
}

// benchAudit measures the tenant log with n events: the first page as the
// API and CLI ask for it (newest 50; by user; by type; a page deep in the
// log), through the PostgreSQL store, then a whole export and a
// verification through the CLI, with the CLI's peak memory.
func benchAudit(ctx context.Context, dbURL, bin string, env []string, dir, slug string, n int) error {
	st, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	fmt.Printf("\n%-32s %10s %10s %10s\n", "audit query ("+fmt.Sprint(n)+" events)", "runs", "p50", "p99")
	for _, q := range []struct {
		name string
		q    store.AuditQuery
	}{
		{"first page (50)", store.AuditQuery{Limit: 50}},
		{"first page of one user", store.AuditQuery{UserID: "user-42", Limit: 50}},
		{"first page of one type", store.AuditQuery{Types: []string{audit.DeviceBlock}, Limit: 50}},
		{"page at the middle (cursor)", store.AuditQuery{Before: int64(n / 2), Limit: 50}},
		{"one day, a month ago", store.AuditQuery{Since: time.Now().Add(-31 * 24 * time.Hour), Until: time.Now().Add(-30 * 24 * time.Hour), Limit: 50}},
	} {
		var lat []time.Duration
		for range 200 {
			t0 := time.Now()
			evs, err := st.ListAuditEvents(ctx, t.ID, q.q)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				return fmt.Errorf("%s: no events", q.name)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		fmt.Printf("%-32s %10d %10s %10s\n", q.name, len(lat), lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*99/100].Round(10*time.Microsecond))
	}

	since, until := time.Now().Add(-400*24*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"export all, jsonl", []string{"audit", "export", "--tenant", slug, "--since", since, "--until", until, "--format", "jsonl", "--out", filepath.Join(dir, "audit.jsonl")}},
		{"export all, csv", []string{"audit", "export", "--tenant", slug, "--since", since, "--until", until, "--format", "csv", "--out", filepath.Join(dir, "audit.csv")}},
		{"verify the chain", []string{"audit", "verify", "--tenant", slug}},
	} {
		elapsed, peak, out, err := runMeasured(bin, env, c.args)
		if err != nil {
			return fmt.Errorf("%s: %v: %s", c.name, err, out)
		}
		line := strings.TrimSpace(out)
		if i := strings.LastIndex(line, "\n"); i >= 0 {
			line = line[i+1:]
		}
		fmt.Printf("%-20s %8s, peak RSS %.1f MB: %s\n", c.name, elapsed.Round(10*time.Millisecond), peak, line)
	}
	return nil
}

// runMeasured runs a CLI command and returns its wall time, its peak
// resident memory (VmHWM, read just before it exits) and its output.
func runMeasured(bin string, env, args []string) (time.Duration, float64, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, "", err
	}
	peak := 0.0
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return time.Since(t0), peak, out.String(), err
		case <-tick.C:
			if v := procStatusMB(cmd.Process.Pid, "VmHWM:"); v > peak {
				peak = v
			}
		}
	}
}

// procStatusMB reads one kB field of /proc/PID/status in MB (-1 if gone).
func procStatusMB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, field)), "%f", &kb)
			return kb / 1024
		}
	}
	return -1
}

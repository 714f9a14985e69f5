package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/backend"
)

// TestCLITenantMFASettings: tenant update sets the second-factor policy,
// reports every bad value at once, and tenant show --json lists it.
func TestCLITenantMFASettings(t *testing.T) {
	setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme"); code != 0 {
		t.Fatal(errs)
	}
	_, out, _ := cli(t, "", "tenant", "show", "acme", "--json")
	var v struct{ Settings map[string]any }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Settings["mfa"] != "always" || v.Settings["remember_device_days"] != float64(0) {
		t.Fatalf("defaults: %v", v.Settings)
	}
	code, _, errs := cli(t, "", "tenant", "update", "acme", "--mfa", "sometimes", "--mfa-methods", "totp,pigeon", "--remember-device-days", "400", "--sms-provider", "carrier-pigeon")
	if code != 1 || !strings.Contains(errs, "--mfa must be") || !strings.Contains(errs, `"pigeon"`) ||
		!strings.Contains(errs, "--remember-device-days must be between 0 and 365 but is 400") || !strings.Contains(errs, "--sms-provider") {
		t.Fatalf("bad values: %d %s", code, errs)
	}
	code, out, errs = cli(t, "", "tenant", "update", "acme", "--mfa", "new-device", "--mfa-methods", "TOTP, sms,webauthn",
		"--remember-device-days", "14", "--sender-name", "Acme IT", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	methods, _ := v.Settings["mfa_methods"].([]any)
	if v.Settings["mfa"] != "new-device" || len(methods) != 3 || methods[1] != "sms" || v.Settings["remember_device_days"] != float64(14) ||
		v.Settings["sender_name"] != "Acme IT" {
		t.Fatalf("after update: %v", v.Settings)
	}
	// Other settings are untouched by an MFA-only update.
	if v.Settings["session_idle_minutes"] != float64(store.DefaultSessionIdleMinutes) {
		t.Fatalf("session settings changed: %v", v.Settings)
	}
}

// TestCLIUserResetMFA: reset-mfa removes the user's factors and backup codes
// and records who did it.
func TestCLIUserResetMFA(t *testing.T) {
	setupEnv(t)
	cli(t, "", "tenant", "create", "acme", "--name", "Acme")
	if code, _, errs := cli(t, "pw-Long-Enough-123\n", "user", "create", "--tenant", "acme", "--email", "a@acme.test", "--password-stdin"); code != 0 {
		t.Fatal(errs)
	}
	ctx := context.Background()
	st, err := backend.Open(ctx, os.Getenv("GATEHOUSE_DATABASE_URL"), backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tn, _ := st.TenantBySlug(ctx, "acme")
	u, _ := st.UserByEmail(ctx, tn.ID, "a@acme.test")
	now := time.Now().UTC()
	for _, id := range []string{"f1", "f2"} {
		if err := st.CreateFactor(ctx, &store.Factor{ID: id, TenantID: tn.ID, UserID: u.ID, Kind: store.FactorTOTP, Verified: true, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReplaceBackupCodes(ctx, &store.BackupCodeSet{ID: "s1", TenantID: tn.ID, UserID: u.ID, CreatedAt: now,
		Codes: []store.BackupCode{{Index: 0, Hash: []byte("h")}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "", "user", "reset-mfa", "--tenant", "acme", "--email", "A@acme.test", "--json")
	if code != 0 || !strings.Contains(out, `"factors_removed": 2`) {
		t.Fatalf("reset-mfa: %d %s %s", code, out, errs)
	}
	if fs, _ := st.ListFactors(ctx, tn.ID, u.ID); len(fs) != 0 {
		t.Fatalf("%d factors left", len(fs))
	}
	if _, err := st.BackupCodeSet(ctx, tn.ID, u.ID); err == nil {
		t.Fatal("backup codes left")
	}
	evs, _ := st.ListAuditEvents(ctx, tn.ID, store.AuditQuery{UserID: u.ID})
	if !slices.ContainsFunc(evs, func(e *store.AuditEvent) bool { return e.Type == "mfa.reset" && e.Detail["by"] == "admin" }) {
		t.Fatal("no mfa.reset event")
	}
	if code, _, errs := cli(t, "", "user", "reset-mfa", "--tenant", "acme", "--email", "nobody@acme.test"); code != 1 || !strings.Contains(errs, "no user") {
		t.Fatalf("unknown user: %d %s", code, errs)
	}
}

// TestServeDevOutbox: `serve --dev` mounts /dev/outbox (the dev senders'
// mailbox); the page exists only in dev mode.
func TestServeDevOutbox(t *testing.T) {
	t.Chdir(t.TempDir())
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	t.Setenv("GATEHOUSE_LISTEN", addr)
	t.Setenv("GATEHOUSE_LOG_LEVEL", "error")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "--dev"}, strings.NewReader(""), io.Discard, io.Discard) }()
	defer func() {
		cancel()
		<-done
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/dev/outbox"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Dev outbox") {
		t.Fatalf("/dev/outbox: %d %.200s", resp.StatusCode, body)
	}
}

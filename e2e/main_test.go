package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain silences zitadel/oidc, which logs through slog's default logger,
// unless GATEHOUSE_TEST_LOG is set.
func TestMain(m *testing.M) {
	if os.Getenv("GATEHOUSE_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	code := m.Run()
	// The audit secret scan (audit_secrets_test.go) must have looked at
	// something whenever secrets crossed the wire.
	if n := secretsNoted.Load(); n > 0 {
		fmt.Printf("audit secret scan: %d audit events searched for %d secrets seen on the wire\n", auditScanned.Load(), n)
		if auditScanned.Load() == 0 && code == 0 {
			fmt.Println("audit secret scan: secrets were seen but no audit event was searched")
			code = 1
		}
	}
	os.Exit(code)
}

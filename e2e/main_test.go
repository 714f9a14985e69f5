package e2e

import (
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
	os.Exit(m.Run())
}

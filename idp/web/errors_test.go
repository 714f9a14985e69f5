package web

import (
	"errors"
	"fmt"
	"testing"
)

func TestPublicText(t *testing.T) {
	const wrong Message = "That code is not correct."
	if got, ok := PublicText(fmt.Errorf("verify: %w", wrong)); !ok || got != string(wrong) {
		t.Fatalf("wrapped Message: %q %v", got, ok)
	}
	if _, ok := PublicText(errors.New("pq: connection refused")); ok {
		t.Fatal("an internal error must not be public")
	}
	if !errors.Is(fmt.Errorf("x: %w", wrong), wrong) {
		t.Fatal("Message must compare with errors.Is")
	}
}

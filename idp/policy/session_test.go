package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessionCheck(t *testing.T) {
	p := DefaultSessionPolicy() // idle 60m, absolute 12h
	created := t0
	tests := []struct {
		name     string
		lastSeen time.Time
		now      time.Time
		want     error
	}{
		{"fresh", created, created.Add(time.Minute), nil},
		{"active all shift", created.Add(11*time.Hour + 30*time.Minute), created.Add(11*time.Hour + 59*time.Minute), nil},
		{"idle 59m", created.Add(2 * time.Hour), created.Add(2*time.Hour + 59*time.Minute), nil},
		{"idle exactly 60m", created.Add(2 * time.Hour), created.Add(3 * time.Hour), ErrIdleTimeout},
		{"idle long", created, created.Add(5 * time.Hour), ErrIdleTimeout},
		{"absolute exactly 12h", created.Add(11*time.Hour + 59*time.Minute), created.Add(12 * time.Hour), ErrAbsoluteLifetime},
		{"both exceeded: absolute wins", created, created.Add(13 * time.Hour), ErrAbsoluteLifetime},
		{"zero last seen", time.Time{}, created.Add(time.Minute), ErrIdleTimeout},
	}
	for _, tt := range tests {
		if err := p.Check(created, tt.lastSeen, tt.now); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := p.Check(time.Time{}, t0, t0); !errors.Is(err, ErrAbsoluteLifetime) {
		t.Errorf("zero createdAt: %v, want ErrAbsoluteLifetime", err)
	}
	// The zero policy uses the defaults, never "unlimited".
	var zero SessionPolicy
	if err := zero.Check(created, created, created.Add(61*time.Minute)); !errors.Is(err, ErrIdleTimeout) {
		t.Errorf("zero policy: %v, want ErrIdleTimeout", err)
	}
}

func TestSessionExpiresAt(t *testing.T) {
	p := SessionPolicy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 8 * time.Hour}
	tests := []struct {
		name     string
		lastSeen time.Time
		want     time.Time
	}{
		{"idle limit first", t0.Add(time.Hour), t0.Add(90 * time.Minute)},
		{"absolute limit first", t0.Add(7*time.Hour + 45*time.Minute), t0.Add(8 * time.Hour)},
		{"equal", t0.Add(7*time.Hour + 30*time.Minute), t0.Add(8 * time.Hour)},
	}
	for _, tt := range tests {
		got := p.ExpiresAt(t0, tt.lastSeen)
		if !got.Equal(tt.want) {
			t.Errorf("%s: ExpiresAt = %v, want %v", tt.name, got, tt.want)
		}
		// Consistent with Check: alive just before, dead at the instant.
		if err := p.Check(t0, tt.lastSeen, got.Add(-time.Nanosecond)); err != nil {
			t.Errorf("%s: dead before ExpiresAt: %v", tt.name, err)
		}
		if err := p.Check(t0, tt.lastSeen, got); err == nil {
			t.Errorf("%s: alive at ExpiresAt", tt.name)
		}
	}
}

func TestSessionValidate(t *testing.T) {
	for _, ok := range []SessionPolicy{{}, DefaultSessionPolicy(), {IdleTimeout: 15 * time.Minute, AbsoluteLifetime: 15 * time.Minute}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
	tests := []struct {
		name string
		p    SessionPolicy
		want []string
	}{
		{"negative", SessionPolicy{IdleTimeout: -time.Minute}, []string{"'idle_timeout'", "'-1m0s'"}},
		{"too short", SessionPolicy{AbsoluteLifetime: time.Second}, []string{"'absolute_lifetime' must be 0 (default) or at least 1m"}},
		{"too long", SessionPolicy{AbsoluteLifetime: 31 * 24 * time.Hour}, []string{"at most 720h"}},
		{"idle above absolute", SessionPolicy{IdleTimeout: 2 * time.Hour, AbsoluteLifetime: time.Hour}, []string{"'idle_timeout' must not exceed absolute_lifetime (1h0m0s)"}},
		{"idle above default absolute", SessionPolicy{IdleTimeout: 24 * time.Hour}, []string{"absolute_lifetime (12h0m0s)"}},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %s", tt.name, err, w)
			}
		}
	}
}

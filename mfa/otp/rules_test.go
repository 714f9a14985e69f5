package otp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d ...time.Duration) []time.Time {
	out := make([]time.Time, len(d))
	for i, x := range d {
		out[i] = t0.Add(-x)
	}
	return out
}

func TestDefaultRules(t *testing.T) {
	r := DefaultRules()
	want := Rules{
		TTL: 10 * time.Minute, MaxAttempts: 5, ResendCooldown: time.Minute,
		PerUser: Limit{5, time.Hour}, PerDestination: Limit{10, 24 * time.Hour},
	}
	if r != want {
		t.Fatalf("DefaultRules = %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestValidateReportsEverything(t *testing.T) {
	r := Rules{TTL: time.Second, MaxAttempts: 0, ResendCooldown: -time.Second, PerUser: Limit{0, 0}, PerDestination: Limit{3, -time.Minute}}
	err := r.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"'ttl'", "'1s'", "'max_attempts'", "'resend_cooldown'", "'per_user.max'", "'per_user.window'", "'per_destination.window'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, missing %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "per_destination.max") {
		t.Errorf("per_destination.max is valid but reported: %q", err)
	}
}

func TestCanSend(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name       string
		user, dest []time.Time
		ok         bool
		retry      time.Duration
		reason     error
	}{
		{"first send", nil, nil, true, 0, nil},
		{"after cooldown", ago(61 * time.Second), ago(61 * time.Second), true, 0, nil},
		{"cooldown edge is allowed", ago(60 * time.Second), nil, true, 0, nil},
		{"within cooldown", ago(20 * time.Second), ago(20 * time.Second), false, 40 * time.Second, ErrResendCooldown},
		{"cooldown uses the newest, unsorted", ago(50*time.Minute, 10*time.Second, 30*time.Minute), nil, false, 50 * time.Second, ErrResendCooldown},
		{"4 in the hour is fine", ago(5*time.Minute, 10*time.Minute, 20*time.Minute, 59*time.Minute), nil, true, 0, nil},
		{"5 in the hour", ago(5*time.Minute, 10*time.Minute, 20*time.Minute, 30*time.Minute, 50*time.Minute), nil, false, 10 * time.Minute, ErrUserLimit},
		{"old sends leave the window", ago(5*time.Minute, 10*time.Minute, 20*time.Minute, 30*time.Minute, 61*time.Minute, 2*time.Hour), nil, true, 0, nil},
		{"6 in the hour waits for two to expire",
			ago(2*time.Minute, 3*time.Minute, 4*time.Minute, 5*time.Minute, 40*time.Minute, 55*time.Minute), nil,
			false, 20 * time.Minute, ErrUserLimit},
		{"destination limit across users", nil,
			ago(1*time.Hour, 2*time.Hour, 3*time.Hour, 4*time.Hour, 5*time.Hour, 6*time.Hour, 7*time.Hour, 8*time.Hour, 9*time.Hour, 23*time.Hour),
			false, time.Hour, ErrDestinationLimit},
		{"longest wait wins: destination over cooldown", ago(30 * time.Second),
			ago(30*time.Second, 2*time.Hour, 3*time.Hour, 4*time.Hour, 5*time.Hour, 6*time.Hour, 7*time.Hour, 8*time.Hour, 9*time.Hour, 20*time.Hour),
			false, 4 * time.Hour, ErrDestinationLimit},
		{"future timestamp (clock skew) counts", []time.Time{t0.Add(10 * time.Second)}, nil, false, 70 * time.Second, ErrResendCooldown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, retry, reason := r.CanSend(tt.user, tt.dest, t0)
			if ok != tt.ok || retry != tt.retry || !errors.Is(reason, tt.reason) || (tt.reason == nil && reason != nil) {
				t.Fatalf("CanSend = %v, %v, %v; want %v, %v, %v", ok, retry, reason, tt.ok, tt.retry, tt.reason)
			}
			if reason != nil && !errors.Is(reason, ErrRateLimited) {
				t.Fatalf("reason %v does not match ErrRateLimited", reason)
			}
			if !ok {
				// Once retryAfter has passed (and nothing else was sent), sending is allowed.
				if ok2, _, why := r.CanSend(tt.user, tt.dest, t0.Add(retry)); !ok2 {
					t.Fatalf("still refused after retryAfter: %v", why)
				}
				if ok3, _, _ := r.CanSend(tt.user, tt.dest, t0.Add(retry-time.Second)); ok3 {
					t.Fatal("allowed one second before retryAfter")
				}
			}
		})
	}
}

func TestCanSendZeroCooldown(t *testing.T) {
	r := DefaultRules()
	r.ResendCooldown = 0
	if ok, _, why := r.CanSend(ago(time.Second), nil, t0); !ok {
		t.Fatalf("cooldown disabled but refused: %v", why)
	}
}

func TestCheckAttempt(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		name     string
		attempts int
		issued   time.Time
		want     error
	}{
		{"fresh", 0, t0, nil},
		{"fourth retry", 4, t0.Add(-9 * time.Minute), nil},
		{"fifth retry refused", 5, t0, ErrTooManyAttempts},
		{"way over", 50, t0, ErrTooManyAttempts},
		{"just before expiry", 0, t0.Add(-10*time.Minute + time.Nanosecond), nil},
		{"at expiry", 0, t0.Add(-10 * time.Minute), ErrExpired},
		{"long expired", 1, t0.Add(-time.Hour), ErrExpired},
		{"both: attempts reported", 5, t0.Add(-time.Hour), ErrTooManyAttempts},
	}
	for _, tt := range tests {
		if err := r.CheckAttempt(tt.attempts, tt.issued, t0); err != tt.want {
			t.Errorf("%s: CheckAttempt = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := r.ExpiresAt(t0); !got.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("ExpiresAt = %v", got)
	}
}

func TestRulesVerify(t *testing.T) {
	r := DefaultRules()
	key := []byte("0123456789abcdef0123456789abcdef")
	stored := Hash(key, "042917")
	tests := []struct {
		name     string
		input    string
		attempts int
		issued   time.Time
		key      []byte
		want     error
	}{
		{"right", "042917", 0, t0.Add(-time.Minute), key, nil},
		{"right with space", "042 917", 4, t0.Add(-time.Minute), key, nil},
		{"wrong", "042918", 0, t0, key, ErrInvalidCode},
		{"dropped leading zero", "42917", 0, t0, key, ErrMalformed},
		{"right but expired", "042917", 0, t0.Add(-11 * time.Minute), key, ErrExpired},
		{"right but too many attempts", "042917", 5, t0, key, ErrTooManyAttempts},
		{"other server key", "042917", 0, t0, []byte("another key........32 bytes long"), ErrInvalidCode},
	}
	for _, tt := range tests {
		err := r.Verify(tt.key, stored, tt.input, tt.attempts, tt.issued, t0)
		if err != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "042917") {
			t.Errorf("%s: error leaks the code: %v", tt.name, err)
		}
	}
}

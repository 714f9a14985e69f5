package totp

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA1 seed of RFC 6238 Appendix B.
var rfcSecret = []byte("12345678901234567890")

// RFC 6238 Appendix B, SHA1 rows; the 8-digit values truncated to 6 digits
// (a d-digit HOTP value is the 31-bit number mod 10^d, so the last 6 digits).
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "287082"},          // 94287082
	{1111111109, "081804"},  // 07081804
	{1111111111, "050471"},  // 14050471
	{1234567890, "005924"},  // 89005924
	{2000000000, "279037"},  // 69279037
	{20000000000, "353130"}, // 65353130
}

func TestRFC6238Vectors(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(fmt.Sprint(v.unix), func(t *testing.T) {
			now := time.Unix(v.unix, 0)
			got, err := GenerateCode(rfcSecret, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.code {
				t.Fatalf("GenerateCode = %s, want %s", got, v.code)
			}
			step, err := Verify(rfcSecret, v.code, now, 0)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if want := v.unix / 30; step != want {
				t.Fatalf("step = %d, want %d", step, want)
			}
		})
	}
}

// oathtool returns the code Debian's oathtool (an independent C
// implementation) computes for secret at unix time ts.
func oathtool(t *testing.T, secret []byte, ts int64) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Skip("oathtool not installed (apt-get install oathtool); independent-implementation check skipped")
	}
	out, err := exec.Command(path, "--totp", "-b", "-N", fmt.Sprintf("@%d", ts), EncodeSecret(secret)).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool: %v: %s", err, out)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q", out)
	}
	return code
}

func seqSecret(seed byte) []byte {
	s := make([]byte, SecretSize)
	for i := range s {
		s[i] = seed*31 + byte(i)*7 + 1
	}
	return s
}

func TestAgainstOathtool(t *testing.T) {
	times := []int64{1_700_000_000, 1_700_000_029, 1_700_000_030, 1_234_567_890, 2_000_000_000, 4_102_444_800}
	for i, ts := range times {
		secret := seqSecret(byte(i))
		t.Run(fmt.Sprint(ts), func(t *testing.T) {
			code := oathtool(t, secret, ts)
			now := time.Unix(ts, 0)
			if got, err := GenerateCode(secret, now); err != nil || got != code {
				t.Fatalf("GenerateCode = %q, %v; oathtool says %s", got, err, code)
			}
			step, err := Verify(secret, code, now, 0)
			if err != nil || step != ts/30 {
				t.Fatalf("Verify(oathtool code) = %d, %v; want %d, nil", step, err, ts/30)
			}
		})
	}
}

// TestSkewWindow uses oathtool codes for steps -2..+2 around "now": ±1 must
// be accepted with the right step, ±2 refused.
func TestSkewWindow(t *testing.T) {
	secret := seqSecret(42)
	base := int64(1_750_000_005) // inside a step, not on its edge
	now := time.Unix(base, 0)
	cur := Step(now)

	window := map[string]bool{}
	for d := int64(-1); d <= 1; d++ {
		window[oathtool(t, secret, base+d*30)] = true
	}
	for _, d := range []int64{-2, -1, 0, 1, 2} {
		t.Run(fmt.Sprintf("offset%+d", d), func(t *testing.T) {
			code := oathtool(t, secret, base+d*30)
			step, err := Verify(secret, code, now, 0)
			if d >= -1 && d <= 1 {
				if err != nil || step != cur+d {
					t.Fatalf("Verify = %d, %v; want %d, nil", step, err, cur+d)
				}
				return
			}
			if window[code] {
				t.Skip("code of a step outside the window collides with one inside it (1 in ~10^5)")
			}
			if !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("Verify(step %+d) err = %v, want ErrInvalidCode", d, err)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	secret := seqSecret(7)
	now := time.Unix(1_800_000_010, 0)
	cur := Step(now)
	code := oathtool(t, secret, now.Unix())
	prev := oathtool(t, secret, now.Unix()-30)
	next := oathtool(t, secret, now.Unix()+30)

	step, err := Verify(secret, code, now, 0)
	if err != nil || step != cur {
		t.Fatalf("first use = %d, %v", step, err)
	}
	// The same code again, a few seconds later in the same step.
	if _, err := Verify(secret, code, now.Add(5*time.Second), step); !errors.Is(err, ErrReplayed) {
		t.Fatalf("same code again: err = %v, want ErrReplayed", err)
	}
	// A still-valid code of an older step after a newer one was accepted.
	if _, err := Verify(secret, prev, now, step); !errors.Is(err, ErrReplayed) {
		t.Fatalf("older step after newer: err = %v, want ErrReplayed", err)
	}
	// The next step's code is newer and is accepted.
	if s, err := Verify(secret, next, now, step); err != nil || s != cur+1 {
		t.Fatalf("next step = %d, %v; want %d", s, err, cur+1)
	}
	// Once the next step was accepted, the current code is stale too.
	if _, err := Verify(secret, code, now, cur+1); !errors.Is(err, ErrReplayed) {
		t.Fatalf("current after next: err = %v, want ErrReplayed", err)
	}
	// A wrong code stays ErrInvalidCode even when lastStep is ahead.
	wrong := flipDigit(code)
	if wrong == prev || wrong == next {
		t.Skip("flipped code collides with a window code")
	}
	if _, err := Verify(secret, wrong, now, cur+1); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("wrong code: err = %v, want ErrInvalidCode", err)
	}
}

// TestAcceptsCurrentAfterPrevious checks that when lastStep is the previous step,
// the current code is accepted with the current step (not refused because an
// older candidate was compared first).
func TestAcceptsCurrentAfterPrevious(t *testing.T) {
	now := time.Unix(1111111111, 0)
	step, err := Verify(rfcSecret, "050471", now, Step(now)-1)
	if err != nil || step != Step(now) {
		t.Fatalf("Verify = %d, %v; want %d", step, err, Step(now))
	}
}

func flipDigit(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestVerifyErrors(t *testing.T) {
	now := time.Unix(1111111111, 0)
	tests := []struct {
		name   string
		secret []byte
		code   string
		want   error
	}{
		{"empty", rfcSecret, "", ErrMalformed},
		{"five digits", rfcSecret, "05047", ErrMalformed},
		{"seven digits", rfcSecret, "0504710", ErrMalformed},
		{"letter", rfcSecret, "05047a", ErrMalformed},
		{"sign", rfcSecret, "-50471", ErrMalformed},
		{"newline", rfcSecret, "050471\n", ErrMalformed},
		{"hyphen", rfcSecret, "050-471", ErrMalformed},
		{"fullwidth digits", rfcSecret, "０５０４７１", ErrMalformed},
		{"arabic-indic digits", rfcSecret, "٠٥٠٤٧١", ErrMalformed},
		{"very long", rfcSecret, strings.Repeat(" ", 100) + "050471", ErrMalformed},
		{"wrong code", rfcSecret, "050472", ErrInvalidCode},
		{"short secret", rfcSecret[:10], "050471", ErrInvalidSecret},
		{"nil secret", nil, "050471", ErrInvalidSecret},
		{"spaces are fine", rfcSecret, " 050 471 ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.secret, tt.code, now, 0)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "050471") {
				t.Fatalf("error %q leaks the code", err)
			}
		})
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {1111111109, 37037036}, {-1, -1}, {-30, -1}, {-31, -2},
	}
	for _, tt := range tests {
		if got := Step(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("Step(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

func TestVerifyNearEpoch(t *testing.T) {
	// At t=10 the window includes step -1, which has no code; the step-0 code
	// still works and nothing panics.
	code, err := GenerateCode(rfcSecret, time.Unix(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Verify(rfcSecret, code, time.Unix(10, 0), -1); err != nil || s != 0 {
		t.Fatalf("Verify = %d, %v", s, err)
	}
	if _, err := GenerateCode(rfcSecret, time.Unix(-100, 0)); err == nil {
		t.Fatal("GenerateCode before the epoch: want error")
	}
}

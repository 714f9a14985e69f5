package policy

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/match"
)

var agentInputs = []string{"jane.doe@acme-helpdesk.com", "Jane Doe", "Acme Helpdesk"}

func TestCheckDefaultPolicy(t *testing.T) {
	p := DefaultPasswordPolicy()
	tests := []struct {
		name     string
		password string
		// exactly one of these is set; both nil means accepted
		sentinel error
		check    func(t *testing.T, err error)
	}{
		{name: "accepted passphrase", password: "ticket-queue-7"},
		{name: "accepted random", password: "x7Kp2mQ9vR4t"},
		{name: "too short", password: "Tr0ub4d&3xy", check: wantTooShort(12)},
		{name: "empty", password: "", check: wantTooShort(12)},
		{name: "decomposed accents count once", password: strings.Repeat("e\u0301", 11), check: wantTooShort(12)},
		{name: "too long", password: strings.Repeat("ab3$", 32) + "x", check: wantTooLong(128)},
		{name: "common", password: "1qaz2wsx3edc", sentinel: ErrCommon},
		{name: "common in capitals", password: "1QAZ2WSX3EDC", sentinel: ErrCommon},
		{name: "common in full-width letters", password: "１ｑａｚ２ｗｓｘ３ｅｄｃ", sentinel: ErrCommon},
		{name: "whole email", password: "jane.doe@acme-helpdesk.com", check: wantUserInfo},
		{name: "name and tenant", password: "JaneDoeAcme2024!", check: wantUserInfo},
		{name: "tenant words only", password: "AcmeHelpdesk!!", check: wantUserInfo},
		{name: "user words plus enough of its own", password: "acme-ticket-queue-7", sentinel: nil},
		{name: "repeats", password: "aaaaaaaaaaaaaaaa", check: wantWeak(0, 3, "Repeated characters")},
		{name: "sequence", password: "cdefghijklmnopqr", check: wantWeak(0, 3, "Sequences")}, // abcdefghijklmnop itself is on the blocklist
		{name: "weak words", password: "kettle-window", check: wantWeak(2, 3, "")},
		{name: "repeated keyboard row", password: "qwertyuiopQWERTYUIOPqwertyuiop", check: wantWeak(0, 3, "Repeated characters or words")},
		{name: "repeated date", password: strings.Repeat("19/12/2001", 10), check: wantWeak(0, 3, "Repeated")},
		{name: "repeated strong unit", password: "ticket-queue-7ticket-queue-7"},
		{name: "control character", password: "ticket-queue-7\x00", sentinel: ErrInvalidCharacter},
		{name: "newline", password: "ticket-queue\n7", sentinel: ErrInvalidCharacter},
		{name: "invalid UTF-8", password: "ticket-queue-7\xff", sentinel: ErrInvalidCharacter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.password, agentInputs)
			switch {
			case tt.check != nil:
				tt.check(t, err)
			case tt.sentinel != nil:
				if !errors.Is(err, tt.sentinel) {
					t.Fatalf("Check = %v, want %v", err, tt.sentinel)
				}
			default:
				if err != nil {
					t.Fatalf("Check = %v, want accepted", err)
				}
			}
			if err != nil {
				if !errors.Is(err, ErrPasswordRejected) {
					t.Errorf("%v does not match ErrPasswordRejected", err)
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Errorf("message %q contains the password", err)
				}
			}
		})
	}
}

func wantTooShort(min int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var e *ErrTooShort
		if !errors.As(err, &e) || e.Min != min {
			t.Fatalf("Check = %v, want ErrTooShort{Min: %d}", err, min)
		}
	}
}

func wantTooLong(max int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var e *ErrTooLong
		if !errors.As(err, &e) || e.Max != max {
			t.Fatalf("Check = %v, want ErrTooLong{Max: %d}", err, max)
		}
	}
}

func wantUserInfo(t *testing.T, err error) {
	var e *ErrContainsUserInfo
	if !errors.As(err, &e) {
		t.Fatalf("Check = %v, want ErrContainsUserInfo", err)
	}
}

func wantWeak(score, required int, feedback string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var e *ErrTooWeak
		if !errors.As(err, &e) {
			t.Fatalf("Check = %v, want ErrTooWeak", err)
		}
		if e.Score != score || e.Required != required || !strings.Contains(e.Feedback, feedback) {
			t.Errorf("ErrTooWeak = %+v, want score %d required %d feedback containing %q", e, score, required, feedback)
		}
		if !strings.Contains(e.Error(), e.Feedback) {
			t.Errorf("message %q lacks the feedback", e)
		}
	}
}

// The same five passwords, one per zxcvbn score 0-4, against each level.
func TestCheckLevels(t *testing.T) {
	byScore := []string{"hunter2hunter2", "Helpdesk2024!", "kettle-window", "river-stone-9", "ticket-queue-7"}
	tests := []struct {
		level   Level
		accepts int // lowest score accepted
	}{
		{LevelLengthOnly, 0},
		{LevelFair, 2},
		{LevelGood, 3},
		{LevelStrong, 4},
	}
	for _, tt := range tests {
		p := DefaultPasswordPolicy()
		p.Strength = tt.level
		for score, pw := range byScore {
			err := p.Check(pw, nil)
			if score >= tt.accepts {
				if err != nil {
					t.Errorf("%s: Check(score %d) = %v, want accepted", tt.level, score, err)
				}
				continue
			}
			var weak *ErrTooWeak
			if !errors.As(err, &weak) || weak.Score != score {
				t.Errorf("%s: Check(score %d) = %v, want ErrTooWeak with that score", tt.level, score, err)
			}
		}
	}
}

func TestCheckZeroPolicyUsesDefaults(t *testing.T) {
	var p PasswordPolicy
	if err := p.Check("kettle-window", nil); !errors.As(err, new(*ErrTooWeak)) {
		t.Errorf("zero policy accepted a score-2 password: %v", err)
	}
	if err := p.Check("short-7", nil); !errors.As(err, new(*ErrTooShort)) {
		t.Errorf("zero policy: %v, want ErrTooShort", err)
	}
	p.Strength = "extreme"
	err := p.Check("ticket-queue-7", nil)
	if err == nil || errors.Is(err, ErrPasswordRejected) {
		t.Errorf("unknown level: Check = %v, want an internal (non-rejection) error", err)
	}
}

func TestCheckLengthLimits(t *testing.T) {
	p := DefaultPasswordPolicy()
	p.MaxLength = CeilingMaxLength
	p.Strength = LevelStrong
	long := nonRepeating(CeilingMaxLength)
	if _, ok := repeatedUnit(long); ok {
		t.Fatal("test password repeats; the scoring window would not be exercised")
	}
	start := time.Now()
	if err := p.Check(long, agentInputs); err != nil {
		t.Fatalf("1024-character password: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("checking a 1024-character password took %v; the scoring window is not bounding zxcvbn", d)
	}
	if err := p.Check(long+"y", nil); !errors.As(err, new(*ErrTooLong)) {
		t.Errorf("1025 characters: %v, want ErrTooLong", err)
	}
	// Four-byte characters count once each.
	p.MaxLength, p.MinLength = 20, 12
	if err := p.Check(strings.Repeat("🦊🐧🦉🐙", 5), nil); err != nil {
		t.Errorf("20 emoji under max 20: %v", err)
	}
	if err := p.Check(strings.Repeat("🦊🐧🦉🐙", 5)+"🐢", nil); !errors.As(err, new(*ErrTooLong)) {
		t.Errorf("21 emoji under max 20: %v, want ErrTooLong", err)
	}
}

// nonRepeating returns n deterministic characters without a repeated unit,
// drawn from letters, digits and symbols.
func nonRepeating(n int) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!#"
	var b strings.Builder
	seed := sha256.Sum256([]byte("gatehouse"))
	for b.Len() < n {
		for _, c := range seed {
			if b.Len() == n {
				break
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		seed = sha256.Sum256(seed[:])
	}
	return b.String()
}

func TestScoreWindow(t *testing.T) {
	tests := []struct {
		in        string
		wantRunes int
	}{
		{"", 0},
		{"short", 5},
		{strings.Repeat("a", 100), 100},
		{strings.Repeat("a", 101), 100},
		{strings.Repeat("é", 200), 100},     // 2 bytes each: 200 bytes
		{strings.Repeat("🦊", 100), 64},      // 4 bytes each: the 256-byte cap wins
		{"a" + strings.Repeat("🦊", 70), 64}, // never splits a character
	}
	for _, tt := range tests {
		w := scoreWindow(tt.in)
		if !strings.HasPrefix(tt.in, w) || !utf8.ValidString(w) || utf8.RuneCountInString(w) != tt.wantRunes || len(w) > scoreWindowBytes {
			t.Errorf("scoreWindow(%d runes) = %d runes, %d bytes; want %d runes", utf8.RuneCountInString(tt.in), utf8.RuneCountInString(w), len(w), tt.wantRunes)
		}
	}
}

func TestRepeatedUnit(t *testing.T) {
	tests := []struct {
		in   string
		unit string // "" = not a repetition
	}{
		{"", ""},
		{"a", ""},
		{"aa", "a"},
		{"abcabc", "abc"},
		{"abcabcab", "abc"}, // partial copy at the end
		{"abcab", ""},       // less than two full copies
		{"AbcABCabc", "Abc"},
		{"ticket-queue-7", ""},
		{"ééé", "é"},
		{"🦊🐧🦊🐧", "🦊🐧"},
	}
	for _, tt := range tests {
		unit, ok := repeatedUnit(tt.in)
		if ok != (tt.unit != "") || unit != tt.unit {
			t.Errorf("repeatedUnit(%q) = %q, %v; want %q", tt.in, unit, ok, tt.unit)
		}
	}
}

func TestNormalizePassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"e\u0301t\u00e9", "\u00e9t\u00e9"}, // decomposed -> composed
		{"ｐａｓｓ１", "pass1"},                  // full-width -> ASCII
		{"\ufb01ve", "five"},                // ligature
		{"Ⅻ", "XII"},                        // compatibility numeral
		{"Straße", "Straße"},                // NFKC does not case-fold
	}
	for _, tt := range tests {
		got := NormalizePassword(tt.in)
		if got != tt.want {
			t.Errorf("NormalizePassword(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if NormalizePassword(got) != got {
			t.Errorf("NormalizePassword is not idempotent on %q", got)
		}
	}
	long := strings.Repeat("x", 5000)
	if NormalizePassword(long) != long {
		t.Error("NormalizePassword truncated a long password")
	}
}

func TestUserTokens(t *testing.T) {
	got := userTokens([]string{"Jane.Doe@Acme-Helpdesk.com", "  Jane Doe ", "Li", "", "ＡＣＭＥ"})
	want := map[string]bool{
		"jane.doe@acme-helpdesk.com": true, "jane.doe": true, "jane doe": true,
		"jane": true, "acme": true, "helpdesk": true,
	}
	if len(got) != len(want) {
		t.Fatalf("userTokens = %q, want the set %v", got, want)
	}
	for i, tok := range got {
		if !want[tok] {
			t.Errorf("unexpected token %q", tok)
		}
		if i > 0 && len(tok) > len(got[i-1]) {
			t.Errorf("tokens not longest first: %q", got)
		}
	}
}

func TestFeedback(t *testing.T) {
	m := func(pattern, dict, token string) match.Match {
		return match.Match{Pattern: pattern, DictionaryName: dict, Token: token}
	}
	tests := []struct {
		name string
		seq  []match.Match
		want string
	}{
		{"nothing", nil, ""},
		{"only bruteforce", []match.Match{m("bruteforce", "", "x7Kp")}, ""},
		{"user input", []match.Match{m("dictionary", "user_inputs", "acme")}, "your name, email address"},
		{"common password", []match.Match{m("dictionary", "Passwords", "dragon")}, "commonly used password"},
		{"leet", []match.Match{m("dictionary", "Passwords_3117", "dr@g0n")}, "look-alike symbols"},
		{"surname", []match.Match{m("dictionary", "Surname", "smith")}, "Names and surnames"},
		{"word", []match.Match{m("dictionary", "English", "kettle")}, "common words"},
		{"keyboard", []match.Match{m("spatial", "qwerty", "qwerty")}, "Keyboard patterns"},
		{"repeat", []match.Match{m("repeat", "a", "aaaa")}, "Repeated"},
		{"sequence", []match.Match{m("sequence", "lower", "abcd")}, "Sequences"},
		{"date", []match.Match{m("date", "date_match", "1984")}, "Dates"},
		{"longest wins", []match.Match{m("date", "", "1984"), m("spatial", "qwerty", "asdfgh"), m("bruteforce", "", "zzzzzzzzzz")}, "Keyboard"},
	}
	for _, tt := range tests {
		got := feedback(tt.seq)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: feedback = %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}

func TestPasswordPolicyValidate(t *testing.T) {
	if err := DefaultPasswordPolicy().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if err := (PasswordPolicy{}).Validate(); err != nil {
		t.Fatalf("zero policy invalid: %v", err)
	}
	tests := []struct {
		name   string
		modify func(*PasswordPolicy)
		want   []string
	}{
		{"level", func(p *PasswordPolicy) { p.Strength = "medium" }, []string{"'strength'", "'medium'"}},
		{"min below floor", func(p *PasswordPolicy) { p.MinLength = 6 }, []string{"'min_length' must be 8 or more", "'6'"}},
		{"max above ceiling", func(p *PasswordPolicy) { p.MaxLength = 4096 }, []string{"'max_length' must be 1024 or less", "'4096'"}},
		{"max below min", func(p *PasswordPolicy) { p.MinLength, p.MaxLength = 20, 16 }, []string{"at least min_length (20)", "'16'"}},
		{"negative ages", func(p *PasswordPolicy) { p.MinAgeDays, p.MaxAgeDays = -1, -2 }, []string{"'min_age_days' must be 0 or more", "'max_age_days'"}},
		{"min age not below max", func(p *PasswordPolicy) { p.MinAgeDays, p.MaxAgeDays = 90, 90 }, []string{"less than max_age_days (90)"}},
		{"history", func(p *PasswordPolicy) { p.HistoryCount = 100 }, []string{"'history_count'", "'100'"}},
		{"everything at once", func(p *PasswordPolicy) { p.Strength, p.MinLength, p.HistoryCount = "x", 1, -1 }, []string{"'strength'", "'min_length'", "'history_count'"}},
	}
	for _, tt := range tests {
		p := DefaultPasswordPolicy()
		tt.modify(&p)
		err := p.Validate()
		if err == nil {
			t.Errorf("%s: Validate accepted %+v", tt.name, p)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %s", tt.name, err, w)
			}
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"good": LevelGood, " Strong ": LevelStrong, "length-only": LevelLengthOnly, "FAIR": LevelFair} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "medium", "4"} {
		if _, err := ParseLevel(in); err == nil || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseLevel(%q) err = %v, want one naming the value", in, err)
		}
	}
}

func TestPasswordAges(t *testing.T) {
	changed := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	p := PasswordPolicy{MinAgeDays: 1, MaxAgeDays: 90}
	tests := []struct {
		name      string
		now       time.Time
		canChange bool
		expired   bool
	}{
		{"just changed", changed.Add(time.Minute), false, false},
		{"one second before min age", changed.Add(24*time.Hour - time.Second), false, false},
		{"min age reached", changed.Add(24 * time.Hour), true, false},
		{"one second before expiry", changed.Add(90*24*time.Hour - time.Second), true, false},
		{"expiry instant", changed.Add(90 * 24 * time.Hour), true, true},
		{"long expired", changed.AddDate(1, 0, 0), true, true},
	}
	for _, tt := range tests {
		err := p.CanChange(changed, tt.now)
		if tt.canChange != (err == nil) {
			t.Errorf("%s: CanChange = %v, want allowed=%v", tt.name, err, tt.canChange)
		}
		if err != nil {
			var e *ErrMinAge
			if !errors.As(err, &e) || !e.AllowedAt.Equal(changed.Add(24*time.Hour)) || !errors.Is(err, ErrPasswordRejected) {
				t.Errorf("%s: CanChange = %#v, want ErrMinAge at %v", tt.name, err, changed.Add(24*time.Hour))
			}
			if !strings.Contains(err.Error(), "2 March 2025 09:00 UTC") {
				t.Errorf("%s: message %q does not say when", tt.name, err)
			}
		}
		if got := p.Expired(changed, tt.now); got != tt.expired {
			t.Errorf("%s: Expired = %v, want %v", tt.name, got, tt.expired)
		}
	}
	if at, ok := p.ExpiresAt(changed); !ok || !at.Equal(changed.Add(90*24*time.Hour)) {
		t.Errorf("ExpiresAt = %v, %v", at, ok)
	}

	off := DefaultPasswordPolicy()
	if off.Expired(changed, changed.AddDate(10, 0, 0)) {
		t.Error("default policy expired a password")
	}
	if _, ok := off.ExpiresAt(changed); ok {
		t.Error("default policy reports an expiry date")
	}
	if err := off.CanChange(changed, changed); err != nil {
		t.Errorf("default policy: CanChange = %v", err)
	}
	if !p.Expired(time.Time{}, changed) {
		t.Error("unknown last change under a max age must count as expired")
	}
	if err := p.CanChange(time.Time{}, changed); err != nil {
		t.Errorf("never-set password: CanChange = %v", err)
	}
}

func TestReusesHistory(t *testing.T) {
	hash := func(pw string) []byte { h := sha256.Sum256([]byte(pw)); return h[:] }
	var seen []string
	verify := func(h []byte, pw string) bool {
		seen = append(seen, pw)
		return subtle.ConstantTimeCompare(h, hash(pw)) == 1
	}
	// Newest first; stored hashes are of the normalised form.
	history := [][]byte{hash("current-pass-0"), hash("older-pass-1"), hash("caf\u00e9-pass-2"), hash("older-pass-3"), hash("ancient-pass-4")}
	tests := []struct {
		count    int
		password string
		want     bool
	}{
		{3, "current-pass-0", true},
		{3, "older-pass-1", true},
		{3, "cafe\u0301-pass-2", true}, // typed decomposed, stored composed
		{3, "older-pass-3", false},     // beyond HistoryCount
		{5, "ancient-pass-4", true},
		{9, "ancient-pass-4", true}, // count larger than the history
		{0, "current-pass-0", false},
		{3, "brand-new-pass", false},
	}
	for _, tt := range tests {
		seen = nil
		p := PasswordPolicy{HistoryCount: tt.count}
		if got := p.ReusesHistory(tt.password, history, verify); got != tt.want {
			t.Errorf("HistoryCount %d, %q: ReusesHistory = %v, want %v", tt.count, tt.password, got, tt.want)
		}
		for _, pw := range seen {
			if pw != NormalizePassword(pw) {
				t.Errorf("verify received a non-normalised password %q", pw)
			}
		}
		if len(seen) > tt.count {
			t.Errorf("HistoryCount %d but verify ran %d times", tt.count, len(seen))
		}
	}
}

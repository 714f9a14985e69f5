package zxcvbn

import (
	"fmt"
	"strings"
	"testing"

	upstream "github.com/nbutton23/zxcvbn-go"
	upstreammatch "github.com/nbutton23/zxcvbn-go/match"
	upstreammatching "github.com/nbutton23/zxcvbn-go/matching"
	upstreamscoring "github.com/nbutton23/zxcvbn-go/scoring"

	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/match"
	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/matching"
	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/scoring"
)

// comparePasswords covers every matcher (dictionary with each list, l33t,
// spatial on each keyboard, repeat, sequence, both date forms), brute force,
// user inputs, non-ASCII text and the empty password.
var comparePasswords = []string{
	// empty and tiny
	"", "a", "Z9",
	// common passwords and words
	"password", "123456", "qwerty", "letmein", "iloveyou", "Password1", "monkey123",
	"dragon", "sunshine!", "football2024",
	// names
	"jennifer1985", "Smith&Wesson", "michaeljordan23",
	// dates
	"13/3/1997", "1984-07-04", "01011990", "neverforget13/3/1997", "12.25.2019xmas", "19700101",
	// keyboard walks (qwerty, dvorak, keypad)
	"qwertyuiop", "1qaz2wsx3edc", "zxcvbnm,./", "QWErty!@#", "aoeuidhtns", "789456123", "/*-741852",
	// l33t
	"p@ssw0rd", "Tr0ub4dour&3", "dr@g0n!", "$uper5tar", "1337h4x0r", "m0nk3y",
	// repeats and sequences
	"aaaaaaaa", "D0g..................", "abcdefghijk987654321", "ZYXWVUTS", "11111111zz",
	// long passphrases
	"correcthorsebatterystaple",
	"coRrecth0rseba++ery9.23.2007staple$",
	"the quick brown fox jumps over the lazy dog",
	"Winter is coming and the night is dark and full of terrors 2019",
	// random-looking
	"x7Kp#9vLq2!mZ", "Gh7$kLp0@qWz", "vR8!nT2#",
	// non-ASCII
	"pässwörd", "Ünïcödé-Straße-2024", "日本語のパスワード", "пароль123", "🔒🔑secret🔑🔒", "ñandú1999",
	// user inputs
	"jane.doe@acme.com", "acmejane2020", "Doe4ever",
}

var compareUserInputs = []string{"jane.doe@acme.com", "jane", "doe", "acme"}

// TestMatchesUpstream scores every password with this copy and with the
// upstream module and requires the same result: the lazy initialisation
// must not change a single score, entropy or match.
func TestMatchesUpstream(t *testing.T) {
	for _, pw := range comparePasswords {
		for _, inputs := range [][]string{nil, compareUserInputs} {
			t.Run(fmt.Sprintf("%q/inputs=%d", pw, len(inputs)), func(t *testing.T) {
				t.Parallel() // the first calls race each other: exercises the sync.Once paths under -race
				got := PasswordStrength(pw, inputs)
				want := upstream.PasswordStrength(pw, inputs)
				compareResults(t, got, want, upstreammatching.Omnimatch(pw, inputs))
			})
		}
	}
}

// TestFiltersMatchUpstream checks that matchers are filtered out the same
// way: here l33t and both date matchers.
func TestFiltersMatchUpstream(t *testing.T) {
	for _, pw := range []string{"p@ssw0rd13/3/1997", "Tr0ub4dour&3", "19700101", "qwerty"} {
		got := PasswordStrength(pw, nil, matching.FilterL33tMatcher, matching.FilterDateSepMatcher, matching.FilterDateWithoutSepMatcher)
		want := upstream.PasswordStrength(pw, nil, upstreammatching.FilterL33tMatcher, upstreammatching.FilterDateSepMatcher, upstreammatching.FilterDateWithoutSepMatcher)
		compareResults(t, got, want, upstreammatching.Omnimatch(pw, nil, upstreammatching.FilterL33tMatcher, upstreammatching.FilterDateSepMatcher, upstreammatching.FilterDateWithoutSepMatcher))
	}
}

// compareResults requires got to equal want in everything but CalcTime
// (wall-clock time). Scores, entropies, crack times and the positions and
// entropies of the chosen matches are deterministic and must be identical.
//
// Which of several equally good matches for the same span is reported is
// not deterministic, upstream included: the dictionaries are ranged over in
// map order and the candidates are sorted unstably, so "12.25.2019xmas"
// reports ".201" as a keypad match in some processes and as a mac_keypad
// match in others, with the same entropy. Where got and want name different
// matches, both must therefore be upstream candidates for the same span
// with the same entropy.
func compareResults(t *testing.T, got scoring.MinEntropyMatch, want upstreamscoring.MinEntropyMatch, candidates []upstreammatch.Match) {
	t.Helper()
	if got.Password != want.Password || got.Entropy != want.Entropy || got.CrackTime != want.CrackTime ||
		got.CrackTimeDisplay != want.CrackTimeDisplay || got.Score != want.Score {
		t.Errorf("result differs from upstream:\n got  score=%d entropy=%v crack=%v (%s) password=%q\n want score=%d entropy=%v crack=%v (%s) password=%q",
			got.Score, got.Entropy, got.CrackTime, got.CrackTimeDisplay, got.Password,
			want.Score, want.Entropy, want.CrackTime, want.CrackTimeDisplay, want.Password)
	}
	if len(got.MatchSequence) != len(want.MatchSequence) {
		t.Fatalf("match sequence differs from upstream:\n got  %s\n want %s", formatSeq(got.MatchSequence), formatUpstreamSeq(want.MatchSequence))
	}
	for i, g := range got.MatchSequence {
		w := want.MatchSequence[i]
		if g.I != w.I || g.J != w.J || g.Entropy != w.Entropy {
			t.Errorf("match %d differs from upstream: got %s, want %s", i, formatSeq([]match.Match{g}), formatUpstreamSeq([]upstreammatch.Match{w}))
			continue
		}
		if g.Pattern == w.Pattern && g.Token == w.Token && g.DictionaryName == w.DictionaryName {
			continue
		}
		gotRaw, gotOK := candidateEntropy(candidates, g.I, g.J, g.Pattern, g.Token, g.DictionaryName)
		wantRaw, wantOK := candidateEntropy(candidates, w.I, w.J, w.Pattern, w.Token, w.DictionaryName)
		if !gotOK || !wantOK || gotRaw != wantRaw {
			t.Errorf("match %d differs from upstream and is not an equally good alternative: got %s, want %s",
				i, formatSeq([]match.Match{g}), formatUpstreamSeq([]upstreammatch.Match{w}))
		}
	}
}

// candidateEntropy returns the entropy of the upstream candidate match with
// exactly these fields.
func candidateEntropy(candidates []upstreammatch.Match, i, j int, pattern, token, dict string) (float64, bool) {
	for _, c := range candidates {
		if c.I == i && c.J == j && c.Pattern == pattern && c.Token == token && c.DictionaryName == dict {
			return c.Entropy, true
		}
	}
	return 0, false
}

func formatSeq(seq []match.Match) string {
	var b strings.Builder
	for _, m := range seq {
		fmt.Fprintf(&b, "[%s %d-%d %q %s %v] ", m.Pattern, m.I, m.J, m.Token, m.DictionaryName, m.Entropy)
	}
	return b.String()
}

func formatUpstreamSeq(seq []upstreammatch.Match) string {
	var b strings.Builder
	for _, m := range seq {
		fmt.Fprintf(&b, "[%s %d-%d %q %s %v] ", m.Pattern, m.I, m.J, m.Token, m.DictionaryName, m.Entropy)
	}
	return b.String()
}

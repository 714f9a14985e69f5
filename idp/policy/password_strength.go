package policy

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn"
	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/match"
)

// zxcvbn-go's matching is worse than quadratic in the password length (a
// 1,200-byte password takes about ten seconds), so it only ever sees a
// bounded prefix. A longer password is never truncated for hashing or
// comparing; only its strength estimate is based on this prefix. In zxcvbn's
// model every extra character adds guesses, so the prefix's score is a lower
// bound for the whole password: a long password can only be rejected for a
// weak beginning, never accepted for one.
const (
	scoreWindowRunes = 100
	scoreWindowBytes = 256
)

// Token lengths for the user-information rule: whole inputs from this many
// characters, words split out of them (email parts, name parts) from
// userWordMin characters, so that "com" or "li" do not count.
const (
	userInputMin = 3
	userWordMin  = 4
)

// scoreWindow returns the prefix of s that zxcvbn may see, cut on a
// character boundary.
func scoreWindow(s string) string {
	end, runes := 0, 0
	for end < len(s) && runes < scoreWindowRunes {
		_, w := utf8.DecodeRuneInString(s[end:])
		if end+w > scoreWindowBytes {
			break
		}
		end += w
		runes++
	}
	return s[:end]
}

// userTokens turns user inputs (email, name, tenant name) into lower-cased,
// NFKC-normalised words worth penalising: each whole input, the local part
// of an email address, and each run of letters and digits.
func userTokens(inputs []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string, minLen int) {
		if utf8.RuneCountInString(s) >= minLen && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, in := range inputs {
		in = strings.TrimSpace(foldPassword(in))
		add(in, userInputMin)
		if local, _, ok := strings.Cut(in, "@"); ok {
			add(local, userInputMin)
		}
		words := strings.FieldsFunc(in, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		for _, w := range words {
			add(w, userWordMin)
		}
	}
	// Longest first, so "jane.doe@acme.com" is removed before "jane".
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}

// residualLength is the number of characters left in folded once every
// occurrence of every token is removed.
func residualLength(folded string, tokens []string) int {
	for _, t := range tokens {
		folded = strings.ReplaceAll(folded, t, "")
	}
	return utf8.RuneCountInString(folded)
}

// strength scores the normalised password with zxcvbn and returns the score
// (0-4) and a hint about the weakest pattern found. zxcvbn-go only knows
// single-character repeats ("aaaa"), so a password that is a shorter unit
// written out several times ("qwertyuiopqwertyuiop", "Summer24Summer24") is
// scored as that unit: repeating it adds almost nothing an attacker must guess.
func strength(normalized string, tokens []string) (int, string) {
	if unit, ok := repeatedUnit(normalized); ok {
		score, _ := strength(unit, tokens)
		return score, repeatFeedback
	}
	res := zxcvbn.PasswordStrength(scoreWindow(normalized), tokens)
	return res.Score, feedback(res.MatchSequence)
}

const repeatFeedback = "Repeated characters or words such as aaa or abcabc are easy to guess."

// repeatedUnit reports whether s (compared case-insensitively) is a shorter
// unit repeated at least twice, possibly with a partial copy at the end, and
// returns the first copy of that unit.
func repeatedUnit(s string) (string, bool) {
	runes := []rune(strings.ToLower(s))
	n := len(runes)
	if n < 2 {
		return "", false
	}
	// Knuth-Morris-Pratt failure function: the smallest period is n - pi[n-1].
	pi := make([]int, n)
	for i := 1; i < n; i++ {
		k := pi[i-1]
		for k > 0 && runes[i] != runes[k] {
			k = pi[k-1]
		}
		if runes[i] == runes[k] {
			k++
		}
		pi[i] = k
	}
	period := n - pi[n-1]
	if 2*period > n {
		return "", false
	}
	orig := []rune(s)
	if len(orig) != n { // lower-casing changed the rune count; do not guess
		return "", false
	}
	return string(orig[:period]), true
}

// feedback names the longest guessable pattern in a zxcvbn match sequence.
func feedback(seq []match.Match) string {
	var worst *match.Match
	for i := range seq {
		m := &seq[i]
		if m.Pattern == "bruteforce" || m.Pattern == "" {
			continue
		}
		if worst == nil || utf8.RuneCountInString(m.Token) > utf8.RuneCountInString(worst.Token) {
			worst = m
		}
	}
	if worst == nil {
		return ""
	}
	switch worst.Pattern {
	case "dictionary":
		dict := strings.TrimSuffix(worst.DictionaryName, "_3117")
		leet := dict != worst.DictionaryName
		var msg string
		switch dict {
		case "user_inputs":
			msg = "It contains your name, email address or organisation name."
		case "Passwords":
			msg = "It is similar to a commonly used password."
		case "MaleNames", "FemaleNames", "Surname":
			msg = "Names and surnames on their own are easy to guess."
		default:
			msg = "Single common words are easy to guess."
		}
		if leet {
			msg += " Swapping letters for look-alike symbols (@ for a, 0 for o) does not help much."
		}
		return msg
	case "spatial":
		return "Keyboard patterns such as qwerty or asdfgh are easy to guess."
	case "repeat":
		return repeatFeedback
	case "sequence":
		return "Sequences such as abc or 6543 are easy to guess."
	case "date":
		return "Dates and years are easy to guess."
	}
	return ""
}

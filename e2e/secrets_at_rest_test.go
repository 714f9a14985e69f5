package e2e

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
)

// TestSecretsNotStoredInClear signs in with a password, enrols an
// authenticator app at sign-in (so backup codes are made), redeems the code
// for tokens with a confidential client, refreshes, and then reads every
// byte the database holds: the SQLite file and its write-ahead log, or every
// row of every table of the PostgreSQL schema as text. None of the secrets
// may appear in any encoding the store could have used: the password, the
// TOTP seed (base32 and raw), the backup codes (typed and formatted forms),
// the client secret, the authorization code and both refresh tokens.
func TestSecretsNotStoredInClear(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			if backend == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			var dump func() []byte
			var e *env
			switch backend {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "g.db")
				st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if _, err := st.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				e = newEnv(t, "sqlite", func(o *idp.Options) { o.Store = st })
				e.store = st
				dump = func() []byte {
					var all []byte
					for _, f := range []string{path, path + "-wal"} {
						b, err := os.ReadFile(f)
						if err != nil && !os.IsNotExist(err) {
							t.Fatal(err)
						}
						all = append(all, b...)
					}
					return all
				}
			case "postgres":
				e = newEnv(t, "postgres")
				dump = func() []byte { return dumpPostgres(t, e.store.(*postgres.Store)) }
			}
			e.setMFA("always", []string{"totp"}, 0)
			clientID, clientSecret := e.webClient()
			r := e.rp(clientID, clientSecret)
			b := e.browser()
			verifier, authURL := r.start()
			resp, body := b.passwordStep(authURL)
			id, ok := at2FA(resp, body)
			if !ok {
				t.Fatalf("expected the second-factor step, got %d: %.300s", resp.StatusCode, body)
			}
			secret, codesPage := b.enrollTOTPInLogin(id)
			codes := backupCodesOn(codesPage)
			if len(codes) == 0 {
				t.Fatal("no backup codes shown")
			}
			resp, _ = b.mfaPost("/codes", id, url.Values{"saved": {"1"}})
			q := rpRedirectQuery(resp)
			if q == nil || q.Get("code") == "" {
				t.Fatalf("no code after the backup codes page (%d %s)", resp.StatusCode, resp.Header.Get("Location"))
			}
			tok, err := r.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			tok2, err := r.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil || tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh: %v (rotated: %v)", err, tok2 != nil && tok2.RefreshToken != tok.RefreshToken)
			}

			raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
			if err != nil {
				t.Fatalf("TOTP secret %q is not base32: %v", secret, err)
			}
			needles := map[string][]byte{
				"password":             []byte(agentPassword),
				"TOTP seed (base32)":   []byte(secret),
				"TOTP seed (raw)":      raw,
				"TOTP seed (hex)":      []byte(hex.EncodeToString(raw)),
				"client secret":        []byte(clientSecret),
				"authorization code":   []byte(q.Get("code")),
				"refresh token":        []byte(tok.RefreshToken),
				"rotated refresh":      []byte(tok2.RefreshToken),
				"access token":         []byte(tok2.AccessToken),
				"backup code (format)": []byte(codes[0]),
			}
			for i, c := range codes {
				n, err := backupcodes.Normalize(c)
				if err != nil {
					t.Fatalf("backup code %q: %v", c, err)
				}
				needles[fmt.Sprintf("backup code %d", i+1)] = []byte(n)
			}
			db := dump()
			if len(db) < 4096 {
				t.Fatalf("the database dump is only %d bytes: not a real dump", len(db))
			}
			// The dump must be able to find what it looks for: the user's
			// email is stored in clear, so it must be there.
			if !bytes.Contains(db, []byte(agentEmail)) {
				t.Fatal("the dump does not contain the user's email: the scan cannot see the data")
			}
			for name, needle := range needles {
				if len(needle) < 6 {
					t.Fatalf("%s is too short to search for (%q)", name, needle)
				}
				if bytes.Contains(db, needle) || bytes.Contains(bytes.ToLower(db), bytes.ToLower(needle)) {
					t.Errorf("the %s is stored in clear", name)
				}
			}
		})
	}
}

// dumpPostgres returns every row of every table in the store's schema as
// PostgreSQL's text form (bytea as \x hex).
func dumpPostgres(t *testing.T, st *postgres.Store) []byte {
	t.Helper()
	ctx := context.Background()
	pool := st.Pool()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, tb := range tables {
		// Table names come from the catalogue, quoted as identifiers.
		rs, err := pool.Query(ctx, `SELECT t::text FROM "`+strings.ReplaceAll(tb, `"`, `""`)+`" t`)
		if err != nil {
			t.Fatalf("dump %s: %v", tb, err)
		}
		for rs.Next() {
			var line string
			if err := rs.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out.WriteString(line)
			out.WriteByte('\n')
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

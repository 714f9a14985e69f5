package factors

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// guardedCalls are the functions that check a password or a second-factor
// code, and the only functions allowed to reach them. Together they make
// VerifyThrottled the one way in: the checking primitives are reached only
// from the credentials' verifyNow methods, and verifyNow only from
// VerifyThrottled, which reserves the attempt first.
//
// recv is the last name before the selector ("hasher" in s.hasher.Verify),
// compared without case ("Hasher" in s.Hasher.Verify), "" for any. A
// function is named "dir.Type.Method" by its package's directory in the
// module. Passwordless passkey sign-in (FinishDiscoverableLogin) and passkey
// registration are not here: neither checks a guessable secret.
var guardedCalls = []struct {
	recv, name string
	allowed    []string
	why        string
}{
	{"", "verifyNow", []string{"idp/factors.Service.VerifyThrottled"}, "the guard reserves before it checks"},
	{"hasher", "Verify", []string{"idp/factors.PasswordCredential.verifyNow",
		// Not an authentication: a new password (after the current one or
		// a reset link passed) compared with the user's previous hashes.
		"idp/manage.Passwords.reusesHistory"}, "password hash check"},
	{"", "checkFactorCode", []string{"idp/factors.CodeCredential.verifyNow"}, "typed second-factor code"},
	{"", "useBackupCode", []string{"idp/factors.CodeCredential.verifyNow"}, "backup code"},
	{"", "checkTOTP", []string{"idp/factors.Service.checkFactorCode"}, "authenticator code"},
	{"", "checkSentCode", []string{"idp/factors.Service.checkFactorCode"}, "SMS or email code"},
	{"rp", "FinishLogin", []string{"idp/factors.PasskeyCredential.verifyNow"}, "passkey as a second factor"},
	{"totp", "Verify", []string{"idp/factors.Service.checkTOTP"}, "TOTP library"},
	{"rules", "Verify", []string{"idp/factors.Service.checkSentCode"}, "sent-code library"},
	{"store", "UseBackupCode", []string{"idp/factors.Service.useBackupCode"}, "backup code store"},
}

// TestCredentialChecksGoThroughTheGuard fails when any function of the
// module (this package, the root's handlers, and whatever package they move
// to) reaches a credential check other than through VerifyThrottled (a
// call or a method value, closures counted as their enclosing function).
func TestCredentialChecksGoThroughTheGuard(t *testing.T) {
	for _, v := range guardViolations(moduleRefs(t, "../..")) {
		t.Error(v)
	}
}

// guardViolations checks refs against guardedCalls.
func guardViolations(refs []selectorRef) []string {
	var out []string
	for _, g := range guardedCalls {
		seen := false
		for _, r := range refs {
			if r.name != g.name || (g.recv != "" && !strings.EqualFold(r.recv, g.recv)) {
				continue
			}
			seen = true
			if !slices.Contains(g.allowed, r.fn) {
				out = append(out, fmt.Sprintf("%s: %s reaches %s (%s) outside the throttle guard; check it through VerifyThrottled",
					r.pos, r.fn, g.name, g.why))
			}
		}
		if !seen {
			out = append(out, fmt.Sprintf("%s.%s is never referenced: the table is stale", g.recv, g.name))
		}
	}
	return out
}

// TestGuardTableCatchesBypass proves the scan reports what it must: a
// function that checks a password or codes directly, by a call, a method
// value or inside a closure, in this package or in another one.
func TestGuardTableCatchesBypass(t *testing.T) {
	root := t.TempDir()
	plant := func(dir, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, "sneaky.go"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	plant("idp/factors", `package factors
func (s *Service) sneaky(ctx context.Context) {
	_ = s.Hasher.Verify(ctx, "", "")
	f := s.checkTOTP
	_ = f
	go func() { _ = s.useBackupCode(ctx, nil, nil, "") }()
}
`)
	plant("idp", `package idp
func (s *Server) sneaky(ctx context.Context) {
	_ = s.hasher.Verify(ctx, "", "")
	_, _ = s.factors.RP.FinishLogin(wu, sess, body)
	_ = s.factors.Store.UseBackupCode(ctx, "", "", nil, now)
}
`)
	got := strings.Join(guardViolations(moduleRefs(t, root)), "\n")
	for _, w := range []string{"idp/factors.Service.sneaky reaches Verify", "idp/factors.Service.sneaky reaches checkTOTP",
		"idp/factors.Service.sneaky reaches useBackupCode", "idp.Server.sneaky reaches Verify",
		"idp.Server.sneaky reaches FinishLogin", "idp.Server.sneaky reaches UseBackupCode"} {
		if !strings.Contains(got, w) {
			t.Errorf("bypass %q not reported; got:\n%s", w, got)
		}
	}
}

type selectorRef struct {
	fn, recv, name string
	pos            token.Position
}

// moduleRefs lists every selector (x.y or a.b.y) in the non-test Go files
// under root with the function declaration it appears in, named
// "dir.Type.Method" by the file's directory relative to root.
func moduleRefs(t *testing.T, root string) []selectorRef {
	t.Helper()
	fset := token.NewFileSet()
	var out []selectorRef
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn := filepath.ToSlash(dir) + "." + funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				out = append(out, selectorRef{fn: fn, recv: lastName(sel.X), name: sel.Sel.Name, pos: fset.Position(sel.Pos())})
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// funcName is "Type.Method" or "func".
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// lastName is the last identifier of x (s.factors.RP -> RP), "" if none.
func lastName(x ast.Expr) string {
	switch v := x.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return v.Sel.Name
	}
	return ""
}

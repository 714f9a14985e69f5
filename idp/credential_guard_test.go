package idp

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// guardedCalls are the functions that check a password or a second-factor
// code, and the only functions allowed to reach them. Together they make
// verifyThrottled the one way in: the checking primitives are reached only
// from the credentials' verifyNow methods, and verifyNow only from
// verifyThrottled, which reserves the attempt first.
//
// recv is the last name before the selector ("hasher" in s.hasher.Verify),
// "" for any. Passwordless passkey sign-in (FinishDiscoverableLogin) and
// passkey registration are not here: neither checks a guessable secret.
var guardedCalls = []struct {
	recv, name string
	allowed    []string
	why        string
}{
	{"", "verifyNow", []string{"Server.verifyThrottled"}, "the guard reserves before it checks"},
	{"hasher", "Verify", []string{"passwordCredential.verifyNow",
		// Not an authentication: a new password (after the current one or
		// a reset link passed) compared with the user's previous hashes.
		"Server.reusesHistory"}, "password hash check"},
	{"", "checkFactorCode", []string{"codeCredential.verifyNow"}, "typed second-factor code"},
	{"", "useBackupCode", []string{"codeCredential.verifyNow"}, "backup code"},
	{"", "checkTOTP", []string{"Server.checkFactorCode"}, "authenticator code"},
	{"", "checkSentCode", []string{"Server.checkFactorCode"}, "SMS or email code"},
	{"rp", "FinishLogin", []string{"passkeyCredential.verifyNow"}, "passkey as a second factor"},
	{"totp", "Verify", []string{"Server.checkTOTP"}, "TOTP library"},
	{"rules", "Verify", []string{"Server.checkSentCode"}, "sent-code library"},
	{"store", "UseBackupCode", []string{"Server.useBackupCode"}, "backup code store"},
}

// TestCredentialChecksGoThroughTheGuard fails when any function of package
// idp reaches a credential check other than through verifyThrottled (a
// call or a method value, closures counted as their enclosing function).
func TestCredentialChecksGoThroughTheGuard(t *testing.T) {
	for _, v := range guardViolations(packageRefs(t, ".")) {
		t.Error(v)
	}
}

// guardViolations checks refs against guardedCalls.
func guardViolations(refs []selectorRef) []string {
	var out []string
	for _, g := range guardedCalls {
		seen := false
		for _, r := range refs {
			if r.name != g.name || (g.recv != "" && r.recv != g.recv) {
				continue
			}
			seen = true
			if !slices.Contains(g.allowed, r.fn) {
				out = append(out, fmt.Sprintf("%s: %s reaches %s (%s) outside the throttle guard; check it through verifyThrottled",
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
// value or inside a closure.
func TestGuardTableCatchesBypass(t *testing.T) {
	dir := t.TempDir()
	src := `package idp
func (s *Server) sneaky(ctx context.Context) {
	_ = s.hasher.Verify(ctx, "", "")
	f := s.checkTOTP
	_ = f
	go func() { _ = s.useBackupCode(ctx, nil, nil, "") }()
}
`
	if err := os.WriteFile(filepath.Join(dir, "sneaky.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(guardViolations(packageRefs(t, dir)), "\n")
	for _, w := range []string{"Server.sneaky reaches Verify", "Server.sneaky reaches checkTOTP", "Server.sneaky reaches useBackupCode"} {
		if !strings.Contains(got, w) {
			t.Errorf("bypass %q not reported; got:\n%s", w, got)
		}
	}
}

type selectorRef struct {
	fn, recv, name string
	pos            token.Position
}

// packageRefs lists every selector (x.y or a.b.y) in the non-test Go files
// of dir with the function declaration it appears in.
func packageRefs(t *testing.T, dir string) []selectorRef {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []selectorRef
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn := funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				out = append(out, selectorRef{fn: fn, recv: lastName(sel.X), name: sel.Sel.Name, pos: fset.Position(sel.Pos())})
				return true
			})
		}
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

// lastName is the last identifier of x (s.mfa.rp -> rp), "" if none.
func lastName(x ast.Expr) string {
	switch v := x.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return v.Sel.Name
	}
	return ""
}

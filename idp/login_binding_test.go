package idp

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

// TestAuthRequestsLoadedThroughBindingCheck: in package idp and every
// package below it (the handler packages), only the two loaders that check
// the browser binding read an auth request by id from the store
// (login.Handler.loadPendingRequest for the sign-in steps,
// opStorage.AuthRequestByID for zitadel's callback), and a login state
// (keyed by the request id) is read only by a function that loaded its
// request there or was handed one. A handler that reads either directly
// fails here; TestLoginBoundToBrowser (e2e) replays every login route from
// another browser.
func TestAuthRequestsLoadedThroughBindingCheck(t *testing.T) {
	fset, files, err := srcscan.ParseTree(".")
	if err != nil {
		t.Fatal(err)
	}
	// Functions are named package.Receiver.Method (package.Func without a
	// receiver), so a same-named function elsewhere is not let through.
	allowed := map[string]bool{"login.Handler.loadPendingRequest": true, "idp.opStorage.AuthRequestByID": true}
	seen := map[string]bool{}
	checked := 0
	for _, af := range files {
		if strings.HasPrefix(filepath.ToSlash(fset.Position(af.Pos()).Filename), "store/") {
			continue // the store itself: its backends and conformance suite
		}
		for _, d := range af.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := af.Name.Name + "." + fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) == 1 {
				rt := fn.Recv.List[0].Type
				if st, ok := rt.(*ast.StarExpr); ok {
					rt = st.X
				}
				if id, ok := rt.(*ast.Ident); ok {
					name = af.Name.Name + "." + id.Name + "." + fn.Name.Name
				}
			}
			loads, handed := false, false
			for _, p := range fn.Type.Params.List {
				if st, ok := p.Type.(*ast.StarExpr); ok {
					if sel, ok := st.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "AuthRequest" {
						handed = true
					}
				}
			}
			var stateReads []token.Pos
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				onStore := false // s.store.X (package idp) or h.Store.X (handler packages)
				if x, ok := sel.X.(*ast.SelectorExpr); ok && (x.Sel.Name == "store" || x.Sel.Name == "Store") {
					onStore = true
				}
				switch {
				case sel.Sel.Name == "loadPendingRequest":
					loads = true
				case onStore && sel.Sel.Name == "AuthRequestByID":
					checked++
					seen[name] = true
					if !allowed[name] {
						t.Errorf("%s: %s reads an auth request without the browser-binding check; use loadPendingRequest",
							fset.Position(call.Pos()), name)
					}
				case onStore && sel.Sel.Name == "LoginState":
					stateReads = append(stateReads, call.Pos())
				}
				return true
			})
			for _, pos := range stateReads {
				checked++
				if !loads && !handed {
					t.Errorf("%s: %s reads a login state without loading its auth request through loadPendingRequest",
						fset.Position(pos), name)
				}
			}
		}
	}
	if checked < 4 { // the two loaders and the login-state readers exist
		t.Fatalf("found only %d store reads: is the scan still looking at the right calls?", checked)
	}
	for name := range allowed {
		if !seen[name] {
			t.Errorf("the loader %s reads no auth request any more: is the scan looking where the code is?", name)
		}
	}
}

package idp

import (
	"go/ast"
	"go/token"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

// TestAuthRequestsLoadedThroughBindingCheck: in package idp, only the two
// loaders that check the browser binding read an auth request by id from the
// store (loadPendingRequest for the login steps, opStorage.AuthRequestByID
// for zitadel's callback), and a login state (keyed by the request id) is
// read only by a function that loaded its request there or was handed one.
// A handler that reads either directly fails here; TestLoginBoundToBrowser
// (e2e) replays every login route from another browser.
func TestAuthRequestsLoadedThroughBindingCheck(t *testing.T) {
	fset, files, err := srcscan.Parse(".")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"loadPendingRequest": true, "opStorage.AuthRequestByID": true}
	checked := 0
	for _, af := range files {
		for _, d := range af.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) == 1 {
				if st, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := st.X.(*ast.Ident); ok && id.Name == "opStorage" {
						name = "opStorage." + name
					}
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
				onStore := false
				if x, ok := sel.X.(*ast.SelectorExpr); ok && x.Sel.Name == "store" {
					onStore = true
				}
				switch {
				case sel.Sel.Name == "loadPendingRequest":
					loads = true
				case onStore && sel.Sel.Name == "AuthRequestByID":
					checked++
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
}

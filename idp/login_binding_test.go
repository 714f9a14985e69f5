package idp

import (
	"go/ast"
	"go/token"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

// TestAuthRequestsLoadedThroughBindingCheck: in the whole idp tree, only the
// two loaders that check the browser binding read an auth request by id from
// the store (loadPendingRequest for the login steps, idp/op's
// opStorage.AuthRequestByID for zitadel's callback), and a login state
// (keyed by the request id) is read only by a function that loaded its
// request there or was handed one. A store read is recognised by its
// signature, whatever the store is called where it is read:
// AuthRequestByID(ctx, tenantID, id) and LoginState(ctx, tenantID, id, now).
// The store's own packages (its backends and conformance suite) are the
// data layer and are not scanned. A handler that reads either directly
// fails here; TestLoginBoundToBrowser (e2e) replays every login route from
// another browser.
func TestAuthRequestsLoadedThroughBindingCheck(t *testing.T) {
	fset, pkgs, err := srcscan.ParseTree(".")
	if err != nil {
		t.Fatal(err)
	}
	// The sign-in transaction's loader is recognised by its name in
	// whichever package holds it; zitadel's callback reads through op's
	// storage adapter only.
	allowed := func(pkg, name string) bool {
		return name == "loadPendingRequest" || strings.HasSuffix(name, ".loadPendingRequest") ||
			pkg == "idp/op" && name == "opStorage.AuthRequestByID"
	}
	var dirs []string
	for dir := range pkgs {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	checked := 0
	loaders := map[string]bool{} // allowed loaders seen reading the store
	for _, dir := range dirs {
		if dir == "store" || strings.HasPrefix(dir, "store/") {
			continue
		}
		pkg := "idp"
		if dir != "." {
			pkg = "idp/" + dir
		}
		for _, af := range pkgs[dir] {
			for _, d := range af.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				name := fn.Name.Name
				if fn.Recv != nil && len(fn.Recv.List) == 1 {
					if st, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
						if id, ok := st.X.(*ast.Ident); ok {
							name = id.Name + "." + name
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
					var method string
					switch f := call.Fun.(type) {
					case *ast.SelectorExpr:
						method = f.Sel.Name
					case *ast.Ident:
						method = f.Name
					}
					switch {
					case method == "loadPendingRequest":
						loads = true
					case method == "AuthRequestByID" && len(call.Args) == 3:
						checked++
						if !allowed(pkg, name) {
							t.Errorf("%s: %s.%s reads an auth request without the browser-binding check; use loadPendingRequest",
								fset.Position(call.Pos()), pkg, name)
						} else {
							loaders[pkg+"."+name] = true
						}
					case method == "LoginState" && len(call.Args) == 4:
						stateReads = append(stateReads, call.Pos())
					}
					return true
				})
				for _, pos := range stateReads {
					checked++
					if !loads && !handed {
						t.Errorf("%s: %s.%s reads a login state without loading its auth request through loadPendingRequest",
							fset.Position(pos), pkg, name)
					}
				}
			}
		}
	}
	if !loaders["idp/op.opStorage.AuthRequestByID"] || !loaders["idp/login.Handler.loadPendingRequest"] {
		t.Errorf("loaders seen reading auth requests: %v; want idp/op's opStorage.AuthRequestByID and idp/login's loadPendingRequest", loaders)
	}
	if checked < 4 { // the two loaders and the login-state readers exist
		t.Fatalf("found only %d store reads: is the scan still looking at the right calls?", checked)
	}
}

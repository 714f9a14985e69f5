// Package bad plants audit event types the catalogue scan must catch (each
// line marked "// want"); it is never compiled.
package bad

import (
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	other "github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func events(kind, action string, typ string) []*store.AuditEvent {
	good := &store.AuditEvent{TenantID: "t", Type: audit.LoginSSO}
	lit := &store.AuditEvent{TenantID: "t", Type: "login.sso"} // want
	frag := &store.AuditEvent{Type: "login.blocked_" + kind}   // want
	glue := &store.AuditEvent{Type: kind + "." + action}       // want
	vari := &store.AuditEvent{Type: typ}                       // want
	unknown := &store.AuditEvent{Type: audit.NotInCatalogue}   // want
	elsewhere := &store.AuditEvent{Type: other.LoginSSO}       // want
	value := store.AuditEvent{Type: audit.Catalogue()[0].Type} // want
	unkeyed := &store.AuditEvent{"id", "t", "login.sso"}       // want
	list := []*store.AuditEvent{{Type: "mfa.reset"}}           // want

	later := &store.AuditEvent{TenantID: "t"}
	later.Type = "login.sso" // want
	made := new(store.AuditEvent)
	made.Type = kind + "." + action // want
	made.Type += ".x"               // want
	made.Type = audit.DeviceBlock
	var declared store.AuditEvent
	declared.Type = typ // want
	return append(list, good, lit, frag, glue, vari, unknown, elsewhere, &value, unkeyed, later, made, &declared)
}

func fill(e *store.AuditEvent, kind string) {
	e.Type = "device." + kind // want
}

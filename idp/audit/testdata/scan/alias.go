package bad

import (
	au "github.com/gatehouse-idp/gatehouse/idp/audit"
	st "github.com/gatehouse-idp/gatehouse/idp/store"
)

func aliased() []st.AuditEvent {
	return []st.AuditEvent{
		{Type: au.LoginSSO},
		{Type: "login.sso"}, // want
	}
}

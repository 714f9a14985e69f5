package idp

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/admin"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/op"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// newAdmin builds the admin API: the audit log's exports run in this
// process and email whoever asked when they end; tokens are the OP's.
func (s *Server) newAdmin() *admin.Handler {
	exports := &audit.Exports{Store: s.store, Recorder: s.auditor, Clock: s.clock, Log: s.log, Ready: s.exportEnded}
	return &admin.Handler{Store: s.store, Exports: exports, Audit: s.auditor, Gate: s.gate, Log: s.log,
		Verify: func(ctx context.Context, t *store.Tenant, token string) (*admin.Principal, error) {
			at, err := s.op.VerifyAccessToken(ctx, t, token)
			if errors.Is(err, op.ErrInvalidToken) {
				return nil, admin.ErrInvalidToken
			}
			if err != nil {
				return nil, err
			}
			return &admin.Principal{ClientID: at.ClientID, UserID: at.UserID, Scopes: at.Scopes}, nil
		}}
}

// exportEnded emails the user who asked for a background export that it is
// ready (or failed); a client that asked polls the status instead.
func (s *Server) exportEnded(ctx context.Context, x *store.AuditExport) {
	if x.ActorKind != store.ActorUser {
		return
	}
	t, err := s.tenants.ByID(ctx, x.TenantID)
	if err != nil {
		s.log.Error("audit export email: tenant", "tenant_id", x.TenantID, "err", err)
		return
	}
	u, err := s.store.UserByID(ctx, x.TenantID, x.ActorID)
	if err != nil {
		s.log.Error("audit export email: user", "tenant", t.Slug, "user_id", x.ActorID, "err", err)
		return
	}
	s.mailer.Notify(ctx, t, u, mailer.AuditExportReady, map[string]any{"Export": x.ID,
		"Since": x.Since.Format("2006-01-02 15:04"), "Until": x.Until.Format("2006-01-02 15:04"), "Format": x.Format,
		"Days": int(x.ExpiresAt.Sub(x.CreatedAt) / (24 * time.Hour)), "Failed": x.Status != store.ExportReady})
}

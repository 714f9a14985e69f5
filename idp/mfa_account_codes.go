package idp

import (
	"context"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Backup codes and remembered browsers on the account security page.

// securityRegenerate replaces the backup codes (behind the sensitive guard).
func (s *Server) securityRegenerate(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	if len(sc.factors) == 0 {
		s.renderSecurity(w, r, p, sc, http.StatusConflict, "Add a second sign-in method first: backup codes stand in for one.", "", nil)
		return
	}
	codes, err := s.factors.NewBackupCodes(r.Context(), p.tenant, sc.u)
	if err != nil {
		s.pages.Unavailable(w, r, "account: regenerate codes", err)
		return
	}
	s.sensitiveDone(r, actCodesRegenerated, "")
	s.renderSecurity(w, r, p, sc, http.StatusOK, "", "", func(d *securityData) {
		d.NewCodes = formatCodes(codes)
		d.HasCodes, d.CodesLeft, d.CodesTotal, d.Used, d.Unsaved, d.Download = true, len(codes), len(codes), nil, true, true
	})
}

func (s *Server) securityCodesFile(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok {
		return
	}
	if !s.factors.ServeBackupCodes(w, r, p.tenant, sc.u) {
		s.renderSecurity(w, r, p, sc, http.StatusGone, "These codes can no longer be downloaded. Generate a new set if you lost them.", "", nil)
		return
	}
	s.sensitiveDone(r, actCodesDownloaded, "")
}

// securityForgetDevices ends every "don't ask again on this browser".
func (s *Server) securityForgetDevices(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	if err := s.store.ForgetRememberedDevices(ctx, p.tenant.ID, sc.u.ID); err != nil {
		s.pages.Unavailable(w, r, "account: forget devices", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFADevicesForgotten, UserID: sc.u.ID})
	s.sensitiveDone(r, actDevicesForgotten, "")
	http.Redirect(w, r, s.securityURL(p)+"?done=forgotten", http.StatusSeeOther)
}

func (s *Server) securityCodesSaved(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	if set, err := s.store.BackupCodeSet(ctx, p.tenant.ID, sc.u.ID); err == nil {
		if err := s.store.AcknowledgeBackupCodes(ctx, p.tenant.ID, sc.u.ID, set.ID, s.clock()); err != nil {
			s.pages.Unavailable(w, r, "account: acknowledge codes", err)
			return
		}
	}
	http.Redirect(w, r, s.securityURL(p)+"?done=saved", http.StatusSeeOther)
}

// backupCodesNotice is the account page's standing reminder while the
// user's backup codes are neither downloaded nor confirmed as saved.
func (s *Server) backupCodesNotice(ctx context.Context, tenantID, userID string) string {
	set, err := s.store.BackupCodeSet(ctx, tenantID, userID)
	if err != nil || set.AcknowledgedAt != nil {
		return ""
	}
	return "Save your backup codes: open Sign-in security to download them or confirm you saved them."
}

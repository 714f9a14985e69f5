package account

import (
	"context"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Backup codes and remembered browsers on the account security page.

// securityRegenerate replaces the backup codes (behind the sensitive guard).
func (h *Handler) securityRegenerate(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	if len(sc.factors) == 0 {
		h.renderSecurity(w, r, t, sc, http.StatusConflict, "Add a second sign-in method first: backup codes stand in for one.", "", nil)
		return
	}
	codes, err := h.Factors.NewBackupCodes(r.Context(), t, sc.u)
	if err != nil {
		h.Pages.Unavailable(w, r, "account: regenerate codes", err)
		return
	}
	h.sensitiveDone(r, actCodesRegenerated, "")
	h.renderSecurity(w, r, t, sc, http.StatusOK, "", "", func(d *securityData) {
		d.NewCodes = formatCodes(codes)
		d.HasCodes, d.CodesLeft, d.CodesTotal, d.Used, d.Unsaved, d.Download = true, len(codes), len(codes), nil, true, true
	})
}

func (h *Handler) securityCodesFile(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok {
		return
	}
	if !h.Factors.ServeBackupCodes(w, r, t, sc.u) {
		h.renderSecurity(w, r, t, sc, http.StatusGone, "These codes can no longer be downloaded. Generate a new set if you lost them.", "", nil)
		return
	}
	h.sensitiveDone(r, actCodesDownloaded, "")
}

// securityForgetDevices ends every "don't ask again on this browser".
func (h *Handler) securityForgetDevices(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	if err := h.Store.ForgetRememberedDevices(ctx, t.ID, sc.u.ID); err != nil {
		h.Pages.Unavailable(w, r, "account: forget devices", err)
		return
	}
	h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFADevicesForgotten, UserID: sc.u.ID})
	h.sensitiveDone(r, actDevicesForgotten, "")
	http.Redirect(w, r, h.securityURL(t)+"?done=forgotten", http.StatusSeeOther)
}

func (h *Handler) securityCodesSaved(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	if set, err := h.Store.BackupCodeSet(ctx, t.ID, sc.u.ID); err == nil {
		if err := h.Store.AcknowledgeBackupCodes(ctx, t.ID, sc.u.ID, set.ID, h.Clock()); err != nil {
			h.Pages.Unavailable(w, r, "account: acknowledge codes", err)
			return
		}
	}
	http.Redirect(w, r, h.securityURL(t)+"?done=saved", http.StatusSeeOther)
}

// backupCodesNotice is the account page's standing reminder while the
// user's backup codes are neither downloaded nor confirmed as saved.
func (h *Handler) backupCodesNotice(ctx context.Context, tenantID, userID string) string {
	set, err := h.Store.BackupCodeSet(ctx, tenantID, userID)
	if err != nil || set.AcknowledgedAt != nil {
		return ""
	}
	return "Save your backup codes: open Sign-in security to download them or confirm you saved them."
}

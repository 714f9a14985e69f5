package login

import (
	"fmt"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The device and location centre (issue 5) on top of the second-factor
// work's device recognition (mfa_device.go: the device cookie, known_devices
// and known_locations):
//
//   - /t/{tenant}/account/devices lists the browsers and places the user
//     signed in from; each can be forgotten (it is new again) or blocked.
//   - A sign-in from a blocked browser or location is refused at the end of
//     the primary method (finishPrimary), recorded and emailed to the user.
//   - A sign-in from a new browser or a new location is emailed to the
//     user (not the very first sign-in, when everything is new).
//   - Admins list and unblock with `gatehouse user devices`.
//
// Blocking does not end sessions by itself; the page says so and links to
// the sessions page. This file is the sign-in half; listing, blocking and
// forgetting (UserDevices, ChangeDevice) are the account's and the
// management service's.

// blockedSignin refuses a sign-in of u from a blocked browser or location:
// it answers the page, records the attempt and emails the user.
func (h *Handler) blockedSignin(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User) bool {
	what, kind, err := h.blockedFrom(r, t, u)
	if err != nil {
		h.Pages.Unavailable(w, r, "login: device and location blocks", err)
		return true
	}
	if what == "" {
		return false
	}
	h.refuseBlocked(w, r, t, u, what, kind)
	return true
}

// blockedFrom names what of the request is blocked for u ("" if nothing):
// the browser (device cookie) or its location.
func (h *Handler) blockedFrom(r *http.Request, t *store.Tenant, u *store.User) (what, kind string, err error) {
	ctx := r.Context()
	if id, ok := h.Sessions.DeviceID(r); ok {
		blocks, err := h.Store.DeviceBlocks(ctx, t.ID, u.ID)
		if err != nil {
			return "", "", err
		}
		if _, blocked := blocks[string(device.HashDeviceID(id))]; blocked {
			return "browser", "device", nil
		}
	}
	if key, label := h.clientLocation(ctx); key != "" {
		blocks, err := h.Store.LocationBlocks(ctx, t.ID, u.ID)
		if err != nil {
			return "", "", err
		}
		if _, blocked := blocks[key]; blocked {
			return "location (" + label + ")", "location", nil
		}
	}
	return "", "", nil
}

// refuseBlocked records a blocked attempt, emails the user and answers the page.
func (h *Handler) refuseBlocked(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, what, kind string) {
	ctx := r.Context()
	switch kind {
	case "device":
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginBlockedDevice, UserID: u.ID})
	case "location":
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginBlockedLocation, UserID: u.ID})
	default: // blockedFrom names no other kind; the sign-in is refused all the same
		h.Log.Error("login: blocked sign-in of an unknown kind", "tenant", t.Slug, "kind", kind)
	}
	h.Throttled.WithLabelValues("blocked_" + kind).Inc()
	h.Mailer.Notify(ctx, t, u, mailer.BlockedAttempt, map[string]any{"What": what})
	h.Pages.Render(w, http.StatusForbidden, "error", &web.Page{Title: "Sign-in blocked", TenantName: t.Name,
		Message: fmt.Sprintf("Sign-in to this account from this %s has been blocked. If this is your own %s, unblock it from another device on your account's \"Your devices\" page, or ask your administrator.", what, kind)})
}

// noteNewDeviceLocation is called when a sign-in completes, before the
// device and location are recorded: it emails the user about a browser or
// a location not seen before (unless the user has none recorded at all).
func (h *Handler) noteNewDeviceLocation(r *http.Request, t *store.Tenant, u *store.User) {
	ctx := r.Context()
	devices, err := h.Store.ListDevices(ctx, t.ID, u.ID)
	if err != nil || len(devices) == 0 {
		return // first sign-in (or unknown): nothing to compare with
	}
	facts, err := h.riskFacts(r, t.ID, u.ID)
	if err != nil {
		h.Log.Error("login: risk facts", "tenant", t.Slug, "err", err)
		return
	}
	if !facts.deviceKnown {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginNewDevice, UserID: u.ID})
		h.Mailer.Notify(ctx, t, u, mailer.NewDevice, nil)
	}
	if facts.locationKey != "" && !facts.locationKnown {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginNewLocation, UserID: u.ID, Detail: map[string]string{"location": facts.locationLabel}})
		h.Mailer.Notify(ctx, t, u, mailer.NewLocation, map[string]any{"Location": facts.locationLabel})
	}
}

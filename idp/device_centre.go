package idp

import (
	"fmt"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/store"
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
// the sessions page.

// blockedSignin refuses a sign-in of u from a blocked browser or location:
// it answers the page, records the attempt and emails the user.
func (s *Server) blockedSignin(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User) bool {
	what, kind, err := s.blockedFrom(r, p, u)
	if err != nil {
		s.pages.Unavailable(w, r, "login: device and location blocks", err)
		return true
	}
	if what == "" {
		return false
	}
	s.refuseBlocked(w, r, p, u, what, kind)
	return true
}

// blockedFrom names what of the request is blocked for u ("" if nothing):
// the browser (device cookie) or its location.
func (s *Server) blockedFrom(r *http.Request, p *tenantProvider, u *store.User) (what, kind string, err error) {
	ctx := r.Context()
	if id, ok := s.sessions.DeviceID(r); ok {
		blocks, err := s.store.DeviceBlocks(ctx, p.tenant.ID, u.ID)
		if err != nil {
			return "", "", err
		}
		if _, blocked := blocks[string(device.HashDeviceID(id))]; blocked {
			return "browser", "device", nil
		}
	}
	if key, label := s.clientLocation(ctx); key != "" {
		blocks, err := s.store.LocationBlocks(ctx, p.tenant.ID, u.ID)
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
func (s *Server) refuseBlocked(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, what, kind string) {
	ctx := r.Context()
	switch kind {
	case "device":
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginBlockedDevice, UserID: u.ID})
	case "location":
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginBlockedLocation, UserID: u.ID})
	default: // blockedFrom names no other kind; the sign-in is refused all the same
		s.log.Error("login: blocked sign-in of an unknown kind", "tenant", p.tenant.Slug, "kind", kind)
	}
	s.metrics.policy.throttled.WithLabelValues("blocked_" + kind).Inc()
	s.mailer.Notify(ctx, p.tenant, u, mailer.BlockedAttempt, map[string]any{"What": what})
	s.render(w, http.StatusForbidden, "error", &pageData{Title: "Sign-in blocked", TenantName: p.tenant.Name,
		Message: fmt.Sprintf("Sign-in to this account from this %s has been blocked. If this is your own %s, unblock it from another device on your account's \"Your devices\" page, or ask your administrator.", what, kind)})
}

// noteNewDeviceLocation is called when a sign-in completes, before the
// device and location are recorded: it emails the user about a browser or
// a location not seen before (unless the user has none recorded at all).
func (s *Server) noteNewDeviceLocation(r *http.Request, p *tenantProvider, u *store.User) {
	ctx := r.Context()
	devices, err := s.store.ListDevices(ctx, p.tenant.ID, u.ID)
	if err != nil || len(devices) == 0 {
		return // first sign-in (or unknown): nothing to compare with
	}
	facts, err := s.riskFacts(r, p.tenant.ID, u.ID)
	if err != nil {
		s.log.Error("login: risk facts", "tenant", p.tenant.Slug, "err", err)
		return
	}
	if !facts.deviceKnown {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginNewDevice, UserID: u.ID})
		s.mailer.Notify(ctx, p.tenant, u, mailer.NewDevice, nil)
	}
	if facts.locationKey != "" && !facts.locationKnown {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginNewLocation, UserID: u.ID, Detail: map[string]string{"location": facts.locationLabel}})
		s.mailer.Notify(ctx, p.tenant, u, mailer.NewLocation, map[string]any{"Location": facts.locationLabel})
	}
}

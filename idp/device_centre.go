package idp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

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

// DeviceView is one known device or location as pages and the CLI show it.
type DeviceView struct {
	Kind       string // device | location
	ID         string // hex of the device hash, or the location key
	Label      string
	IP         string
	FirstSeen  time.Time
	LastSeen   time.Time
	Remembered bool
	Blocked    bool
	BlockedAt  time.Time
	Current    bool
}

// UserDevices lists a user's known devices, then locations, most recent first.
func (s *Server) UserDevices(ctx context.Context, t *store.Tenant, userID string, r *http.Request) ([]DeviceView, error) {
	devs, err := s.store.ListDevices(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	dblocks, err := s.store.DeviceBlocks(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	locs, err := s.store.ListLocations(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	lblocks, err := s.store.LocationBlocks(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	curDev, curLoc := "", ""
	if r != nil {
		if id, ok := s.sessions.DeviceID(r); ok {
			curDev = string(device.HashDeviceID(id))
		}
		curLoc, _ = s.clientLocation(r.Context())
	}
	now := s.clock()
	var out []DeviceView
	for _, d := range devs {
		at, blocked := dblocks[string(d.DeviceHash)]
		out = append(out, DeviceView{Kind: "device", ID: hex.EncodeToString(d.DeviceHash), Label: d.Label, IP: d.IP,
			FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, Remembered: d.RememberUntil != nil && now.Before(*d.RememberUntil),
			Blocked: blocked, BlockedAt: at, Current: curDev != "" && string(d.DeviceHash) == curDev})
	}
	for _, l := range locs {
		at, blocked := lblocks[l.Key]
		out = append(out, DeviceView{Kind: "location", ID: l.Key, Label: l.Label, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen,
			Blocked: blocked, BlockedAt: at, Current: curLoc != "" && l.Key == curLoc})
	}
	return out, nil
}

// Errors of ChangeDevice, shown to people as they are.
var (
	errDeviceUnknown = errors.New("That browser or location is not on your list (it may have been forgotten already).")
	errDeviceCurrent = errors.New("You cannot block the browser or location you are using now. Sign out here instead, or block it from another device.")
	errDeviceBlocked = errors.New("Unblock it first: forgetting a blocked browser or location would lift the block.")
	errDeviceAction  = errors.New("Unknown action.")
)

// ChangeDevice blocks, unblocks or forgets one known device or location of
// a user. current (may be nil) is the request making the change: its own
// browser and location cannot be blocked from it.
func (s *Server) ChangeDevice(ctx context.Context, t *store.Tenant, userID, kind, id, action string, current *http.Request, via string) error {
	ev, ok := deviceChangeEvent(kind, action)
	if !ok {
		return errDeviceAction
	}
	now := s.clock()
	var err error
	switch kind {
	case "device":
		hash, herr := hex.DecodeString(id)
		if herr != nil || len(hash) == 0 || len(hash) > 64 {
			return errDeviceUnknown
		}
		if action == "block" && current != nil {
			if cid, ok := s.sessions.DeviceID(current); ok && string(device.HashDeviceID(cid)) == string(hash) {
				return errDeviceCurrent
			}
		}
		switch action {
		case "block", "unblock":
			err = s.store.SetDeviceBlocked(ctx, t.ID, userID, hash, action == "block", now)
		case "forget":
			err = s.store.ForgetDevice(ctx, t.ID, userID, hash)
		default:
			return errDeviceAction
		}
	case "location":
		if id == "" || len(id) > 200 {
			return errDeviceUnknown
		}
		if action == "block" && current != nil {
			if key, _ := s.clientLocation(current.Context()); key == id {
				return errDeviceCurrent
			}
		}
		switch action {
		case "block", "unblock":
			err = s.store.SetLocationBlocked(ctx, t.ID, userID, id, action == "block", now)
		case "forget":
			err = s.store.ForgetLocation(ctx, t.ID, userID, id)
		default:
			return errDeviceAction
		}
	default:
		return errDeviceAction
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errDeviceUnknown
	case errors.Is(err, store.ErrConflict):
		return errDeviceBlocked
	case err != nil:
		return err
	}
	ev.TenantID, ev.UserID, ev.Detail = t.ID, userID, map[string]string{"via": via}
	s.audit(ctx, ev)
	return nil
}

// deviceChangeEvent is the audit event of a ChangeDevice; false for a kind or
// action it does not know, which ChangeDevice refuses before changing anything.
func deviceChangeEvent(kind, action string) (*store.AuditEvent, bool) {
	switch [2]string{kind, action} {
	case [2]string{"device", "block"}:
		return &store.AuditEvent{Type: audit.DeviceBlock}, true
	case [2]string{"device", "unblock"}:
		return &store.AuditEvent{Type: audit.DeviceUnblock}, true
	case [2]string{"device", "forget"}:
		return &store.AuditEvent{Type: audit.DeviceForget}, true
	case [2]string{"location", "block"}:
		return &store.AuditEvent{Type: audit.LocationBlock}, true
	case [2]string{"location", "unblock"}:
		return &store.AuditEvent{Type: audit.LocationUnblock}, true
	case [2]string{"location", "forget"}:
		return &store.AuditEvent{Type: audit.LocationForget}, true
	}
	return nil, false
}

// deviceProblem is the text of a ChangeDevice error for people, or "".
func deviceProblem(err error) string {
	for _, e := range []error{errDeviceUnknown, errDeviceCurrent, errDeviceBlocked, errDeviceAction} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return ""
}

package idp

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The device and location centre (issue 5): /t/{tenant}/account/devices and
// `gatehouse user devices` list the browsers and places a user signed in
// from; each can be forgotten (it is new again) or blocked. This is that
// half. The sign-in half — refusing a blocked browser or location, emailing
// a new one — is idp/login's (device_centre.go there), and so is naming a
// client's location (login.Handler.ClientLocation), so both halves name
// places alike.

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
		curLoc, _ = s.login.ClientLocation(r.Context())
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
			if key, _ := s.login.ClientLocation(current.Context()); key == id {
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

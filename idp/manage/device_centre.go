package manage

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The device and location centre's management half (issue 5): list a
// user's known browsers and places, block, unblock or forget one. The
// account's "Your devices" page and `gatehouse user devices` both call it;
// the sign-in time checks (a blocked browser or place refused, a new one
// emailed) are the sign-in's.

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
func (s *Service) UserDevices(ctx context.Context, t *store.Tenant, userID string, r *http.Request) ([]DeviceView, error) {
	devs, err := s.Store.ListDevices(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	dblocks, err := s.Store.DeviceBlocks(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	locs, err := s.Store.ListLocations(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	lblocks, err := s.Store.LocationBlocks(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	curDev, curLoc := "", ""
	if r != nil {
		if id, ok := s.Sessions.DeviceID(r); ok {
			curDev = string(device.HashDeviceID(id))
		}
		curLoc, _ = s.clientLocation(r.Context())
	}
	now := s.Clock()
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
	ErrDeviceUnknown = errors.New("That browser or location is not on your list (it may have been forgotten already).")
	ErrDeviceCurrent = errors.New("You cannot block the browser or location you are using now. Sign out here instead, or block it from another device.")
	ErrDeviceBlocked = errors.New("Unblock it first: forgetting a blocked browser or location would lift the block.")
	ErrDeviceAction  = errors.New("Unknown action.")
)

// ChangeDevice blocks, unblocks or forgets one known device or location of
// a user. current (may be nil) is the request making the change: its own
// browser and location cannot be blocked from it.
func (s *Service) ChangeDevice(ctx context.Context, t *store.Tenant, userID, kind, id, action string, current *http.Request, via string) error {
	ev, ok := deviceChangeEvent(kind, action)
	if !ok {
		return ErrDeviceAction
	}
	now := s.Clock()
	var err error
	switch kind {
	case "device":
		hash, herr := hex.DecodeString(id)
		if herr != nil || len(hash) == 0 || len(hash) > 64 {
			return ErrDeviceUnknown
		}
		if action == "block" && current != nil {
			if cid, ok := s.Sessions.DeviceID(current); ok && string(device.HashDeviceID(cid)) == string(hash) {
				return ErrDeviceCurrent
			}
		}
		switch action {
		case "block", "unblock":
			err = s.Store.SetDeviceBlocked(ctx, t.ID, userID, hash, action == "block", now)
		case "forget":
			err = s.Store.ForgetDevice(ctx, t.ID, userID, hash)
		default:
			return ErrDeviceAction
		}
	case "location":
		if id == "" || len(id) > 200 {
			return ErrDeviceUnknown
		}
		if action == "block" && current != nil {
			if key, _ := s.clientLocation(current.Context()); key == id {
				return ErrDeviceCurrent
			}
		}
		switch action {
		case "block", "unblock":
			err = s.Store.SetLocationBlocked(ctx, t.ID, userID, id, action == "block", now)
		case "forget":
			err = s.Store.ForgetLocation(ctx, t.ID, userID, id)
		default:
			return ErrDeviceAction
		}
	default:
		return ErrDeviceAction
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrDeviceUnknown
	case errors.Is(err, store.ErrConflict):
		return ErrDeviceBlocked
	case err != nil:
		return err
	}
	ev.TenantID, ev.UserID, ev.Detail = t.ID, userID, map[string]string{"via": via}
	s.Audit.Record(ctx, ev)
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

// DeviceProblem is the text of a ChangeDevice error for people, or "".
func DeviceProblem(err error) string {
	for _, e := range []error{ErrDeviceUnknown, ErrDeviceCurrent, ErrDeviceBlocked, ErrDeviceAction} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return ""
}

// clientLocation is the location key and label of the request's client IP.
func (s *Service) clientLocation(ctx context.Context) (key, label string) {
	ip, err := netip.ParseAddr(web.From(ctx).IP())
	if err != nil {
		return "", ""
	}
	return s.Locate(ip)
}

package manage

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestChangeDevice: block, unblock and forget change a known device and
// write the event of the pair with the caller's path; an unknown kind or
// action, or an id the user does not have, changes nothing and writes no event.
func TestChangeDevice(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	s, st := testService(t, &now)
	ctx := context.Background()
	tn, err := s.CreateTenant(ctx, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, tn, UserSpec{Email: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := st.TouchDevice(ctx, &store.KnownDevice{TenantID: tn.ID, UserID: u.ID, DeviceHash: hash, Label: "Firefox on Linux",
		IP: "192.0.2.1", FirstSeen: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(hash)
	events := func(types ...string) []*store.AuditEvent {
		evs, err := st.ListAuditEvents(ctx, tn.ID, store.AuditQuery{Types: types})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}

	for _, bad := range []struct{ kind, id, action string }{
		{"device", id, "explode"}, {"browser", id, "block"}, {"", id, ""}, {"location", "", "frobnicate"},
	} {
		if err := s.ChangeDevice(ctx, tn, u.ID, bad.kind, bad.id, bad.action, nil, "cli"); !errors.Is(err, ErrDeviceAction) {
			t.Errorf("%v: %v, want ErrDeviceAction", bad, err)
		}
	}
	if err := s.ChangeDevice(ctx, tn, u.ID, "device", hex.EncodeToString([]byte("not-a-known-device")), "block", nil, "cli"); !errors.Is(err, ErrDeviceUnknown) {
		t.Errorf("unknown device: %v", err)
	}
	if err := s.ChangeDevice(ctx, tn, u.ID, "device", "zz", "block", nil, "cli"); !errors.Is(err, ErrDeviceUnknown) {
		t.Errorf("id not hex: %v", err)
	}
	if evs := events(); len(evs) != 2 { // tenant.created and user.created only
		t.Fatalf("refused changes wrote events: %d", len(evs))
	}

	if err := s.ChangeDevice(ctx, tn, u.ID, "device", id, "block", nil, "cli"); err != nil {
		t.Fatal(err)
	}
	list, err := s.UserDevices(ctx, tn, u.ID, nil)
	if err != nil || len(list) != 1 || !list[0].Blocked || list[0].ID != id || list[0].Kind != "device" || list[0].Current {
		t.Fatalf("after block: %+v, %v", list, err)
	}
	if evs := events(audit.DeviceBlock); len(evs) != 1 || evs[0].UserID != u.ID || evs[0].Detail["via"] != "cli" {
		t.Fatalf("block event: %+v", evs)
	}
	err = s.ChangeDevice(ctx, tn, u.ID, "device", id, "forget", nil, "cli")
	if !errors.Is(err, ErrDeviceBlocked) || DeviceProblem(err) == "" {
		t.Fatalf("forgetting a blocked device: %v", err)
	}
	if err := s.ChangeDevice(ctx, tn, u.ID, "device", id, "unblock", nil, "account"); err != nil {
		t.Fatal(err)
	}
	if evs := events(audit.DeviceUnblock); len(evs) != 1 || evs[0].Detail["via"] != "account" {
		t.Fatalf("unblock event: %+v", evs)
	}
	if err := s.ChangeDevice(ctx, tn, u.ID, "device", id, "forget", nil, "cli"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.UserDevices(ctx, tn, u.ID, nil); err != nil || len(list) != 0 {
		t.Fatalf("after forget: %+v, %v", list, err)
	}
	if DeviceProblem(errors.New("database down")) != "" {
		t.Fatal("an internal error is shown to people")
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// testDeviceCentre: block, unblock and forget known devices and locations;
// a block survives the next TouchDevice and cannot be forgotten away.
func testDeviceCentre(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	u := mkUser(t, s, a.ID, "zoe@example.com")
	dev := &store.KnownDevice{TenantID: a.ID, UserID: u.ID, DeviceHash: hash("laptop"), Label: "Firefox on Linux", IP: "192.0.2.1", FirstSeen: t0, LastSeen: t0}
	wantErr(t, "TouchDevice", s.TouchDevice(ctx(t), dev), nil)
	loc := &store.KnownLocation{TenantID: a.ID, UserID: u.ID, Key: "DE/Berlin", Label: "Berlin, Germany", FirstSeen: t0, LastSeen: t0}
	wantErr(t, "TouchLocation", s.TouchLocation(ctx(t), loc), nil)

	blocks, err := s.DeviceBlocks(ctx(t), a.ID, u.ID)
	wantErr(t, "DeviceBlocks", err, nil)
	if len(blocks) != 0 {
		t.Fatalf("new device blocked: %v", blocks)
	}
	wantErr(t, "SetDeviceBlocked", s.SetDeviceBlocked(ctx(t), a.ID, u.ID, dev.DeviceHash, true, t0.Add(time.Minute)), nil)
	wantErr(t, "SetDeviceBlocked again", s.SetDeviceBlocked(ctx(t), a.ID, u.ID, dev.DeviceHash, true, t0.Add(time.Hour)), nil)
	// The device signs in again (its row is touched): still blocked, first block time kept.
	dev.LastSeen = t0.Add(2 * time.Hour)
	wantErr(t, "TouchDevice", s.TouchDevice(ctx(t), dev), nil)
	blocks, _ = s.DeviceBlocks(ctx(t), a.ID, u.ID)
	mustEqual(t, "device blocks", map[string]time.Time{string(dev.DeviceHash): t0.Add(time.Minute)}, blocks)
	wantErr(t, "ForgetDevice blocked", s.ForgetDevice(ctx(t), a.ID, u.ID, dev.DeviceHash), store.ErrConflict)

	// Tenant isolation.
	wantErr(t, "SetDeviceBlocked other tenant", s.SetDeviceBlocked(ctx(t), b.ID, u.ID, dev.DeviceHash, false, t0), store.ErrNotFound)
	if got, _ := s.DeviceBlocks(ctx(t), b.ID, u.ID); len(got) != 0 {
		t.Fatalf("tenant B sees tenant A's blocks: %v", got)
	}
	wantErr(t, "SetDeviceBlocked unknown", s.SetDeviceBlocked(ctx(t), a.ID, u.ID, hash("nope"), true, t0), store.ErrNotFound)

	wantErr(t, "unblock", s.SetDeviceBlocked(ctx(t), a.ID, u.ID, dev.DeviceHash, false, t0), nil)
	if got, _ := s.DeviceBlocks(ctx(t), a.ID, u.ID); len(got) != 0 {
		t.Fatalf("unblocked device still blocked: %v", got)
	}
	wantErr(t, "ForgetDevice", s.ForgetDevice(ctx(t), a.ID, u.ID, dev.DeviceHash), nil)
	_, err = s.Device(ctx(t), a.ID, u.ID, dev.DeviceHash)
	wantErr(t, "Device after forget", err, store.ErrNotFound)
	wantErr(t, "ForgetDevice again", s.ForgetDevice(ctx(t), a.ID, u.ID, dev.DeviceHash), store.ErrNotFound)

	// Locations.
	wantErr(t, "SetLocationBlocked", s.SetLocationBlocked(ctx(t), a.ID, u.ID, loc.Key, true, t0), nil)
	lb, err := s.LocationBlocks(ctx(t), a.ID, u.ID)
	wantErr(t, "LocationBlocks", err, nil)
	mustEqual(t, "location blocks", map[string]time.Time{"DE/Berlin": t0}, lb)
	wantErr(t, "ForgetLocation blocked", s.ForgetLocation(ctx(t), a.ID, u.ID, loc.Key), store.ErrConflict)
	wantErr(t, "SetLocationBlocked other tenant", s.SetLocationBlocked(ctx(t), b.ID, u.ID, loc.Key, true, t0), store.ErrNotFound)
	wantErr(t, "unblock location", s.SetLocationBlocked(ctx(t), a.ID, u.ID, loc.Key, false, t0), nil)
	wantErr(t, "ForgetLocation", s.ForgetLocation(ctx(t), a.ID, u.ID, loc.Key), nil)
	wantErr(t, "ForgetLocation unknown", s.ForgetLocation(ctx(t), a.ID, u.ID, loc.Key), store.ErrNotFound)
}

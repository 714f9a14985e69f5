package store

import (
	"context"
	"time"
)

// DeviceCentre blocks and forgets a user's known devices and locations (the
// rows the second-factor step records, see Devices). A blocked device or
// location cannot be used to sign in; a forgotten one is simply new again.
type DeviceCentre interface {
	// SetDeviceBlocked blocks (BlockedAt = now) or unblocks a known device.
	// ErrNotFound when the user has no such device.
	SetDeviceBlocked(ctx context.Context, tenantID, userID string, hash []byte, blocked bool, now time.Time) error
	// ForgetDevice deletes a known device. ErrNotFound when unknown;
	// ErrConflict when it is blocked (unblock first: forgetting must not lift a block).
	ForgetDevice(ctx context.Context, tenantID, userID string, hash []byte) error
	SetLocationBlocked(ctx context.Context, tenantID, userID, key string, blocked bool, now time.Time) error
	ForgetLocation(ctx context.Context, tenantID, userID, key string) error
	// DeviceBlocks returns when each blocked device of the user was
	// blocked, keyed by string(hash).
	DeviceBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error)
	// LocationBlocks returns when each blocked location was blocked, by key.
	LocationBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error)
}

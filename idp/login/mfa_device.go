package login

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/geo"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// clientLocation is the location key and label of the request's client IP.
func (h *Handler) clientLocation(ctx context.Context) (key, label string) {
	ip, err := netip.ParseAddr(web.From(ctx).IP())
	if err != nil {
		return "", ""
	}
	return h.locate(ip)
}

// locate names ip's location with the handler's locator: Locate, or the
// /24 or /48 network without one.
func (h *Handler) locate(ip netip.Addr) (key, label string) {
	if h.Locate == nil {
		return NetworkLocation(ip)
	}
	return h.Locate(ip)
}

// riskFacts is what the second-factor decision knows about the browser and
// place of a sign-in.
type riskFacts struct {
	deviceKnown      bool
	deviceRemembered bool
	locationKnown    bool
	locationKey      string
	locationLabel    string
}

func (h *Handler) riskFacts(r *http.Request, tenantID, userID string) (riskFacts, error) {
	ctx := r.Context()
	now := h.Clock()
	var f riskFacts
	if id, ok := h.Sessions.DeviceID(r); ok {
		d, err := h.Store.Device(ctx, tenantID, userID, device.HashDeviceID(id))
		switch {
		case err == nil:
			f.deviceKnown = true
			f.deviceRemembered = d.RememberUntil != nil && now.Before(*d.RememberUntil)
		case !errors.Is(err, store.ErrNotFound):
			return f, err
		}
	}
	f.locationKey, f.locationLabel = h.clientLocation(ctx)
	if f.locationKey != "" {
		_, err := h.Store.Location(ctx, tenantID, userID, f.locationKey)
		switch {
		case err == nil:
			f.locationKnown = true
		case !errors.Is(err, store.ErrNotFound):
			return f, err
		}
	}
	return f, nil
}

// recordDevice notes a successful sign-in's device and location for the
// user; remember > 0 lets the device skip the second factor that long.
func (h *Handler) recordDevice(w http.ResponseWriter, r *http.Request, tenantID, userID string, remember time.Duration) error {
	ctx := r.Context()
	now := h.Clock()
	id := h.Sessions.EnsureDeviceID(w, r)
	d := &store.KnownDevice{TenantID: tenantID, UserID: userID, DeviceHash: device.HashDeviceID(id),
		Label: device.Describe(r.UserAgent()).Label, IP: web.From(ctx).IP(), FirstSeen: now, LastSeen: now}
	if remember > 0 {
		until := now.Add(remember)
		d.RememberUntil = &until
	}
	if err := h.Store.TouchDevice(ctx, d); err != nil {
		return err
	}
	if key, label := h.clientLocation(ctx); key != "" {
		return h.Store.TouchLocation(ctx, &store.KnownLocation{TenantID: tenantID, UserID: userID, Key: key, Label: label,
			FirstSeen: now, LastSeen: now})
	}
	return nil
}

// GeoLocate names locations with a GeoIP locator: country and city from the
// database when it knows the address, else the /24 or /48 network.
func GeoLocate(l *geo.Locator) LocationFunc {
	return func(ip netip.Addr) (string, string) {
		loc := l.Lookup(ip)
		label := loc.City
		switch {
		case loc.CountryName != "" && label != "":
			label += ", " + loc.CountryName
		case loc.CountryName != "":
			label = loc.CountryName
		case loc.Country != "":
			label = loc.Country
		default:
			label = strings.Replace(loc.Key, "net:", "Network ", 1)
		}
		return loc.Key, label
	}
}

package session

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/device"
)

// The device cookie: a long-lived random id per browser (one for all
// tenants of this host, since a browser is one device whoever signs in).
// The database keeps only its hash, per user, in known_devices; a user's
// "remember this device" is a RememberUntil on that row, so revoking it is a
// database change and the cookie alone proves nothing.

// deviceCookieDays is the life of the device cookie.
const deviceCookieDays = 400

func (s *Service) deviceCookieName() string {
	if s.Dev {
		return "gh_device"
	}
	return "__Host-gh_device"
}

// DeviceID returns the browser's device id, if it sent a well-formed one.
func (s *Service) DeviceID(r *http.Request) (string, bool) {
	c, err := r.Cookie(s.deviceCookieName())
	if err != nil || !device.ValidDeviceID(c.Value) {
		return "", false
	}
	return c.Value, true
}

// EnsureDeviceID returns the browser's device id, minting and setting a new
// cookie when there is none.
func (s *Service) EnsureDeviceID(w http.ResponseWriter, r *http.Request) string {
	if id, ok := s.DeviceID(r); ok {
		return id
	}
	id := device.NewDeviceID(s.Rand)
	http.SetCookie(w, &http.Cookie{
		Name: s.deviceCookieName(), Value: id, Path: "/", MaxAge: deviceCookieDays * 24 * 3600,
		HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode,
	})
	return id
}

package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// "Your devices": /t/{tenant}/account/devices (device_centre.go).

type deviceRow struct {
	manage.DeviceView
	Action string
}

type devicesPageData struct {
	pageData
	Devices []deviceRow
}

func (s *Server) devicesPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, _, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	s.renderDevices(w, r, p, u, http.StatusOK, "", "")
}

func (s *Server) renderDevices(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, status int, msg, errMsg string) {
	list, err := s.manage.UserDevices(r.Context(), p.tenant, u.ID, r)
	if err != nil {
		s.pages.Unavailable(w, r, "devices page", err)
		return
	}
	base := s.tenantURL(p.tenant.Slug) + "/account"
	d := &devicesPageData{pageData: pageData{Title: "Your devices", TenantName: p.tenant.Name, Action: base + "/devices",
		Back: base, Message: msg, Error: errMsg}}
	for _, v := range list {
		d.Devices = append(d.Devices, deviceRow{DeviceView: v, Action: base + "/devices"})
	}
	s.renderPage(w, status, "devices", d)
}

// devicesSubmit blocks or forgets a device or location: changes that only
// narrow the ways in. Unblocking restores one and is its own route behind
// the sensitive guard (devicesUnblock).
func (s *Server) devicesSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, _, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	if action := r.PostForm.Get("action"); action == "block" || action == "forget" {
		s.changeDeviceForm(w, r, p, u, action)
		return
	}
	s.renderDevices(w, r, p, u, http.StatusBadRequest, "", manage.ErrDeviceAction.Error())
}

// devicesUnblock lifts a block (sensitive: it restores a way in).
func (s *Server) devicesUnblock(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u := guardedOp(r.Context()).u
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	if s.changeDeviceForm(w, r, p, u, "unblock") {
		s.sensitiveDone(r, actDeviceUnblocked, "")
	}
}

// changeDeviceForm applies action to the posted device or location and
// renders the page; it reports whether the change was made.
func (s *Server) changeDeviceForm(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, action string) bool {
	kind := r.PostForm.Get("kind")
	err := s.manage.ChangeDevice(r.Context(), p.tenant, u.ID, kind, web.Truncate(r.PostForm.Get("id"), 256), action, r, "account")
	if msg := manage.DeviceProblem(err); msg != "" {
		s.renderDevices(w, r, p, u, http.StatusBadRequest, "", msg)
		return false
	}
	if err != nil {
		s.pages.Unavailable(w, r, "devices: change", err)
		return false
	}
	done := map[string]string{"block": "Blocked: sign-ins from it are refused.", "unblock": "Unblocked.", "forget": "Forgotten: its next sign-in counts as new."}
	s.renderDevices(w, r, p, u, http.StatusOK, done[action], "")
	return true
}

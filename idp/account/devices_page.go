package account

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// "Your devices": /t/{tenant}/account/devices. The device centre itself
// (listing, blocking, unblocking, forgetting, their audit events) is
// manage.Service's (Handler.Devices); this page only shows and asks.

type deviceRow struct {
	manage.DeviceView
	Action string
}

type devicesPageData struct {
	web.Page
	Devices []deviceRow
}

func (h *Handler) devicesPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, _, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	h.renderDevices(w, r, t, u, http.StatusOK, "", "")
}

func (h *Handler) renderDevices(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, status int, msg, errMsg string) {
	list, err := h.Devices.UserDevices(r.Context(), t, u.ID, r)
	if err != nil {
		h.Pages.Unavailable(w, r, "devices page", err)
		return
	}
	base := h.TenantURL(t.Slug) + "/account"
	d := &devicesPageData{Page: web.Page{Title: "Your devices", TenantName: t.Name, Action: base + "/devices",
		Back: base, Message: msg, Error: errMsg}}
	for _, v := range list {
		d.Devices = append(d.Devices, deviceRow{DeviceView: v, Action: base + "/devices"})
	}
	h.Pages.Render(w, status, "devices", d)
}

// devicesSubmit blocks or forgets a device or location: changes that only
// narrow the ways in. Unblocking restores one and is its own route behind
// the sensitive guard (devicesUnblock).
func (h *Handler) devicesSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, _, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	if action := r.PostForm.Get("action"); action == "block" || action == "forget" {
		h.changeDeviceForm(w, r, t, u, action)
		return
	}
	h.renderDevices(w, r, t, u, http.StatusBadRequest, "", manage.ErrDeviceAction.Error())
}

// devicesUnblock lifts a block (sensitive: it restores a way in).
func (h *Handler) devicesUnblock(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u := guardedOp(r.Context()).u
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	if h.changeDeviceForm(w, r, t, u, "unblock") {
		h.sensitiveDone(r, actDeviceUnblocked, "")
	}
}

// changeDeviceForm applies action to the posted device or location and
// renders the page; it reports whether the change was made.
func (h *Handler) changeDeviceForm(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, action string) bool {
	kind := r.PostForm.Get("kind")
	err := h.Devices.ChangeDevice(r.Context(), t, u.ID, kind, web.Truncate(r.PostForm.Get("id"), 256), action, r, "account")
	if msg := manage.DeviceProblem(err); msg != "" {
		h.renderDevices(w, r, t, u, http.StatusBadRequest, "", msg)
		return false
	}
	if err != nil {
		h.Pages.Unavailable(w, r, "devices: change", err)
		return false
	}
	done := map[string]string{"block": "Blocked: sign-ins from it are refused.", "unblock": "Unblocked.", "forget": "Forgotten: its next sign-in counts as new."}
	h.renderDevices(w, r, t, u, http.StatusOK, done[action], "")
	return true
}

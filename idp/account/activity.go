package account

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// "Your activity": /t/{tenant}/account/activity lists the signed-in user's
// own security events, newest first, 25 a page, filtered by kind (sign-ins,
// passwords and second factors, devices and locations, connected
// accounts). Only events about this user and of a type a person is shown
// (audit.PersonalKinds) appear; the tenant's log is the owners'. Times are
// UTC in the page and the browser's own zone once times.js ran.

// activityPage is how many events one page shows.
const activityPage = 25

type activityEvent struct {
	Title    string
	At       time.Time
	Device   string
	IP       string
	Location string
	Failed   bool
}

type activityPageData struct {
	web.Page
	Kinds  []audit.Kind
	Kind   string
	Events []activityEvent
	Older  string // the next page's URL, "" on the last
}

func (h *Handler) activityPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, _, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	q := r.URL.Query()
	kind := q.Get("kind")
	types := audit.PersonalTypes(kind)
	if types == nil { // an unknown kind: show everything, not nothing
		kind, types = "", audit.PersonalTypes("")
	}
	var before int64
	if c := q.Get("before"); c != "" {
		if n, err := strconv.ParseInt(c, 10, 64); err == nil && n > 0 {
			before = n
		}
	}
	evs, err := h.Store.ListAuditEvents(r.Context(), t.ID, store.AuditQuery{UserID: u.ID, Types: types, Before: before, Limit: activityPage})
	if err != nil {
		h.Pages.Unavailable(w, r, "activity page", err)
		return
	}
	base := h.TenantURL(t.Slug) + "/account"
	d := &activityPageData{Page: web.Page{Title: "Your activity", TenantName: t.Name, Action: base + "/activity", Back: base},
		Kinds: audit.PersonalKinds(), Kind: kind}
	for _, e := range evs {
		d.Events = append(d.Events, activityEvent{Title: audit.PersonalTitle(e.Type), At: e.CreatedAt, Device: e.UserAgent,
			IP: e.IP, Location: e.Location, Failed: e.Outcome == store.AuditFailure || audit.OutcomeOf(e.Type) == store.AuditFailure})
	}
	if len(evs) == activityPage {
		v := url.Values{"before": {strconv.FormatInt(evs[len(evs)-1].Seq, 10)}}
		if kind != "" {
			v.Set("kind", kind)
		}
		d.Older = base + "/activity?" + v.Encode()
	}
	h.Pages.Render(w, http.StatusOK, "activity", d)
}

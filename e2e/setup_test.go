package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// setupLinks creates a tenant without an owner and n first-owner links for it.
func setupLinks(t *testing.T, e *env, slug string, n int) (*store.Tenant, []string) {
	t.Helper()
	ctx := context.Background()
	tn, err := e.srv.Manage().CreateTenant(ctx, slug, "Fresh Co")
	if err != nil {
		t.Fatal(err)
	}
	links := make([]string, n)
	for i := range links {
		if links[i], err = e.srv.Manage().SetupLink(ctx, tn.ID); err != nil || links[i] == "" {
			t.Fatalf("SetupLink %d: %q, %v", i, links[i], err)
		}
	}
	return tn, links
}

// submitSetup posts the setup form of link for email.
func submitSetup(e *env, link, email string) (int, string) {
	u, _ := url.Parse(link)
	resp, body := e.browser().post(strings.Split(link, "?")[0], url.Values{"token": {u.Query().Get("token")},
		"email": {email}, "name": {"Olga Owner"}, "password": {"Owner-Passphrase-Long-77"}})
	return resp.StatusCode, body
}

func owners(t *testing.T, e *env, tenantID string) int {
	t.Helper()
	users, err := e.store.ListUsers(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range users {
		if u.Role == store.RoleOwner {
			n++
		}
	}
	return n
}

// TestSetupLinkAfterOwner: a second first-owner link made while the tenant
// had no owner stops working once the first one created the owner.
func TestSetupLinkAfterOwner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		tn, links := setupLinks(t, e, "fresh", 2)
		if st, body := submitSetup(e, links[0], "first@fresh.test"); st != http.StatusOK || !strings.Contains(body, "Owner account created") {
			t.Fatalf("first link: %d %.300s", st, body)
		}
		if st, body := submitSetup(e, links[1], "second@fresh.test"); st == http.StatusOK || !strings.Contains(body, "already has an owner") {
			t.Fatalf("second link after an owner exists: %d %.300s", st, body)
		}
		if n := owners(t, e, tn.ID); n != 1 {
			t.Fatalf("%d owners, want 1", n)
		}
		if link, err := e.srv.Manage().SetupLink(context.Background(), tn.ID); err != nil || link != "" {
			t.Fatalf("SetupLink with an owner: %q, %v", link, err)
		}
	})
}

// TestSetupLinksConcurrent: several different links submitted at once yield
// exactly one owner.
func TestSetupLinksConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const n = 8
		tn, links := setupLinks(t, e, "race", n)
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range links {
			wg.Go(func() { codes[i], _ = submitSetup(e, links[i], fmt.Sprintf("owner%d@race.test", i)) })
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			}
		}
		if ok != 1 || owners(t, e, tn.ID) != 1 {
			t.Fatalf("%d links accepted (%v), %d owners; want exactly one", ok, codes, owners(t, e, tn.ID))
		}
	})
}

// TestSetupLinkUsedSaysSoAtOnce: a used setup link says so when it is
// opened (not after the form is filled) and names the command that makes
// a new one; the success page offers the sign-in.
func TestSetupLinkUsedSaysSoAtOnce(t *testing.T) {
	e := newEnv(t, "sqlite")
	_, links := setupLinks(t, e, "fresh", 1)
	resp, body := e.browser().get(links[0])
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("fresh link: %d %.300s", resp.StatusCode, body)
	}
	st, body := submitSetup(e, links[0], "first@fresh.test")
	if st != http.StatusOK || !strings.Contains(body, ">Sign in</a>") || !strings.Contains(body, "/t/fresh/account") {
		t.Fatalf("success page: %d %.600s", st, body)
	}
	for _, link := range []string{links[0], strings.Split(links[0], "=")[0] + "=unknown-token"} {
		resp, body := e.browser().get(link)
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, `name="password"`) ||
			!strings.Contains(body, "gatehouse tenant setup-link fresh") {
			t.Fatalf("used or unknown link %s: %d %.600s", link, resp.StatusCode, body)
		}
	}
}

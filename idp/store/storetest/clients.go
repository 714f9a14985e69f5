package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testClients(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	conf := mkClient(t, s, tn.ID, "zendesk")
	got, err := s.ClientByID(ctx(t), tn.ID, "zendesk")
	wantErr(t, "ClientByID", err, nil)
	mustEqual(t, "ClientByID", conf, got)

	// A public client: no secret (nil, even when given empty), empty lists nil.
	pub := &store.Client{
		TenantID:   tn.ID,
		Name:       "Desktop",
		SecretHash: []byte{},
		Public:     true,
		AppType:    store.AppNative,
		GrantTypes: []string{},
		CreatedAt:  t0,
		UpdatedAt:  t0,
	}
	wantErr(t, "CreateClient(public, empty id)", s.CreateClient(ctx(t), pub), nil)
	if pub.ID == "" {
		t.Fatal("CreateClient did not fill an empty ID")
	}
	got, err = s.ClientByID(ctx(t), tn.ID, pub.ID)
	wantErr(t, "ClientByID(public)", err, nil)
	if got.SecretHash != nil || got.RedirectURIs != nil || got.PostLogoutRedirectURIs != nil || got.GrantTypes != nil || got.Scopes != nil {
		t.Fatalf("empty secret and lists must come back nil: %+v", got)
	}
	pub.SecretHash, pub.GrantTypes = nil, nil
	mustEqual(t, "public client", pub, got)

	wantErr(t, "CreateClient(same id)", s.CreateClient(ctx(t), &store.Client{ID: "zendesk", TenantID: tn.ID, AppType: store.AppWeb, CreatedAt: t0, UpdatedAt: t0}), store.ErrConflict)
	wantErr(t, "CreateClient(unknown tenant)", s.CreateClient(ctx(t), &store.Client{ID: "x", TenantID: "nope", AppType: store.AppWeb, CreatedAt: t0, UpdatedAt: t0}), store.ErrNotFound)
	_, err = s.ClientByID(ctx(t), tn.ID, "nope")
	wantErr(t, "ClientByID(unknown)", err, store.ErrNotFound)

	list, err := s.ListClients(ctx(t), tn.ID)
	wantErr(t, "ListClients", err, nil)
	want := []*store.Client{pub, conf} // by id, byte order
	if pub.ID > conf.ID {
		want = []*store.Client{conf, pub}
	}
	mustEqual(t, "ListClients (by id)", want, list)

	// UpdateClient saves Name, SecretHash, the three lists, AppType, Public,
	// Disabled and UpdatedAt; not CreatedAt.
	upd := *conf
	upd.Name = "Zendesk EU"
	upd.SecretHash = hash("rotated")
	upd.RedirectURIs = []string{"https://eu.desk.example.com/cb"}
	upd.PostLogoutRedirectURIs = nil
	upd.GrantTypes = []string{store.GrantClientCredentials}
	upd.Scopes = []string{"gatehouse.audit", "gatehouse.admin.read"}
	upd.AppType = store.AppSPA
	upd.Public = true
	upd.Disabled = true
	upd.UpdatedAt = t0.Add(time.Hour)
	upd.CreatedAt = t0.Add(99 * time.Hour)
	wantErr(t, "UpdateClient", s.UpdateClient(ctx(t), &upd), nil)
	upd.CreatedAt = conf.CreatedAt
	got, _ = s.ClientByID(ctx(t), tn.ID, conf.ID)
	mustEqual(t, "after UpdateClient", &upd, got)
	if !got.HasGrant(store.GrantClientCredentials) || got.HasGrant(store.GrantRefreshToken) {
		t.Fatalf("grant types after update: %v", got.GrantTypes)
	}
	wantErr(t, "UpdateClient(unknown)", s.UpdateClient(ctx(t), &store.Client{ID: "nope", TenantID: tn.ID, AppType: store.AppWeb}), store.ErrNotFound)

	wantErr(t, "DeleteClient", s.DeleteClient(ctx(t), tn.ID, conf.ID), nil)
	_, err = s.ClientByID(ctx(t), tn.ID, conf.ID)
	wantErr(t, "ClientByID(deleted)", err, store.ErrNotFound)
	wantErr(t, "DeleteClient(again)", s.DeleteClient(ctx(t), tn.ID, conf.ID), store.ErrNotFound)
	list, _ = s.ListClients(ctx(t), tn.ID)
	mustEqual(t, "ListClients after delete", []*store.Client{pub}, list)
}

// Deleting a client removes its auth requests and refresh tokens and makes
// access tokens of its refresh families inactive; other clients keep theirs.
func testDeleteClientCascades(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	other := mkClient(t, s, w.tenant.ID, "other")
	keep := mkRefresh(t, s, w.tenant.ID, other.ID, w.user.ID, w.session.ID, "fam-other", "rt-other")
	req := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	keepReq := mkAuthRequest(t, s, w.tenant.ID, other.ID)

	wantErr(t, "DeleteClient", s.DeleteClient(ctx(t), w.tenant.ID, w.client.ID), nil)

	_, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	wantErr(t, "RefreshTokenByHash(deleted client's token)", err, store.ErrNotFound)
	_, err = s.AuthRequestByID(ctx(t), w.tenant.ID, req.ID)
	wantErr(t, "AuthRequestByID(deleted client's request)", err, store.ErrNotFound)
	active, err := s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-1", FamilyID: "fam-1"}, t0)
	wantErr(t, "AccessTokenActive", err, nil)
	if active {
		t.Fatal("access token of a deleted client's refresh family is still active")
	}

	got, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, keep.Hash)
	wantErr(t, "RefreshTokenByHash(other client)", err, nil)
	mustEqual(t, "other client's token", keep, got)
	_, err = s.AuthRequestByID(ctx(t), w.tenant.ID, keepReq.ID)
	wantErr(t, "AuthRequestByID(other client)", err, nil)
	active, _ = s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-2", FamilyID: "fam-other", SessionID: w.session.ID}, t0)
	if !active {
		t.Fatal("access token of another client's family became inactive")
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testTenants(t *testing.T, s store.Store) {
	a := mkTenant(t, s, "acme")
	got, err := s.TenantByID(ctx(t), a.ID)
	wantErr(t, "TenantByID", err, nil)
	mustEqual(t, "TenantByID", a, got)
	got, err = s.TenantBySlug(ctx(t), "acme")
	wantErr(t, "TenantBySlug", err, nil)
	mustEqual(t, "TenantBySlug", a, got)

	// Zero settings round-trip as zero (defaults are resolved by the helpers).
	b := &store.Tenant{Slug: "beta", Name: "Beta", CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateTenant(empty id)", s.CreateTenant(ctx(t), b), nil)
	if len(b.ID) != 26 {
		t.Fatalf("CreateTenant did not fill an empty ID: %q", b.ID)
	}
	got, err = s.TenantByID(ctx(t), b.ID)
	wantErr(t, "TenantByID(beta)", err, nil)
	mustEqual(t, "beta", b, got)

	wantErr(t, "CreateTenant(same slug)", s.CreateTenant(ctx(t), &store.Tenant{ID: store.NewID(), Slug: "acme", Name: "x", CreatedAt: t0, UpdatedAt: t0}), store.ErrConflict)
	wantErr(t, "CreateTenant(same id)", s.CreateTenant(ctx(t), &store.Tenant{ID: a.ID, Slug: "other", Name: "x", CreatedAt: t0, UpdatedAt: t0}), store.ErrConflict)
	_, err = s.TenantByID(ctx(t), "nope")
	wantErr(t, "TenantByID(unknown)", err, store.ErrNotFound)
	_, err = s.TenantBySlug(ctx(t), "nope")
	wantErr(t, "TenantBySlug(unknown)", err, store.ErrNotFound)

	list, err := s.ListTenants(ctx(t))
	wantErr(t, "ListTenants", err, nil)
	mustEqual(t, "ListTenants (by slug)", []*store.Tenant{a, b}, list)

	// UpdateTenant saves Name, Settings and UpdatedAt, nothing else.
	upd := *a
	upd.Name = "Acme Support"
	upd.Settings = store.TenantSettings{SessionIdleMinutes: 15, RefreshTokenDays: 1}
	upd.UpdatedAt = t0.Add(time.Hour)
	upd.Slug = "ignored"
	upd.CreatedAt = t0.Add(99 * time.Hour)
	wantErr(t, "UpdateTenant", s.UpdateTenant(ctx(t), &upd), nil)
	want := *a
	want.Name, want.Settings, want.UpdatedAt = upd.Name, upd.Settings, upd.UpdatedAt
	got, _ = s.TenantByID(ctx(t), a.ID)
	mustEqual(t, "after UpdateTenant", &want, got)

	// A zero UpdatedAt keeps the stored one.
	upd2 := want
	upd2.Name = "Acme"
	upd2.UpdatedAt = time.Time{}
	wantErr(t, "UpdateTenant(zero UpdatedAt)", s.UpdateTenant(ctx(t), &upd2), nil)
	want.Name = "Acme"
	got, _ = s.TenantByID(ctx(t), a.ID)
	mustEqual(t, "after UpdateTenant(zero UpdatedAt)", &want, got)

	wantErr(t, "UpdateTenant(unknown)", s.UpdateTenant(ctx(t), &store.Tenant{ID: "nope", Name: "x"}), store.ErrNotFound)
}

func testUsers(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	u := mkUser(t, s, tn.ID, "Zoe.Agent@Example.COM")
	if u.Email != "zoe.agent@example.com" {
		t.Fatalf("CreateUser left Email %q, want it lower-cased", u.Email)
	}
	got, err := s.UserByID(ctx(t), tn.ID, u.ID)
	wantErr(t, "UserByID", err, nil)
	mustEqual(t, "UserByID", u, got)
	got, err = s.UserByEmail(ctx(t), tn.ID, "ZOE.agent@example.com")
	wantErr(t, "UserByEmail(other case)", err, nil)
	mustEqual(t, "UserByEmail", u, got)

	// A user without a password: empty hash, zero PasswordChangedAt.
	nopw := &store.User{TenantID: tn.ID, Email: "amy@example.com", Role: store.RoleOwner, CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateUser(no password, empty id)", s.CreateUser(ctx(t), nopw), nil)
	if nopw.ID == "" {
		t.Fatal("CreateUser did not fill an empty ID")
	}
	got, err = s.UserByID(ctx(t), tn.ID, nopw.ID)
	wantErr(t, "UserByID(no password)", err, nil)
	mustEqual(t, "user without password", nopw, got)
	if !got.PasswordChangedAt.IsZero() {
		t.Fatalf("zero PasswordChangedAt came back as %v", got.PasswordChangedAt)
	}

	dup := &store.User{ID: store.NewID(), TenantID: tn.ID, Email: "ZOE.AGENT@example.com", Role: store.RoleAgent, CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateUser(same email, other case)", s.CreateUser(ctx(t), dup), store.ErrConflict)
	dup = &store.User{ID: u.ID, TenantID: tn.ID, Email: "x@example.com", Role: store.RoleAgent, CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateUser(same id)", s.CreateUser(ctx(t), dup), store.ErrConflict)
	dup = &store.User{TenantID: "no-such-tenant", Email: "x@example.com", Role: store.RoleAgent, CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateUser(unknown tenant)", s.CreateUser(ctx(t), dup), store.ErrNotFound)

	_, err = s.UserByID(ctx(t), tn.ID, "nope")
	wantErr(t, "UserByID(unknown)", err, store.ErrNotFound)
	_, err = s.UserByEmail(ctx(t), tn.ID, "nobody@example.com")
	wantErr(t, "UserByEmail(unknown)", err, store.ErrNotFound)

	list, err := s.ListUsers(ctx(t), tn.ID)
	wantErr(t, "ListUsers", err, nil)
	mustEqual(t, "ListUsers (by email)", []*store.User{nopw, u}, list)

	// UpdateUser saves Email (lower-cased), EmailVerified, Name, Role,
	// Disabled and UpdatedAt; not the password or CreatedAt.
	upd := *u
	upd.Email = "Zoe@Example.com"
	upd.EmailVerified = false
	upd.Name = "Zoe"
	upd.Role = store.RoleAdmin
	upd.Disabled = true
	upd.UpdatedAt = t0.Add(time.Hour)
	upd.PasswordHash = "ignored"
	upd.PasswordChangedAt = t0.Add(5 * time.Hour)
	upd.CreatedAt = t0.Add(5 * time.Hour)
	wantErr(t, "UpdateUser", s.UpdateUser(ctx(t), &upd), nil)
	want := *u
	want.Email, want.EmailVerified, want.Name, want.Role, want.Disabled, want.UpdatedAt =
		"zoe@example.com", false, "Zoe", store.RoleAdmin, true, t0.Add(time.Hour)
	got, _ = s.UserByID(ctx(t), tn.ID, u.ID)
	mustEqual(t, "after UpdateUser", &want, got)
	_, err = s.UserByEmail(ctx(t), tn.ID, "zoe.agent@example.com")
	wantErr(t, "UserByEmail(old email)", err, store.ErrNotFound)

	clash := want
	clash.Email = "AMY@example.com"
	wantErr(t, "UpdateUser(email of another user)", s.UpdateUser(ctx(t), &clash), store.ErrConflict)
	wantErr(t, "UpdateUser(unknown)", s.UpdateUser(ctx(t), &store.User{ID: "nope", TenantID: tn.ID, Email: "q@example.com", Role: store.RoleAgent}), store.ErrNotFound)

	// SetPassword replaces the hash and PasswordChangedAt (and UpdatedAt).
	changed := t0.Add(2 * time.Hour)
	wantErr(t, "SetPassword", s.SetPassword(ctx(t), tn.ID, u.ID, "$argon2id$new", changed), nil)
	want.PasswordHash, want.PasswordChangedAt, want.UpdatedAt = "$argon2id$new", changed, changed
	got, _ = s.UserByID(ctx(t), tn.ID, u.ID)
	mustEqual(t, "after SetPassword", &want, got)
	wantErr(t, "SetPassword(unknown)", s.SetPassword(ctx(t), tn.ID, "nope", "h", changed), store.ErrNotFound)
}

package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The fixtures create fully populated rows (every field set, lists non-empty)
// at fixed times derived from t0, and fail the test if the store refuses.

func mkTenant(t *testing.T, s store.Store, slug string) *store.Tenant {
	t.Helper()
	tn := &store.Tenant{
		ID:   store.NewID(),
		Slug: slug,
		Name: "Tenant " + slug,
		Settings: store.TenantSettings{
			SessionIdleMinutes:   30,
			SessionLifetimeHours: 8,
			AccessTokenMinutes:   5,
			IDTokenMinutes:       6,
			RefreshTokenDays:     7,
		},
		CreatedAt: t0,
		UpdatedAt: t0.Add(time.Second),
	}
	if err := s.CreateTenant(ctx(t), tn); err != nil {
		t.Fatalf("CreateTenant(%s): %v", slug, err)
	}
	return tn
}

func mkUser(t *testing.T, s store.Store, tenantID, email string) *store.User {
	t.Helper()
	u := &store.User{
		ID:                store.NewID(),
		TenantID:          tenantID,
		Email:             email,
		EmailVerified:     true,
		Name:              "Agent " + email,
		Role:              store.RoleAgent,
		PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		PasswordChangedAt: t0.Add(-time.Hour),
		CreatedAt:         t0.Add(-2 * time.Hour),
		UpdatedAt:         t0.Add(-time.Hour),
	}
	if err := s.CreateUser(ctx(t), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func mkClient(t *testing.T, s store.Store, tenantID, id string) *store.Client {
	t.Helper()
	c := &store.Client{
		ID:                     id,
		TenantID:               tenantID,
		Name:                   "Helpdesk " + id,
		SecretHash:             hash("secret-" + id),
		AppType:                store.AppWeb,
		RedirectURIs:           []string{"https://desk.example.com/cb", "https://desk.example.com/cb2"},
		PostLogoutRedirectURIs: []string{"https://desk.example.com/bye"},
		GrantTypes:             []string{store.GrantAuthorizationCode, store.GrantRefreshToken},
		Scopes:                 []string{"gatehouse.audit"},
		CreatedAt:              t0.Add(-time.Hour),
		UpdatedAt:              t0.Add(-time.Minute),
	}
	if err := s.CreateClient(ctx(t), c); err != nil {
		t.Fatalf("CreateClient(%s): %v", id, err)
	}
	return c
}

// mkSession creates a session signed in at t0-1m: idle until t0+30m, over at t0+8h.
func mkSession(t *testing.T, s store.Store, tenantID, userID string) *store.Session {
	t.Helper()
	ss := &store.Session{
		ID:            store.NewID(),
		TenantID:      tenantID,
		UserID:        userID,
		AuthTime:      t0.Add(-time.Minute),
		AMR:           []string{"pwd", "otp"},
		ACR:           "urn:gatehouse:mfa",
		IP:            "203.0.113.7",
		UserAgent:     "Mozilla/5.0 (X11; Linux x86_64)",
		CreatedAt:     t0.Add(-time.Minute),
		LastSeenAt:    t0.Add(-time.Minute),
		IdleExpiresAt: t0.Add(30 * time.Minute),
		ExpiresAt:     t0.Add(8 * time.Hour),
		CookieHash:    hash("cookie-" + userID),
	}
	if err := s.CreateSession(ctx(t), ss); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return ss
}

// mkRefresh creates a refresh token with hash(value), issued at t0, expiring at t0+7d.
func mkRefresh(t *testing.T, s store.Store, tenantID, clientID, userID, sessionID, familyID, value string) *store.RefreshToken {
	t.Helper()
	rt := newRefresh(tenantID, clientID, userID, sessionID, familyID, value)
	if err := s.CreateRefreshToken(ctx(t), rt); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	return rt
}

func newRefresh(tenantID, clientID, userID, sessionID, familyID, value string) *store.RefreshToken {
	return &store.RefreshToken{
		ID:        store.NewID(),
		TenantID:  tenantID,
		Hash:      hash(value),
		FamilyID:  familyID,
		ClientID:  clientID,
		UserID:    userID,
		SessionID: sessionID,
		Scopes:    []string{"openid", "email", "offline_access"},
		AMR:       []string{"pwd", "otp"},
		ACR:       "urn:gatehouse:mfa",
		AuthTime:  t0.Add(-time.Minute),
		CreatedAt: t0,
		ExpiresAt: t0.Add(7 * 24 * time.Hour),
	}
}

// mkAuthRequest creates a pending request made at t0-1m, expiring at t0+10m.
func mkAuthRequest(t *testing.T, s store.Store, tenantID, clientID string) *store.AuthRequest {
	t.Helper()
	r := &store.AuthRequest{
		ID:                  store.NewID(),
		TenantID:            tenantID,
		ClientID:            clientID,
		RedirectURI:         "https://desk.example.com/cb",
		Scopes:              []string{"openid", "email", "profile"},
		State:               "state-xyz",
		Nonce:               "nonce-abc",
		ResponseType:        "code",
		ResponseMode:        "query",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login", "consent"},
		MaxAge:              ptr(int64(0)),
		LoginHint:           "agent@example.com",
		HintUserID:          "hint-user",
		ACRValues:           []string{"urn:gatehouse:mfa"},
		CreatedAt:           t0.Add(-time.Minute),
		ExpiresAt:           t0.Add(10 * time.Minute),
		BrowserBinding:      hash("browser-" + clientID),
	}
	if err := s.CreateAuthRequest(ctx(t), r); err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	return r
}

// complete finishes the login of r at t0 for user/session and attaches hash(code).
func complete(t *testing.T, s store.Store, r *store.AuthRequest, userID, sessionID, code string) {
	t.Helper()
	r.UserID, r.SessionID = userID, sessionID
	r.AuthTime = t0.Add(-30 * time.Second)
	r.AMR = []string{"pwd", "webauthn"}
	r.ACR = "urn:gatehouse:mfa"
	if err := s.CompleteAuthRequest(ctx(t), r, t0); err != nil {
		t.Fatalf("CompleteAuthRequest: %v", err)
	}
	if err := s.SetAuthCode(ctx(t), r.TenantID, r.ID, hash(code)); err != nil {
		t.Fatalf("SetAuthCode: %v", err)
	}
	r.CodeHash = hash(code)
}

func mkKey(t *testing.T, s store.Store, tenantID, kid string, created time.Time) *store.SigningKey {
	t.Helper()
	k := &store.SigningKey{
		ID:        kid,
		TenantID:  tenantID,
		Algorithm: "ES256",
		Sealed:    []byte("sealed-" + kid),
		PublicJWK: []byte(`{"kty":"EC","crv":"P-256","kid":"` + kid + `"}`),
		CreatedAt: created,
	}
	if err := s.CreateSigningKey(ctx(t), k); err != nil {
		t.Fatalf("CreateSigningKey(%s): %v", kid, err)
	}
	return k
}

// mkActionToken creates a token with hash(value), made at t0, expiring at t0+1h.
func mkActionToken(t *testing.T, s store.Store, tenantID, userID, kind, value string) *store.ActionToken {
	t.Helper()
	a := &store.ActionToken{
		Hash:      hash(value),
		TenantID:  tenantID,
		Kind:      kind,
		UserID:    userID,
		CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour),
	}
	if err := s.CreateActionToken(ctx(t), a); err != nil {
		t.Fatalf("CreateActionToken: %v", err)
	}
	return a
}

// world is one tenant with a user, a client, an active session and a refresh
// token of family "fam-1" (value "rt-1") on that session.
type world struct {
	tenant  *store.Tenant
	user    *store.User
	client  *store.Client
	session *store.Session
	refresh *store.RefreshToken
}

func mkWorld(t *testing.T, s store.Store, slug string) *world {
	t.Helper()
	w := &world{tenant: mkTenant(t, s, slug)}
	w.user = mkUser(t, s, w.tenant.ID, "agent@"+slug+".example.com")
	w.client = mkClient(t, s, w.tenant.ID, "desk-"+slug)
	w.session = mkSession(t, s, w.tenant.ID, w.user.ID)
	w.refresh = mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-1", slug+"-rt-1")
	return w
}

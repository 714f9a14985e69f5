package idp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/google"
	"github.com/gatehouse-idp/gatehouse/federation/microsoft"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Federation runtime: opened connectors (cached per connection version so
// their JWKS caches and refetch cooldowns survive between sign-ins), the
// browser-bound flow cookie, and the upstream amr rules.

// DefaultUpstreamTimeout bounds every request to an upstream (discovery,
// token, JWKS, userinfo) when Options.UpstreamHTTPClient is not set.
const DefaultUpstreamTimeout = 10 * time.Second

// Lifetimes of the federation steps.
const (
	fedFlowTTL  = 10 * time.Minute // from the button to the upstream's callback
	fedProofTTL = 10 * time.Minute // to type the local password before linking
	// maxProofAttempts bounds password guesses per upstream sign-in.
	maxProofAttempts = 5
)

func defaultUpstreamClient() *http.Client {
	return &http.Client{Timeout: DefaultUpstreamTimeout}
}

type connectorEntry struct {
	conn    federation.Connector
	updated time.Time
}

// connectorCache keeps one opened connector per connection version.
type connectorCache struct {
	mu sync.Mutex
	m  map[[2]string]connectorEntry
}

func newConnectorCache() *connectorCache {
	return &connectorCache{m: map[[2]string]connectorEntry{}}
}

func (c *connectorCache) forget(tenantID, id string) {
	c.mu.Lock()
	delete(c.m, [2]string{tenantID, id})
	c.mu.Unlock()
}

// connector returns the opened connector for c, running discovery the first
// time and after every change of the connection.
func (s *Server) connector(ctx context.Context, t *store.Tenant, c *store.Connection) (federation.Connector, error) {
	k := [2]string{t.ID, c.ID}
	s.connectors.mu.Lock()
	e, ok := s.connectors.m[k]
	s.connectors.mu.Unlock()
	if ok && e.updated.Equal(c.UpdatedAt) {
		return e.conn, nil
	}
	secret, err := s.openSecret(t, c)
	if err != nil {
		return nil, err
	}
	cfg, err := s.connectorConfig(t.Slug, c, secret)
	if err != nil {
		return nil, err
	}
	conn, err := federation.New(ctx, cfg, s.upstreamHTTP, federation.Clock(s.clock))
	if err != nil {
		return nil, err
	}
	s.connectors.mu.Lock()
	s.connectors.m[k] = connectorEntry{conn: conn, updated: c.UpdatedAt}
	s.connectors.mu.Unlock()
	return conn, nil
}

// enabledConnection loads a connection that may be used to sign in or link.
func (s *Server) enabledConnection(ctx context.Context, t *store.Tenant, id string) (*store.Connection, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	c, err := s.store.ConnectionByID(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	if !c.Enabled {
		return nil, store.ErrNotFound
	}
	return c, nil
}

// linkPolicy is the connection's linking and provisioning settings.
func linkPolicy(c *store.Connection) federation.LinkPolicy {
	return federation.LinkPolicy{JITProvisioning: c.JIT, DefaultRole: c.DefaultRole,
		LinkMode: federation.LinkMode(c.LinkMode), ProviderName: c.Name}
}

// upstreamOrigin is the origin the browser is sent to for c, for the
// pages' form-action CSP (a form POST that redirects elsewhere is checked
// against form-action too).
func upstreamOrigin(c *store.Connection) string {
	st, err := settingsOf(c)
	if err != nil {
		return ""
	}
	raw := st.Issuer
	switch c.Kind {
	case store.ConnectionGoogle:
		if raw == "" {
			raw = google.DefaultIssuer
		}
	case store.ConnectionMicrosoft:
		raw = st.IssuerBase
		if raw == "" {
			raw = microsoft.DefaultIssuerBase
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ---- the flow cookie ----

// Flow purposes.
const (
	flowLogin   = "login"   // sign in for an auth request
	flowConnect = "connect" // a signed-in user connects an upstream account
	flowProof   = "proof"   // the user proves the local account before linking
)

// fedFlow is what the browser carries between the steps, sealed (AES-GCM
// under a key derived from the master key, bound to the tenant), so it can
// neither read the nonce and PKCE verifier nor forge one. The state it
// names is single-use in the database.
type fedFlow struct {
	Purpose       string   `json:"p"`
	ConnectionID  string   `json:"c"`
	AuthRequestID string   `json:"a,omitempty"`
	UserID        string   `json:"u,omitempty"` // connect: signed-in user; proof: local account
	SessionID     string   `json:"s,omitempty"` // connect
	State         string   `json:"st"`
	Nonce         string   `json:"n,omitempty"`
	Verifier      string   `json:"v,omitempty"`
	ExpiresAt     int64    `json:"e"`
	Identity      *pending `json:"i,omitempty"` // proof
	Attempts      int      `json:"k,omitempty"` // proof
}

// pending is the upstream identity waiting for proof.
type pending struct {
	Issuer      string   `json:"is"`
	Subject     string   `json:"su"`
	Email       string   `json:"em"`
	AMR         []string `json:"am,omitempty"`
	UpstreamMFA bool     `json:"mf,omitempty"`
}

const sealFlowPurpose = "gatehouse/federation-flow/v1"

// flowKind names the cookie a purpose travels in: the round trip to the
// upstream (login or connect) or the proof step.
func flowKind(purpose string) string {
	if purpose == flowProof {
		return "proof"
	}
	return "rt"
}

func (s *Server) flowCookieName(t *store.Tenant, purpose string) string {
	base := "gh_fed_"
	if flowKind(purpose) == "proof" {
		base = "gh_fedlink_"
	}
	if s.dev {
		return base + t.Slug
	}
	return "__Host-" + base + t.Slug
}

// saveFlow records f.State as single-use in the database and sets the
// cookie.
func (s *Server) saveFlow(ctx context.Context, w http.ResponseWriter, t *store.Tenant, f *fedFlow, ttl time.Duration) error {
	now := s.clock()
	f.ExpiresAt = now.Add(ttl).Unix()
	if err := s.store.CreateFederationState(ctx, &store.FederationState{TenantID: t.ID, Hash: seal.HashToken(f.State),
		ConnectionID: f.ConnectionID, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return err
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(sealFlowPurpose, t.ID+"/"+flowKind(f.Purpose), plain)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.flowCookieName(t, f.Purpose), Value: base64.RawURLEncoding.EncodeToString(sealed),
		Path: "/", MaxAge: int(ttl.Seconds()), HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// readFlow opens the flow cookie purpose travels in; ok=false when it is
// missing, forged, of another tenant or kind, or expired. Callers check
// f.Purpose.
func (s *Server) readFlow(r *http.Request, t *store.Tenant, purpose string) (*fedFlow, bool) {
	c, err := r.Cookie(s.flowCookieName(t, purpose))
	if err != nil || len(c.Value) > 4096 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, false
	}
	plain, err := s.sealer.Open(sealFlowPurpose, t.ID+"/"+flowKind(purpose), raw)
	if err != nil {
		return nil, false
	}
	var f fedFlow
	if json.Unmarshal(plain, &f) != nil || flowKind(f.Purpose) != flowKind(purpose) {
		return nil, false
	}
	if s.clock().Unix() >= f.ExpiresAt {
		return nil, false
	}
	return &f, true
}

func (s *Server) clearFlow(w http.ResponseWriter, t *store.Tenant, purpose string) {
	http.SetCookie(w, &http.Cookie{Name: s.flowCookieName(t, purpose), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode})
}

// consumeFlow makes the flow's state single-use: a replayed callback or
// proof form fails here even with a copy of the cookie.
func (s *Server) consumeFlow(ctx context.Context, t *store.Tenant, f *fedFlow) error {
	return s.store.ConsumeFederationState(ctx, t.ID, f.ConnectionID, seal.HashToken(f.State), s.clock())
}

// ---- amr ----

// rfc8176 are the registered amr values an upstream may contribute.
var rfc8176 = []string{"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
	"rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia"}

// upstreamAMR is what the upstream's amr adds to Gatehouse's own: the
// registered RFC 8176 values it asserted, except "mfa" unless the
// connection accepts upstream MFA (then MethodUpstreamMFA adds it).
// Anything else (free text, Gatehouse's own "fed") is dropped.
func upstreamAMR(amr []string, acceptMFA bool) []string {
	var out []string
	for _, v := range amr {
		if !slices.Contains(rfc8176, v) || slices.Contains(out, v) || (v == policy.AMRMFA && !acceptMFA) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// withUpstreamAMR appends upstream amr values that Gatehouse's own list
// lacks. The acr is computed before, from Gatehouse's own methods only.
func withUpstreamAMR(amr, upstream []string) []string {
	for _, v := range upstream {
		if !slices.Contains(amr, v) {
			amr = append(amr, v)
		}
	}
	return amr
}

// fedMethods are the methods a federated sign-in used.
func fedMethods(c *store.Connection, upstreamMFA bool, extra ...policy.Method) []policy.Method {
	m := []policy.Method{policy.MethodFederated}
	m = append(m, extra...)
	if c.AcceptUpstreamMFA && upstreamMFA {
		m = append(m, policy.MethodUpstreamMFA)
	}
	return m
}

// refusalReason is the short audit code of a federation or linking error.
func refusalReason(err error) string {
	var ue *federation.UpstreamError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ue):
		return "upstream_error"
	case errors.Is(err, federation.ErrUpstreamUnavailable):
		return "upstream_unavailable"
	case errors.Is(err, federation.ErrDomainNotAllowed):
		return "domain_not_allowed"
	case errors.Is(err, federation.ErrTenantNotAllowed):
		return "tenant_not_allowed"
	case errors.Is(err, federation.ErrIssuerMismatch):
		return "issuer_mismatch"
	case errors.Is(err, federation.ErrNonceMissing):
		return "nonce_missing"
	case errors.Is(err, federation.ErrNonceMismatch):
		return "nonce_mismatch"
	case errors.Is(err, federation.ErrStateMismatch):
		return "state_mismatch"
	case errors.Is(err, federation.ErrInvalidCallback):
		return "invalid_callback"
	case errors.Is(err, federation.ErrTokenInvalid):
		return "token_invalid"
	case errors.Is(err, federation.ErrInvalidConfig):
		return "misconfigured"
	case errors.Is(err, federation.ErrEmailMissing):
		return "email_missing"
	case errors.Is(err, federation.ErrEmailNotVerified):
		return "email_not_verified"
	case errors.Is(err, federation.ErrLinkingDisabled):
		return "linking_disabled"
	case errors.Is(err, federation.ErrAlreadyLinked):
		return "already_linked"
	case errors.Is(err, federation.ErrNoProofAvailable):
		return "no_proof_available"
	case errors.Is(err, federation.ErrJITDisabled):
		return "jit_disabled"
	case errors.Is(err, federation.ErrIncompleteIdentity):
		return "incomplete_identity"
	case errors.Is(err, store.ErrAlreadyUsed):
		return "state_replayed"
	case errors.Is(err, store.ErrExpired):
		return "state_expired"
	}
	return "error"
}

package upstream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Flow purposes.
const (
	FlowLogin   = "login"   // sign in for an auth request
	FlowConnect = "connect" // a signed-in user connects an upstream account
	FlowProof   = "proof"   // the user proves the local account before linking
)

// Lifetimes of the flows.
const (
	FlowTTL  = 10 * time.Minute // from the button to the upstream's callback
	ProofTTL = 10 * time.Minute // to prove the local account before linking
)

// Flow is what the browser carries between the steps, sealed (AES-GCM
// under a key derived from the master key, bound to the tenant and to the
// cookie's kind), so it can neither read the nonce and PKCE verifier nor
// forge one. The state it names is single-use in the database.
type Flow struct {
	Purpose       string   `json:"p"`
	ConnectionID  string   `json:"c"`
	AuthRequestID string   `json:"a,omitempty"`
	UserID        string   `json:"u,omitempty"` // connect: signed-in user; proof: local account
	SessionID     string   `json:"s,omitempty"` // connect
	State         string   `json:"st"`
	Nonce         string   `json:"n,omitempty"`
	Verifier      string   `json:"v,omitempty"`
	ExpiresAt     int64    `json:"e"`
	Identity      *Pending `json:"i,omitempty"` // proof
	Attempts      int      `json:"k,omitempty"` // proof
}

// Pending is the upstream identity waiting for proof of the local account.
type Pending struct {
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
	if purpose == FlowProof {
		return "proof"
	}
	return "rt"
}

func (s *Service) cookieName(t *store.Tenant, purpose string) string {
	base := "gh_fed_"
	if flowKind(purpose) == "proof" {
		base = "gh_fedlink_"
	}
	if s.Dev {
		return base + t.Slug
	}
	return "__Host-" + base + t.Slug
}

// NewFlow returns a round trip's flow with fresh state, nonce and PKCE
// verifier.
func (s *Service) NewFlow(purpose, connID string) (*Flow, error) {
	state, err := federation.NewState(s.Rand)
	if err != nil {
		return nil, err
	}
	nonce, err := federation.NewNonce(s.Rand)
	if err != nil {
		return nil, err
	}
	pk, err := federation.NewPKCE(s.Rand)
	if err != nil {
		return nil, err
	}
	return &Flow{Purpose: purpose, ConnectionID: connID, State: state, Nonce: nonce, Verifier: pk.Verifier}, nil
}

// SaveFlow records f.State as single-use in the database for ttl and sets
// the cookie.
func (s *Service) SaveFlow(ctx context.Context, w http.ResponseWriter, t *store.Tenant, f *Flow, ttl time.Duration) error {
	now := s.Clock()
	f.ExpiresAt = now.Add(ttl).Unix()
	if err := s.Store.CreateFederationState(ctx, &store.FederationState{TenantID: t.ID, Hash: seal.HashToken(f.State),
		ConnectionID: f.ConnectionID, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return err
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sealed, err := s.Sealer.Seal(sealFlowPurpose, t.ID+"/"+flowKind(f.Purpose), plain)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(t, f.Purpose), Value: base64.RawURLEncoding.EncodeToString(sealed),
		Path: "/", MaxAge: int(ttl.Seconds()), HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// ReadFlow opens the flow cookie purpose travels in; ok=false when it is
// missing, forged, of another tenant or kind, or expired. Callers check
// f.Purpose.
func (s *Service) ReadFlow(r *http.Request, t *store.Tenant, purpose string) (*Flow, bool) {
	c, err := r.Cookie(s.cookieName(t, purpose))
	if err != nil || len(c.Value) > 4096 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, false
	}
	plain, err := s.Sealer.Open(sealFlowPurpose, t.ID+"/"+flowKind(purpose), raw)
	if err != nil {
		return nil, false
	}
	var f Flow
	if json.Unmarshal(plain, &f) != nil || flowKind(f.Purpose) != flowKind(purpose) {
		return nil, false
	}
	if s.Clock().Unix() >= f.ExpiresAt {
		return nil, false
	}
	return &f, true
}

// ClearFlow deletes the cookie purpose travels in.
func (s *Service) ClearFlow(w http.ResponseWriter, t *store.Tenant, purpose string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(t, purpose), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode})
}

// ConsumeFlow makes the flow's state single-use: a replayed callback or
// proof form fails here even with a copy of the cookie.
func (s *Service) ConsumeFlow(ctx context.Context, t *store.Tenant, f *Flow) error {
	return s.Store.ConsumeFederationState(ctx, t.ID, f.ConnectionID, seal.HashToken(f.State), s.Clock())
}

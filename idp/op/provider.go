package op

import (
	"fmt"
	"net/http"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// apiCORSOptions: token, userinfo, JWKS, discovery and revocation are called
// from browsers by SPAs; none of them uses cookies, so no origin gets
// credentials. apiCORS applies them to the endpoints Gatehouse serves itself.
var (
	apiCORSOptions = cors.Options{
		AllowedOrigins:   []string{"*"},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept"},
		AllowCredentials: false,
	}
	apiCORS = cors.New(apiCORSOptions)
)

// tenantProvider is one tenant's zitadel/oidc OpenID provider, mounted under
// /t/{slug}. Providers are built on first use and kept for the process.
type tenantProvider struct {
	tenant  *store.Tenant
	op      *op.Provider
	storage *opStorage
	keySet  oidc.KeySet
	// verified caches access tokens this tenant's keys verified (never
	// shared across tenants: a hit must mean "verified by this issuer").
	verified *verifiedTokens
}

// provider returns the tenant's provider, building it on first use.
func (h *Handler) provider(t *store.Tenant) (*tenantProvider, error) {
	if p, ok := h.providers.Load(t.ID); ok {
		return p.(*tenantProvider), nil
	}
	p, err := h.newProvider(t)
	if err != nil {
		return nil, err
	}
	actual, _ := h.providers.LoadOrStore(t.ID, p)
	return actual.(*tenantProvider), nil
}

func (h *Handler) newProvider(t *store.Tenant) (*tenantProvider, error) {
	issuer := h.Issuer(t.Slug)
	storage := &opStorage{h: h, tenant: t}
	ks := h.Keys.Verifier(t.ID)
	var cryptoKey [32]byte
	copy(cryptoKey[:], h.Sealer.Derive("gatehouse/op-crypto/v1/"+t.ID))
	cfg := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: issuer + "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		RequestObjectSupported:   false,
		// Back-channel logout (idp/session): logout tokens carry sid.
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
		SupportedScopes:                   []string{"openid", "profile", "email", "offline_access"},
	}
	opts := []op.Option{
		op.WithAccessTokenKeySet(ks),
		op.WithIDTokenHintKeySet(ks),
		op.WithCORSOptions(&apiCORSOptions),
		op.WithHttpInterceptors(h.captureHTTP),
	}
	if h.Insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, storage, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: provider for tenant %s: %w", t.Slug, err)
	}
	return &tenantProvider{tenant: t, op: p, storage: storage, keySet: ks, verified: newVerifiedTokens(50000, h.Clock)}, nil
}

// captureHTTP puts the HTTP exchange into the context zitadel hands to storage.
func (h *Handler) captureHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, web.Rebind(w, r))
	})
}

// serveOP hands the request to the tenant's zitadel provider, path relative
// to the issuer.
func (h *Handler) serveOP(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	http.StripPrefix("/t/"+p.tenant.Slug, p.op).ServeHTTP(w, r)
}

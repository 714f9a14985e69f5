package idp

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/account"
	"github.com/gatehouse-idp/gatehouse/idp/admin"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/login"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/op"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

// Options are what a Server is built from. Only Store, Sealer and PublicURL
// are required.
type Options struct {
	Store     store.Store
	Sealer    *seal.Sealer
	Hasher    *password.Hasher
	PublicURL string // no trailing slash
	// Dev: plain-HTTP cookies, /dev pages. Never in production.
	Dev bool
	// AllowInsecure lets an http:// PublicURL through outside dev.
	AllowInsecure bool
	Clock         func() time.Time
	Rand          io.Reader
	Logger        *slog.Logger
	// TrustedProxies are CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	Metrics        *Metrics
	// BackchannelClient posts OpenID Connect back-channel logout tokens to
	// relying parties; nil means a client with a 5 s timeout that follows no redirects.
	BackchannelClient *http.Client
	// UpstreamHTTPClient talks to upstream identity providers (federation:
	// discovery, token, JWKS, userinfo). It must have a Timeout; default:
	// upstream.DefaultClient, with upstream.DefaultTimeout.
	UpstreamHTTPClient *http.Client

	// Second factors (docs/mfa.md). EmailSender delivers email codes and
	// notifications (nil: email off); SMSSenders are the configured SMS
	// providers by name ("twilio", "webhook"), DefaultSMSProvider the one a
	// tenant without its own choice uses; Locate names client locations
	// (nil: the /24 or /48 network); Outbox is listed on /dev/outbox in dev
	// mode only; OTPRules overrides the emailed/texted code rules.
	EmailSender        notify.EmailSender
	SMSSenders         map[string]notify.SMSSender
	DefaultSMSProvider string
	Locate             login.LocationFunc
	Outbox             *notify.Outbox
	OTPRules           *otp.Rules
	// WebAuthnRPID is the passkey relying-party id: the host of PublicURL
	// when empty, or a registrable suffix of it ("example.com" for
	// login.example.com) so passkeys work across its subdomains. Passkeys
	// are off when it is an IP address (browsers refuse those).
	WebAuthnRPID string
	// CLI marks a management command's process: what it records outside
	// any HTTP request is the CLI's (audit actor "cli", not "system"), and
	// it prints no warnings that only matter to a server (passkeys off).
	CLI bool
}

// Server is the Gatehouse HTTP application: one OpenID provider per tenant,
// login pages, health and metrics.
type Server struct {
	store     store.Store
	sealer    *seal.Sealer
	hasher    *password.Hasher
	keys      *keys.Manager
	publicURL string
	dev       bool
	clock     func() time.Time
	rand      io.Reader
	log       *slog.Logger
	metrics   *Metrics
	auditor   *audit.Recorder
	proxies   *web.Proxies
	sessions  *session.Service
	passwords *manage.Passwords
	manage    *manage.Service // tenants, clients, users, connections, ... for the CLI

	mailer *mailer.Service // security emails

	tenants *tenant.Tenants
	clients *tenant.Clients
	users   *tenant.Users
	pages   *web.Pages
	gate    *web.IPGate // the tenant IP allowlists

	op       *op.Handler       // the OpenID provider of every tenant
	admin    *admin.Handler    // the admin API (the audit log)
	upstream *upstream.Service // upstream connectors and the federation flow
	factors  *factors.Service  // second factors and the credential guard

	login   *login.Handler   // the sign-in transaction (idp/login)
	account *account.Handler // the self-service pages (account_wiring.go)

	outbox *notify.Outbox     // dev only
	locate login.LocationFunc // never nil after New

	routePatterns []string // mounted by Handler (route_table.go)
}

// maxTokenLifetime bounds every token a key may have signed (ID and access
// tokens live minutes); a retired key stays published this long.
const maxTokenLifetime = 24 * time.Hour

// New builds a Server.
func New(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(password.OWASP(), 0, nil)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.UpstreamHTTPClient == nil {
		o.UpstreamHTTPClient = upstream.DefaultClient()
	}
	if o.BackchannelClient == nil {
		o.BackchannelClient = session.NewBackchannelClient()
	}
	proxies, err := web.NewProxies(o.TrustedProxies)
	if err != nil {
		return nil, err
	}
	pg, err := web.NewPages(o.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:     o.Store,
		sealer:    o.Sealer,
		hasher:    o.Hasher,
		publicURL: strings.TrimSuffix(o.PublicURL, "/"),
		dev:       o.Dev,
		clock:     o.Clock,
		rand:      o.Rand,
		log:       o.Logger,
		metrics:   o.Metrics,
		auditor: &audit.Recorder{Store: o.Store, Clock: o.Clock, Logger: o.Logger, Request: web.RequestInfo,
			Outside: outsideActor(o.CLI), Locate: eventLocation(o.Locate)},
		proxies: proxies,
		pages:   pg,
		outbox:  o.Outbox,
		locate:  o.Locate,
	}
	if s.locate == nil {
		s.locate = login.NetworkLocation
	}
	s.gate = &web.IPGate{Pages: pg, Log: o.Logger, Refused: s.refuseIP}
	s.upstream = &upstream.Service{Store: o.Store, Sealer: o.Sealer, HTTP: o.UpstreamHTTPClient, Clock: o.Clock, Rand: o.Rand,
		Dev: o.Dev, TenantURL: s.tenantURL}
	s.keys = keys.New(o.Store, o.Sealer, o.Clock, maxTokenLifetime)
	s.tenants = tenant.NewTenants(o.Store, o.Clock)
	s.clients = tenant.NewClients(o.Store, o.Clock)
	s.users = tenant.NewUsers(o.Store, o.Clock)
	tmpl, err := mailer.ParseTemplates()
	if err != nil {
		return nil, err
	}
	s.mailer = &mailer.Service{Sender: o.EmailSender, Templates: tmpl, Tenants: s.tenants, Clock: o.Clock, Logger: o.Logger,
		Hold: account.HoldMail}
	s.sessions = &session.Service{
		Store: o.Store, Tenants: s.tenants, Keys: s.keys, Audit: s.auditor, Log: o.Logger, Clock: o.Clock, Rand: o.Rand,
		CookieKey: o.Sealer.Derive("gatehouse/session-cookie/v1"), Dev: o.Dev,
		Backchannel: o.BackchannelClient, Issuer: s.tenantURL,
	}
	s.passwords = &manage.Passwords{Store: o.Store, Tenants: s.tenants, Hasher: o.Hasher, Sessions: s.sessions,
		Audit: s.auditor, Log: o.Logger, Clock: o.Clock,
		Changed: func(ctx context.Context, t *store.Tenant, u *store.User) {
			s.mailer.Notify(ctx, t, u, mailer.PasswordChanged, nil)
		}}
	s.op = &op.Handler{Store: o.Store, Sealer: o.Sealer, Keys: s.keys, Tenants: s.tenants, Clients: s.clients, Users: s.users,
		Sessions: s.sessions, Audit: s.auditor, Pages: pg, Gate: s.gate, Log: o.Logger, Clock: o.Clock, Rand: o.Rand,
		Insecure: o.Dev || o.AllowInsecure, Dev: o.Dev, Issuer: s.tenantURL, Tokens: s.metrics.tokens}
	if s.factors, err = s.newFactors(o); err != nil {
		return nil, err
	}
	s.manage = &manage.Service{Store: o.Store, Tenants: s.tenants, Keys: s.keys, Hasher: o.Hasher, Sessions: s.sessions,
		Upstream: s.upstream, Audit: s.auditor, Clock: o.Clock, Rand: o.Rand, TenantURL: s.tenantURL, Locate: s.locate,
		ResetFactors: s.factors.ResetMFA, ClearFailures: s.factors.ClearFailures}
	s.login = s.newLogin(o)
	s.account = s.newAccount()
	s.admin = s.newAdmin()
	return s, nil
}

// eventLocation names the place of an event's IP for the audit log when a
// locator (GeoIP) is configured; without one, events carry no location
// (the network fallback is a key, not a place).
func eventLocation(locate login.LocationFunc) func(ip string) string {
	if locate == nil {
		return nil
	}
	return func(ip string) string {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return ""
		}
		_, label := locate(addr)
		return label
	}
}

// outsideActor is the audit actor of events recorded outside any request.
func outsideActor(cli bool) string {
	if cli {
		return store.ActorCLI
	}
	return store.ActorSystem
}

// newFactors builds the second-factor service and credential guard.
func (s *Server) newFactors(o Options) (*factors.Service, error) {
	rules := otp.DefaultRules()
	if o.OTPRules != nil {
		if err := o.OTPRules.Validate(); err != nil {
			return nil, err
		}
		rules = *o.OTPRules
	}
	if o.DefaultSMSProvider != "" && o.SMSSenders[o.DefaultSMSProvider] == nil {
		return nil, fmt.Errorf("idp: default SMS provider %q is not configured", o.DefaultSMSProvider)
	}
	rp, err := factors.RelyingParty(s.publicURL, o.WebAuthnRPID, o.Rand, o.Clock)
	if err != nil && !o.CLI { // a server's concern; a CLI command signs no one in
		s.log.Warn("passkeys are off", "err", err)
	}
	pepper, codeKey := factors.CodeKeys(o.Sealer)
	f := &factors.Service{
		Store: o.Store, Sealer: o.Sealer, Hasher: o.Hasher, Tenants: s.tenants, Audit: s.auditor,
		Log: s.log, Clock: o.Clock, Rand: o.Rand,
		SMS: o.SMSSenders, DefaultSMS: o.DefaultSMSProvider, Rules: rules, RP: rp, Pepper: pepper, CodeKey: codeKey,
		Notify: s.mailer.Notify,
		Checks: s.metrics.verifications, Throttled: s.metrics.policy.throttled, Locks: s.metrics.policy.locks,
	}
	if s.mailer.CanSend() {
		f.SendEmail = s.mailer.Send
	}
	return f, nil
}

// Wait blocks until the emails sent in the background have gone out.
func (s *Server) Wait() {
	s.admin.Exports.Wait() // an export's end sends an email
	s.mailer.Wait()
}

// Manage is the management service behind the CLI (tenants, clients,
// users, connections, allowlists, sessions, devices, setup links).
func (s *Server) Manage() *manage.Service { return s.manage }

// tenantURL is the issuer of a tenant.
func (s *Server) tenantURL(slug string) string { return s.publicURL + "/t/" + slug }

// audit appends a security event (audit.Recorder: a failure is logged, never silent).
func (s *Server) audit(ctx context.Context, e *store.AuditEvent) { s.auditor.Record(ctx, e) }

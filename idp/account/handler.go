package account

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Store is what the account pages read and write directly: the user and
// their sessions, links, factors, backup codes and remembered browsers,
// and the names of connections and clients. Everything else goes through a
// service (session, factors, passwords, the device centre).
type Store interface {
	UserByID(ctx context.Context, tenantID, id string) (*store.User, error)
	SessionByID(ctx context.Context, tenantID, id string) (*store.Session, error)
	ClientByID(ctx context.Context, tenantID, clientID string) (*store.Client, error)

	ListConnections(ctx context.Context, tenantID string) ([]*store.Connection, error)
	ConnectionByID(ctx context.Context, tenantID, id string) (*store.Connection, error)
	ListUserLinks(ctx context.Context, tenantID, userID string) ([]*store.Link, error)
	DeleteLink(ctx context.Context, tenantID, userID, connectionID, issuer, subject string) error

	FactorByID(ctx context.Context, tenantID, userID, id string) (*store.Factor, error)
	UpdateFactor(ctx context.Context, f *store.Factor) error
	SetDefaultFactor(ctx context.Context, tenantID, userID, id string) error
	BackupCodeSet(ctx context.Context, tenantID, userID string) (*store.BackupCodeSet, error)
	AcknowledgeBackupCodes(ctx context.Context, tenantID, userID, setID string, now time.Time) error

	ListDevices(ctx context.Context, tenantID, userID string) ([]*store.KnownDevice, error)
	ForgetRememberedDevices(ctx context.Context, tenantID, userID string) error

	// The activity page: the user's own audit events.
	ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error)
}

// Devices is the device centre the devices page shows and changes
// (manage.Service's): list a user's known browsers and locations; block,
// unblock or forget one, audited.
type Devices interface {
	UserDevices(ctx context.Context, t *store.Tenant, userID string, r *http.Request) ([]manage.DeviceView, error)
	ChangeDevice(ctx context.Context, t *store.Tenant, userID, kind, id, action string, current *http.Request, via string) error
}

// Handler serves the self-service pages under /t/{tenant}/account. Every
// field is required; New in package idp wires them.
type Handler struct {
	Store     Store
	Sessions  *session.Service  // the SSO session, sign-in requests bound to the browser
	Factors   *factors.Service  // second factors, backup codes, passkeys, the credential guard
	Passwords *manage.Passwords // the tenant password policy and history
	Devices   Devices           // the device centre (manage.Service)
	Upstream  *upstream.Service // connections and the federation flow
	Mailer    *mailer.Service   // the one email of a sensitive action
	Audit     *audit.Recorder
	Pages     *web.Pages
	Sealer    *seal.Sealer // the passkey registration cookie
	Log       *slog.Logger
	Clock     func() time.Time
	Dev       bool // plain-HTTP cookie names
	// TenantURL is a tenant's issuer URL ({public_url}/t/{slug}).
	TenantURL func(slug string) string
	// Locate names the location of a client address (sessions page).
	Locate func(ip netip.Addr) (key, label string)

	// What the account pages need from their siblings, wired by the root:

	// LoggedOut renders the OP's "you are signed out" page (idp/op) after
	// the account page's sign-out.
	LoggedOut web.TenantHandler
	// RedirectUpstream stores the federation flow f and redirects the browser
	// to connection c: connecting an account is a round trip through the
	// sign-in side's federated callback (idp/login), which finishes it and
	// calls Connected.
	RedirectUpstream func(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *store.Connection, f *upstream.Flow)
}

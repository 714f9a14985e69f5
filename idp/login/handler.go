package login

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Handler serves the sign-in transaction. The root builds one (idp.New);
// every field is required unless its comment says otherwise.
type Handler struct {
	Store     Store
	Clients   *tenant.Clients // the application's name on the sign-in page
	Sessions  *session.Service
	Factors   *factors.Service
	Upstream  *upstream.Service
	Mailer    *mailer.Service
	Passwords *manage.Passwords
	Hasher    *password.Hasher // the first owner's password (setup)
	Sealer    *seal.Sealer     // keys the expired-password step's MAC
	Pages     *web.Pages
	Gate      *web.IPGate // the sign-in allowlist, applied again before a sign-in completes
	Audit     *audit.Recorder
	Log       *slog.Logger
	Clock     func() time.Time
	Rand      io.Reader
	// Locate names client locations; nil: the /24 or /48 network.
	Locate LocationFunc
	// Logins counts sign-in attempts by method and result; Throttled the
	// sign-ins refused, by reason (here: a blocked browser or location).
	Logins    *prometheus.CounterVec
	Throttled *prometheus.CounterVec
	// TenantURL is the issuer of the tenant with this slug; every link and
	// form action is built from it, never from the request.
	TenantURL func(slug string) string

	// What siblings own, wired by the root.

	// LoginRequired answers a prompt=none request that cannot complete
	// without showing a page: error=login_required at the app's redirect
	// URI, as the OP's authorization endpoint answers (idp/op).
	LoginRequired func(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest)
	// Connected tells the user that an upstream account was connected to
	// their account. The connect starts on the account page behind the
	// sensitive-action guard (idp/account) and completes here, on the
	// upstream's redirect, outside the guarded request; this is that
	// action's one email, naming the connection and the upstream account's
	// email ("" when the upstream shared none).
	Connected func(ctx context.Context, t *store.Tenant, u *store.User, connection, email string)
}

// Store is what the sign-in transaction reads and writes: users, its auth
// requests and their login states, second-factor data it shows or
// acknowledges (the checks themselves are factors.Service's), known
// devices and locations, upstream links, and the action tokens of the
// setup and reset links. store.Store satisfies it.
type Store interface {
	UserByID(ctx context.Context, tenantID, id string) (*store.User, error)
	UserByEmail(ctx context.Context, tenantID, email string) (*store.User, error)
	CreateUser(ctx context.Context, u *store.User) error
	CreateFirstOwner(ctx context.Context, hash []byte, owner *store.User, now time.Time) error
	ActionTokenByHash(ctx context.Context, tenantID, kind string, hash []byte) (*store.ActionToken, error)

	AuthRequestByID(ctx context.Context, tenantID, id string) (*store.AuthRequest, error)
	CompleteAuthRequest(ctx context.Context, r *store.AuthRequest, now time.Time) error
	PutLoginState(ctx context.Context, s *store.LoginState) error
	LoginState(ctx context.Context, tenantID, authRequestID string, now time.Time) (*store.LoginState, error)
	AdvanceLoginState(ctx context.Context, s *store.LoginState, from string) error
	DeleteLoginState(ctx context.Context, tenantID, authRequestID string) error

	FactorByID(ctx context.Context, tenantID, userID, id string) (*store.Factor, error)
	BackupCodeSet(ctx context.Context, tenantID, userID string) (*store.BackupCodeSet, error)
	AcknowledgeBackupCodes(ctx context.Context, tenantID, userID, setID string, now time.Time) error

	Device(ctx context.Context, tenantID, userID string, hash []byte) (*store.KnownDevice, error)
	ListDevices(ctx context.Context, tenantID, userID string) ([]*store.KnownDevice, error)
	TouchDevice(ctx context.Context, d *store.KnownDevice) error
	DeviceBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error)
	Location(ctx context.Context, tenantID, userID, key string) (*store.KnownLocation, error)
	TouchLocation(ctx context.Context, l *store.KnownLocation) error
	LocationBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error)

	ListConnections(ctx context.Context, tenantID string) ([]*store.Connection, error)
	LinkByKey(ctx context.Context, tenantID, connectionID, issuer, subject string) (*store.Link, error)
	ListUserLinks(ctx context.Context, tenantID, userID string) ([]*store.Link, error)
	CreateLink(ctx context.Context, l *store.Link) error
	TouchLink(ctx context.Context, tenantID, connectionID, issuer, subject string, now time.Time) error
	RecordFederatedLogin(ctx context.Context, tenantID, authRequestID, connectionID string, now time.Time) error
	AttachFederatedSession(ctx context.Context, tenantID, authRequestID, sessionID string) error

	CreateActionToken(ctx context.Context, t *store.ActionToken) error
	ConsumeActionToken(ctx context.Context, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error)
	RecordLoginFailure(ctx context.Context, tenantID, key string, now time.Time, quiet time.Duration) (store.LoginCounter, error)
}

// tenantURL is the issuer of a tenant.
func (h *Handler) tenantURL(slug string) string { return h.TenantURL(slug) }

// audit appends a security event (audit.Recorder: a failure is logged, never silent).
func (h *Handler) audit(ctx context.Context, e *store.AuditEvent) { h.Audit.Record(ctx, e) }

package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// OpenID Connect Back-Channel Logout 1.0. When a session ends (sign-out,
// "end this session" on the sessions page, a password change, an admin
// revoke), every application the session signed into that registered a
// back-channel logout URI receives a logout token: a JWT signed with the
// tenant's key, carrying iss, aud, iat, exp, jti, sub, sid and the
// back-channel logout event, and never a nonce (section 2.4). It is POSTed
// as application/x-www-form-urlencoded logout_token (2.5). Delivery is
// best effort with a short timeout: a failure is logged and audited, never
// keeps the session alive.

// backchannelEvent is the events member of a logout token.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenTTL: relying parties should refuse older tokens.
const logoutTokenTTL = 2 * time.Minute

// backchannelTimeout bounds one delivery.
const backchannelTimeout = 5 * time.Second

// NewBackchannelClient is the default client for Service.Backchannel: a 5 s
// timeout, and no redirect is followed (a logout token is never sent on to
// another address).
func NewBackchannelClient() *http.Client {
	return &http.Client{Timeout: backchannelTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// RecordClient notes that the session signed into the client: the sessions
// page lists it and it gets a logout token when the session ends.
// Gatehouse's own account pages are not an application; callers do not
// record them.
func (s *Service) RecordClient(ctx context.Context, t *store.Tenant, sess *store.Session, clientID string) {
	if err := s.Store.RecordSessionClient(ctx, t.ID, sess.ID, clientID, s.Clock()); err != nil {
		s.Log.Error("record session client", "tenant", t.Slug, "session_id", sess.ID, "err", err)
	}
}

// backchannelLogout posts a logout token to every client of the session
// with a back-channel URI, in parallel, and waits for them all.
func (s *Service) backchannelLogout(ctx context.Context, t *store.Tenant, sess *store.Session, clients []store.SessionClient) {
	var wg sync.WaitGroup
	for _, c := range clients {
		uri, err := s.Store.BackchannelLogoutURI(ctx, t.ID, c.ClientID)
		if err != nil {
			s.Log.Error("back-channel logout URI", "tenant", t.Slug, "client_id", c.ClientID, "err", err)
			continue
		}
		if uri == "" {
			continue
		}
		wg.Add(1)
		go func(clientID, uri string) {
			defer wg.Done()
			ev := &store.AuditEvent{TenantID: t.ID, Type: audit.SessionBackchannelLogout, UserID: sess.UserID, ClientID: clientID, SessionID: sess.ID,
				Detail: map[string]string{"result": "delivered"}}
			if err := s.postLogoutToken(ctx, t, sess, clientID, uri); err != nil {
				s.Log.Warn("back-channel logout failed", "tenant", t.Slug, "client_id", clientID, "err", err)
				ev.Detail["result"] = "failed"
				ev.Detail["error"] = truncate(err.Error(), 200)
			}
			s.Audit.Record(ctx, ev)
		}(c.ClientID, uri)
	}
	wg.Wait()
}

// logoutTokenClaims are the claims of a logout token.
type logoutTokenClaims struct {
	Issuer   string                    `json:"iss"`
	Audience string                    `json:"aud"`
	IssuedAt int64                     `json:"iat"`
	Expiry   int64                     `json:"exp"`
	JWTID    string                    `json:"jti"`
	Subject  string                    `json:"sub"`
	SID      string                    `json:"sid"`
	Events   map[string]map[string]any `json:"events"`
}

// logoutToken signs a logout token for clientID about sess with the
// tenant's current key.
func (s *Service) logoutToken(ctx context.Context, t *store.Tenant, sess *store.Session, clientID string) (string, error) {
	key, err := s.Keys.SigningKey(ctx, t.ID)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	jti, err := seal.RandomToken(s.Rand, 16)
	if err != nil {
		return "", err
	}
	now := s.Clock()
	claims := logoutTokenClaims{Issuer: s.Issuer(t.Slug), Audience: clientID, IssuedAt: now.Unix(), Expiry: now.Add(logoutTokenTTL).Unix(),
		JWTID: jti, Subject: sess.UserID, SID: sess.ID, Events: map[string]map[string]any{backchannelEvent: {}}}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (s *Service) postLogoutToken(ctx context.Context, t *store.Tenant, sess *store.Session, clientID, uri string) error {
	tok, err := s.logoutToken(ctx, t, sess, clientID)
	if err != nil {
		return err
	}
	// The delivery outlives a cancelled request: the session has ended
	// either way, and its apps should hear of it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backchannelTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.Backchannel.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("relying party answered %d", resp.StatusCode)
	}
	return nil
}

// maxBackchannelURILen bounds a registered URI (the redirect URI limit).
const maxBackchannelURILen = 2048

// The registration problems CheckBackchannelURI reports, shown to the
// admin registering the URI.
const (
	errURITooLong     = web.Message("too long")
	errURINotAbsolute = web.Message("must be an absolute https URI")
	errURIFragment    = web.Message("must not have a fragment")
	errURIUserInfo    = web.Message("must not contain user information (user@)")
	errURINotHTTPS    = web.Message("must use https (http only for loopback addresses)")
)

// CheckBackchannelURI enforces the registration rules for a back-channel
// logout URI: absolute https (http only on loopback), no fragment (spec
// section 2.2), no user information.
func CheckBackchannelURI(raw string) error {
	if len(raw) > maxBackchannelURILen {
		return errURITooLong
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errURINotAbsolute
	}
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errURIFragment
	case u.User != nil:
		return errURIUserInfo
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (isLoopback(u.Hostname()) || u.Hostname() == "localhost"):
		return nil
	}
	return errURINotHTTPS
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

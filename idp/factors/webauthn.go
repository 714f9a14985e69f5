package factors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// Passkeys and security keys (go-webauthn via mfa/webauthn). A ceremony
// begins with options for the browser and a session that the caller keeps
// (in the login state, SaveCeremony/TakeCeremony, or a sealed cookie) and
// uses once to finish. As a second factor or a linking proof the
// assertion is a PasskeyCredential checked through VerifyThrottled; the
// signature counter must advance (one conditional UPDATE), else the key is
// treated as cloned.

// ErrNoPasskey: a second-factor ceremony for a user who has no passkey.
const ErrNoPasskey web.Message = "You have no passkey. Choose another method."

// webauthnUser is the user as the authenticator sees it, with their
// registered credentials.
func (s *Service) webauthnUser(ctx context.Context, tenantID string, u *store.User) (mfawebauthn.User, map[string]*store.Factor, error) {
	wu := mfawebauthn.User{Name: u.Email, DisplayName: u.Name}
	byCred := map[string]*store.Factor{}
	all, err := s.Store.ListFactors(ctx, tenantID, u.ID)
	if err != nil {
		return wu, nil, err
	}
	for _, f := range all {
		if f.Kind != store.FactorWebAuthn || !f.Verified {
			continue
		}
		var c mfawebauthn.Credential
		if err := json.Unmarshal(f.Credential, &c); err != nil {
			return wu, nil, err
		}
		c.SignCount = f.SignCount
		wu.Credentials = append(wu.Credentials, c)
		wu.Handle = f.UserHandle
		byCred[string(f.CredentialID)] = f
	}
	if wu.Handle == nil {
		if wu.Handle, err = mfawebauthn.NewUserHandle(s.Rand); err != nil {
			return wu, nil, err
		}
	}
	return wu, byCred, nil
}

// SaveCeremony keeps a ceremony in the login state (same step).
func (s *Service) SaveCeremony(ctx context.Context, st *store.LoginState, sess *mfawebauthn.Session) error {
	data, err := sess.Marshal()
	if err != nil {
		return err
	}
	st.Ceremony = data
	return s.Store.AdvanceLoginState(ctx, st, st.Step)
}

// TakeCeremony removes the ceremony from the login state and returns it
// (store.ErrNotFound when there is none).
func (s *Service) TakeCeremony(ctx context.Context, st *store.LoginState) (*mfawebauthn.Session, error) {
	if len(st.Ceremony) == 0 {
		return nil, store.ErrNotFound
	}
	sess, err := mfawebauthn.UnmarshalSession(st.Ceremony)
	if err != nil {
		return nil, err
	}
	st.Ceremony = nil
	if err := s.Store.AdvanceLoginState(ctx, st, st.Step); err != nil {
		return nil, err
	}
	return sess, nil
}

// BeginLogin starts a ceremony in which u answers with one of their
// passkeys (a second factor, a linking proof). ErrNoPasskey (in the chain)
// when u has none; any other error is internal.
func (s *Service) BeginLogin(ctx context.Context, tenantID string, u *store.User) ([]byte, *mfawebauthn.Session, error) {
	wu, _, err := s.webauthnUser(ctx, tenantID, u)
	if err != nil {
		return nil, nil, err
	}
	opts, sess, err := s.RP.BeginLogin(wu)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNoPasskey, err)
	}
	return opts, sess, nil
}

// BeginRegistration starts registering a new passkey for u.
func (s *Service) BeginRegistration(ctx context.Context, tenantID string, u *store.User) ([]byte, *mfawebauthn.Session, error) {
	wu, _, err := s.webauthnUser(ctx, tenantID, u)
	if err != nil {
		return nil, nil, err
	}
	return s.RP.BeginRegistration(wu)
}

// FinishRegistration verifies a registration and stores the new, active
// passkey factor.
func (s *Service) FinishRegistration(ctx context.Context, t *store.Tenant, u *store.User, sess *mfawebauthn.Session, body []byte, name string) (*store.Factor, error) {
	wu, _, err := s.webauthnUser(ctx, t.ID, u)
	if err != nil {
		return nil, err
	}
	wu.Handle = sess.Data.UserID // the handle the authenticator was given
	c, err := s.RP.FinishRegistration(wu, sess, body, CleanName(name, store.FactorWebAuthn))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	f := &store.Factor{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, Kind: store.FactorWebAuthn, Name: c.Name,
		CredentialID: c.ID, UserHandle: wu.Handle, SignCount: c.SignCount, Credential: data, CreatedAt: s.Clock()}
	if err := s.Store.CreateFactor(ctx, f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, mfawebauthn.ErrCredentialExists
		}
		return nil, err
	}
	if err := s.activateFactor(ctx, t, u, f); err != nil {
		return nil, err
	}
	return f, nil
}

// BeginPasskeySignIn starts a passwordless sign-in: any discoverable
// passkey of the tenant may answer.
func (s *Service) BeginPasskeySignIn() ([]byte, *mfawebauthn.Session, error) {
	return s.RP.BeginDiscoverableLogin()
}

// FinishPasskeySignIn verifies the answer to a passwordless ceremony and
// returns the passkey's owner (an enabled user of the tenant) and whether
// the authenticator verified the user. Not a guessable secret, so it is
// not reserved against the guard; the owner is set whenever the passkey
// named one, also on a refusal (for the audit log).
func (s *Service) FinishPasskeySignIn(ctx context.Context, tenantID string, sess *mfawebauthn.Session, body []byte) (owner *store.User, userVerified bool, err error) {
	var byCred map[string]*store.Factor
	lookup := func(ctx context.Context, handle []byte) (mfawebauthn.User, error) {
		fs, err := s.Store.FactorsByUserHandle(ctx, tenantID, handle)
		if err != nil || len(fs) == 0 {
			return mfawebauthn.User{}, store.ErrNotFound
		}
		u, err := s.Store.UserByID(ctx, tenantID, fs[0].UserID)
		if err != nil || u.Disabled {
			return mfawebauthn.User{}, store.ErrNotFound
		}
		wu, bc, err := s.webauthnUser(ctx, tenantID, u)
		owner, byCred = u, bc
		return wu, err
	}
	_, res, err := s.RP.FinishDiscoverableLogin(ctx, lookup, sess, body)
	if err != nil {
		return owner, false, err
	}
	if err := s.storeAssertion(ctx, byCred[string(res.CredentialID)], res); err != nil {
		return owner, false, err
	}
	return owner, res.UserVerified, nil
}

// storeAssertion saves a successful assertion: the signature counter must
// advance (one conditional UPDATE), else the key is treated as cloned.
func (s *Service) storeAssertion(ctx context.Context, f *store.Factor, res *mfawebauthn.LoginResult) error {
	if f == nil {
		return mfawebauthn.ErrUnknownCredential
	}
	data, err := json.Marshal(res.Credential)
	if err != nil {
		return err
	}
	err = s.Store.AdvanceSignCount(ctx, f.TenantID, f.ID, res.SignCount, data, s.Clock())
	if errors.Is(err, store.ErrAlreadyUsed) {
		return mfawebauthn.ErrClonedAuthenticator // a clone raced the real key
	}
	return err
}

// AuditClone records a refused cloned authenticator (the counter did not
// advance), whether go-webauthn or the store noticed; other errors are
// not recorded here.
func (s *Service) AuditClone(ctx context.Context, tenantID, userID string, err error) {
	if errors.Is(err, mfawebauthn.ErrClonedAuthenticator) {
		s.audit(ctx, &store.AuditEvent{TenantID: tenantID, Type: audit.MFAWebauthnCloned, UserID: userID})
	}
}

package webauthn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// LoginResult is what a successful login tells the caller to store and audit.
type LoginResult struct {
	// Credential is the stored credential updated by this login: SignCount,
	// BackupState and LastUsedAt. Save it with the atomic counter update
	// described in the package documentation.
	Credential Credential
	// CredentialID identifies the credential used (Credential.ID).
	CredentialID []byte
	// SignCount is the new signature counter (Credential.SignCount).
	SignCount uint32
	// UserVerified says this ceremony verified the user (PIN, biometric):
	// the factor then counts as something you have plus something you
	// know or are.
	UserVerified bool
}

// UserLookup finds the user owning a discoverable credential by its user
// handle, within the current tenant. It returns an error if there is none.
type UserLookup func(ctx context.Context, userHandle []byte) (User, error)

// BeginLogin starts a login by a known user (second factor): only the user's
// credentials are allowed, user verification is preferred.
func (rp *RelyingParty) BeginLogin(user User) (options []byte, session *Session, err error) {
	if len(user.Credentials) == 0 {
		return nil, nil, ErrNoCredentials
	}
	return rp.beginLogin(CeremonyLogin, func(opts ...webauthn.LoginOption) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
		return rp.wa.BeginLogin(user, append(opts,
			webauthn.WithAllowedCredentials(descriptors(user.Credentials)),
			webauthn.WithUserVerification(protocol.VerificationPreferred))...)
	})
}

// BeginDiscoverableLogin starts a passwordless login: the browser offers the
// passkeys it has for RPID, and user verification is required, so the
// passkey alone is a multi-factor authentication.
func (rp *RelyingParty) BeginDiscoverableLogin() (options []byte, session *Session, err error) {
	return rp.beginLogin(CeremonyDiscoverableLogin, func(opts ...webauthn.LoginOption) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
		return rp.wa.BeginDiscoverableLogin(append(opts,
			webauthn.WithUserVerification(protocol.VerificationRequired))...)
	})
}

type beginFunc func(opts ...webauthn.LoginOption) (*protocol.CredentialAssertion, *webauthn.SessionData, error)

func (rp *RelyingParty) beginLogin(c Ceremony, begin beginFunc) ([]byte, *Session, error) {
	challenge, err := rp.challenge()
	if err != nil {
		return nil, nil, err
	}
	assertion, data, err := begin(webauthn.WithChallenge(challenge))
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: begin login: %w", err)
	}
	options, err := json.Marshal(assertion)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode request options: %w", err)
	}
	return options, rp.newSession(c, data), nil
}

// FinishLogin verifies a second-factor assertion (the JSON of the
// PublicKeyCredential from navigator.credentials.get()) by user.
//
// Errors: ErrWrongCeremony, ErrSessionExpired, ErrMalformedResponse,
// ErrUnknownCredential, ErrChallengeMismatch, ErrOriginMismatch,
// ErrClonedAuthenticator (as *CloneError), ErrVerificationFailed.
func (rp *RelyingParty) FinishLogin(user User, session *Session, body []byte) (*LoginResult, error) {
	if err := rp.check(session, CeremonyLogin); err != nil {
		return nil, err
	}
	parsed, err := parseAssertion(body)
	if err != nil {
		return nil, err
	}
	return rp.validate(user, session, parsed)
}

// FinishDiscoverableLogin verifies a passwordless assertion. lookup is
// called with the user handle the authenticator returned; the user it
// returns must own the credential.
//
// Errors: as FinishLogin, plus ErrUnknownUser (wrapping lookup's error) and
// ErrUserNotVerified.
func (rp *RelyingParty) FinishDiscoverableLogin(ctx context.Context, lookup UserLookup, session *Session, body []byte) (User, *LoginResult, error) {
	if err := rp.check(session, CeremonyDiscoverableLogin); err != nil {
		return User{}, nil, err
	}
	parsed, err := parseAssertion(body)
	if err != nil {
		return User{}, nil, err
	}
	handle := parsed.Response.UserHandle
	if len(handle) == 0 {
		return User{}, nil, fmt.Errorf("%w: no user handle in a discoverable assertion", ErrUnknownUser)
	}
	user, err := lookup(ctx, handle)
	if err != nil {
		return User{}, nil, fmt.Errorf("%w: %w", ErrUnknownUser, err)
	}
	res, err := rp.validate(user, session, parsed)
	if err != nil {
		return User{}, nil, err
	}
	return user, res, nil
}

func parseAssertion(body []byte) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return parsed, nil
}

// validate runs go-webauthn's checks for either kind of login and turns a
// counter that did not advance into a refusal.
func (rp *RelyingParty) validate(user User, session *Session, parsed *protocol.ParsedCredentialAssertionData) (*LoginResult, error) {
	stored, ok := user.credential(parsed.RawID)
	if !ok {
		return nil, ErrUnknownCredential
	}
	if err := checkChallenge(session, parsed.Response.CollectedClientData.Challenge); err != nil {
		return nil, err
	}

	// Hand go-webauthn a copy without the stored warning so its flag says
	// whether *this* assertion looks cloned.
	fresh := user
	fresh.Credentials = make([]Credential, len(user.Credentials))
	for i, c := range user.Credentials {
		c.CloneWarning = false
		fresh.Credentials[i] = c
	}

	var (
		wc  *webauthn.Credential
		err error
	)
	switch session.Ceremony {
	case CeremonyDiscoverableLogin:
		wc, err = rp.wa.ValidateDiscoverableLogin(func(_, _ []byte) (webauthn.User, error) { return fresh, nil }, session.Data, parsed)
	default:
		wc, err = rp.wa.ValidateLogin(fresh, session.Data, parsed)
	}
	if err != nil {
		return nil, classify(err)
	}

	asserted := parsed.Response.AuthenticatorData.Counter
	if wc.Authenticator.CloneWarning || stored.CloneWarning {
		return nil, &CloneError{
			CredentialID:  append([]byte(nil), stored.ID...),
			StoredCount:   stored.SignCount,
			AssertedCount: asserted,
			Flagged:       stored.CloneWarning,
		}
	}

	updated := stored
	updated.SignCount = wc.Authenticator.SignCount
	updated.BackupState = wc.Flags.BackupState
	updated.UserVerified = stored.UserVerified // latched; see CredentialFlags.Update
	updated.LastUsedAt = rp.now()
	return &LoginResult{
		Credential:   updated,
		CredentialID: updated.ID,
		SignCount:    updated.SignCount,
		UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
	}, nil
}

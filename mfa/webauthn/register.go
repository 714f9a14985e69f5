package webauthn

import (
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginRegistration starts adding a credential for user. It returns the
// options to pass to navigator.credentials.create() (JSON:
// {"publicKey": {...}}) and the Session to keep until FinishRegistration.
// A discoverable credential (passkey) and user verification are preferred,
// not required, so security keys without PIN still work as second factor;
// the user's existing credentials are excluded.
func (rp *RelyingParty) BeginRegistration(user User) (options []byte, session *Session, err error) {
	challenge, err := rp.challenge()
	if err != nil {
		return nil, nil, err
	}
	creation, data, err := rp.wa.BeginRegistration(user,
		func(o *protocol.PublicKeyCredentialCreationOptions) error { o.Challenge = challenge; return nil },
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(descriptors(user.Credentials)),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	options, err = json.Marshal(creation)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode creation options: %w", err)
	}
	return options, rp.newSession(CeremonyRegistration, data), nil
}

// FinishRegistration verifies the browser's response (the JSON of the
// PublicKeyCredential from navigator.credentials.create()) against session
// and returns the new credential, labelled name, for the store.
//
// Errors: ErrWrongCeremony, ErrSessionExpired, ErrMalformedResponse,
// ErrCredentialExists, ErrChallengeMismatch, ErrOriginMismatch,
// ErrVerificationFailed.
func (rp *RelyingParty) FinishRegistration(user User, session *Session, body []byte, name string) (Credential, error) {
	if err := rp.check(session, CeremonyRegistration); err != nil {
		return Credential{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return Credential{}, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	if _, exists := user.credential(parsed.RawID); exists {
		return Credential{}, ErrCredentialExists
	}
	if err := checkChallenge(session, parsed.Response.CollectedClientData.Challenge); err != nil {
		return Credential{}, err
	}
	wc, err := rp.wa.CreateCredential(user, session.Data, parsed)
	if err != nil {
		return Credential{}, classify(err)
	}
	return CredentialFromWebAuthn(*wc, name, rp.now()), nil
}

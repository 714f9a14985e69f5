package webauthn

import (
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
)

var (
	// ErrInvalidConfig reports a Config New refuses.
	ErrInvalidConfig = errors.New("webauthn: invalid config")
	// ErrNoCredentials: BeginLogin for a user without credentials.
	ErrNoCredentials = errors.New("webauthn: user has no credentials")
	// ErrWrongCeremony: a Session from one kind of ceremony given to another
	// kind's Finish.
	ErrWrongCeremony = errors.New("webauthn: session belongs to another ceremony")
	// ErrSessionExpired: Finish called after the ceremony timeout.
	ErrSessionExpired = errors.New("webauthn: ceremony expired")
	// ErrMalformedResponse: the posted body is not a credential response.
	ErrMalformedResponse = errors.New("webauthn: malformed response")
	// ErrVerificationFailed is the parent of every refusal of a well-formed
	// response; the go-webauthn *protocol.Error stays in the chain for logs.
	ErrVerificationFailed = errors.New("webauthn: verification failed")
	// ErrChallengeMismatch: the response answers another challenge (a stale,
	// replayed or foreign response).
	ErrChallengeMismatch = fmt.Errorf("%w: challenge mismatch", ErrVerificationFailed)
	// ErrOriginMismatch: the browser reported an origin not in Config.RPOrigins.
	ErrOriginMismatch = fmt.Errorf("%w: origin mismatch", ErrVerificationFailed)
	// ErrUserNotVerified: user verification was required but not performed.
	ErrUserNotVerified = fmt.Errorf("%w: user not verified", ErrVerificationFailed)
	// ErrUnknownCredential: the asserted credential is not one of the user's.
	ErrUnknownCredential = fmt.Errorf("%w: unknown credential", ErrVerificationFailed)
	// ErrUnknownUser: the discoverable login's lookup found no user for the
	// asserted user handle. The lookup's own error is in the chain.
	ErrUnknownUser = fmt.Errorf("%w: unknown user", ErrVerificationFailed)
	// ErrCredentialExists: registration of a credential the user already has.
	ErrCredentialExists = errors.New("webauthn: credential already registered")
	// ErrClonedAuthenticator: the signature counter did not advance; see
	// CloneError for the values.
	ErrClonedAuthenticator = fmt.Errorf("%w: cloned authenticator", ErrVerificationFailed)
)

// CloneError details an ErrClonedAuthenticator refusal for the audit log.
type CloneError struct {
	CredentialID  []byte
	StoredCount   uint32
	AssertedCount uint32
	// Flagged is true when the stored credential was already marked
	// CloneWarning by an earlier refusal.
	Flagged bool
}

func (e *CloneError) Error() string {
	return fmt.Sprintf("webauthn: cloned authenticator: signature counter %d after stored %d", e.AssertedCount, e.StoredCount)
}

// Is makes errors.Is(err, ErrClonedAuthenticator) (and so ErrVerificationFailed) true.
func (e *CloneError) Is(target error) bool {
	return target == ErrClonedAuthenticator || target == ErrVerificationFailed
}

// classify maps a go-webauthn error to this package's sentinels, keeping the
// original in the chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var unknown *protocol.ErrorUnknownCredential
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w: %w", ErrUnknownCredential, err)
	}
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		return fmt.Errorf("%w: %w", ErrVerificationFailed, err)
	}
	switch {
	case perr.Details == "Error validating origin":
		return fmt.Errorf("%w: %w", ErrOriginMismatch, err)
	case perr.Details == "Error validating challenge":
		return fmt.Errorf("%w: %w", ErrChallengeMismatch, err)
	case perr.DevInfo == "User verification required but flag not set by authenticator":
		return fmt.Errorf("%w: %w", ErrUserNotVerified, err)
	default:
		return fmt.Errorf("%w: %w", ErrVerificationFailed, err)
	}
}

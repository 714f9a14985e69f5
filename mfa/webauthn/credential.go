package webauthn

import (
	"bytes"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Credential is Gatehouse's record of a registered passkey or security key.
// All fields are plain values the store can keep in columns or as JSON.
type Credential struct {
	// ID is the credential ID chosen by the authenticator (unique, indexed).
	ID []byte `json:"id"`
	// PublicKey is the COSE-encoded credential public key.
	PublicKey []byte `json:"public_key"`
	// AttestationType is the attestation type ("none", "self", "basic_full"...).
	AttestationType string `json:"attestation_type,omitempty"`
	// AttestationFormat is the attestation statement format ("packed", "none"...).
	AttestationFormat string `json:"attestation_format,omitempty"`
	// AAGUID identifies the authenticator model (16 bytes, may be zero).
	AAGUID []byte `json:"aaguid,omitempty"`
	// SignCount is the last signature counter seen (0 for authenticators without one).
	SignCount uint32 `json:"sign_count"`
	// CloneWarning marks a credential that was refused as cloned; it is
	// refused from then on.
	CloneWarning bool `json:"clone_warning,omitempty"`
	// Transports are hints such as "usb", "nfc", "ble", "internal", "hybrid".
	Transports []string `json:"transports,omitempty"`
	// BackupEligible (BE) says the credential can be synced; it never changes.
	BackupEligible bool `json:"backup_eligible"`
	// BackupState (BS) says the credential is currently synced/backed up.
	BackupState bool `json:"backup_state"`
	// UserVerified says the authenticator verified the user (PIN, biometric)
	// at registration; it is latched, never reset.
	UserVerified bool `json:"user_verified"`
	// Name is the label the user gave it ("YubiKey", "iPhone").
	Name string `json:"name"`
	// CreatedAt is when it was registered.
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is the last successful login with it (zero if never).
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// WebAuthn converts the record to go-webauthn's Credential.
func (c Credential) WebAuthn() webauthn.Credential {
	flags := protocol.FlagUserPresent
	if c.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if c.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if c.BackupState {
		flags |= protocol.FlagBackupState
	}
	transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                bytes.Clone(c.ID),
		PublicKey:         bytes.Clone(c.PublicKey),
		AttestationType:   c.AttestationType,
		AttestationFormat: c.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:       bytes.Clone(c.AAGUID),
			SignCount:    c.SignCount,
			CloneWarning: c.CloneWarning,
		},
	}
}

// CredentialFromWebAuthn converts go-webauthn's Credential to the record,
// with the user's label and registration time.
func CredentialFromWebAuthn(wc webauthn.Credential, name string, createdAt time.Time) Credential {
	transports := make([]string, len(wc.Transport))
	for i, t := range wc.Transport {
		transports[i] = string(t)
	}
	return Credential{
		ID:                bytes.Clone(wc.ID),
		PublicKey:         bytes.Clone(wc.PublicKey),
		AttestationType:   wc.AttestationType,
		AttestationFormat: wc.AttestationFormat,
		AAGUID:            bytes.Clone(wc.Authenticator.AAGUID),
		SignCount:         wc.Authenticator.SignCount,
		CloneWarning:      wc.Authenticator.CloneWarning,
		Transports:        transports,
		BackupEligible:    wc.Flags.BackupEligible,
		BackupState:       wc.Flags.BackupState,
		UserVerified:      wc.Flags.UserVerified,
		Name:              name,
		CreatedAt:         createdAt,
	}
}

// descriptors lists credentials for allowCredentials / excludeCredentials.
func descriptors(creds []Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		wc := c.WebAuthn()
		out = append(out, wc.Descriptor())
	}
	return slices.Clip(out)
}

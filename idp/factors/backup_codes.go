package factors

import (
	"context"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
)

// Backup codes: a set of single-use codes that stand in for a second
// factor. The store keeps their keyed hashes, and the plaintext sealed
// until the user downloads the set or confirms they saved it.

func backupLabel(tenantID, setID string) string { return tenantID + "/backup-codes/" + setID }

// NewBackupCodes generates u's backup codes, replacing any earlier set, and
// returns them for showing once.
func (s *Service) NewBackupCodes(ctx context.Context, t *store.Tenant, u *store.User) ([]string, error) {
	codes, err := backupcodes.Generate(s.Rand)
	if err != nil {
		return nil, err
	}
	hashes, err := backupcodes.Hashes(s.Pepper, codes)
	if err != nil {
		return nil, err
	}
	set := &store.BackupCodeSet{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, CreatedAt: s.Clock()}
	if set.SealedCodes, err = s.Sealer.Seal(seal.PurposeFactorSecret, backupLabel(t.ID, set.ID), []byte(strings.Join(codes, "\n"))); err != nil {
		return nil, err
	}
	for i, h := range hashes {
		set.Codes = append(set.Codes, store.BackupCode{Index: i, Hash: h})
	}
	if err := s.Store.ReplaceBackupCodes(ctx, set); err != nil {
		return nil, err
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodesGenerated, UserID: u.ID,
		Detail: map[string]string{"set_id": set.ID}})
	return codes, nil
}

// BackupCodesFile is the .txt of u's set while it is not acknowledged
// (store.ErrNotFound once it was: the plaintext is gone).
func (s *Service) BackupCodesFile(ctx context.Context, t *store.Tenant, u *store.User) ([]byte, *store.BackupCodeSet, error) {
	set, err := s.Store.BackupCodeSet(ctx, t.ID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(set.SealedCodes) == 0 {
		return nil, nil, store.ErrNotFound
	}
	plain, err := s.Sealer.Open(seal.PurposeFactorSecret, backupLabel(t.ID, set.ID), set.SealedCodes)
	if err != nil {
		return nil, nil, err
	}
	return backupcodes.Text(t.Name, u.Email, strings.Split(string(plain), "\n"), set.CreatedAt), set, nil
}

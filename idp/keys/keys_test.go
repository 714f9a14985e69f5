package keys_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

// sign makes a compact JWS with the tenant's current signing key.
func sign(t *testing.T, m *keys.Manager, tenantID string, payload string) (string, string) {
	t.Helper()
	k, err := m.SigningKey(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), k.ID()))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out, k.ID()
}

func verify(m *keys.Manager, tenantID, compact string) ([]byte, error) {
	jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return nil, err
	}
	return m.Verifier(tenantID).VerifySignature(context.Background(), jws)
}

// TestRotateKeepsOldTokensVerifiable: a tenant gets an ES256 key on first
// use; after a rotation new tokens carry the new kid, tokens signed before
// still verify (the retired key stays published), another tenant's keys
// verify nothing of this one, and an unknown kid is ErrUnknownKey. A second
// manager on the same store (another replica) sees the rotation at once
// when it meets the new kid.
func TestRotateKeepsOldTokensVerifiable(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.Open(t)
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	sealer, err := seal.New(master, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	clock := func() time.Time { return now }
	for _, tn := range []*store.Tenant{{ID: "t-a", Slug: "a", Name: "A"}, {ID: "t-b", Slug: "b", Name: "B"}} {
		tn.CreatedAt, tn.UpdatedAt = now, now
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	m := keys.New(st, sealer, clock, time.Hour)
	replica := keys.New(st, sealer, clock, time.Hour)

	old, oldKid := sign(t, m, "t-a", `{"n":1}`)
	if got, err := verify(replica, "t-a", old); err != nil || string(got) != `{"n":1}` {
		t.Fatalf("replica verifies the first key's token: %q, %v", got, err)
	}
	newKid, err := m.Rotate(ctx, "t-a")
	if err != nil || newKid == oldKid {
		t.Fatalf("rotate: %q, %v (old %q)", newKid, err, oldKid)
	}
	fresh, kid := sign(t, m, "t-a", `{"n":2}`)
	if kid != newKid {
		t.Fatalf("signing with %q after rotating to %q", kid, newKid)
	}
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := verify(m, "t-a", tok); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
		if _, err := verify(replica, "t-a", tok); err != nil {
			t.Errorf("%s token on the replica: %v", name, err)
		}
	}
	set, err := m.KeySet(ctx, "t-a")
	if err != nil || len(set) != 2 {
		t.Fatalf("published keys after one rotation: %d, %v", len(set), err)
	}
	if _, err := verify(m, "t-b", fresh); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("tenant b verified tenant a's token: %v", err)
	}
}

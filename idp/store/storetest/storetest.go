package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// RunTests runs the conformance suite. newStore must return a migrated, empty
// store for every call; RunTests closes it when the subtest ends.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Tenants", testTenants},
		{"Users", testUsers},
		{"Clients", testClients},
		{"DeleteClientCascades", testDeleteClientCascades},
		{"AuthRequests", testAuthRequests},
		{"AuthCodes", testAuthCodes},
		{"CodeDeadline", testCodeDeadline},
		{"Sessions", testSessions},
		{"TouchSession", testTouchSession},
		{"EndSession", testEndSession},
		{"ReauthenticateSession", testReauthenticateSession}, // session cookie rotation
		{"RefreshTokens", testRefreshTokens},
		{"RotateRefreshToken", testRotateRefreshToken},
		{"RefreshTokenReuse", testRefreshTokenReuse},
		{"RevokeRefreshFamily", testRevokeRefreshFamily},
		{"AccessTokenActive", testAccessTokenActive},
		{"DeleteExpiredTokens", testDeleteExpiredTokens},
		{"SigningKeys", testSigningKeys},
		{"ActionTokens", testActionTokens},
		{"UserlessActionToken", testUserlessActionToken},
		{"DeleteStaleRows", testDeleteStaleRows},
		{"AuditEvents", testAuditEvents}, {"AuditChain", testAuditChain}, {"AuditPaging", testAuditPaging}, {"TruncateAuditEvents", testTruncateAuditEvents}, {"ConcurrentAuditAppend", testConcurrentAuditAppend}, {"AuditExports", testAuditExports},
		{"Times", testTimes},
		{"TenantIsolation", testTenantIsolation},
		{"ConcurrentConsumeAuthCode", testConcurrentConsumeAuthCode},
		{"ConcurrentRotateRefreshToken", testConcurrentRotateRefreshToken},
		{"ConcurrentConsumeActionToken", testConcurrentConsumeActionToken},
		{"CreateFirstOwner", testCreateFirstOwner}, {"ConcurrentCreateFirstOwner", testConcurrentCreateFirstOwner}, // setup links
		{"Connections", testConnections}, {"Links", testLinks}, {"FederationStates", testFederationStates}, {"FederatedSessions", testFederatedSessions}, {"FederationIsolation", testFederationIsolation}, // federation
		{"LoginFailures", testLoginFailures}, {"ConcurrentLoginFailures", testConcurrentLoginFailures}, {"LoginReservations", testLoginReservations}, {"ConcurrentLoginReservations", testConcurrentLoginReservations}, {"PasswordHistory", testPasswordHistory}, {"SessionClients", testSessionClients}, {"ClientLogouts", testClientLogouts}, {"DeviceCentre", testDeviceCentre}, // policies.go, device_centre.go
		{"Factors", testFactors}, {"OTPChallenges", testOTPChallenges}, {"LoginStates", testLoginStates}, {"BackupCodes", testBackupCodes}, {"Devices", testDevices}, {"ResetSecondFactors", testResetSecondFactors}, {"MFATenantIsolation", testMFATenantIsolation}, {"ConcurrentTOTPStep", testConcurrentTOTPStep}, {"ConcurrentAttemptCounters", testConcurrentAttemptCounters}, {"FactorReservations", testFactorReservations}, {"ConcurrentFactorReservations", testConcurrentFactorReservations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.run(t, s)
		})
	}
}

// t0 is the suite's "now": a fixed UTC instant with microseconds, so stored
// times must round-trip exactly. Every time in the suite is derived from it.
var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 123456000, time.UTC)

// racers is how many goroutines race for one single-use value.
const racers = 50

func ctx(t *testing.T) context.Context { return t.Context() }

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func ptr[T any](v T) *T { return &v }

// wantErr fails unless errors.Is(err, want); want nil means success.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// mustEqual fails with the differing fields when got is not deeply equal to
// want. Times compare exactly, location included: backends return UTC.
func mustEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Fatalf("%s differs (want vs got):\n%s", what, d)
	}
}

func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	var b strings.Builder
	diffValue(&b, "", reflect.ValueOf(want), reflect.ValueOf(got))
	if b.Len() == 0 {
		fmt.Fprintf(&b, "  want %#v\n  got  %#v\n", want, got)
	}
	return b.String()
}

var timeType = reflect.TypeFor[time.Time]()

func diffValue(b *strings.Builder, path string, w, g reflect.Value) {
	if !w.IsValid() || !g.IsValid() || w.Type() != g.Type() {
		fmt.Fprintf(b, "  %s: want %v, got %v\n", path, show(w), show(g))
		return
	}
	switch {
	case w.Kind() == reflect.Pointer && !w.IsNil() && !g.IsNil():
		diffValue(b, path, w.Elem(), g.Elem())
	case w.Kind() == reflect.Struct && w.Type() != timeType:
		for i := range w.NumField() {
			f := w.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			diffValue(b, strings.TrimPrefix(path+"."+f.Name, "."), w.Field(i), g.Field(i))
		}
	case w.Kind() == reflect.Slice && w.Type().Elem().Kind() == reflect.Pointer && w.Len() == g.Len():
		for i := range w.Len() {
			diffValue(b, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	default:
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			fmt.Fprintf(b, "  %s: want %v, got %v\n", path, show(w), show(g))
		}
	}
}

func show(v reflect.Value) string {
	if !v.IsValid() {
		return "<invalid>"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		return "&" + show(v.Elem())
	}
	if v.Type() == timeType {
		tm := v.Interface().(time.Time)
		return tm.Format(time.RFC3339Nano) + " (" + tm.Location().String() + ")"
	}
	if v.Kind() == reflect.Slice && v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("%#v", v.Interface())
}

package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Conformance tests for second factors: factors, OTP challenges, login
// states, backup codes, known devices and locations.

func mkFactor(t *testing.T, s store.Store, tenantID, userID, kind string, mut func(f *store.Factor)) *store.Factor {
	t.Helper()
	f := &store.Factor{ID: store.NewID(), TenantID: tenantID, UserID: userID, Kind: kind, Name: kind + " factor", CreatedAt: t0}
	switch kind {
	case store.FactorTOTP:
		f.SecretSealed = []byte("sealed-secret")
	case store.FactorSMS:
		f.Destination = "+4915112345678"
	case store.FactorEmail:
		f.Destination = "agent@example.com"
	case store.FactorWebAuthn:
		f.CredentialID = []byte("cred-" + f.ID)
		f.UserHandle = []byte("handle-" + userID)
		f.Credential = []byte(`{"id":"x"}`)
	}
	if mut != nil {
		mut(f)
	}
	if err := s.CreateFactor(ctx(t), f); err != nil {
		t.Fatalf("CreateFactor: %v", err)
	}
	return f
}

func testFactors(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	totp := mkFactor(t, s, tid, uid, store.FactorTOTP, func(f *store.Factor) { f.Verified = true; f.IsDefault = true })
	sms := mkFactor(t, s, tid, uid, store.FactorSMS, func(f *store.Factor) { f.CreatedAt = t0.Add(time.Second) })
	used := t0.Add(time.Minute)
	wa := mkFactor(t, s, tid, uid, store.FactorWebAuthn, func(f *store.Factor) {
		f.CreatedAt, f.Verified, f.SignCount, f.LastUsedAt = t0.Add(2*time.Second), true, 7, &used
	})

	got, err := s.FactorByID(ctx(t), tid, uid, wa.ID)
	wantErr(t, "FactorByID", err, nil)
	mustEqual(t, "webauthn factor", wa, got)
	list, err := s.ListFactors(ctx(t), tid, uid)
	wantErr(t, "ListFactors", err, nil)
	mustEqual(t, "factors", []*store.Factor{totp, sms, wa}, list)

	_, err = s.FactorByID(ctx(t), tid, "other-user", totp.ID)
	wantErr(t, "FactorByID of another user", err, store.ErrNotFound)

	// The credential id is unique per tenant.
	dup := &store.Factor{ID: store.NewID(), TenantID: tid, UserID: uid, Kind: store.FactorWebAuthn, CredentialID: wa.CredentialID, CreatedAt: t0}
	wantErr(t, "duplicate credential id", s.CreateFactor(ctx(t), dup), store.ErrConflict)
	wantErr(t, "factor of unknown user", s.CreateFactor(ctx(t), &store.Factor{ID: store.NewID(), TenantID: tid, UserID: "nobody", Kind: store.FactorTOTP, CreatedAt: t0}), store.ErrNotFound)

	byHandle, err := s.FactorsByUserHandle(ctx(t), tid, wa.UserHandle)
	wantErr(t, "FactorsByUserHandle", err, nil)
	mustEqual(t, "by handle", []*store.Factor{wa}, byHandle)

	// Update and default.
	sms.Name, sms.Destination, sms.Verified = "Work phone", "+4915199999999", true
	wantErr(t, "UpdateFactor", s.UpdateFactor(ctx(t), sms), nil)
	wantErr(t, "SetDefaultFactor", s.SetDefaultFactor(ctx(t), tid, uid, sms.ID), nil)
	wantErr(t, "SetDefaultFactor unknown", s.SetDefaultFactor(ctx(t), tid, uid, "nope"), store.ErrNotFound)
	list, _ = s.ListFactors(ctx(t), tid, uid)
	for _, f := range list {
		if f.IsDefault != (f.ID == sms.ID) {
			t.Fatalf("default flags after SetDefaultFactor: %s is_default=%v", f.Kind, f.IsDefault)
		}
	}
	got, _ = s.FactorByID(ctx(t), tid, uid, sms.ID)
	if got.Name != "Work phone" || got.Destination != "+4915199999999" || !got.Verified {
		t.Fatalf("UpdateFactor not saved: %+v", got)
	}

	// TOTP steps advance only forwards.
	wantErr(t, "AdvanceTOTPStep 100", s.AdvanceTOTPStep(ctx(t), tid, totp.ID, 100, t0), nil)
	wantErr(t, "AdvanceTOTPStep 100 again", s.AdvanceTOTPStep(ctx(t), tid, totp.ID, 100, t0), store.ErrAlreadyUsed)
	wantErr(t, "AdvanceTOTPStep 99", s.AdvanceTOTPStep(ctx(t), tid, totp.ID, 99, t0), store.ErrAlreadyUsed)
	wantErr(t, "AdvanceTOTPStep 101", s.AdvanceTOTPStep(ctx(t), tid, totp.ID, 101, t0), nil)
	wantErr(t, "AdvanceTOTPStep unknown", s.AdvanceTOTPStep(ctx(t), tid, "nope", 200, t0), store.ErrNotFound)
	got, _ = s.FactorByID(ctx(t), tid, uid, totp.ID)
	if got.LastStep != 101 || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) {
		t.Fatalf("last step %d, last used %v", got.LastStep, got.LastUsedAt)
	}

	// Sign counters: strictly increasing unless both are zero.
	wantErr(t, "AdvanceSignCount 8", s.AdvanceSignCount(ctx(t), tid, wa.ID, 8, []byte(`{"n":8}`), t0), nil)
	wantErr(t, "AdvanceSignCount 8 again (clone)", s.AdvanceSignCount(ctx(t), tid, wa.ID, 8, []byte(`{}`), t0), store.ErrAlreadyUsed)
	wantErr(t, "AdvanceSignCount 0 after 8", s.AdvanceSignCount(ctx(t), tid, wa.ID, 0, []byte(`{}`), t0), store.ErrAlreadyUsed)
	got, _ = s.FactorByID(ctx(t), tid, uid, wa.ID)
	if got.SignCount != 8 || string(got.Credential) != `{"n":8}` {
		t.Fatalf("sign count %d credential %s", got.SignCount, got.Credential)
	}
	zero := mkFactor(t, s, tid, uid, store.FactorWebAuthn, nil)
	wantErr(t, "AdvanceSignCount 0 on a counterless key", s.AdvanceSignCount(ctx(t), tid, zero.ID, 0, []byte(`{}`), t0), nil)
	wantErr(t, "AdvanceSignCount 0 twice on a counterless key", s.AdvanceSignCount(ctx(t), tid, zero.ID, 0, []byte(`{}`), t0), nil)

	wantErr(t, "DeleteFactor", s.DeleteFactor(ctx(t), tid, uid, zero.ID), nil)
	wantErr(t, "DeleteFactor again", s.DeleteFactor(ctx(t), tid, uid, zero.ID), store.ErrNotFound)
}

func testOTPChallenges(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	f := mkFactor(t, s, tid, uid, store.FactorSMS, nil)
	mk := func(binding string, at time.Time) *store.OTPChallenge {
		c := &store.OTPChallenge{ID: store.NewID(), TenantID: tid, UserID: uid, FactorID: f.ID, Purpose: store.OTPPurposeLogin,
			Binding: binding, Destination: f.Destination, CodeHash: hash("123456" + binding), CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
		wantErr(t, "CreateOTPChallenge", s.CreateOTPChallenge(ctx(t), c), nil)
		return c
	}
	first := mk("ar-1", t0)
	got, err := s.LatestOTPChallenge(ctx(t), tid, f.ID, store.OTPPurposeLogin, "ar-1")
	wantErr(t, "LatestOTPChallenge", err, nil)
	mustEqual(t, "challenge", first, got)
	_, err = s.LatestOTPChallenge(ctx(t), tid, f.ID, store.OTPPurposeLogin, "ar-2")
	wantErr(t, "other binding", err, store.ErrNotFound)
	_, err = s.LatestOTPChallenge(ctx(t), tid, f.ID, store.OTPPurposeEnroll, "ar-1")
	wantErr(t, "other purpose", err, store.ErrNotFound)

	// A resend replaces the first code.
	second := mk("ar-1", t0.Add(time.Minute))
	got, _ = s.LatestOTPChallenge(ctx(t), tid, f.ID, store.OTPPurposeLogin, "ar-1")
	if got.ID != second.ID {
		t.Fatal("the newest challenge is not the one returned")
	}
	wantErr(t, "consume replaced", s.ConsumeOTPChallenge(ctx(t), tid, first.ID, t0), store.ErrAlreadyUsed)

	for i := range 3 {
		before, err := s.CountOTPAttempt(ctx(t), tid, second.ID, 3)
		wantErr(t, "CountOTPAttempt", err, nil)
		if before != i {
			t.Fatalf("attempt %d: count before = %d", i, before)
		}
	}
	_, err = s.CountOTPAttempt(ctx(t), tid, second.ID, 3)
	wantErr(t, "CountOTPAttempt exhausted", err, store.ErrAlreadyUsed)
	_, err = s.CountOTPAttempt(ctx(t), tid, "nope", 3)
	wantErr(t, "CountOTPAttempt unknown", err, store.ErrNotFound)

	third := mk("ar-1", t0.Add(2*time.Minute))
	wantErr(t, "Consume", s.ConsumeOTPChallenge(ctx(t), tid, third.ID, t0), nil)
	wantErr(t, "Consume again", s.ConsumeOTPChallenge(ctx(t), tid, third.ID, t0), store.ErrAlreadyUsed)
	_, err = s.CountOTPAttempt(ctx(t), tid, third.ID, 3)
	wantErr(t, "attempt on consumed", err, store.ErrAlreadyUsed)

	// Send history: per user and per destination (any user).
	other := mkUser(t, s, tid, "second@acme.example.com")
	f2 := mkFactor(t, s, tid, other.ID, store.FactorSMS, nil)
	c := &store.OTPChallenge{ID: store.NewID(), TenantID: tid, UserID: other.ID, FactorID: f2.ID, Purpose: store.OTPPurposeEnroll,
		Binding: f2.ID, Destination: f2.Destination, CodeHash: hash("x"), CreatedAt: t0.Add(3 * time.Minute), ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateOTPChallenge other", s.CreateOTPChallenge(ctx(t), c), nil)
	us, ds, err := s.OTPSends(ctx(t), tid, uid, f.Destination, t0.Add(30*time.Second))
	wantErr(t, "OTPSends", err, nil)
	if len(us) != 2 || len(ds) != 3 || !us[0].Equal(t0.Add(2*time.Minute)) || !ds[0].Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("sends: user %v destination %v", us, ds)
	}
}

func testLoginStates(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	ar := mkAuthRequest(t, s, tid, w.client.ID)
	l := &store.LoginState{TenantID: tid, AuthRequestID: ar.ID, UserID: uid, Methods: []string{"password"}, Step: "challenge",
		Reason: "mode_always", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	wantErr(t, "PutLoginState", s.PutLoginState(ctx(t), l), nil)
	got, err := s.LoginState(ctx(t), tid, ar.ID, t0)
	wantErr(t, "LoginState", err, nil)
	mustEqual(t, "login state", l, got)
	_, err = s.LoginState(ctx(t), tid, ar.ID, t0.Add(10*time.Minute))
	wantErr(t, "LoginState expired", err, store.ErrExpired)
	// A passwordless ceremony has no user yet.
	ar2 := mkAuthRequest(t, s, tid, w.client.ID)
	wantErr(t, "PutLoginState without user", s.PutLoginState(ctx(t), &store.LoginState{TenantID: tid, AuthRequestID: ar2.ID, Step: "passkey",
		Ceremony: []byte("{}"), CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}), nil)
	wantErr(t, "state for unknown request", s.PutLoginState(ctx(t), &store.LoginState{TenantID: tid, AuthRequestID: "nope", UserID: uid,
		Step: "x", CreatedAt: t0, ExpiresAt: t0}), store.ErrNotFound)

	for want := 1; want <= 2; want++ {
		n, err := s.CountLoginAttempt(ctx(t), tid, ar.ID, 2)
		wantErr(t, "CountLoginAttempt", err, nil)
		if n != want {
			t.Fatalf("attempts = %d, want %d", n, want)
		}
	}
	_, err = s.CountLoginAttempt(ctx(t), tid, ar.ID, 2)
	wantErr(t, "CountLoginAttempt exhausted", err, store.ErrAlreadyUsed)

	next := *l
	next.Step, next.FactorID, next.Ceremony, next.Methods = "codes", "f-1", []byte(`{"c":1}`), []string{"password", "totp"}
	wantErr(t, "AdvanceLoginState", s.AdvanceLoginState(ctx(t), &next, "challenge"), nil)
	wantErr(t, "AdvanceLoginState from a stale step", s.AdvanceLoginState(ctx(t), &next, "challenge"), store.ErrConflict)
	got, _ = s.LoginState(ctx(t), tid, ar.ID, t0)
	if got.Step != "codes" || got.FactorID != "f-1" || string(got.Ceremony) != `{"c":1}` || len(got.Methods) != 2 || got.Attempts != 2 {
		t.Fatalf("advanced state: %+v", got)
	}

	// Put replaces (a new primary sign-in starts over).
	wantErr(t, "PutLoginState again", s.PutLoginState(ctx(t), l), nil)
	got, _ = s.LoginState(ctx(t), tid, ar.ID, t0)
	if got.Attempts != 0 || got.Step != "challenge" {
		t.Fatalf("replaced state: %+v", got)
	}
	// The state dies with its auth request.
	wantErr(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx(t), tid, ar.ID), nil)
	_, err = s.LoginState(ctx(t), tid, ar.ID, t0)
	wantErr(t, "state after request deleted", err, store.ErrNotFound)

	// Per-account failures count across login attempts, within the window.
	for i := range 3 {
		n, err := s.ReserveFactorAttempt(ctx(t), tid, uid, t0.Add(time.Duration(i)*time.Minute), t0.Add(-time.Hour), 10)
		wantErr(t, "ReserveFactorAttempt", err, nil)
		if n != i+1 {
			t.Fatalf("failures = %d, want %d", n, i+1)
		}
	}
	n, err := s.FactorFailures(ctx(t), tid, uid, t0.Add(90*time.Second))
	wantErr(t, "FactorFailures", err, nil)
	if n != 1 {
		t.Fatalf("failures since t0+90s = %d, want 1", n)
	}
}

// testFactorReservations: a reservation is refused at the limit (and
// records nothing), older failures age out of the window, a refund takes
// back exactly one reservation, and another tenant's user is not counted.
func testFactorReservations(t *testing.T, s store.Store) {
	w, o := mkWorld(t, s, "acme"), mkWorld(t, s, "other")
	tid, uid := w.tenant.ID, w.user.ID
	since := t0.Add(-15 * time.Minute)
	for i := range 3 {
		n, err := s.ReserveFactorAttempt(ctx(t), tid, uid, t0, since, 3)
		wantErr(t, "ReserveFactorAttempt", err, nil)
		if n != i+1 {
			t.Fatalf("reservation %d: count %d", i+1, n)
		}
	}
	_, err := s.ReserveFactorAttempt(ctx(t), tid, uid, t0, since, 3)
	wantErr(t, "ReserveFactorAttempt at the limit", err, store.ErrAlreadyUsed)
	if n, _ := s.FactorFailures(ctx(t), tid, uid, since); n != 3 {
		t.Fatalf("a refused reservation was recorded: %d", n)
	}
	// Tenant isolation: the other tenant's user has its own allowance, and a
	// user id is not found from another tenant.
	if n, err := s.ReserveFactorAttempt(ctx(t), o.tenant.ID, o.user.ID, t0, since, 3); err != nil || n != 1 {
		t.Fatalf("other tenant: %d %v", n, err)
	}
	_, err = s.ReserveFactorAttempt(ctx(t), o.tenant.ID, uid, t0, since, 3)
	wantErr(t, "ReserveFactorAttempt(user of another tenant)", err, store.ErrNotFound)
	wantErr(t, "RefundFactorAttempt(other tenant)", s.RefundFactorAttempt(ctx(t), o.tenant.ID, uid, t0), nil)
	if n, _ := s.FactorFailures(ctx(t), tid, uid, since); n != 3 {
		t.Fatalf("a refund in another tenant touched this one: %d", n)
	}
	// A refund frees exactly one place.
	wantErr(t, "RefundFactorAttempt", s.RefundFactorAttempt(ctx(t), tid, uid, t0), nil)
	if n, _ := s.FactorFailures(ctx(t), tid, uid, since); n != 2 {
		t.Fatalf("after a refund: %d failures, want 2", n)
	}
	if n, err := s.ReserveFactorAttempt(ctx(t), tid, uid, t0, since, 3); err != nil || n != 3 {
		t.Fatalf("after a refund: %d %v", n, err)
	}
	// Failures before the window no longer count.
	later := t0.Add(20 * time.Minute)
	if n, err := s.ReserveFactorAttempt(ctx(t), tid, uid, later, later.Add(-15*time.Minute), 3); err != nil || n != 1 {
		t.Fatalf("after the window: %d %v", n, err)
	}
}

// testConcurrentFactorReservations: many simultaneous reservations, exactly
// limit succeed.
func testConcurrentFactorReservations(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	const limit = 10
	errs := race(func(int) error {
		_, err := s.ReserveFactorAttempt(ctx(t), w.tenant.ID, w.user.ID, t0, t0.Add(-time.Hour), limit)
		return err
	})
	if ok := countReserved(t, "ReserveFactorAttempt", errs); ok != limit {
		t.Fatalf("%d of %d racing reservations got through a limit of %d", ok, racers, limit)
	}
	if n, _ := s.FactorFailures(ctx(t), w.tenant.ID, w.user.ID, t0.Add(-time.Hour)); n != limit {
		t.Fatalf("%d failures recorded, want %d", n, limit)
	}
}

// countReserved counts the nil errors; every other one must be ErrAlreadyUsed.
func countReserved(t *testing.T, what string, errs []error) int {
	t.Helper()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrAlreadyUsed):
			t.Fatalf("%s: racer %d: %v", what, i, err)
		}
	}
	return ok
}

func testBackupCodes(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	_, err := s.BackupCodeSet(ctx(t), tid, uid)
	wantErr(t, "no set", err, store.ErrNotFound)
	mkSet := func(prefix string) *store.BackupCodeSet {
		set := &store.BackupCodeSet{ID: store.NewID(), TenantID: tid, UserID: uid, CreatedAt: t0, SealedCodes: []byte("sealed " + prefix)}
		for i := range 10 {
			set.Codes = append(set.Codes, store.BackupCode{Index: i, Hash: hash(fmt.Sprintf("%s-%d", prefix, i))})
		}
		wantErr(t, "ReplaceBackupCodes", s.ReplaceBackupCodes(ctx(t), set), nil)
		return set
	}
	first := mkSet("a")
	got, err := s.BackupCodeSet(ctx(t), tid, uid)
	wantErr(t, "BackupCodeSet", err, nil)
	mustEqual(t, "set", first, got)

	wantErr(t, "UseBackupCode", s.UseBackupCode(ctx(t), tid, uid, hash("a-3"), t0.Add(time.Minute)), nil)
	wantErr(t, "UseBackupCode again", s.UseBackupCode(ctx(t), tid, uid, hash("a-3"), t0), store.ErrNotFound)
	wantErr(t, "UseBackupCode unknown", s.UseBackupCode(ctx(t), tid, uid, hash("zzz"), t0), store.ErrNotFound)
	got, _ = s.BackupCodeSet(ctx(t), tid, uid)
	if got.Remaining() != 9 || got.Codes[3].UsedAt == nil || !got.Codes[3].UsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after use: remaining %d, code 3 %+v", got.Remaining(), got.Codes[3])
	}
	wantErr(t, "Acknowledge", s.AcknowledgeBackupCodes(ctx(t), tid, uid, first.ID, t0), nil)
	wantErr(t, "Acknowledge unknown set", s.AcknowledgeBackupCodes(ctx(t), tid, uid, "nope", t0), store.ErrNotFound)
	got, _ = s.BackupCodeSet(ctx(t), tid, uid)
	if got.AcknowledgedAt == nil || got.SealedCodes != nil {
		t.Fatalf("acknowledgement not saved or sealed codes kept: %+v", got)
	}

	// Regeneration invalidates the previous set.
	second := mkSet("b")
	wantErr(t, "old code after regeneration", s.UseBackupCode(ctx(t), tid, uid, hash("a-4"), t0), store.ErrNotFound)
	got, _ = s.BackupCodeSet(ctx(t), tid, uid)
	if got.ID != second.ID || got.AcknowledgedAt != nil || got.Remaining() != 10 {
		t.Fatalf("second set: %+v", got)
	}

	// Concurrent use of one code: exactly one winner.
	errs := race(func(int) error { return s.UseBackupCode(ctx(t), tid, uid, hash("b-0"), t0) })
	oneWinner(t, "UseBackupCode race", errs, store.ErrNotFound)
}

func testDevices(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	until := t0.Add(30 * 24 * time.Hour)
	d := &store.KnownDevice{TenantID: tid, UserID: uid, DeviceHash: hash("dev-1"), Label: "Firefox on Linux", IP: "203.0.113.7",
		FirstSeen: t0, LastSeen: t0, RememberUntil: &until}
	wantErr(t, "TouchDevice", s.TouchDevice(ctx(t), d), nil)
	got, err := s.Device(ctx(t), tid, uid, hash("dev-1"))
	wantErr(t, "Device", err, nil)
	mustEqual(t, "device", d, got)
	_, err = s.Device(ctx(t), tid, "other", hash("dev-1"))
	wantErr(t, "device of another user", err, store.ErrNotFound)

	later := t0.Add(time.Hour)
	wantErr(t, "TouchDevice again", s.TouchDevice(ctx(t), &store.KnownDevice{TenantID: tid, UserID: uid, DeviceHash: hash("dev-1"),
		Label: "Firefox 2", IP: "203.0.113.8", FirstSeen: later, LastSeen: later}), nil)
	got, _ = s.Device(ctx(t), tid, uid, hash("dev-1"))
	if !got.FirstSeen.Equal(t0) || !got.LastSeen.Equal(later) || got.Label != "Firefox 2" || got.RememberUntil == nil {
		t.Fatalf("touched device: %+v", got)
	}
	wantErr(t, "TouchDevice 2", s.TouchDevice(ctx(t), &store.KnownDevice{TenantID: tid, UserID: uid, DeviceHash: hash("dev-2"),
		FirstSeen: later.Add(time.Minute), LastSeen: later.Add(time.Minute)}), nil)
	list, err := s.ListDevices(ctx(t), tid, uid)
	wantErr(t, "ListDevices", err, nil)
	if len(list) != 2 || string(list[0].DeviceHash) != string(hash("dev-2")) {
		t.Fatalf("devices: %d", len(list))
	}
	wantErr(t, "ForgetRememberedDevices", s.ForgetRememberedDevices(ctx(t), tid, uid), nil)
	got, _ = s.Device(ctx(t), tid, uid, hash("dev-1"))
	if got.RememberUntil != nil {
		t.Fatal("remembered device not forgotten")
	}

	l := &store.KnownLocation{TenantID: tid, UserID: uid, Key: "DE/Berlin", Label: "Berlin, Germany", FirstSeen: t0, LastSeen: t0}
	wantErr(t, "TouchLocation", s.TouchLocation(ctx(t), l), nil)
	wantErr(t, "TouchLocation again", s.TouchLocation(ctx(t), &store.KnownLocation{TenantID: tid, UserID: uid, Key: "DE/Berlin",
		Label: "Berlin", FirstSeen: later, LastSeen: later}), nil)
	gl, err := s.Location(ctx(t), tid, uid, "DE/Berlin")
	wantErr(t, "Location", err, nil)
	if !gl.FirstSeen.Equal(t0) || !gl.LastSeen.Equal(later) || gl.Label != "Berlin" {
		t.Fatalf("location: %+v", gl)
	}
	_, err = s.Location(ctx(t), tid, uid, "FR/Paris")
	wantErr(t, "unknown location", err, store.ErrNotFound)
	ls, err := s.ListLocations(ctx(t), tid, uid)
	wantErr(t, "ListLocations", err, nil)
	if len(ls) != 1 {
		t.Fatalf("locations: %d", len(ls))
	}
}

// testResetSecondFactors: a reset removes factors, codes, remembered
// devices and pending states of one user only.
func testResetSecondFactors(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	tid, uid := w.tenant.ID, w.user.ID
	other := mkUser(t, s, tid, "keep@acme.example.com")
	mkFactor(t, s, tid, uid, store.FactorTOTP, nil)
	mkFactor(t, s, tid, uid, store.FactorWebAuthn, nil)
	kept := mkFactor(t, s, tid, other.ID, store.FactorTOTP, nil)
	wantErr(t, "codes", s.ReplaceBackupCodes(ctx(t), &store.BackupCodeSet{ID: store.NewID(), TenantID: tid, UserID: uid, CreatedAt: t0,
		Codes: []store.BackupCode{{Index: 0, Hash: hash("c")}}}), nil)
	until := t0.Add(time.Hour)
	wantErr(t, "device", s.TouchDevice(ctx(t), &store.KnownDevice{TenantID: tid, UserID: uid, DeviceHash: hash("d"), FirstSeen: t0, LastSeen: t0, RememberUntil: &until}), nil)

	n, err := s.ResetSecondFactors(ctx(t), tid, uid)
	wantErr(t, "ResetSecondFactors", err, nil)
	if n != 2 {
		t.Fatalf("removed %d factors, want 2", n)
	}
	if l, _ := s.ListFactors(ctx(t), tid, uid); len(l) != 0 {
		t.Fatalf("%d factors left", len(l))
	}
	_, err = s.BackupCodeSet(ctx(t), tid, uid)
	wantErr(t, "codes after reset", err, store.ErrNotFound)
	d, _ := s.Device(ctx(t), tid, uid, hash("d"))
	if d == nil || d.RememberUntil != nil {
		t.Fatal("device should stay known but no longer remembered")
	}
	_, err = s.FactorByID(ctx(t), tid, other.ID, kept.ID)
	wantErr(t, "other user's factor", err, nil)
}

// testMFATenantIsolation: tenant B cannot see or change tenant A's rows.
func testMFATenantIsolation(t *testing.T, s store.Store) {
	a := mkWorld(t, s, "acme")
	b := mkWorld(t, s, "other")
	fa := mkFactor(t, s, a.tenant.ID, a.user.ID, store.FactorTOTP, nil)
	wa := mkFactor(t, s, a.tenant.ID, a.user.ID, store.FactorWebAuthn, func(f *store.Factor) { f.Verified = true })
	// The same credential id in another tenant is a different credential.
	mkFactor(t, s, b.tenant.ID, b.user.ID, store.FactorWebAuthn, func(f *store.Factor) { f.CredentialID = wa.CredentialID })

	_, err := s.FactorByID(ctx(t), b.tenant.ID, a.user.ID, fa.ID)
	wantErr(t, "FactorByID cross-tenant", err, store.ErrNotFound)
	wantErr(t, "AdvanceTOTPStep cross-tenant", s.AdvanceTOTPStep(ctx(t), b.tenant.ID, fa.ID, 5, t0), store.ErrNotFound)
	wantErr(t, "DeleteFactor cross-tenant", s.DeleteFactor(ctx(t), b.tenant.ID, a.user.ID, fa.ID), store.ErrNotFound)
	if l, _ := s.FactorsByUserHandle(ctx(t), b.tenant.ID, wa.UserHandle); len(l) != 0 {
		t.Fatal("FactorsByUserHandle crossed tenants")
	}
	if l, _ := s.ListFactors(ctx(t), b.tenant.ID, a.user.ID); len(l) != 0 {
		t.Fatal("ListFactors crossed tenants")
	}
	wantErr(t, "codes", s.ReplaceBackupCodes(ctx(t), &store.BackupCodeSet{ID: store.NewID(), TenantID: a.tenant.ID, UserID: a.user.ID,
		CreatedAt: t0, Codes: []store.BackupCode{{Index: 0, Hash: hash("c")}}}), nil)
	wantErr(t, "UseBackupCode cross-tenant", s.UseBackupCode(ctx(t), b.tenant.ID, a.user.ID, hash("c"), t0), store.ErrNotFound)
	if _, err := s.BackupCodeSet(ctx(t), b.tenant.ID, a.user.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("BackupCodeSet cross-tenant: %v", err)
	}
	ar := mkAuthRequest(t, s, a.tenant.ID, a.client.ID)
	wantErr(t, "PutLoginState", s.PutLoginState(ctx(t), &store.LoginState{TenantID: a.tenant.ID, AuthRequestID: ar.ID, UserID: a.user.ID,
		Step: "challenge", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}), nil)
	_, err = s.LoginState(ctx(t), b.tenant.ID, ar.ID, t0)
	wantErr(t, "LoginState cross-tenant", err, store.ErrNotFound)
	wantErr(t, "device", s.TouchDevice(ctx(t), &store.KnownDevice{TenantID: a.tenant.ID, UserID: a.user.ID, DeviceHash: hash("d"), FirstSeen: t0, LastSeen: t0}), nil)
	_, err = s.Device(ctx(t), b.tenant.ID, a.user.ID, hash("d"))
	wantErr(t, "Device cross-tenant", err, store.ErrNotFound)
	if n, _ := s.ResetSecondFactors(ctx(t), b.tenant.ID, a.user.ID); n != 0 {
		t.Fatal("ResetSecondFactors crossed tenants")
	}
}

// testConcurrentTOTPStep: 50 replicas accepting the same code, one wins.
func testConcurrentTOTPStep(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	f := mkFactor(t, s, w.tenant.ID, w.user.ID, store.FactorTOTP, nil)
	errs := race(func(int) error { return s.AdvanceTOTPStep(ctx(t), w.tenant.ID, f.ID, 1000, t0) })
	oneWinner(t, "AdvanceTOTPStep race", errs, store.ErrAlreadyUsed)
	c := &store.OTPChallenge{ID: store.NewID(), TenantID: w.tenant.ID, UserID: w.user.ID, FactorID: f.ID, Purpose: store.OTPPurposeLogin,
		Binding: "b", Destination: "x", CodeHash: hash("c"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateOTPChallenge", s.CreateOTPChallenge(ctx(t), c), nil)
	errs = race(func(int) error { return s.ConsumeOTPChallenge(ctx(t), w.tenant.ID, c.ID, t0) })
	oneWinner(t, "ConsumeOTPChallenge race", errs, store.ErrAlreadyUsed)
}

// testConcurrentAttemptCounters: 50 replicas counting attempts against a
// limit of 5 let exactly 5 through, for a sent code and for a login; 50
// replicas storing the same WebAuthn counter: one wins.
func testConcurrentAttemptCounters(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	f := mkFactor(t, s, w.tenant.ID, w.user.ID, store.FactorSMS, nil)
	c := &store.OTPChallenge{ID: store.NewID(), TenantID: w.tenant.ID, UserID: w.user.ID, FactorID: f.ID, Purpose: store.OTPPurposeLogin,
		Binding: "b", Destination: f.Destination, CodeHash: hash("c"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateOTPChallenge", s.CreateOTPChallenge(ctx(t), c), nil)
	count := func(what string, errs []error) {
		t.Helper()
		if ok := countReserved(t, what, errs); ok != 5 {
			t.Fatalf("%s: %d attempts got through a limit of 5", what, ok)
		}
	}
	count("CountOTPAttempt", race(func(int) error { _, err := s.CountOTPAttempt(ctx(t), w.tenant.ID, c.ID, 5); return err }))
	ar := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	wantErr(t, "PutLoginState", s.PutLoginState(ctx(t), &store.LoginState{TenantID: w.tenant.ID, AuthRequestID: ar.ID, UserID: w.user.ID,
		Step: "challenge", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}), nil)
	count("CountLoginAttempt", race(func(int) error { _, err := s.CountLoginAttempt(ctx(t), w.tenant.ID, ar.ID, 5); return err }))
	// Only one of many racing requests moves the login on.
	errs := race(func(int) error {
		return s.AdvanceLoginState(ctx(t), &store.LoginState{TenantID: w.tenant.ID, AuthRequestID: ar.ID, Step: "done"}, "challenge")
	})
	oneWinner(t, "AdvanceLoginState race", errs, store.ErrConflict)
	wa := mkFactor(t, s, w.tenant.ID, w.user.ID, store.FactorWebAuthn, nil)
	errs = race(func(int) error { return s.AdvanceSignCount(ctx(t), w.tenant.ID, wa.ID, 9, []byte(`{}`), t0) })
	oneWinner(t, "AdvanceSignCount race", errs, store.ErrAlreadyUsed)
}

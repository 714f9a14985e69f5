package audit

import "slices"

// Kind is one group of a person's own activity, as the activity page
// filters it.
type Kind struct {
	Name  string // the filter's value: "signin", "security", "devices", "accounts"
	Label string
	Types []string
}

// personalKinds are the events a person sees about themselves, by kind,
// each with the title the activity page shows. Events about the tenant
// (clients, connections, keys, exports) and the internals of a sign-in
// (policy decisions, codes sent) are not here: they are the owners' log.
var personalKinds = []struct {
	Kind
	titles map[string]string
}{
	{Kind{Name: "signin", Label: "Sign-ins and sign-outs"}, map[string]string{
		LoginPasswordSucceeded:     "Signed in with your password",
		LoginPasswordFailed:        "A sign-in with your password failed",
		LoginPasswordExpired:       "Your password had expired at sign-in",
		LoginPasskeySucceeded:      "Signed in with a passkey",
		LoginPasskeyFailed:         "A sign-in with a passkey failed",
		LoginSSO:                   "Signed in to an app with your existing session",
		FederationLogin:            "Signed in with a connected account",
		LoginThrottled:             "A sign-in was refused: too many attempts",
		LoginLocked:                "Sign-ins were locked after repeated failures",
		LoginUnlocked:              "An administrator unlocked your sign-in",
		LoginRequestForeignBrowser: "A sign-in was continued from another browser and refused",
		SessionCreated:             "A new session started",
		SessionReauthenticated:     "You confirmed your sign-in again",
		SessionLogout:              "Signed out",
		SessionEnded:               "A session ended",
		MFAChallengeSucceeded:      "Passed the second factor",
		MFAChallengeFailed:         "A second-factor attempt failed",
		MFAChallengeExhausted:      "A sign-in ran out of second-factor attempts",
		MFAChallengeLocked:         "Second-factor attempts were locked for a while",
		MFAUnusable:                "A sign-in needed a second factor you cannot use there",
	}},
	{Kind{Name: "security", Label: "Passwords and second factors"}, map[string]string{
		UserPasswordChanged:             "Your password was changed",
		UserPasswordChangeFailed:        "A password change gave a wrong current password",
		PasswordResetRequested:          "A password reset link was emailed to you",
		PasswordResetLinkRefused:        "A password reset link was refused",
		PasswordResetSecondFactor:       "Passed the second factor of a password reset",
		PasswordResetSecondFactorFailed: "A password reset's second factor failed",
		PasswordResetSuppressed:         "A password reset email was held back: too many requests",
		MFAFactorEnrolled:               "A second factor was added",
		MFAFactorRemoved:                "A second factor was removed",
		MFAFactorRenamed:                "A second factor was renamed",
		MFAFactorDefault:                "Your default second factor changed",
		MFAEnrollFailed:                 "Adding a second factor failed",
		MFABackupCodesGenerated:         "New backup codes were made",
		MFABackupCodesDownloaded:        "Your backup codes were downloaded",
		MFABackupCodeUsed:               "A backup code was used",
		MFAReset:                        "An administrator removed your second factors",
		MFAWebauthnCloned:               "A passkey was refused as a possible copy",
		AccountSensitive:                "A security change was confirmed",
		AccountSensitiveRefused:         "A security change needed a fresh sign-in",
	}},
	{Kind{Name: "devices", Label: "Devices and locations"}, map[string]string{
		LoginNewDevice:       "Signed in from a new browser",
		LoginNewLocation:     "Signed in from a new location",
		LoginBlockedDevice:   "A sign-in from a blocked browser was refused",
		LoginBlockedLocation: "A sign-in from a blocked location was refused",
		DeviceBlock:          "A browser was blocked",
		DeviceUnblock:        "A browser was unblocked",
		DeviceForget:         "A browser was forgotten",
		LocationBlock:        "A location was blocked",
		LocationUnblock:      "A location was unblocked",
		LocationForget:       "A location was forgotten",
		MFADeviceRemembered:  "A browser was remembered for the second factor",
		MFADevicesForgotten:  "Every remembered browser was forgotten",
	}},
	{Kind{Name: "accounts", Label: "Connected accounts"}, map[string]string{
		FederationLink:       "An account was connected",
		FederationUnlink:     "An account was disconnected",
		FederationJITCreated: "Your account was created from a connected account",
		FederationRefused:    "Signing in with a connected account was refused",
	}},
}

func init() {
	for i := range personalKinds {
		k := &personalKinds[i]
		for t := range k.titles {
			k.Types = append(k.Types, t)
		}
		slices.Sort(k.Types)
	}
}

// PersonalKinds lists the kinds of a person's own activity.
func PersonalKinds() []Kind {
	out := make([]Kind, len(personalKinds))
	for i, k := range personalKinds {
		out[i] = k.Kind
		out[i].Types = slices.Clone(k.Types)
	}
	return out
}

// PersonalTypes is the event types of one kind, or of every kind for "";
// nil for an unknown kind.
func PersonalTypes(kind string) []string {
	var out []string
	for _, k := range personalKinds {
		if kind == "" || kind == k.Name {
			out = append(out, k.Types...)
		}
	}
	return out
}

// PersonalTitle is how the activity page names an event type ("" when the
// type is not shown to people).
func PersonalTitle(typ string) string {
	for _, k := range personalKinds {
		if t, ok := k.titles[typ]; ok {
			return t
		}
	}
	return ""
}

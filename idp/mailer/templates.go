package mailer

import (
	htmltemplate "html/template"
	"io/fs"
	texttemplate "text/template"

	"github.com/gatehouse-idp/gatehouse/templates"
)

// The emails (names in templates/email).
const (
	// Second factors.
	Code               = "code"                 // a sign-in or enrolment code (Code, Minutes, Enroll)
	FactorAdded        = "factor_added"         // Factor
	FactorRemoved      = "factor_removed"       // Factor
	BackupCodeUsed     = "backup_code_used"     // Remaining, Low
	SecondFactorFailed = "second_factor_failed" // the first factor passed, the second did not
	// Access policies.
	PasswordChanged = "password_changed"
	PasswordReset   = "password_reset" // Link, Minutes
	AccountLocked   = "account_locked" // Minutes, Failures
	// Devices and locations.
	BlockedAttempt = "blocked_attempt" // What: "device" or "location"
	NewDevice      = "new_device"
	NewLocation    = "new_location" // Location
	// Sensitive account actions: the one email of a guarded change.
	AccountChanged = "account_changed" // Action, Detail
	// The audit log: a background export finished (no data from the log).
	AuditExportReady = "audit_export_ready" // Export, Since, Until, Format, Days, Failed
)

// kinds are the emails ParseTemplates loads.
var kinds = []string{Code, FactorAdded, FactorRemoved, BackupCodeUsed, SecondFactorFailed,
	PasswordChanged, PasswordReset, AccountLocked, BlockedAttempt, NewDevice, NewLocation, AccountChanged,
	AuditExportReady}

// Templates are the parsed emails.
type Templates struct {
	m map[string]emailTemplate
}

type emailTemplate struct {
	text *texttemplate.Template // "subject" and "text"
	html *htmltemplate.Template // "html"
}

// ParseTemplates parses every email of templates/email; a missing or broken
// one fails here, at start-up, not when it is first sent.
func ParseTemplates() (*Templates, error) {
	root := templates.FS()
	out := &Templates{m: map[string]emailTemplate{}}
	for _, name := range kinds {
		txt, err := fs.ReadFile(root, "email/"+name+".txt")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(name).Option("missingkey=error").Parse(string(txt))
		if err != nil {
			return nil, err
		}
		ht, err := htmltemplate.ParseFS(root, "email/"+name+".html")
		if err != nil {
			return nil, err
		}
		out.m[name] = emailTemplate{text: tt, html: ht.Option("missingkey=error")}
	}
	return out, nil
}

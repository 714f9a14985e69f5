package backupcodes

import (
	"bytes"
	"fmt"
	"time"
)

// Text renders the downloadable backup-codes file (UTF-8, "\n" line ends):
// a heading with the tenant and account, the codes one per line as
// "XXXXX-XXXXX", the generation time in UTC, and what the user must know
// about using them.
func Text(tenantName, email string, codes []string, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Backup codes for %s\n", clean(tenantName))
	fmt.Fprintf(&b, "Account: %s\n", clean(email))
	fmt.Fprintf(&b, "Generated: %s\n", now.UTC().Format("2006-01-02 15:04 MST"))
	b.WriteString("\n")
	for _, c := range codes {
		b.WriteString(clean(Format(c)))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString("Each code works once. Use one when you cannot use your usual second factor.\n")
	b.WriteString("Generating new backup codes invalidates all of these.\n")
	b.WriteString("Keep this file somewhere safe, such as a password manager.\n")
	return b.Bytes()
}

// Package mailer sends the security emails: the code email of the second
// factor, and the notices about an account (password changed or reset
// link, sign-in locked, factor added or removed, backup code used, second
// factor failed, blocked attempt, new device or location, account changed).
// Each is templates/email/KIND.txt (subject and text) and KIND.html,
// rendered with the tenant's sender name.
//
// A notice is assembled during the request (who, when, from which address
// and browser) and delivered after the response, in the background with its
// own deadline: a page answers at once and a slow mail server never holds a
// sign-in. Wait lets a process finish the deliveries before it exits.
//
// mailer is tier 2 of the package map (docs/architecture.md). It may import
// the tier-1 packages (idp/web for the request's facts), the libraries
// (idp/store types, idp/notify, idp/device, templates) and the standard
// library; never package idp, another tier-2 package or a handler package.
// What only the root knows — the sensitive-action guard that folds a
// request's notices into one email — is injected as a function (Hold).
package mailer

// Package smstest runs local HTTP servers that receive the SMS Gatehouse sends, for tests:
//
//   - Twilio: the Twilio Messages API shape (POST /2010-04-01/Accounts/{sid}/Messages.json,
//     HTTP basic auth, form fields To/From/Body, 201 JSON with a sid, Twilio-style JSON
//     errors). Point notify.TwilioConfig.APIURL at URL().
//   - Webhook: a receiver for notify.WebhookSender that checks every request with
//     notify.VerifyWebhook and records only the authentic ones.
//
// Both keep what they accepted; WaitFor(to, timeout) hands end-to-end tests the next
// message for a number, so a test can read the code it was sent.
//
// Test support only: it imports notify (for VerifyWebhook) and must NOT import idp/store
// or other idp packages.
package smstest

// Package device describes the browser a sign-in comes from and mints the device cookie
// that lets the risk step recognise it next time.
//
//   - Describe turns a User-Agent header into a short, display-safe Info ("Chrome 120 on
//     macOS") for the sessions and devices pages and the new-device notice, using
//     github.com/mileusna/useragent. A User-Agent is attacker-controlled text: Info is
//     for showing, never for a security decision.
//   - NewDeviceID / HashDeviceID make the random device cookie value and the hash the
//     database keeps in its place, so a database leak does not yield usable cookies.
//
// device is a leaf: it must NOT import idp/store or any other idp package.
package device

package tenant

// AccountClientID is the internal client of the account pages: signing in
// to them runs the same login transaction as any relying party, with this
// client id and the account page as the "redirect", so every step a tenant
// demands of a sign-in applies there too. No stored client has this id.
const AccountClientID = "_gatehouse_account"

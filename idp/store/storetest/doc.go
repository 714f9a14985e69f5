// Package storetest is the conformance suite every store backend passes:
// RunTests(t, newStore) runs one subtest per aggregate plus tenant isolation,
// expiry and concurrency, each against a fresh empty store. A backend's own
// test is a few lines that say how to make that store.
//
// Beyond the doc comments in package store, the suite pins these behaviours,
// which callers may rely on:
//
//   - times come back in UTC, truncated to the microsecond; a zero time
//     (User.PasswordChangedAt, AuthRequest.AuthTime before login) stays zero;
//   - empty lists, maps and byte slices come back nil; pointers keep nil vs set
//     (MaxAge 0 is not nil);
//   - Create* fills an empty ID with store.NewID() (action tokens are keyed by
//     their hash); emails are lower-cased on create and update and matched
//     case-insensitively;
//   - Update* and SetPassword also save UpdatedAt (the caller's clock); an
//     UpdatedAt left zero keeps the stored one;
//   - a row naming an unknown tenant (or an unknown user, for sessions and
//     action tokens) is ErrNotFound;
//   - lists: tenants by slug, users by email, clients by id, a user's sessions
//     newest first, signing keys newest first, audit events newest first
//     (events of the same instant newest-appended first);
//   - "expired at now" means now >= ExpiresAt; used or revoked is reported
//     before expired;
//   - RotateRefreshToken sets next.TenantID and next.FamilyID from the old
//     token. When racing rotations of one token, exactly one succeeds and
//     stores its next token; every loser gets ErrAlreadyUsed and, per reuse
//     detection, revokes the family, so afterwards the winner's new token is
//     revoked too and the family's access tokens are inactive;
//   - EndSession revokes the session's refresh tokens and their families, so
//     access tokens naming only the family are inactive as well; a family
//     revocation outlives the family's refresh tokens in DeleteExpiredTokens;
//   - DeleteClient also removes the client's auth requests and refresh tokens
//     and revokes its refresh families;
//   - RevokeRefreshFamily of a family with no tokens in the tenant is
//     ErrNotFound; RetireSigningKeys with an unknown keepID is ErrNotFound and
//     changes nothing; the DeleteExpired* methods work across tenants.
//
// This package imports only store and the standard library.
package storetest

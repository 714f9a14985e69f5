// Package audit records security events and owns their catalogue.
//
// Every event type Gatehouse writes is a constant in events.go, grouped by
// area, with a line saying when it is written; Catalogue lists them all with
// that line. Code elsewhere names an event type only through these constants:
// never a string literal, never a type built at run time from fragments.
// TestNoEventTypeOutsideCatalogue scans the repository's source for that.
// The string values are stored data: a constant's value never changes.
//
// Recorder appends an event with its id, time, client IP and user agent
// filled in; a store failure is logged, never silent.
//
// audit is tier 1 of the package split (docs/architecture.md). It may import
// idp/store (types only), log/slog and the standard library; never package
// idp or a handler package. What it needs of a request (IP, user agent) is
// injected as a function.
package audit

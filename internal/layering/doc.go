// Package layering holds only a test: the allowed import directions of the
// package map in docs/architecture.md (tiers 0 to 4; imports point down).
package layering

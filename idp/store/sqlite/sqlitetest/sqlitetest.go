// Package sqlitetest opens the throwaway stores unit tests run on: an
// in-memory SQLite database with every migration applied, closed when the
// test ends. It is a test helper for packages above the store; the store's
// own conformance suite lives in idp/store/storetest.
package sqlitetest

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

// Open returns a migrated in-memory store that closes when t ends.
func Open(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

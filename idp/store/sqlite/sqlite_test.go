package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
	"github.com/gatehouse-idp/gatehouse/idp/store/storetest"
)

func open(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

func TestConformanceMemory(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return open(t, sqlite.Memory) })
}

func TestConformanceFile(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

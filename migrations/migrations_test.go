package migrations

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"
)

// versionsOf lists the versions of the .sql files in fsys, in file order, and
// fails on a file whose name has no version or no goose Up section.
func versionsOf(t *testing.T, fsys fs.FS) []int64 {
	t.Helper()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := strings.TrimSuffix(name, path.Ext(name)); len(want) < 6 || want[5] != '_' {
			t.Errorf("%s: want a five-digit version and a name, like 00001_init.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "-- +goose Up") {
			t.Errorf("%s: no '-- +goose Up' section", name)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestVersionsStartAtOneWithoutGaps(t *testing.T) {
	for _, d := range []Dialect{DialectPostgres, DialectSQLite} {
		t.Run(string(d), func(t *testing.T) {
			fsys, err := FS(d)
			if err != nil {
				t.Fatal(err)
			}
			vs := versionsOf(t, fsys)
			if len(vs) == 0 {
				t.Fatal("no migrations")
			}
			slices.Sort(vs)
			for i, v := range vs {
				if v != int64(i+1) {
					t.Fatalf("versions %v: position %d holds %d, want %d (start at 1, no gaps, no duplicates)", vs, i, v, i+1)
				}
			}
		})
	}
}

func TestDialectsHaveSameVersions(t *testing.T) {
	pg, lite := versionsOf(t, Postgres()), versionsOf(t, SQLite())
	slices.Sort(pg)
	slices.Sort(lite)
	if !slices.Equal(pg, lite) {
		t.Fatalf("postgres versions %v, sqlite versions %v", pg, lite)
	}
}

func TestUnknownDialect(t *testing.T) {
	if _, err := FS("mysql"); err == nil {
		t.Fatal("FS(mysql): want an error")
	}
	if _, err := NewProvider(&sql.DB{}, "mysql"); err == nil {
		t.Fatal("NewProvider(mysql): want an error")
	}
}

// upDownUp applies every migration, checks a second Apply does nothing, rolls
// everything back and applies it again: the Down sections must work too.
func upDownUp(t *testing.T, db *sql.DB, d Dialect) {
	ctx := context.Background()
	fsys, _ := FS(d)
	all := versionsOf(t, fsys)
	slices.Sort(all)

	applied, err := Apply(ctx, db, d)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !slices.Equal(applied, all) {
		t.Fatalf("Apply applied %v, want %v", applied, all)
	}
	applied, err = Apply(ctx, db, d)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Apply = %v, %v; want nothing applied", applied, err)
	}

	p, err := NewProvider(db, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0): %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
		t.Fatalf("after DownTo(0): version %d, %v", v, err)
	}
	applied, err = Apply(ctx, db, d)
	if err != nil || !slices.Equal(applied, all) {
		t.Fatalf("Apply after down = %v, %v; want %v", applied, err, all)
	}
}

func TestSQLiteUpDownUp(t *testing.T) {
	db, err := sql.Open("sqlite", "file:/migrations-test?vfs=memdb&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	upDownUp(t, db, DialectSQLite)
}

// TestPostgresUpDownUp runs in a fresh schema of the test database. Postgres
// being unreachable is a failure unless GATEHOUSE_SKIP_POSTGRES=1.
func TestPostgresUpDownUp(t *testing.T) {
	if os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
		t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
	}
	url := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("postgres unreachable (set GATEHOUSE_SKIP_POSTGRES=1 to skip): %v", err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })

	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "gh_migrations_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})

	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	upDownUp(t, db, DialectPostgres)
}

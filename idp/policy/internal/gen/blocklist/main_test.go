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
	got := build(ranked, 7) // "monkey" is beyond the limit
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

func TestRunFromTarball(t *testing.T) {
	dir := t.TempDir()
	tgz := fakeTarball(t, map[string]string{
		"package/package.json": `{"name":"x"}`,
		passwordsPath:          `["qwerty","Dragon","qwerty","abc123"]`,
	})
	path := filepath.Join(dir, "pkg.tgz")
	if err := os.WriteFile(path, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(tgz)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	out := filepath.Join(dir, "out.txt.gz")

	if err := run("unused", path, integrity, 100, out); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(out)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(zr)
	if string(text) != "abc123\ndragon\nqwerty\n" {
		t.Errorf("output %q", text)
	}

	err = run("unused", path, "sha512-AAAA", 100, out)
	if err == nil || !strings.Contains(err.Error(), "does not match the pinned") {
		t.Errorf("integrity mismatch: %v", err)
	}

	empty := filepath.Join(dir, "empty.tgz")
	if err := os.WriteFile(empty, fakeTarball(t, map[string]string{"package/README.md": "hi"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run("unused", empty, "", 100, out); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing passwords.json: %v", err)
	}
}

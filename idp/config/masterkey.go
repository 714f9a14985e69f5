package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the decoded master key (AES-256).
const MasterKeySize = 32

// DevMasterKeyFile is the file in data_dir that holds the generated master
// key in dev mode.
const DevMasterKeyFile = "master.key"

// decodeMasterKey accepts standard or URL-safe base64, padded or not, with
// surrounding white space, of exactly MasterKeySize bytes. Its errors never
// contain the key.
func decodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("it decodes to %d bytes", len(key))
		}
		return key, nil
	}
	return nil, errors.New("it is not base64")
}

// LoadOrCreateDevMasterKey returns the dev-mode master key kept in
// {dataDir}/master.key, creating the directory (0700) and the file (0600,
// 32 random bytes in base64) on first use. Load calls it in dev mode when
// no master key is configured; the key then survives restarts, so data
// sealed in one dev run opens in the next. Never use it outside dev mode.
func LoadOrCreateDevMasterKey(dataDir string) (string, error) {
	return loadOrCreateDevMasterKey(dataDir, rand.Reader)
}

func loadOrCreateDevMasterKey(dataDir string, random io.Reader) (string, error) {
	path := filepath.Join(dataDir, DevMasterKeyFile)
	key, err := readDevMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("config: creating data_dir for the dev master key: %w", err)
	}
	raw := make([]byte, MasterKeySize)
	if _, err := io.ReadFull(random, raw); err != nil {
		return "", fmt.Errorf("config: generating the dev master key: %w", err)
	}
	key = base64.StdEncoding.EncodeToString(raw)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readDevMasterKey(path) // another process created it first
	}
	if err != nil {
		return "", fmt.Errorf("config: creating the dev master key: %w", err)
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written key would fail every later start
		return "", fmt.Errorf("config: writing the dev master key: %w", err)
	}
	return key, nil
}

func readDevMasterKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: reading the dev master key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if _, err := decodeMasterKey(key); err != nil {
		return "", fmt.Errorf("config: dev master key file %s must hold base64 of %d bytes (%v); delete it to generate a new one (data sealed with the old key becomes unreadable)", path, MasterKeySize, err)
	}
	return key, nil
}

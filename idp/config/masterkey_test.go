package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDevMasterKeyPersistsAcrossLoads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	s := src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir}}

	first, err := Load(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.MasterKeyBytes()) != MasterKeySize {
		t.Fatalf("dev load gave master key of %d bytes", len(first.MasterKeyBytes()))
	}
	info, err := os.Stat(filepath.Join(dir, DevMasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("master.key mode = %o, want 600", perm)
	}

	second, err := Load(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	if second.MasterKey != first.MasterKey {
		t.Error("second dev load generated a different master key")
	}
}

func TestDevMasterKeyNotCreatedWhenConfigured(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_MASTER_KEY": testKey}}.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterKey != testKey {
		t.Errorf("master key = %q, want the configured one", c.MasterKey)
	}
	if _, err := os.Stat(filepath.Join(dir, DevMasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("master.key written although a key was configured (stat err %v)", err)
	}
}

func TestDevMasterKeyNotCreatedForInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_LOG_LEVEL": "loud"}}.sources(t))
	if err == nil {
		t.Fatal("invalid log_level accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, DevMasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("master.key written for a configuration that failed validation")
	}
}

func TestLoadOrCreateDevMasterKey(t *testing.T) {
	t.Run("uses the random source", func(t *testing.T) {
		dir := t.TempDir()
		raw := bytes.Repeat([]byte{0xab}, 32)
		key, err := loadOrCreateDevMasterKey(dir, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if key != base64.StdEncoding.EncodeToString(raw) {
			t.Errorf("key = %q", key)
		}
		again, err := loadOrCreateDevMasterKey(dir, iotest.ErrReader(errors.New("must not read")))
		if err != nil || again != key {
			t.Errorf("second call = %q, %v; want the stored key", again, err)
		}
	})
	t.Run("random source fails", func(t *testing.T) {
		dir := t.TempDir()
		boom := errors.New("no entropy")
		if _, err := loadOrCreateDevMasterKey(dir, iotest.ErrReader(boom)); !errors.Is(err, boom) {
			t.Errorf("err = %v, want %v", err, boom)
		}
		if _, err := os.Stat(filepath.Join(dir, DevMasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Error("a key file was left behind")
		}
	})
	t.Run("corrupt file is reported, not replaced", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, DevMasterKeyFile)
		if err := os.WriteFile(path, []byte("c2hvcnQ=\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateDevMasterKey(dir)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "decodes to 5 bytes") {
			t.Errorf("err = %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "c2hvcnQ=\n" {
			t.Error("corrupt key file was overwritten")
		}
	})
	t.Run("hand-written key with spaces and URL alphabet", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, DevMasterKeyFile), []byte("  "+testKeyB64URL+"\n\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := LoadOrCreateDevMasterKey(dir)
		if err != nil || key != testKeyB64URL {
			t.Errorf("key = %q, %v", key, err)
		}
	})
}

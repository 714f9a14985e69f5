package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// OWASP returns the OWASP Password Storage Cheat Sheet's first argon2id row:
// 19 MiB of memory, 2 iterations, 1 degree of parallelism.
func OWASP() Params { return Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1} }

const (
	saltLen = 16
	keyLen  = 32
)

var (
	// ErrMismatch: the password does not match the hash.
	ErrMismatch = errors.New("password: mismatch")
	// ErrMalformedHash: the stored hash is not an argon2id PHC string.
	ErrMalformedHash = errors.New("password: malformed hash")
)

// Hasher computes argon2id hashes with bounded concurrency.
type Hasher struct {
	params Params
	rand   io.Reader
	slots  chan struct{}

	dummyOnce sync.Once
	dummy     string
}

// NewHasher returns a Hasher admitting maxConcurrent computations at once
// (GOMAXPROCS when <= 0). rnd is the salt source (crypto/rand when nil).
func NewHasher(p Params, maxConcurrent int, rnd io.Reader) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Hasher{params: p, rand: rnd, slots: make(chan struct{}, maxConcurrent)}
}

// dummyHash is a fixed hash to verify against when the user does not exist,
// so unknown and known users cost the same time. It is made on first use:
// computing it costs MemoryKiB of memory that an idle server should not hold.
func (h *Hasher) dummyHash() string {
	h.dummyOnce.Do(func() {
		p := h.params
		salt := make([]byte, saltLen)
		h.dummy = encode(p, salt, argon2.IDKey([]byte("gatehouse-dummy"), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen))
	})
	return h.dummy
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	return encode(p, salt, key), nil
}

// Verify checks password against a PHC hash in constant time. An empty hash
// (a user without a password, or no user at all) is checked against a dummy
// hash so the timing does not tell, and always fails with ErrMismatch.
func (h *Hasher) Verify(ctx context.Context, hash, password string) error {
	useDummy := hash == ""
	if useDummy {
		hash = h.dummyHash()
	}
	p, salt, want, err := decode(hash)
	if err != nil {
		return err
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(want)))
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 || useDummy {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash was made with weaker parameters than h's.
func (h *Hasher) NeedsRehash(hash string) bool {
	p, _, _, err := decode(hash)
	if err != nil {
		return true
	}
	return p.MemoryKiB < h.params.MemoryKiB || p.Iterations < h.params.Iterations
}

var b64 = base64.RawStdEncoding

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	if p.MemoryKiB == 0 || p.Iterations == 0 || p.Parallelism == 0 || p.MemoryKiB > 4<<20 || p.Iterations > 64 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

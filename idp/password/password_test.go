package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cheap parameters keep the unit tests fast; OWASP parameters are exercised once.
var testParams = Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

func TestHashVerify(t *testing.T) {
	h := NewHasher(testParams, 2, nil)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected PHC string %q", hash)
	}
	if err := h.Verify(ctx, hash, "correct horse battery staple"); err != nil {
		t.Fatalf("verify right password: %v", err)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "} {
		if err := h.Verify(ctx, hash, wrong); !errors.Is(err, ErrMismatch) {
			t.Errorf("verify %q: got %v, want ErrMismatch", wrong, err)
		}
	}
	again, _ := h.Hash(ctx, "correct horse battery staple")
	if again == hash {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestEmptyHashAlwaysFails(t *testing.T) {
	h := NewHasher(testParams, 1, nil)
	for _, pw := range []string{"", "gatehouse-dummy", "x"} {
		if err := h.Verify(context.Background(), "", pw); !errors.Is(err, ErrMismatch) {
			t.Errorf("empty hash with %q: got %v, want ErrMismatch", pw, err)
		}
	}
}

func TestMalformedHash(t *testing.T) {
	h := NewHasher(testParams, 1, nil)
	for _, bad := range []string{
		"plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if err := h.Verify(context.Background(), bad, "x"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%q: got %v, want ErrMalformedHash", bad, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	weak := NewHasher(testParams, 1, nil)
	strong := NewHasher(OWASP(), 1, nil)
	hash, _ := weak.Hash(context.Background(), "pw")
	if !strong.NeedsRehash(hash) {
		t.Fatal("weak hash should need rehash under OWASP parameters")
	}
	if weak.NeedsRehash(hash) {
		t.Fatal("hash made with the same parameters should not need rehash")
	}
}

func TestOWASPParams(t *testing.T) {
	h := NewHasher(OWASP(), 1, nil)
	hash, err := h.Hash(context.Background(), "pw")
	if err != nil || !strings.Contains(hash, "m=19456,t=2,p=1") {
		t.Fatalf("hash %q err %v", hash, err)
	}
}

// TestConcurrencyBounded proves no more than MaxConcurrent computations run at once.
func TestConcurrencyBounded(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 8 * 1024, Iterations: 1, Parallelism: 1}, 2, nil)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	// Observe the semaphore while 16 goroutines hash.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				n := int32(len(h.slots))
				running.Store(n)
				if n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Hash(context.Background(), "pw"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if p := peak.Load(); p > 2 || p == 0 {
		t.Fatalf("peak concurrent hashes = %d, want 1..2", p)
	}
}

func TestWaitRespectsContext(t *testing.T) {
	h := NewHasher(testParams, 1, nil)
	h.slots <- struct{}{} // occupy the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
}

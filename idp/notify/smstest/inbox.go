package smstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// inbox keeps received items in arrival order and lets WaitFor take each one once.
type inbox[T any] struct {
	mu      sync.Mutex
	items   []T
	taken   []bool
	changed chan struct{} // closed and replaced whenever items grows
}

func newInbox[T any]() *inbox[T] { return &inbox[T]{changed: make(chan struct{})} }

func (b *inbox[T]) add(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, v)
	b.taken = append(b.taken, false)
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *inbox[T]) all() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]T(nil), b.items...)
}

// waitFor returns the oldest item matching match that no earlier waitFor returned.
func (b *inbox[T]) waitFor(what string, timeout time.Duration, match func(T) bool) (T, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		for i, v := range b.items {
			if !b.taken[i] && match(v) {
				b.taken[i] = true
				b.mu.Unlock()
				return v, nil
			}
		}
		changed, total := b.changed, len(b.items)
		b.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			var zero T
			return zero, fmt.Errorf("smstest: no new message for %s within %s (%d received in total)", what, timeout, total)
		}
	}
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

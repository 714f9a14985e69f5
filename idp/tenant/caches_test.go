package tenant

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTTLCache[string, int](func() time.Time { return now })
	loads := 0
	load := func(v int, err error) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { loads++; return v, err }
	}
	ctx := context.Background()
	if v, _ := c.get(ctx, "a", load(1, nil)); v != 1 || loads != 1 {
		t.Fatalf("first get: %d, %d loads", v, loads)
	}
	now = now.Add(cacheTTL - time.Nanosecond)
	if v, _ := c.get(ctx, "a", load(2, nil)); v != 1 || loads != 1 {
		t.Fatalf("within TTL: %d, %d loads", v, loads)
	}
	now = now.Add(time.Nanosecond)
	if v, _ := c.get(ctx, "a", load(3, nil)); v != 3 || loads != 2 {
		t.Fatalf("at TTL: %d, %d loads", v, loads)
	}
	// Errors are not cached.
	boom := errors.New("boom")
	if _, err := c.get(ctx, "b", load(0, boom)); !errors.Is(err, boom) {
		t.Fatalf("error: %v", err)
	}
	if v, _ := c.get(ctx, "b", load(4, nil)); v != 4 {
		t.Fatalf("after an error the value must be loaded: %d", v)
	}
	c.forget("b")
	if v, _ := c.get(ctx, "b", load(5, nil)); v != 5 {
		t.Fatalf("after forget: %d", v)
	}
	// The cache is bounded.
	for i := 0; i < cacheMax+10; i++ {
		c.put(string(rune(i)), i, now)
	}
	if n := len(c.m); n > cacheMax {
		t.Fatalf("%d entries, bound %d", n, cacheMax)
	}
}

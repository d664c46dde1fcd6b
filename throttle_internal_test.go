package gqljwt

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestMemoryCounterBound: a full counter sheds expired entries, then an
// eighth of the rest, and keeps counting.
func TestMemoryCounterBound(t *testing.T) {
	m := NewMemoryAttemptCounter().(*memoryCounter)
	m.max = 64
	ctx, now := context.Background(), time.Now()
	for i := range 1000 {
		if _, err := m.Increment(ctx, fmt.Sprint("k", i), 1, now, time.Hour); err != nil {
			t.Fatal(err)
		}
		if n := m.c.ItemCount(); n > m.max {
			t.Fatalf("after %d keys: %d entries, bound %d", i+1, n, m.max)
		}
	}
	if n, _, _ := m.Get(ctx, "k999", now); n != 1 {
		t.Fatalf("the newest key: %d", n)
	}
	for range 3 {
		if _, err := m.Increment(ctx, "k999", 1, now, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _ := m.Get(ctx, "k999", now); n != 4 {
		t.Fatalf("an existing key keeps counting when full: %d", n)
	}
}

func TestThrottleAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                 "192.0.2.1",
		"::ffff:192.0.2.1":          "192.0.2.1",
		"2001:db8::1":               "2001:db8::/64",
		"2001:db8:0:0:ffff::1":      "2001:db8::/64",
		"2001:db8:0:1::1":           "2001:db8:0:1::/64",
		"fe80::1%eth0":              "fe80::/64",
		"":                          "",
		"not an address":            "not an address",
		"2001:db8::1:40000:bad:bad": "2001:db8::1:40000:bad:bad",
	} {
		if got := throttleAddr(in); got != want {
			t.Errorf("throttleAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLockoutDuration(t *testing.T) {
	for level, want := range map[int64]time.Duration{
		1: 15 * time.Minute, 2: 30 * time.Minute, 7: 16 * time.Hour, 8: 24 * time.Hour, 1000: 24 * time.Hour, 0: 15 * time.Minute,
	} {
		if got := lockoutDuration(15*time.Minute, 24*time.Hour, level); got != want {
			t.Errorf("level %d: %s, want %s", level, got, want)
		}
	}
}

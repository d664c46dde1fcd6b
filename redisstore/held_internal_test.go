package redisstore

import (
	"testing"
	"time"
)

// TestOwnRevocationsLapse: the store's own revocations stop counting
// after CacheTTL, and from then on the check skips the lock again (it
// used to take it forever after the first revocation).
func TestOwnRevocationsLapse(t *testing.T) {
	s := &Revocations{o: newOptions([]Option{CacheTTL(10 * time.Millisecond)})}
	s.remember("k", time.Now().Add(time.Hour))
	if now := time.Now(); !revokedHere(s, now, now, "k", "") {
		t.Fatal("a revocation just written is not seen")
	}
	time.Sleep(20 * time.Millisecond)
	s.mu.Lock() // a check that took the lock would wait here
	done := make(chan bool)
	go func() { now := time.Now(); done <- revokedHere(s, now, now, "k", "") }()
	select {
	case revoked := <-done:
		if revoked {
			t.Error("a revocation written more than CacheTTL ago still counts")
		}
	case <-time.After(2 * time.Second):
		t.Error("the check takes the lock after the store's revocations lapsed")
	}
	s.mu.Unlock()
}

package gqljwt_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// TestCacheNeverAcceptsWhatFullVerificationRefuses runs the same tokens
// through a service with the verified-token cache and one without it, at
// every step of a life in which tokens age, get revoked, lose their user's
// token version and lose their key. The answers must be identical.
func TestCacheNeverAcceptsWhatFullVerificationRefuses(t *testing.T) {
	c := newClock()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, id := range []string{"u1", "u2"} {
		if err := users.Add(gqljwt.User{ID: id, Username: id, Active: true}, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	k1 := gqljwt.Key{ID: "k1", Secret: []byte("k1-secret-0123456789abcdef-0123456789")}
	k2 := gqljwt.Key{ID: "k2", Secret: []byte("k2-secret-0123456789abcdef-0123456789")}
	// Both read token versions afresh (VersionCacheTTL 1ns), so that only
	// the verified-token cache differs; the version cache has its own test.
	cached := mustService(t, gqljwt.Config{SigningKey: k1, Now: c.Now, Versions: users, VersionCacheTTL: time.Nanosecond})
	uncached := mustService(t, gqljwt.Config{SigningKey: k1, Now: c.Now, Versions: users, CacheEntries: -1, VersionCacheTTL: time.Nanosecond})
	services := []*gqljwt.Service{cached, uncached}

	issue := func(s *gqljwt.Service, id string) string {
		u, err := users.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.IssueAccessToken(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Value
	}
	tokens := map[string]string{
		"u1 first":  issue(cached, "u1"),
		"u1 second": issue(cached, "u1"),
		"u2":        issue(cached, "u2"),
	}
	identities := map[string]*gqljwt.Identity{}
	check := func(step string) {
		t.Helper()
		for name, tok := range tokens {
			var codes [2]gqljwt.Code
			for i, s := range services {
				id, err := s.Verify(ctx, tok)
				codes[i] = codeOf(err)
				if err == nil {
					identities[name] = id
				}
			}
			if codes[0] != codes[1] {
				t.Errorf("%s, %s: cached %q, uncached %q", step, name, codes[0], codes[1])
			}
		}
	}
	expect := func(step string, want map[string]gqljwt.Code) {
		t.Helper()
		check(step)
		for name, code := range want {
			if _, err := cached.Verify(ctx, tokens[name]); codeOf(err) != code {
				t.Errorf("%s, %s: %v, want %q", step, name, err, code)
			}
		}
	}

	expect("fresh", map[string]gqljwt.Code{"u1 first": "", "u1 second": "", "u2": ""})
	c.Advance(5 * time.Minute)
	expect("five minutes on", map[string]gqljwt.Code{"u1 first": "", "u1 second": "", "u2": ""})

	for _, s := range services {
		if err := s.RevokeAccessToken(ctx, identities["u1 first"]); err != nil {
			t.Fatal(err)
		}
	}
	expect("u1 first revoked", map[string]gqljwt.Code{"u1 first": gqljwt.CodeTokenRevoked, "u1 second": "", "u2": ""})

	if _, err := cached.BumpTokenVersion(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	expect("u2 version bumped", map[string]gqljwt.Code{"u1 second": "", "u2": gqljwt.CodeTokenRevoked})
	tokens["u2 after bump"] = issue(cached, "u2")
	expect("u2 logs in again", map[string]gqljwt.Code{"u2 after bump": ""})

	if err := users.Delete("u2"); err != nil {
		t.Fatal(err)
	}
	expect("u2 deleted", map[string]gqljwt.Code{"u2 after bump": gqljwt.CodeTokenRevoked})

	// Rotate to k2 keeping k1, then drop k1.
	for _, s := range services {
		if err := s.RotateKeys(k2, k1); err != nil {
			t.Fatal(err)
		}
	}
	tokens["k2 token"] = issue(cached, "u1")
	expect("k2 signs, k1 kept", map[string]gqljwt.Code{"u1 second": "", "k2 token": ""})
	for _, s := range services {
		if err := s.RotateKeys(k2); err != nil {
			t.Fatal(err)
		}
	}
	expect("k1 dropped", map[string]gqljwt.Code{"u1 second": gqljwt.CodeTokenInvalid, "k2 token": ""})

	// Within the leeway after exp the token still passes; past it, no more.
	c.Advance(10*time.Minute + 20*time.Second)
	expect("in the leeway", map[string]gqljwt.Code{"k2 token": ""})
	c.Advance(time.Hour)
	expect("expired", map[string]gqljwt.Code{"k2 token": gqljwt.CodeTokenExpired})
}

// TestRevocationStoreFailureRefuses: a store that fails means no, also for
// a token served from the cache.
func TestRevocationStoreFailureRefuses(t *testing.T) {
	store := &flakyRevocations{}
	s := mustService(t, gqljwt.Config{Revocations: store})
	tok, _ := s.IssueAccessToken(ctx, alice)
	if _, err := s.Verify(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	store.setFailing(true)
	if _, err := s.Verify(ctx, tok.Value); codeOf(err) != gqljwt.CodeUnavailable {
		t.Errorf("cached token with failing store: %v", err)
	}
	store.setFailing(false)
	if _, err := s.Verify(ctx, tok.Value); err != nil {
		t.Errorf("store back: %v", err)
	}
}

type flakyRevocations struct {
	mu      sync.Mutex
	failing bool
}

func (f *flakyRevocations) setFailing(v bool) { f.mu.Lock(); f.failing = v; f.mu.Unlock() }

func (f *flakyRevocations) RevokeToken(_ context.Context, _ string, _ time.Time) error { return nil }

func (f *flakyRevocations) IsRevoked(_ context.Context, _, _ string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return false, fmt.Errorf("connection refused")
	}
	return false, nil
}

// TestConcurrentVerify hammers one service from many goroutines with good,
// revoked and bad tokens; run under -race.
func TestConcurrentVerify(t *testing.T) {
	s := mustService(t, gqljwt.Config{CacheEntries: 50})
	var good []string
	var revoked []string
	for i := 0; i < 100; i++ {
		tok, err := s.IssueAccessToken(ctx, &gqljwt.User{ID: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			id, err := s.Verify(ctx, tok.Value)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeAccessToken(ctx, id); err != nil {
				t.Fatal(err)
			}
			revoked = append(revoked, tok.Value)
			continue
		}
		good = append(good, tok.Value)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				tok := good[(g*31+i)%len(good)]
				if _, err := s.Verify(ctx, tok); err != nil {
					errs <- fmt.Sprintf("good token refused: %v", err)
					return
				}
				if _, err := s.Verify(ctx, revoked[(g+i)%len(revoked)]); codeOf(err) != gqljwt.CodeTokenRevoked {
					errs <- fmt.Sprintf("revoked token: %v", err)
					return
				}
				if _, err := s.Verify(ctx, tok[:len(tok)-2]); err == nil {
					errs <- "truncated token accepted"
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestVersionCache: a version bumped through the service takes effect at
// once; one changed behind its back (another instance) within
// VersionCacheTTL.
func TestVersionCache(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "u1", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	s := mustService(t, gqljwt.Config{Versions: users, VersionCacheTTL: 200 * time.Millisecond})
	u, _ := users.UserByID(ctx, "u1")
	tok, _ := s.IssueAccessToken(ctx, u)
	if _, err := s.Verify(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BumpTokenVersion(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, tok.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
		t.Fatalf("after bump through the service: %v", err)
	}

	u, _ = users.UserByID(ctx, "u1")
	tok, _ = s.IssueAccessToken(ctx, u)
	if _, err := s.Verify(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := users.BumpTokenVersion(ctx, "u1"); err != nil { // another instance
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Verify(ctx, tok.Value)
		if codeOf(err) == gqljwt.CodeTokenRevoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bump behind the service's back never seen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

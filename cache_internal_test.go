package gqljwt

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cacheTestService is a service whose cache is one bucket of eight slots,
// so that every token contends for the same slots.
func cacheTestService(t *testing.T) *Service {
	t.Helper()
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), CacheEntries: cacheWays})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.verified.buckets) != 1 || s.verified.ways != cacheWays {
		t.Fatalf("cache of %d buckets of %d slots, want 1 of %d", len(s.verified.buckets), s.verified.ways, cacheWays)
	}
	return s
}

// cacheTestUser is user i, with texts of a length that depends on i, so
// that a read mixing two entries shows.
func cacheTestUser(i int) *User {
	return &User{ID: fmt.Sprint("user-", i), Username: strings.Repeat(string(rune('a'+i%26)), 1+i%40), Roles: []string{fmt.Sprint("role-", i)}}
}

func issueFor(t testing.TB, s *Service, u *User) string {
	t.Helper()
	tok, err := s.IssueAccessToken(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Value
}

// held reports whether v holds token, without counting as a read of it.
func held(v *verifiedCache, token string) bool {
	k := v.key(token)
	b := v.bucket(k)
	for w := range v.ways {
		if b.keys[w].Load() == uint64(k) && [2]uint64{b.slots[w][0].Load(), b.slots[w][1].Load()} == tailOf(token) {
			return true
		}
	}
	return false
}

func checkIdentity(id *Identity, u *User) error {
	if id.Subject != u.ID || id.Username != u.Username || !reflect.DeepEqual(id.Roles, u.Roles) {
		return fmt.Errorf("identity %q %q %v, want %q %q %v", id.Subject, id.Username, id.Roles, u.ID, u.Username, u.Roles)
	}
	return nil
}

// TestCacheReadsWhole: readers and writers at once on one bucket, each
// hit checked against its own token: no read mixes two entries.
func TestCacheReadsWhole(t *testing.T) {
	s := cacheTestService(t)
	const users = 24
	tokens := make([]string, users)
	for i := range tokens {
		tokens[i] = issueFor(t, s, cacheTestUser(i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for n := range 3000 {
				i := (n*7 + g*5) % users
				id, err := s.Verify(context.Background(), tokens[i])
				if err == nil {
					err = checkIdentity(id, cacheTestUser(i))
				}
				if err != nil {
					errs <- fmt.Errorf("token %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCacheHitOwnsItsTexts: the identity a hit returned keeps its texts
// after its slot took other tokens: they were copied out of it.
func TestCacheHitOwnsItsTexts(t *testing.T) {
	s := cacheTestService(t)
	u := cacheTestUser(3)
	tok := issueFor(t, s, u)
	for pass := range 2 { // full verification, then the hit
		if _, err := s.Verify(context.Background(), tok); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
	}
	id, err := s.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 100+4*cacheWays; i++ {
		if _, err := s.Verify(context.Background(), issueFor(t, s, cacheTestUser(i))); err != nil {
			t.Fatal(err)
		}
	}
	if held(s.verified, tok) {
		t.Fatal("the token is still held after four turns of the bucket: the test proves nothing")
	}
	if err := checkIdentity(id, u); err != nil {
		t.Error(err)
	}
}

// TestCacheKeepsWhatIsReadAgain: a token read between every two new ones
// stays held while they pass through its bucket (the CLOCK's second
// chance); one that is not read again leaves within a turn.
func TestCacheKeepsWhatIsReadAgain(t *testing.T) {
	s := cacheTestService(t)
	hot, cold := issueFor(t, s, cacheTestUser(1)), issueFor(t, s, cacheTestUser(2))
	for _, tok := range []string{hot, cold} {
		if _, err := s.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	coldLeft := -1
	for i := range 10 * cacheWays {
		if _, err := s.Verify(context.Background(), issueFor(t, s, cacheTestUser(100+i))); err != nil {
			t.Fatal(err)
		}
		if !held(s.verified, hot) {
			t.Fatalf("the token read after every new one left after %d new ones", i+1)
		}
		if _, err := s.Verify(context.Background(), hot); err != nil {
			t.Fatal(err)
		}
		if !held(s.verified, cold) && coldLeft < 0 {
			coldLeft = i + 1
		}
	}
	if coldLeft < 0 || coldLeft > cacheWays {
		t.Errorf("the token not read again left after %d new ones, want at most %d", coldLeft, cacheWays)
	}
}

// TestCacheLongEntry: a token whose texts do not fit a slot is held in the
// long cache and served exactly as verified.
func TestCacheLongEntry(t *testing.T) {
	s := cacheTestService(t)
	u := &User{ID: "7", Username: "ann"}
	for i := range 30 {
		u.Roles = append(u.Roles, fmt.Sprint("a-long-role-name-", i))
	}
	tok := issueFor(t, s, u)
	full, err := s.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.verified.long.EstimatedSize(); n != 1 {
		t.Fatalf("long cache holds %d entries, want 1", n)
	}
	hit, err := s.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	a, b := *full, *hit
	a.parsed, b.parsed = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("hit %+v, want %+v", b, a)
	}
	if err := checkIdentity(hit, u); err != nil {
		t.Error(err)
	}
}

// TestCacheFlushedByRotation: a key rotation empties the cache.
func TestCacheFlushedByRotation(t *testing.T) {
	s := cacheTestService(t)
	for i := range 3 {
		if _, err := s.Verify(context.Background(), issueFor(t, s, cacheTestUser(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.verified.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	s.verified.flush()
	if n := s.verified.len(); n != 0 {
		t.Errorf("after flush the cache holds %d entries, want 0", n)
	}
}

// TestCacheClockSteppedBack: a clock that goes back (NTP stepping the wall
// clock, a resumed snapshot) gives a cached token the answer an uncached
// service gives: refused past the leeway (its iat in the future), accepted
// within it, and served from the cache again once the clock is past the
// time the entry was added. Short and long entries alike.
func TestCacheClockSteppedBack(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	long := &User{ID: "long", Username: "ann"}
	for i := range 30 {
		long.Roles = append(long.Roles, fmt.Sprint("a-long-role-name-", i))
	}
	for _, u := range []*User{{ID: "short", Username: "bob"}, long} {
		t.Run(u.ID, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(start)
			service := func(entries int) *Service {
				s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), CacheEntries: entries,
					Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			cached, uncached := service(0), service(-1)
			tok := issueFor(t, cached, u)
			if _, err := cached.Verify(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				at   int64
				want error
				miss bool
			}{
				{"ten minutes back", start - 600, errIssuedAt, true},
				{"within the leeway", start - 10, nil, true},
				{"where it was added", start, nil, false},
				{"a minute on", start + 60, nil, false},
			} {
				clock.Store(c.at)
				misses := cached.CacheStats().Misses
				_, errCached := cached.Verify(context.Background(), tok)
				_, errUncached := uncached.Verify(context.Background(), tok)
				if !errors.Is(errCached, c.want) || !errors.Is(errUncached, c.want) || (c.want == nil) != (errCached == nil) {
					t.Errorf("%s: cached %v, uncached %v; want %v", c.name, errCached, errUncached, c.want)
				}
				if missed := cached.CacheStats().Misses > misses; missed != c.miss {
					t.Errorf("%s: verified in full %v, want %v", c.name, missed, c.miss)
				}
			}
		})
	}
}

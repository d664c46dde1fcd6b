package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/redistest"
)

// refreshRounds repeats TestConcurrentRefreshesOnRedis: 50 rounds by
// default, 10 under -race, where a round costs 1.5 to 3 s on the shared
// 2-vCPU machine (50 would take the package past two minutes):
//
//	go test -race ./examples/server -run TestConcurrentRefreshesOnRedis -args -refresh-rounds 50
var refreshRounds = flag.Int("refresh-rounds", defaultRefreshRounds(), "rounds of TestConcurrentRefreshesOnRedis, each 100 refreshes with the grace and 100 without (default 50, 10 under -race)")

func defaultRefreshRounds() int {
	if raceEnabled {
		return 10
	}
	return 50
}

// The operations of the outage tests, on /graphql (the native preset).
const (
	nativePath = "/graphql"
	loginBob   = `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`
	refreshOp  = `mutation R($t: String) { refreshToken(refreshToken: $t) { token refreshToken } }`
	meOp       = `{ me { username } }`
	logoutOp   = `mutation { logout { success } }`
)

// loadClient keeps enough connections for the concurrent tests: the
// default keeps two per host and would open and close the rest.
var loadClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

// call is post for goroutines other than the test's: it returns what went
// wrong instead of failing the test.
func (s *server) call(query string, vars map[string]any, headers ...string) (*reply, error) {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.url+nativePath, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		return nil, fmt.Errorf("status %d, not JSON (a panic?): %q", resp.StatusCode, raw)
	}
	return r, nil
}

func withToken(token string) []string { return []string{"Authorization", "Bearer " + token} }

// tokens is one session as its client holds it.
type tokens struct{ access, refresh string }

func (s *server) login(t *testing.T) tokens {
	t.Helper()
	r := s.post(nativePath, loginBob, nil)
	tk := tokens{r.str("data", "tokenAuth", "token"), r.str("data", "tokenAuth", "refreshToken")}
	if tk.access == "" || tk.refresh == "" {
		t.Fatalf("login: %s", r.raw)
	}
	return tk
}

// errorCode is the code of the first error, "" for none.
func (r *reply) errorCode() string { return r.str("errors", 0, "extensions", "code") }

// TestRedisOutageMidLoad: two demo instances on one Redis, under
// concurrent requests (access checks, refreshes, a revoked token), lose
// Redis (killed, as in a crash) and get it back on the same port, its
// data kept by an AOF fsynced on every write. During the outage every
// error is AUTH_UNAVAILABLE, no refresh succeeds and the revoked token is
// never accepted; no request panics; an anonymous query of a public field
// is still served. Afterwards every live session
// refreshes and its tokens work on both instances, which were not
// restarted, and the revoked one stays refused.
func TestRedisOutageMidLoad(t *testing.T) {
	redis := redistest.StartPersistent(t)
	servers := []*server{onRedis(t, redis.Addr, options{}), onRedis(t, redis.Addr, options{})}
	// The logout is made on a third instance: A and B know of it only
	// through Redis (an instance remembers its own revocations a while).
	third := onRedis(t, redis.Addr, options{})
	revoked := third.login(t)
	if r := third.post(nativePath, logoutOp, nil, withToken(revoked.access)...); r.get("data", "logout", "success") != true {
		t.Fatalf("logout: %s", r.raw)
	}
	const workers = 8
	sessions := make([]tokens, workers)
	for i := range sessions {
		sessions[i] = servers[i%2].login(t)
	}

	// An answer counts for the outage when its request began after Redis
	// died and ended before the restart began; for before, when it began
	// before; for after, otherwise (it may have reached the restarted
	// Redis). In the first moments of the outage an instance may still
	// answer an access check from its client-side cache, until its client
	// has read the end of its connection and dropped the cache: such an
	// answer (success, or TOKEN_REVOKED for the revoked token) counts as
	// cached, and must come within cachedWindow of the stop.
	const cachedWindow = 100 * time.Millisecond
	const before, outage, after = 0, 1, 2
	var stop atomic.Bool
	var stoppedAt, restartAt atomic.Int64 // unix ns, 0 until then
	phase := func(began, ended time.Time) int {
		switch s, r := stoppedAt.Load(), restartAt.Load(); {
		case s == 0 || began.UnixNano() < s:
			return before
		case r == 0 || ended.UnixNano() < r:
			return outage
		}
		return after
	}
	type tally struct {
		sync.Mutex
		ok, unavailable [3]int
		cached          int
		lastCached      time.Duration
		slowest         time.Duration // of the outage's answers
		bad             []string
	}
	var got tally
	// note counts one answer; refused is the refusal an answer may be
	// besides AUTH_UNAVAILABLE ("" for none), success whether it granted.
	note := func(began time.Time, what string, r *reply, err error, success bool, refused string) int {
		ended := time.Now()
		p := phase(began, ended)
		got.Lock()
		defer got.Unlock()
		if p == outage {
			got.slowest = max(got.slowest, ended.Sub(began))
		}
		isRefused := err == nil && refused != "" && r.str("errors", 0, "extensions", "reason") == refused
		switch {
		case err != nil:
			got.bad = append(got.bad, fmt.Sprintf("phase %d, %s: %v", p, what, err))
		case p == outage && (success || isRefused):
			lag := began.Sub(time.Unix(0, stoppedAt.Load()))
			got.cached++
			got.lastCached = max(got.lastCached, lag)
			if lag > cachedWindow {
				got.bad = append(got.bad, fmt.Sprintf("%s answered %s after Redis died, from a cache that must be gone: %s", what, lag, r.raw))
			}
		case success:
			got.ok[p]++
		case r.errorCode() == "AUTH_UNAVAILABLE":
			got.unavailable[p]++
		case isRefused:
		default:
			got.bad = append(got.bad, fmt.Sprintf("phase %d, %s: %s", p, what, r.raw))
		}
		return p
	}
	var refreshedDuringOutage atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				s := servers[(w+n)%2]
				began := time.Now()
				r, err := s.call(meOp, nil, withToken(sessions[w].access)...)
				note(began, "access check", r, err, err == nil && r.str("data", "me", "username") == "bob", "")

				began = time.Now()
				r, err = s.call(meOp, nil, withToken(revoked.access)...)
				if err == nil && r.str("data", "me", "username") != "" {
					err = fmt.Errorf("the revoked token ACCEPTED: %s", r.raw)
				}
				note(began, "revoked token", r, err, false, "TOKEN_REVOKED")

				began = time.Now()
				r, err = servers[(w+n+1)%2].call(refreshOp, map[string]any{"t": sessions[w].refresh})
				next := tokens{}
				if err == nil {
					next = tokens{r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")}
				}
				ok := next.access != "" && next.refresh != ""
				if ok {
					sessions[w] = next
				}
				// A refresh that failed in flight may have rotated in
				// Redis: the old token is then retried within the grace.
				// One that succeeded without Redis is counted apart: a
				// refresh has no cache to answer from.
				if p := phase(began, time.Now()); p == outage && ok {
					refreshedDuringOutage.Add(1)
					continue
				}
				note(began, "refresh", r, err, ok, "")
			}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	okIn := func(p int) func() bool {
		return func() bool { got.Lock(); defer got.Unlock(); return got.ok[p] >= 3*workers }
	}
	unavailableIn := func(p int) func() bool {
		return func() bool { got.Lock(); defer got.Unlock(); return got.unavailable[p] >= 3*workers }
	}
	waitFor("load before the outage", okIn(before))
	redis.Stop()
	stoppedAt.Store(time.Now().UnixNano())
	waitFor("refusals during the outage", unavailableIn(outage))
	// A request without a token, to a public field, needs no Redis.
	for i, s := range servers {
		if r := s.post(nativePath, `{ posts { title } }`, nil); r.get("errors") != nil || r.get("data", "posts") == nil {
			t.Errorf("an anonymous query of a public field on instance %d during the outage: %s", i, r.raw)
		}
	}
	restartAt.Store(time.Now().UnixNano())
	redis.Restart(t)
	waitFor("successes after the restart", okIn(after))
	stop.Store(true)
	wg.Wait()

	t.Logf("before: %d ok, %d unavailable; outage: %d ok, %d unavailable (the slowest in %s), %d answered from the cache (the last %s after the stop); after: %d ok, %d unavailable",
		got.ok[0], got.unavailable[0], got.ok[1], got.unavailable[1], got.slowest, got.cached, got.lastCached, got.ok[2], got.unavailable[2])
	for _, b := range got.bad {
		t.Error(b)
	}
	// Each Redis operation gives up after redisstore.DefaultTimeout; a
	// request makes a few, and -race on a loaded machine slows the rest.
	if got.slowest > 2*time.Second {
		t.Errorf("the slowest answer during the outage took %s, want well under 2 s", got.slowest)
	}
	if n := refreshedDuringOutage.Load(); n > 0 {
		t.Errorf("%d refreshes succeeded while Redis was down", n)
	}
	// Every session works again, on both instances, without a restart of
	// either; the revocation made before the outage survived it.
	for w, tk := range sessions {
		for i, s := range servers {
			r := s.post(nativePath, refreshOp, map[string]any{"t": tk.refresh})
			next := tokens{r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")}
			if next.refresh == "" {
				t.Fatalf("session %d after the restart, refresh on instance %d: %s", w, i, r.raw)
			}
			for _, s := range servers {
				if r := s.post(nativePath, meOp, nil, withToken(next.access)...); r.str("data", "me", "username") != "bob" {
					t.Errorf("session %d after the restart, its new access token: %s", w, r.raw)
				}
			}
			tk = next
		}
	}
	for i, s := range servers {
		if r := s.post(nativePath, meOp, nil, withToken(revoked.access)...); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
			t.Errorf("the token revoked before the outage, on instance %d after it: %s", i, r.raw)
		}
		if r := s.post(nativePath, refreshOp, map[string]any{"t": revoked.refresh}); r.errorCode() != "TOKEN_REVOKED" {
			t.Errorf("the refresh token revoked before the outage, on instance %d after it: %s", i, r.raw)
		}
	}
}

// TestRevocationWhileCutOff: instance B reaches Redis through a proxy the
// test cuts. B has the answer for a token in its client-side cache, with
// a bound (CacheTTL) of a minute; cut off, it drops that cache, so a
// logout made on A meanwhile is not hidden from B: while cut off B
// answers AUTH_UNAVAILABLE, and once it reconnects it refuses the token
// as revoked.
func TestRevocationWhileCutOff(t *testing.T) {
	redis := redistest.Start(t)
	proxy := redistest.NewProxy(t, redis.Addr)
	o := options{revocationCacheTTL: time.Minute}
	a, b := onRedis(t, redis.Addr, o), onRedis(t, proxy.Addr, o)
	tk := a.login(t)
	for range 3 { // cached by B now
		if r := b.post(nativePath, meOp, nil, withToken(tk.access)...); r.str("data", "me", "username") != "bob" {
			t.Fatalf("B before the cut: %s", r.raw)
		}
	}
	proxy.Cut()
	// B's client reads the end of its connection, and drops its cache.
	time.Sleep(100 * time.Millisecond)
	if r := a.post(nativePath, logoutOp, nil, withToken(tk.access)...); r.get("data", "logout", "success") != true {
		t.Fatalf("logout on A: %s", r.raw)
	}
	// With the cache kept, B would accept the token for another minute.
	if r := b.post(nativePath, meOp, nil, withToken(tk.access)...); r.errorCode() != "AUTH_UNAVAILABLE" {
		t.Errorf("B cut off from Redis, a token revoked on A: %s; want AUTH_UNAVAILABLE", r.raw)
	}
	if r := b.post(nativePath, refreshOp, map[string]any{"t": tk.refresh}); r.errorCode() != "AUTH_UNAVAILABLE" {
		t.Errorf("B cut off from Redis, a refresh: %s; want AUTH_UNAVAILABLE", r.raw)
	}
	proxy.Restore()
	// Each of the client's connections learns that the proxy closed it
	// only when it next reads: the first command sent on one of them gets
	// EOF, and that request answers AUTH_UNAVAILABLE. So each request is
	// retried as a client would, until the revocation is honoured; what
	// may never be seen is a success.
	deadline := time.Now().Add(5 * time.Second)
	untilRevoked := func(what string, send func() *reply) {
		for {
			r := send()
			// A guarded field says it in the reason, refreshToken in the code.
			if r.errorCode() == "TOKEN_REVOKED" || r.str("errors", 0, "extensions", "reason") == "TOKEN_REVOKED" {
				return
			}
			if r.errorCode() != "AUTH_UNAVAILABLE" || time.Now().After(deadline) {
				t.Fatalf("B reconnected, %s: %s; want TOKEN_REVOKED", what, r.raw)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	untilRevoked("the access token revoked on A", func() *reply {
		return b.post(nativePath, meOp, nil, withToken(tk.access)...)
	})
	untilRevoked("the session's refresh token", func() *reply {
		return b.post(nativePath, refreshOp, map[string]any{"t": tk.refresh})
	})
}

// TestConcurrentRefreshesOnRedis: 100 concurrent refreshes of one token,
// over HTTP, spread over two demo instances on one Redis, -refresh-rounds
// times. With the grace on, all succeed and every token handed out works:
// each access token on either instance, each refresh token once more.
// With it off, exactly one succeeds and the 99 others are refused as
// reuse (TOKEN_REVOKED), which ends the session as the contract says:
// the winner's tokens are then refused as revoked too, and are shown to
// be the session's by exactly that refusal (not an invalid token).
func TestConcurrentRefreshesOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	// 100 refreshes at once, under -race on a small machine, may take
	// longer than the default timeout: what is tested is their outcome.
	o := options{redisTimeout: 10 * time.Second}
	graced := []*server{onRedis(t, redis.Addr, o), onRedis(t, redis.Addr, o)}
	o.reuseGrace = -1
	strict := []*server{onRedis(t, redis.Addr, o), onRedis(t, redis.Addr, o)}
	const concurrent = 100
	refreshAll := func(servers []*server, refresh string) ([]tokens, []*reply, []error) {
		got, replies, errs := make([]tokens, concurrent), make([]*reply, concurrent), make([]error, concurrent)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range concurrent {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				r, err := servers[i%2].call(refreshOp, map[string]any{"t": refresh})
				replies[i], errs[i] = r, err
				if err == nil {
					got[i] = tokens{r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")}
				}
			}()
		}
		start.Done()
		done.Wait()
		return got, replies, errs
	}
	began := time.Now()
	for round := range *refreshRounds {
		sess := graced[round%2].login(t)
		got, replies, errs := refreshAll(graced, sess.refresh)
		for i := range concurrent {
			if errs[i] != nil || got[i].access == "" || got[i].refresh == "" {
				t.Fatalf("round %d, with the grace, refresh %d: %v %v", round, i, errs[i], replies[i])
			}
		}
		// Each token handed out works on the other instance than the one
		// that issued it: the access token, and the refresh token once
		// more (through the Service: the HTTP path is the one above).
		var wg sync.WaitGroup
		fails := make([]error, concurrent)
		for i := range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := graced[(i+1)%2].app.services[nativePath]
				if _, err := svc.Verify(ctxBackground, got[i].access); err != nil {
					fails[i] = fmt.Errorf("access token %d: %w", i, err)
				} else if _, err := svc.Refresh(ctxBackground, got[i].refresh, gqljwt.RefreshOptions{}); err != nil {
					fails[i] = fmt.Errorf("refresh token %d: %w", i, err)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(fails...); err != nil {
			t.Fatalf("round %d, with the grace: %v", round, err)
		}

		sess = strict[round%2].login(t)
		got, replies, errs = refreshAll(strict, sess.refresh)
		winner := -1
		for i := range concurrent {
			switch {
			case errs[i] != nil:
				t.Fatalf("round %d, without the grace, refresh %d: %v", round, i, errs[i])
			case got[i].access != "":
				if winner >= 0 {
					t.Fatalf("round %d, without the grace: refreshes %d and %d both succeeded", round, winner, i)
				}
				winner = i
			case replies[i].errorCode() != "TOKEN_REVOKED":
				t.Fatalf("round %d, without the grace, refresh %d: %s; want TOKEN_REVOKED", round, i, replies[i].raw)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d, without the grace: no refresh succeeded", round)
		}
		for i, s := range strict {
			if r := s.post(nativePath, meOp, nil, withToken(got[winner].access)...); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
				t.Fatalf("round %d, the winner's access token on instance %d after the reuse: %s; want TOKEN_REVOKED", round, i, r.raw)
			}
		}
	}
	t.Logf("%d rounds of 2×%d concurrent refreshes in %s", *refreshRounds, concurrent, time.Since(began))
}

package gqljwt_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// countedUsers is the memstore, counting password checks (bcrypt runs).
type countedUsers struct {
	*memstore.Users
	checks atomic.Int64
}

func (c *countedUsers) CheckPassword(ctx context.Context, u *gqljwt.User, pw string) (bool, error) {
	c.checks.Add(1)
	return c.Users.CheckPassword(ctx, u, pw)
}

func (c *countedUsers) CheckDummyPassword(ctx context.Context, pw string) {
	c.checks.Add(1)
	c.Users.CheckDummyPassword(ctx, pw)
}

func newCountedUsers(t testing.TB) *countedUsers {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, u := range []gqljwt.User{
		{ID: "1", Username: "alice", Email: "alice@example.com", Active: true},
		{ID: "2", Username: "bob", Email: "bob@example.com", Active: true},
	} {
		if err := users.Add(u, u.Username+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	return &countedUsers{Users: users}
}

var deviceSecret = []byte("device-cookie-secret-0123456789abcdef")

// lockoutEnv is a Service with device cookies on, a settable clock and the
// device cookies its logins handed out, by name.
type lockoutEnv struct {
	t       *testing.T
	s       *gqljwt.Service
	cfg     gqljwt.Config // what s was built from
	users   *countedUsers
	clock   *clock
	devices map[string]*http.Cookie
}

func newLockoutEnv(t *testing.T, cfg gqljwt.Config) *lockoutEnv {
	t.Helper()
	e := &lockoutEnv{t: t, users: newCountedUsers(t), clock: newClock(), devices: map[string]*http.Cookie{}}
	cfg.Users, cfg.Now = e.users, e.clock.Now
	if cfg.DeviceCookie == nil {
		cfg.DeviceCookie = &gqljwt.DeviceCookieConfig{Secret: deviceSecret}
	}
	e.s, e.cfg = mustService(t, cfg), cfg
	return e
}

// requestContext is the context middleware.Verifier gives a resolver for a
// request from addr carrying cookies; the recorder receives what the
// resolver sets. An empty addr records no request at all.
func requestContext(addr string, cookies ...*http.Cookie) (context.Context, *httptest.ResponseRecorder) {
	w := httptest.NewRecorder()
	if addr == "" {
		return context.Background(), w
	}
	r := httptest.NewRequest("POST", "https://api.example/graphql", nil)
	r.RemoteAddr = net.JoinHostPort(addr, "40000")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return gqljwt.NewContext(context.Background(), w, r, nil, gqljwt.ErrNoToken), w
}

// deviceCookieOf returns the device cookie set on w, if any.
func deviceCookieOf(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// step is one login attempt, or times identical ones.
type step struct {
	advance  time.Duration // move the clock on first
	addr     string
	device   string // present the device cookie saved under this name
	user     string // default alice
	password string // default the right one
	times    int    // default 1
	want     gqljwt.Code
	retry    time.Duration // RetryAfter wanted with TOO_MANY_ATTEMPTS
	save     string        // keep the device cookie a success hands out
}

const wrong = "not-the-password"

func (e *lockoutEnv) run(i int, st step) {
	e.t.Helper()
	e.clock.Advance(st.advance)
	if st.user == "" {
		st.user = "alice"
	}
	if st.password == "" {
		st.password = st.user + "-password"
	}
	for n := 0; n < max(st.times, 1); n++ {
		var cookies []*http.Cookie
		if st.device != "" {
			c, ok := e.devices[st.device]
			if !ok {
				e.t.Fatalf("step %d: no device %q", i, st.device)
			}
			cookies = append(cookies, c)
		}
		ctx, w := requestContext(st.addr, cookies...)
		_, err := e.s.Login(ctx, gqljwt.Credentials{Username: st.user, Password: st.password})
		if got := codeOf(err); got != st.want {
			e.t.Fatalf("step %d (%+v), attempt %d: %v (%s), want %q", i, st, n+1, err, got, st.want)
		}
		var ge *gqljwt.Error
		if st.retry != 0 && (!errors.As(err, &ge) || ge.RetryAfter != st.retry) {
			e.t.Fatalf("step %d (%+v): retry after %v, want %v", i, st, err, st.retry)
		}
		if st.save != "" {
			c := deviceCookieOf(w, e.s.Settings().DeviceCookieName)
			if c == nil {
				e.t.Fatalf("step %d: no device cookie: %v", i, w.Result().Header)
			}
			e.devices[st.save] = c
		}
	}
}

const (
	ownerAddr = "198.51.100.7"
	tooMany   = gqljwt.CodeTooManyAttempts
	invalid   = gqljwt.CodeInvalidCredential
)

func attacker(n int) string { return fmt.Sprintf("203.0.113.%d", n) }

// guesses is MaxLoginFailures wrong passwords for user from each address
// in turn, all of them checked.
func guesses(user string, from ...string) []step {
	var out []step
	for _, addr := range from {
		out = append(out, step{addr: addr, user: user, password: wrong, times: gqljwt.DefaultMaxLoginFailures, want: invalid})
	}
	return out
}

func steps(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

// TestLockoutPolicy: the lockout locks out the attacker, not the owner.
func TestLockoutPolicy(t *testing.T) {
	atk := []string{attacker(1), attacker(2), attacker(3), attacker(4)}
	window := gqljwt.DefaultLoginWindow
	tests := []struct {
		name  string
		steps []step
	}{
		{"a device cookie outlives the account's lockout", steps(
			step{addr: ownerAddr, save: "laptop"},
			guesses("alice", atk...), // 20 failures: the account's bar
			step{addr: attacker(5), password: wrong, want: tooMany, retry: window},
			step{addr: attacker(5), want: tooMany, retry: window},  // the right password is not checked
			step{addr: ownerAddr, want: tooMany, retry: window},    // the owner without the cookie is an untrusted client
			step{addr: ownerAddr, device: "laptop"},                // with it, not
			step{addr: attacker(1), device: "laptop", save: "new"}, // not even behind the attacker's locked address
			step{addr: ownerAddr, device: "new"},                   // each login hands out a new cookie, which works too
		)},
		{"another address still logs in while the attacker's is locked", steps(
			guesses("alice", attacker(1)),
			step{addr: attacker(1), password: wrong, want: tooMany, retry: window},
			step{addr: attacker(1), want: tooMany, retry: window},
			step{addr: ownerAddr},
			step{addr: attacker(1), user: "bob"}, // other accounts from that address: 5 of 20
		)},
		{"the account's bar locks out every untrusted client", steps(
			func() []step { // one guess from each of 20 addresses
				var s []step
				for i := 1; i <= gqljwt.DefaultMaxAccountFailures; i++ {
					s = append(s, step{addr: attacker(i), password: wrong, want: invalid})
				}
				return s
			}(),
			step{addr: attacker(99), password: wrong, want: tooMany, retry: window},
			step{addr: ownerAddr, want: tooMany, retry: window},
			step{addr: ownerAddr, user: "bob"}, // the account, not the service
			step{advance: window, addr: ownerAddr},
		)},
		{"the address's bar spans accounts; trusted devices behind it still log in", steps(
			step{addr: attacker(1), save: "phone"}, // the owner shares the sprayer's NAT
			guesses("carol", attacker(1)), guesses("dave", attacker(1)), guesses("erin", attacker(1)), guesses("bob", attacker(1)),
			step{addr: attacker(1), user: "bob", want: tooMany, retry: window},
			step{addr: attacker(1), want: tooMany, retry: window},
			step{addr: attacker(1), device: "phone"},
			step{addr: ownerAddr, user: "bob"},
		)},
		{"a device has a budget of its own", steps(
			step{addr: ownerAddr, save: "laptop"},
			step{addr: ownerAddr, device: "laptop", password: wrong, times: 5, want: invalid},
			step{addr: ownerAddr, device: "laptop", want: tooMany, retry: window},
			step{addr: ownerAddr}, // the untrusted (alice, address) pair counted nothing
			step{advance: window, addr: ownerAddr, device: "laptop"},
		)},
		{"a success forgets the client's failures and takes them back from the shared counts", steps(
			step{addr: attacker(11), password: wrong, times: 4, want: invalid}, step{addr: attacker(11)},
			step{addr: attacker(12), password: wrong, times: 4, want: invalid}, step{addr: attacker(12)},
			step{addr: attacker(13), password: wrong, times: 4, want: invalid}, step{addr: attacker(13)},
			step{addr: attacker(14), password: wrong, times: 4, want: invalid}, step{addr: attacker(14)},
			step{addr: attacker(11), password: wrong, times: 4, want: invalid}, step{addr: attacker(11)},
			guesses("alice", atk...), // the account's 20 are all there
			step{addr: attacker(5), want: tooMany, retry: window},
		)},
		{"failures outlive the window: staying under the bar does not reset it", steps(
			step{addr: attacker(1), password: wrong, times: 4, want: invalid},
			step{advance: 3 * window, addr: attacker(1), password: wrong, want: invalid},
			step{addr: attacker(1), want: tooMany, retry: window},
		)},
		{"failures are forgotten a day after the last one", steps(
			step{addr: attacker(1), password: wrong, times: 4, want: invalid},
			step{advance: gqljwt.DefaultMaxLockout, addr: attacker(1), password: wrong, times: 5, want: invalid},
			step{addr: attacker(1), password: wrong, want: tooMany, retry: window},
		)},
		{"an IPv6 client is its /64 network", steps(
			step{addr: "2001:db8::1", password: wrong, times: 2, want: invalid},
			step{addr: "2001:db8::2", password: wrong, times: 2, want: invalid},
			step{addr: "2001:db8::ffff:ffff:ffff:ffff", password: wrong, want: invalid},
			step{addr: "2001:db8::3", want: tooMany, retry: window},
			step{addr: "2001:db8:0:1::1"},
		)},
		{"an IPv4 client is one client, however written", steps(
			step{addr: "192.0.2.1", password: wrong, times: 4, want: invalid},
			step{addr: "::ffff:192.0.2.1", password: wrong, want: invalid},
			step{addr: "192.0.2.1", want: tooMany, retry: window},
		)},
		{"logins without a request count as one client per account, with no address bar", steps(
			func() []step { // more failures than the address bar, over many names
				var s []step
				for i := 0; i <= gqljwt.DefaultMaxAddressFailures/gqljwt.DefaultMaxLoginFailures; i++ {
					s = append(s, guesses(fmt.Sprint("nobody-", i), "")...)
				}
				return s
			}(),
			step{},
			guesses("alice", ""),
			step{want: tooMany, retry: window},
			step{addr: ownerAddr},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLockoutEnv(t, gqljwt.Config{})
			for i, st := range tt.steps {
				e.run(i, st)
			}
		})
	}
}

// TestLockoutByEmail: a login by email counts on the account the name
// found, so username and email share one budget.
func TestLockoutByEmail(t *testing.T) {
	e := newLockoutEnv(t, gqljwt.Config{})
	for i := 0; i < gqljwt.DefaultMaxLoginFailures; i++ {
		ctx, _ := requestContext(attacker(1))
		if _, err := e.s.Login(ctx, gqljwt.Credentials{Email: "ALICE@example.com", Password: wrong}); codeOf(err) != invalid {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	ctx, _ := requestContext(attacker(1))
	if _, err := e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"}); codeOf(err) != tooMany {
		t.Fatalf("by username after failures by email: %v", err)
	}
}

// TestLockoutBackoff: each further lockout of a key lasts twice the last,
// up to MaxLockout; a success, or a quiet MaxLockout, starts again at the
// window.
func TestLockoutBackoff(t *testing.T) {
	e := newLockoutEnv(t, gqljwt.Config{})
	want := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
		8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	i := 0
	lockout := func(d time.Duration) {
		t.Helper()
		e.run(i, guesses("alice", attacker(1))[0])
		e.run(i+1, step{addr: attacker(1), password: wrong, want: tooMany, retry: d})
		e.run(i+2, step{advance: d - time.Second, addr: attacker(1), want: tooMany, retry: time.Second})
		e.clock.Advance(time.Second)
		i += 3
	}
	for _, d := range want {
		lockout(d)
	}
	e.run(i, step{addr: attacker(1)}) // the owner, at last
	lockout(15 * time.Minute)
	lockout(30 * time.Minute)
	// Forgotten MaxLockout after the last lockout ended.
	e.clock.Advance(gqljwt.DefaultMaxLockout)
	lockout(15 * time.Minute)
}

// TestLockoutCustomNumbers: the limits and durations come from the config.
func TestLockoutCustomNumbers(t *testing.T) {
	e := newLockoutEnv(t, gqljwt.Config{MaxLoginFailures: 2, MaxAccountFailures: 3, LoginWindow: time.Minute, MaxLockout: 3 * time.Minute})
	for i, st := range steps(
		step{addr: attacker(1), password: wrong, times: 2, want: invalid}, // the pair's bar
		step{addr: attacker(1), want: tooMany, retry: time.Minute},
		step{addr: attacker(2), password: wrong, want: invalid}, // the account's bar
		step{addr: attacker(3), want: tooMany, retry: time.Minute},
		step{advance: time.Minute, addr: attacker(3)},
		step{addr: attacker(1), password: wrong, times: 2, want: invalid},
		step{addr: attacker(1), want: tooMany, retry: 2 * time.Minute}, // the pair's second lockout
		step{advance: 2 * time.Minute, addr: attacker(1), password: wrong, want: invalid},
		step{addr: attacker(1), want: tooMany, retry: 2 * time.Minute}, // the account's second lockout
		step{advance: 2 * time.Minute, addr: attacker(1), password: wrong, want: invalid},
		step{addr: attacker(1), want: tooMany, retry: 3 * time.Minute}, // the pair's third, at the cap
	) {
		e.run(i, st)
	}
}

// TestConcurrentLogins: checks under way are not failures, so 16
// simultaneous correct logins of one account all succeed; but they bound
// concurrency, so 100 simultaneous wrong ones get the budget checked and
// no more.
func TestConcurrentLogins(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		password string
		addr     func(i int) string
		device   bool
		checks   int64 // password checks wanted; the others answer TOO_MANY_ATTEMPTS
	}{
		{"16 correct from one address", 16, "alice-password", func(int) string { return ownerAddr }, false, 16},
		{"16 correct from one device", 16, "alice-password", func(int) string { return ownerAddr }, true, 16},
		{"16 correct from 16 addresses", 16, "alice-password", attacker, false, 16},
		{"100 wrong from one address", 100, wrong, func(int) string { return attacker(1) }, false, gqljwt.DefaultMaxLoginFailures},
		{"100 wrong from 100 addresses", 100, wrong, attacker, false, gqljwt.DefaultMaxAccountFailures},
		{"100 wrong from one device", 100, wrong, func(int) string { return ownerAddr }, true, gqljwt.DefaultMaxLoginFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLockoutEnv(t, gqljwt.Config{})
			var cookies []*http.Cookie
			if tt.device {
				e.run(0, step{addr: ownerAddr, save: "laptop"})
				cookies = append(cookies, e.devices["laptop"])
			}
			e.users.checks.Store(0)
			var (
				wg       sync.WaitGroup
				start    = make(chan struct{})
				sessions = make([]*gqljwt.Session, tt.n)
				errs     = make([]error, tt.n)
			)
			for i := range tt.n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, _ := requestContext(tt.addr(i), cookies...)
					<-start
					sessions[i], errs[i] = e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: tt.password})
				}()
			}
			close(start)
			wg.Wait()
			codes := map[gqljwt.Code]int64{}
			for i, err := range errs {
				codes[codeOf(err)]++
				if err != nil {
					continue
				}
				// The sessions are real: their tokens verify.
				id, err := e.s.Verify(context.Background(), sessions[i].Access.Value)
				if err != nil || id.Subject != "1" || id.SessionID != sessions[i].ID {
					t.Errorf("login %d: token of the session: %v %+v", i, err, id)
				}
			}
			if got := e.users.checks.Load(); got != tt.checks {
				t.Errorf("%d password checks, want %d (answers %v)", got, tt.checks, codes)
			}
			if tt.password == wrong {
				if codes[invalid] != tt.checks || codes[tooMany] != int64(tt.n)-tt.checks {
					t.Errorf("answers %v, want %d INVALID_CREDENTIALS and the rest TOO_MANY_ATTEMPTS", codes, tt.checks)
				}
			} else if codes[""] != int64(tt.n) {
				t.Errorf("answers %v, want %d successes", codes, tt.n)
			}
		})
	}
}

// TestDeviceCookieIgnored: anything but a valid device cookie of this
// account, from this key, within MaxAge, is no cookie: with the account
// locked for untrusted clients, the right password is refused.
func TestDeviceCookieIgnored(t *testing.T) {
	e := newLockoutEnv(t, gqljwt.Config{})
	name := e.s.Settings().DeviceCookieName
	other := func(cfg gqljwt.Config, skew time.Duration) *http.Cookie {
		t.Helper()
		c := newClock()
		c.Advance(e.clock.Now().Add(skew).Sub(c.Now()))
		cfg.Users, cfg.Now = e.users, c.Now
		s := mustService(t, cfg)
		ctx, w := requestContext(ownerAddr)
		if _, err := s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"}); err != nil {
			t.Fatal(err)
		}
		return deviceCookieOf(w, name)
	}
	e.run(0, step{addr: ownerAddr, save: "alice"})
	e.run(1, step{addr: ownerAddr, user: "bob", save: "bob"})
	for i, st := range guesses("alice", attacker(1), attacker(2), attacker(3), attacker(4)) {
		e.run(2+i, st)
	}
	valid := e.devices["alice"].Value
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	maxAge := gqljwt.DefaultDeviceCookieMaxAge
	tests := []struct {
		name   string
		values []string
		want   gqljwt.Code
	}{
		{"valid", []string{valid}, ""},
		{"an invalid one, then the valid one", []string{flip(valid, 3), valid}, ""},
		{"tag altered", []string{flip(valid, len(valid)-1)}, tooMany},
		{"nonce altered", []string{flip(valid, 5)}, tooMany},
		{"issue time altered", []string{flip(valid, 25)}, tooMany},
		{"another account's", []string{e.devices["bob"].Value}, tooMany},
		{"signed with another secret", []string{other(gqljwt.Config{DeviceCookie: &gqljwt.DeviceCookieConfig{Secret: []byte(strings.Repeat("x", 32))}}, 0).Value}, tooMany},
		{"derived from another signing secret", []string{other(gqljwt.Config{Secret: []byte(strings.Repeat("y", 32)), DeviceCookie: &gqljwt.DeviceCookieConfig{}}, 0).Value}, tooMany},
		{"expired", []string{other(gqljwt.Config{DeviceCookie: &gqljwt.DeviceCookieConfig{Secret: deviceSecret}}, -maxAge).Value}, tooMany},
		{"issued in the future", []string{other(gqljwt.Config{DeviceCookie: &gqljwt.DeviceCookieConfig{Secret: deviceSecret}}, time.Hour).Value}, tooMany},
		{"one second before expiry", []string{other(gqljwt.Config{DeviceCookie: &gqljwt.DeviceCookieConfig{Secret: deviceSecret}}, -maxAge+time.Second).Value}, ""},
		{"truncated", []string{valid[:len(valid)-2]}, tooMany},
		{"padded", []string{valid + "=="}, tooMany},
		{"standard base64", []string{strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+"}, tooMany},
		{"garbage", []string{"x"}, tooMany},
		{"empty", []string{""}, tooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cookies []*http.Cookie
			for _, v := range tt.values {
				cookies = append(cookies, &http.Cookie{Name: name, Value: v})
			}
			ctx, _ := requestContext(ownerAddr, cookies...)
			_, err := e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"})
			if codeOf(err) != tt.want {
				t.Fatalf("%v (%s), want %q", err, codeOf(err), tt.want)
			}
		})
	}
}

// TestDeviceCookieIssued: a successful login hands out the cookie with the
// attributes that keep it to this site and out of scripts; a failed one,
// or a login without a response to set it on, does not.
func TestDeviceCookieIssued(t *testing.T) {
	tests := []struct {
		name string
		dc   gqljwt.DeviceCookieConfig
		want http.Cookie
	}{
		{"defaults", gqljwt.DeviceCookieConfig{},
			http.Cookie{Name: "__Host-gqljwt-device", Path: "/", MaxAge: 90 * 24 * 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}},
		{"insecure, for development", gqljwt.DeviceCookieConfig{Insecure: true},
			http.Cookie{Name: "gqljwt-device", Path: "/", MaxAge: 90 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode}},
		{"custom", gqljwt.DeviceCookieConfig{Name: "dev", Path: "/api", MaxAge: time.Hour, SameSite: http.SameSiteLaxMode, Secret: deviceSecret},
			http.Cookie{Name: "dev", Path: "/api", MaxAge: 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := tt.dc
			e := newLockoutEnv(t, gqljwt.Config{DeviceCookie: &dc})
			ctx, w := requestContext(ownerAddr)
			if _, err := e.s.Login(ctx, gqljwt.Credentials{Username: "wrong", Password: wrong}); codeOf(err) != invalid {
				t.Fatal(err)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Fatalf("a failed login set %v", w.Result().Cookies())
			}
			ctx, w = requestContext(ownerAddr)
			if _, err := e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"}); err != nil {
				t.Fatal(err)
			}
			got := deviceCookieOf(w, tt.want.Name)
			if got == nil {
				t.Fatalf("no cookie %q: %v", tt.want.Name, w.Result().Header)
			}
			if got.Path != tt.want.Path || got.MaxAge != tt.want.MaxAge || got.Secure != tt.want.Secure ||
				!got.HttpOnly || got.SameSite != tt.want.SameSite || got.Domain != "" || len(got.Value) != 76 {
				t.Errorf("cookie %+v, want %+v", got, tt.want)
			}
		})
	}
	// Outside HTTP there is nothing to set it on, and nothing fails.
	e := newLockoutEnv(t, gqljwt.Config{})
	if _, err := e.s.Login(context.Background(), gqljwt.Credentials{Username: "alice", Password: "alice-password"}); err != nil {
		t.Fatal(err)
	}
	// A Service built from the same configuration (a restart, another
	// instance) trusts the devices: their failures count for the device,
	// not the address.
	e.run(0, step{addr: ownerAddr, save: "laptop"})
	e.s = mustService(t, e.cfg)
	e.run(1, step{addr: ownerAddr, device: "laptop", password: wrong, times: 5, want: invalid})
	e.run(2, step{addr: ownerAddr, device: "laptop", want: tooMany})
	e.run(3, step{addr: ownerAddr})
}

func TestLockoutConfig(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	dc := func(c gqljwt.DeviceCookieConfig) *gqljwt.DeviceCookieConfig { return &c }
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		cfg  gqljwt.Config
		want string
	}{
		{"account bar below the client bar", gqljwt.Config{Secret: secret, MaxLoginFailures: 10, MaxAccountFailures: 9}, "MaxAccountFailures (9) is below MaxLoginFailures (10)"},
		{"negative MaxLockout", gqljwt.Config{Secret: secret, MaxLockout: -time.Hour}, "MaxLockout must not be negative"},
		{"MaxLockout under the window", gqljwt.Config{Secret: secret, LoginWindow: time.Hour, MaxLockout: time.Minute}, "MaxLockout (1m0s) is shorter than LoginWindow (1h0m0s)"},
		{"short device secret", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Secret: secret[:31]})}, "DeviceCookie.Secret is 31 bytes, at least 32 are required"},
		{"empty device secret", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Secret: []byte{}})}, "DeviceCookie.Secret is 0 bytes"},
		{"SameSite None", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{SameSite: http.SameSiteNoneMode})}, "SameSite must be Strict or Lax"},
		{"insecure __Host- cookie", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Name: "__Host-d", Insecure: true})}, `Name "__Host-d" needs the Secure attribute`},
		{"insecure __Secure- cookie", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Name: "__Secure-d", Insecure: true})}, `Name "__Secure-d" needs the Secure attribute`},
		{"__Host- cookie with a path", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Path: "/api"})}, `needs Path "/"`},
		{"invalid name", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{Name: "a b"})}, "invalid Cookie.Name"},
		{"negative MaxAge", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{MaxAge: -time.Second})}, "DeviceCookie.MaxAge must not be negative"},
		{"asymmetric keys and no device secret", gqljwt.Config{Algorithm: gqljwt.EdDSA, SigningKey: gqljwt.Key{Private: edKey}, DeviceCookie: dc(gqljwt.DeviceCookieConfig{})}, "DeviceCookie.Secret is required when the Service does not sign with an HS256 secret"},
		{"sub-second MaxAge", gqljwt.Config{Secret: secret, DeviceCookie: dc(gqljwt.DeviceCookieConfig{MaxAge: time.Millisecond})}, "is under a second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := gqljwt.New(tt.cfg)
			if err == nil {
				t.Fatalf("accepted: %v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
	cfg := mustService(t, gqljwt.Config{}).Settings()
	if cfg.MaxAccountFailures != 20 || cfg.MaxAddressFailures != 20 || cfg.MaxLockout != 24*time.Hour || cfg.DeviceCookieName != "" {
		t.Errorf("defaults: %+v", cfg)
	}
	if got := mustService(t, gqljwt.Config{MaxLoginFailures: 30}).Settings().MaxAccountFailures; got != 30 {
		t.Errorf("the account's default bar under a higher client bar: %d, want 30", got)
	}
	mine := &gqljwt.DeviceCookieConfig{Secret: deviceSecret}
	if got := mustService(t, gqljwt.Config{DeviceCookie: mine}).Settings().DeviceCookieName; mine.Name != "" || got != gqljwt.DefaultDeviceCookieName {
		t.Errorf("the caller's DeviceCookieConfig is copied, not filled in: %+v %q", mine, got)
	}
}

// failingCounter is the in-process counter, with one of its operations
// failing from the moment fail is set.
type failingCounter struct {
	gqljwt.AttemptCounter
	fail atomic.Value // "Increment", "Get" or "Reset"
}

var errCounterDown = errors.New("counter down")

func (f *failingCounter) failing(op string) bool { v, _ := f.fail.Load().(string); return v == op }

func (f *failingCounter) Increment(ctx context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error) {
	if f.failing("Increment") {
		return 0, errCounterDown
	}
	return f.AttemptCounter.Increment(ctx, key, delta, now, ttl)
}

func (f *failingCounter) Get(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if f.failing("Get") {
		return 0, time.Time{}, errCounterDown
	}
	return f.AttemptCounter.Get(ctx, key, now)
}

func (f *failingCounter) Reset(ctx context.Context, key string) error {
	if f.failing("Reset") {
		return errCounterDown
	}
	return f.AttemptCounter.Reset(ctx, key)
}

// TestLockoutFailsClosed: a counter that cannot count means no, with the
// password unchecked when the failure comes before the check.
func TestLockoutFailsClosed(t *testing.T) {
	tests := []struct {
		op       string
		password string
		checks   int64
	}{
		{"Get", "alice-password", 0},
		{"Increment", "alice-password", 0},
		{"Reset", "alice-password", 1}, // a success clears the client's count
		{"Reset", wrong, 1},            // the fifth failure locks, and clears the count
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.password, func(t *testing.T) {
			fc := &failingCounter{AttemptCounter: gqljwt.NewMemoryAttemptCounter()}
			e := newLockoutEnv(t, gqljwt.Config{LoginThrottle: gqljwt.NewLoginThrottleWithCounter(fc, 0)})
			for i := 0; i < gqljwt.DefaultMaxLoginFailures-1; i++ {
				e.run(i, step{addr: attacker(1), password: wrong, want: invalid})
			}
			e.users.checks.Store(0)
			fc.fail.Store(tt.op)
			ctx, w := requestContext(attacker(1))
			_, err := e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: tt.password})
			if codeOf(err) != gqljwt.CodeUnavailable || !errors.Is(err, errCounterDown) {
				t.Errorf("%v (%s), want AUTH_UNAVAILABLE caused by the counter", err, codeOf(err))
			}
			if got := e.users.checks.Load(); got != tt.checks {
				t.Errorf("%d password checks, want %d", got, tt.checks)
			}
			if c := w.Result().Cookies(); len(c) != 0 {
				t.Errorf("device cookie handed out: %v", c)
			}
		})
	}
}

// TestMemoryAttemptCounter: counts expire by the caller's clock, every
// increment renewing the key.
func TestMemoryAttemptCounter(t *testing.T) {
	c := gqljwt.NewMemoryAttemptCounter()
	now := time.Now()
	step := func(d time.Duration) { now = now.Add(d) }
	get := func() int64 {
		t.Helper()
		n, exp, err := c.Get(ctx, "k", now)
		if err != nil || (n != 0) == exp.IsZero() {
			t.Fatalf("Get: %d %v %v", n, exp, err)
		}
		return n
	}
	for i, want := range []int64{1, 2} {
		if n, err := c.Increment(ctx, "k", 1, now, time.Minute); err != nil || n != want {
			t.Fatalf("increment %d: %d %v", i, n, err)
		}
	}
	step(59 * time.Second)
	if n, _ := c.Increment(ctx, "k", -1, now, time.Minute); n != 1 {
		t.Fatalf("decrement: %d", n)
	}
	step(59 * time.Second) // renewed by the decrement
	if get() != 1 {
		t.Fatal("expired early")
	}
	step(time.Second)
	if get() != 0 {
		t.Fatal("not expired")
	}
	if n, _ := c.Increment(ctx, "k", 3, now, time.Minute); n != 3 {
		t.Fatalf("after expiry: %d", n)
	}
	if err := c.Reset(ctx, "k"); err != nil || get() != 0 {
		t.Fatalf("Reset: %v", err)
	}
}

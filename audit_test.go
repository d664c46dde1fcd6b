package gqljwt_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	"golang.org/x/crypto/bcrypt"
)

// The secrets of the audit tests. None may show in a log line or an
// event; the passwords are plain words so that no JSON escaping could
// hide one from the search.
var (
	auditKey1       = []byte("audit-signing-key-one-0123456789abcdef")
	auditKey2       = []byte("audit-signing-key-two-0123456789abcdef")
	alicePassword   = "correct horse battery staple"
	malloryPassword = "mallory knows her password"
	wrongPassword   = "Tr0ub4dor and 3"
	carolPassword   = "carol does not exist"
)

// recorder collects the events of a Service and its JSON log.
type recorder struct {
	mu     sync.Mutex
	events []gqljwt.Event
	log    bytes.Buffer // guarded by mu too: slog writes from request goroutines
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *recorder) hook(_ context.Context, e gqljwt.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// take returns the events so far and forgets them.
func (r *recorder) take() []gqljwt.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func (r *recorder) config(cfg gqljwt.Config) gqljwt.Config {
	cfg.Logger = slog.New(slog.NewJSONHandler(r, nil))
	cfg.Audit = r.hook
	return cfg
}

// auditUsers holds alice (1, active), bob (2, active) and mallory (3,
// disabled).
func auditUsers(t *testing.T) *memstore.Users {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, u := range []struct {
		user gqljwt.User
		pw   string
	}{
		{gqljwt.User{ID: "1", Username: "alice", Email: "alice@example.com", Active: true}, alicePassword},
		{gqljwt.User{ID: "2", Username: "bob", Email: "bob@example.com", Active: true}, "bob's own password"},
		{gqljwt.User{ID: "3", Username: "mallory", Email: "mallory@example.com"}, malloryPassword},
	} {
		if err := users.Add(u.user, u.pw); err != nil {
			t.Fatal(err)
		}
	}
	return users
}

// without returns events with their Time cleared, for comparison.
func withoutTime(events []gqljwt.Event) []gqljwt.Event {
	out := make([]gqljwt.Event, len(events))
	for i, e := range events {
		e.Time = time.Time{}
		out[i] = e
	}
	return out
}

func checkEvents(t *testing.T, what string, got, want []gqljwt.Event) {
	t.Helper()
	got = withoutTime(got)
	if len(got) != len(want) {
		t.Errorf("%s: %d events, want %d:\n got %+v\nwant %+v", what, len(got), len(want), got, want)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: event %d:\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

const (
	homeAddr  = "192.0.2.10"
	guessAddr = "203.0.113.66"
)

// TestAuditFlow drives a full flow through a Service and checks every
// event it reports, the JSON log lines, and that no secret of the flow
// shows in either.
func TestAuditFlow(t *testing.T) {
	rec, clk := &recorder{}, newClock()
	s := mustService(t, rec.config(gqljwt.Config{
		SigningKey: gqljwt.Key{ID: "k1", Secret: auditKey1},
		Users:      auditUsers(t),
		Refresh:    memstore.NewRefreshTokens(),
		Now:        clk.Now,
	}))
	home, _ := requestContext(homeAddr)
	guesser, _ := requestContext(guessAddr)
	alice := func(pw string) gqljwt.Credentials { return gqljwt.Credentials{Username: "alice", Password: pw} }

	var want []gqljwt.Event
	failed := func(subject, login, client, reason string) gqljwt.Event {
		return gqljwt.Event{Kind: gqljwt.EventLoginFailed, Subject: subject, Login: login, ClientAddr: client, Reason: reason}
	}

	// Three failures with three reasons, one answer.
	for _, try := range []struct {
		c      gqljwt.Credentials
		expect gqljwt.Event
	}{
		{alice(wrongPassword), failed("1", "alice", homeAddr, "invalid_credentials")},
		{gqljwt.Credentials{Username: "carol", Password: carolPassword}, failed("", "carol", homeAddr, "unknown_user")},
		{gqljwt.Credentials{Email: "mallory@example.com", Password: malloryPassword}, failed("3", "mallory@example.com", homeAddr, "inactive")},
	} {
		if _, err := s.Login(home, try.c); err != gqljwt.ErrInvalidCredentials {
			t.Fatalf("%s: %v, want exactly ErrInvalidCredentials", try.expect.Reason, err)
		}
		want = append(want, try.expect)
	}

	sess, err := s.Login(home, alice(alicePassword))
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, gqljwt.Event{Kind: gqljwt.EventLoginSucceeded, Subject: "1", Login: "alice", ClientAddr: homeAddr})
	// A rotation reports nothing; it is here for a second pair of tokens
	// to look for in the log.
	rotated, err := s.Refresh(home, sess.RefreshToken, gqljwt.RefreshOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for i := range gqljwt.DefaultMaxLoginFailures {
		if _, err := s.Login(guesser, alice(wrongPassword)); err != gqljwt.ErrInvalidCredentials {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		want = append(want, failed("1", "alice", guessAddr, "invalid_credentials"))
	}
	want = append(want, gqljwt.Event{Kind: gqljwt.EventLockout, Subject: "1", Login: "alice", ClientAddr: guessAddr,
		Reason: "account_client", RetryAfter: gqljwt.DefaultLoginWindow})

	// Locked: the right password is not even checked.
	_, err = s.Login(guesser, alice(alicePassword))
	if ge, ok := err.(*gqljwt.Error); !ok || ge.Code != gqljwt.CodeTooManyAttempts || ge.RetryAfter != gqljwt.DefaultLoginWindow {
		t.Fatalf("locked login: %#v", err)
	}
	want = append(want, gqljwt.Event{Kind: gqljwt.EventLoginThrottled, Subject: "1", Login: "alice", ClientAddr: guessAddr,
		Reason: "account_client", RetryAfter: gqljwt.DefaultLoginWindow})

	if _, err := s.BumpTokenVersion(home, "1"); err != nil {
		t.Fatal(err)
	}
	want = append(want, gqljwt.Event{Kind: gqljwt.EventUserSecretBumped, Subject: "1", ClientAddr: homeAddr})
	if _, err := s.BumpTokenVersion(home, "no-such-user"); err == nil {
		t.Fatal("bumped an unknown user")
	} // nothing happened: nothing reported

	if err := s.RotateKeys(gqljwt.Key{ID: "k2", Secret: auditKey2}, gqljwt.Key{ID: "k1", Secret: auditKey1}); err != nil {
		t.Fatal(err)
	}
	want = append(want, gqljwt.Event{Kind: gqljwt.EventKeysRotated, Reason: "k2"})
	if err := s.RotateKeys(gqljwt.Key{ID: "short", Secret: []byte("short")}); err == nil {
		t.Fatal("rotated to a short key")
	} // refused: nothing reported
	// A token of the new key, to look for too.
	k2Token, err := s.IssueAccessToken(home, sess.User)
	if err != nil {
		t.Fatal(err)
	}

	events := rec.take()
	checkEvents(t, "flow", events, want)
	for i, e := range events {
		if !e.Time.Equal(clk.Now()) {
			t.Errorf("event %d (%s): time %v, want the service clock's %v", i, e.Kind, e.Time, clk.Now())
		}
	}
	checkLog(t, rec.log.String(), want)

	secrets := map[string]string{
		"alice's password":       alicePassword,
		"mallory's password":     malloryPassword,
		"the wrong password":     wrongPassword,
		"carol's password":       carolPassword,
		"the access token":       sess.Access.Value,
		"the refresh token":      sess.RefreshToken,
		"the rotated access":     rotated.Access.Value,
		"the rotated refresh":    rotated.RefreshToken,
		"a token of the new key": k2Token.Value,
	}
	for name, key := range map[string][]byte{"the first key": auditKey1, "the second key": auditKey2} {
		secrets[name] = string(key)
		secrets[name+" in base64"] = base64.StdEncoding.EncodeToString(key)
		secrets[name+" in base64url"] = base64.RawURLEncoding.EncodeToString(key)
		secrets[name+" in hex"] = hex.EncodeToString(key)
	}
	checkNoSecrets(t, map[string]string{
		"the JSON log":   rec.log.String(),
		"the events %v":  fmt.Sprintf("%v", events),
		"the events %+v": fmt.Sprintf("%+v", events),
		"the events %#v": fmt.Sprintf("%#v", events),
	}, secrets)
}

// checkLog compares the JSON log, line by line, with the events it should
// record: what a log pipeline parsing it gets.
func checkLog(t *testing.T, log string, want []gqljwt.Event) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d log lines, want %d:\n%s", len(lines), len(want), log)
		return
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Errorf("line %d %q: %v", i, line, err)
			continue
		}
		if _, ok := got["time"].(string); !ok {
			t.Errorf("line %d: no time: %s", i, line)
		}
		delete(got, "time")
		e := want[i]
		level := "WARN"
		switch e.Kind {
		case gqljwt.EventLoginSucceeded, gqljwt.EventUserSecretBumped, gqljwt.EventKeysRotated:
			level = "INFO"
		}
		expect := map[string]any{"level": level, "msg": "gqljwt security event", "event": string(e.Kind)}
		for k, v := range map[string]string{"subject": e.Subject, "login": e.Login, "client": e.ClientAddr, "reason": e.Reason, "session": e.SessionID} {
			if v != "" {
				expect[k] = v
			}
		}
		if e.RetryAfter > 0 {
			expect["retry_after"] = float64(e.RetryAfter) // slog writes a Duration as nanoseconds
		}
		if g, w := fmt.Sprint(got), fmt.Sprint(expect); g != w {
			t.Errorf("line %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// checkNoSecrets fails when a secret, or a segment of one that is a JWT,
// occurs in any of the texts.
func checkNoSecrets(t *testing.T, texts, secrets map[string]string) {
	t.Helper()
	for name, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty: the flow did not produce it", name)
		}
		needles := map[string]string{name: secret}
		if parts := strings.Split(secret, "."); len(parts) == 3 {
			for i, p := range parts {
				needles[fmt.Sprintf("%s, segment %d", name, i+1)] = p
			}
		}
		for what, text := range texts {
			for needle, v := range needles {
				if strings.Contains(text, v) {
					t.Errorf("%s holds %s", what, needle)
				}
			}
		}
	}
}

// TestAuditThrottleReasons: each key kind is named when it locks and when
// it refuses, a failure filling two keys reports two lockouts, and a
// second lockout reports its doubled length.
func TestAuditThrottleReasons(t *testing.T) {
	const (
		x, y, z = "198.51.100.1", "198.51.100.2", "198.51.100.3"
		window  = gqljwt.DefaultLoginWindow
	)
	type attempt struct {
		advance time.Duration
		addr    string
		device  bool   // present the device cookie of the first success
		user    string // default alice
		wrong   bool
		times   int         // default 1
		want    gqljwt.Code // default INVALID_CREDENTIALS when wrong, else success
	}
	const tooMany = gqljwt.CodeTooManyAttempts
	fail := func(login, subject, addr string) gqljwt.Event {
		return gqljwt.Event{Kind: gqljwt.EventLoginFailed, Subject: subject, Login: login, ClientAddr: addr, Reason: "invalid_credentials"}
	}
	failAlice := func(addr string, n int) []gqljwt.Event {
		var out []gqljwt.Event
		for range n {
			out = append(out, fail("alice", "1", addr))
		}
		return out
	}
	lockout := func(login, subject, addr, reason string, d time.Duration) gqljwt.Event {
		return gqljwt.Event{Kind: gqljwt.EventLockout, Subject: subject, Login: login, ClientAddr: addr, Reason: reason, RetryAfter: d}
	}
	throttled := func(addr, reason string, d time.Duration) gqljwt.Event {
		return gqljwt.Event{Kind: gqljwt.EventLoginThrottled, Subject: "1", Login: "alice", ClientAddr: addr, Reason: reason, RetryAfter: d}
	}
	succeeded := func(addr string) gqljwt.Event {
		return gqljwt.Event{Kind: gqljwt.EventLoginSucceeded, Subject: "1", Login: "alice", ClientAddr: addr}
	}
	cat := func(parts ...any) []gqljwt.Event {
		var out []gqljwt.Event
		for _, p := range parts {
			switch p := p.(type) {
			case gqljwt.Event:
				out = append(out, p)
			case []gqljwt.Event:
				out = append(out, p...)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		cfg      gqljwt.Config
		attempts []attempt
		want     []gqljwt.Event
	}{
		{"one failure locks two keys",
			gqljwt.Config{MaxLoginFailures: 3, MaxAccountFailures: 3},
			[]attempt{{addr: x, wrong: true, times: 3}, {addr: x, want: tooMany}, {addr: y, want: tooMany}},
			cat(failAlice(x, 3), lockout("alice", "1", x, "account_client", window), lockout("alice", "1", x, "account", window),
				throttled(x, "account_client", window), // both run as long: the first key names it
				throttled(y, "account", window)),
		},
		{"the account, from spread addresses",
			gqljwt.Config{MaxLoginFailures: 3, MaxAccountFailures: 4},
			[]attempt{{addr: x, wrong: true, times: 2}, {addr: y, wrong: true, times: 2}, {addr: z, want: tooMany}},
			cat(failAlice(x, 2), failAlice(y, 2), lockout("alice", "1", y, "account", window), throttled(z, "account", window)),
		},
		{"the address, over unknown names",
			gqljwt.Config{MaxAddressFailures: 3},
			[]attempt{{addr: x, user: "u1", wrong: true}, {addr: x, user: "u2", wrong: true}, {addr: x, user: "u3", wrong: true}, {addr: x, want: tooMany}},
			cat(gqljwt.Event{Kind: gqljwt.EventLoginFailed, Login: "u1", ClientAddr: x, Reason: "unknown_user"},
				gqljwt.Event{Kind: gqljwt.EventLoginFailed, Login: "u2", ClientAddr: x, Reason: "unknown_user"},
				gqljwt.Event{Kind: gqljwt.EventLoginFailed, Login: "u3", ClientAddr: x, Reason: "unknown_user"},
				lockout("u3", "", x, "address", window),
				throttled(x, "address", window)),
		},
		{"a trusted device",
			gqljwt.Config{DeviceCookie: &gqljwt.DeviceCookieConfig{Secret: deviceSecret}},
			[]attempt{{addr: x}, {addr: x, device: true, wrong: true, times: 5}, {addr: x, device: true, want: tooMany}, {addr: x}},
			cat(succeeded(x), failAlice(x, 5), lockout("alice", "1", x, "device", window), throttled(x, "device", window),
				succeeded(x)), // without the cookie, the untrusted client is another key
		},
		{"the second lockout lasts twice as long",
			gqljwt.Config{},
			[]attempt{{addr: x, wrong: true, times: 5}, {advance: time.Minute, addr: x, want: tooMany},
				{advance: window - time.Minute, addr: x, wrong: true, times: 5}, {addr: x, want: tooMany}},
			cat(failAlice(x, 5), lockout("alice", "1", x, "account_client", window),
				throttled(x, "account_client", window-time.Minute),
				failAlice(x, 5), lockout("alice", "1", x, "account_client", 2*window), throttled(x, "account_client", 2*window)),
		},
		{"a key full of failures whose lock could not be set",
			gqljwt.Config{LoginThrottle: gqljwt.NewLoginThrottleWithCounter(&lockFailingCounter{AttemptCounter: gqljwt.NewMemoryAttemptCounter()}, 0)},
			[]attempt{{addr: x, wrong: true, times: 4}, {addr: x, wrong: true, want: gqljwt.CodeUnavailable}, {addr: x, want: tooMany}},
			cat(failAlice(x, 5), // the fifth answers AUTH_UNAVAILABLE and locks nothing
				throttled(x, "account_client", window)), // the full key refuses all the same
		},
		{"without a request: no address, no address key",
			gqljwt.Config{MaxAddressFailures: 1},
			[]attempt{{wrong: true, times: 5}, {want: tooMany}},
			cat(failAlice("", 5), lockout("alice", "1", "", "account_client", window), throttled("", "account_client", window)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, clk := &recorder{}, newClock()
			cfg := rec.config(tt.cfg)
			cfg.Users, cfg.Now = auditUsers(t), clk.Now
			s := mustService(t, cfg)
			var device *http.Cookie
			for i, a := range tt.attempts {
				clk.Advance(a.advance)
				user, pw := a.user, alicePassword
				if user == "" {
					user = "alice"
				}
				want := a.want
				if a.wrong {
					pw = wrongPassword
					if want == "" {
						want = gqljwt.CodeInvalidCredential
					}
				}
				for range max(a.times, 1) {
					var cookies []*http.Cookie
					if a.device {
						cookies = append(cookies, device)
					}
					ctx, w := requestContext(a.addr, cookies...)
					_, err := s.Authenticate(ctx, gqljwt.Credentials{Username: user, Password: pw})
					if c := deviceCookieOf(w, gqljwt.DefaultDeviceCookieName); c != nil && device == nil {
						device = c
					}
					if got := gqljwt.CodeOf(err); got != want || (err == nil) != (want == "") {
						t.Fatalf("attempt %d: %v (%q), want %q", i, err, got, want)
					}
				}
			}
			checkEvents(t, tt.name, rec.take(), tt.want)
		})
	}
}

// lockFailingCounter cannot set a lock: the throttle's path for a key
// that is full of failures but not locked.
type lockFailingCounter struct{ gqljwt.AttemptCounter }

func (c *lockFailingCounter) Increment(ctx context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error) {
	if strings.HasSuffix(key, ":lock") {
		return 0, errors.New("the lock store is down")
	}
	return c.AttemptCounter.Increment(ctx, key, delta, now, ttl)
}

// TestAuditHTTP runs logins over HTTP, through the verifier and a
// GraphQL endpoint: the client address is the request's, the answers to
// the three kinds of failure are byte for byte the same while the events
// tell them apart, and neither log nor events hold a secret.
func TestAuditHTTP(t *testing.T) {
	rec := &recorder{}
	auth := mustService(t, rec.config(gqljwt.Config{
		Secret:  auditKey1,
		Users:   auditUsers(t),
		Refresh: memstore.NewRefreshTokens(),
	}))
	frag, err := mutations.New(auth, mutations.Native(), mutations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	query := graphql.Fields{"ping": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "pong", nil }}}
	mutation := graphql.Fields{}
	if err := frag.MergeInto(query, mutation); err != nil {
		t.Fatal(err)
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutation}),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.Verifier(auth))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	srv := httptest.NewServer(r)
	defer srv.Close()

	login := func(vars map[string]any) string {
		t.Helper()
		body, _ := json.Marshal(map[string]any{
			"query": `mutation($username: String, $email: String, $password: String!) {
  tokenAuth(username: $username, email: $email, password: $password) { token refreshToken }
}`,
			"variables": vars,
		})
		resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out bytes.Buffer
		if _, err := out.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	answers := map[string]string{
		"invalid_credentials": login(map[string]any{"username": "alice", "password": wrongPassword}),
		"unknown_user":        login(map[string]any{"username": "carol", "password": carolPassword}),
		"inactive":            login(map[string]any{"username": "mallory", "password": malloryPassword}),
	}
	for reason, a := range answers {
		if a != answers["invalid_credentials"] {
			t.Errorf("%s answers %s, a wrong password %s", reason, a, answers["invalid_credentials"])
		}
	}
	if !strings.Contains(answers["invalid_credentials"], `"INVALID_CREDENTIALS"`) {
		t.Errorf("a wrong password answers %s", answers["invalid_credentials"])
	}
	ok := login(map[string]any{"username": "alice", "password": alicePassword})
	var tokens struct {
		Data struct {
			TokenAuth struct{ Token, RefreshToken string }
		}
	}
	if err := json.Unmarshal([]byte(ok), &tokens); err != nil || tokens.Data.TokenAuth.Token == "" {
		t.Fatalf("login: %s (%v)", ok, err)
	}

	const local = "127.0.0.1" // httptest's listener: RemoteAddr without the port
	events := rec.take()
	checkEvents(t, "over HTTP", events, []gqljwt.Event{
		{Kind: gqljwt.EventLoginFailed, Subject: "1", Login: "alice", ClientAddr: local, Reason: "invalid_credentials"},
		{Kind: gqljwt.EventLoginFailed, Login: "carol", ClientAddr: local, Reason: "unknown_user"},
		{Kind: gqljwt.EventLoginFailed, Subject: "3", Login: "mallory", ClientAddr: local, Reason: "inactive"},
		{Kind: gqljwt.EventLoginSucceeded, Subject: "1", Login: "alice", ClientAddr: local},
	})
	checkNoSecrets(t, map[string]string{"the JSON log": rec.log.String(), "the events": fmt.Sprintf("%+v", events)}, map[string]string{
		"alice's password":   alicePassword,
		"mallory's password": malloryPassword,
		"the wrong password": wrongPassword,
		"carol's password":   carolPassword,
		"the access token":   tokens.Data.TokenAuth.Token,
		"the refresh token":  tokens.Data.TokenAuth.RefreshToken,
		"the key":            string(auditKey1),
	})
}

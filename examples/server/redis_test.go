package main

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/redis/rueidis"

	"golang.org/x/crypto/bcrypt"

	"github.com/gqljwt/gqljwt/internal/redistest"
)

// onRedis is one instance of the demo, with o, on the Redis at addr.
func onRedis(t *testing.T, addr string, o options) *server {
	t.Helper()
	o.secret, o.bcryptCost, o.redis = testSecret, bcrypt.MinCost, addr
	a, err := newApp(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	return &server{t: t, app: a, url: srv.URL}
}

// TestTwoInstancesOnRedis: two demo servers sharing one Redis serve as
// one: a session started on A refreshes on B, a logout on A is honoured
// by B at once, and a refresh token reused across them ends the session.
func TestTwoInstancesOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	a, b := onRedis(t, redis.Addr, options{}), onRedis(t, redis.Addr, options{})
	const path = "/graphql"
	login := a.post(path, `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`, nil)
	token, refresh := login.str("data", "tokenAuth", "token"), login.str("data", "tokenAuth", "refreshToken")
	if token == "" || refresh == "" {
		t.Fatalf("login on A: %s", login.raw)
	}
	if r := b.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+token); r.str("data", "me", "username") != "bob" {
		t.Fatalf("A's token on B: %s", r.raw)
	}
	// Refresh on B; the new pair works on A.
	r := b.post(path, `mutation R($t: String) { refreshToken(refreshToken: $t) { token refreshToken } }`, map[string]any{"t": refresh})
	token2, refresh2 := r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")
	if token2 == "" || refresh2 == "" {
		t.Fatalf("refresh on B: %s", r.raw)
	}
	if r := a.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+token2); r.str("data", "me", "username") != "bob" {
		t.Fatalf("B's token on A: %s", r.raw)
	}
	// Logout on A: B refuses the session's tokens at once.
	if r := a.post(path, `mutation { logout { success } }`, nil, "Authorization", "Bearer "+token2); r.get("data", "logout", "success") != true {
		t.Fatalf("logout on A: %s", r.raw)
	}
	for _, tok := range []string{token, token2} {
		if r := b.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+tok); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
			t.Errorf("a logged-out token on B: %s", r.raw)
		}
	}
	if r := b.post(path, `mutation R($t: String) { refreshToken(refreshToken: $t) { token } }`, map[string]any{"t": refresh2}); r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" {
		t.Errorf("a logged-out refresh token on B: %s", r.raw)
	}
	// Failed logins count once for both: five on A and B together lock
	// the attacker's address out of carol on either.
	for i := range 5 {
		inst := []*server{a, b}[i%2]
		inst.post(path, `mutation { tokenAuth(username: "carol", password: "wrong") { token } }`, nil)
	}
	if r := b.post(path, `mutation { tokenAuth(username: "carol", password: "wrong") { token } }`, nil); r.str("errors", 0, "extensions", "code") != "TOO_MANY_ATTEMPTS" {
		t.Errorf("the sixth failure across instances: %s", r.raw)
	}
}

// TestOAuth2AcrossInstancesOnRedis: an OAUTH2_GENERIC flow started on A
// finishes on B, whose OAuth2 states and linked identities are A's: a
// link made through B logs in through A, and a state is spent on both.
func TestOAuth2AcrossInstancesOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	provider := newOAuthServer(t)
	o := options{oauth2: provider.config(), userInfoURL: provider.URL + "/userinfo"}
	a, b := onRedis(t, redis.Addr, o), onRedis(t, redis.Addr, o)
	const path = "/wpgraphql"
	doc := seed(t, "002")
	login := a.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"})
	auth := login.str("data", "login", "authToken")
	if auth == "" {
		t.Fatalf("login on A: %s", login.raw)
	}
	link := `mutation L($code: String!, $state: String!) { linkUserIdentity(input: {provider: OAUTH2_GENERIC, userId: "2", oauthResponse: {code: $code, state: $state}}) { success } }`
	az := a.authorize(t, provider, "acct-7")
	r := b.post(path, link, map[string]any{"code": az.code, "state": az.state}, "Authorization", "Bearer "+auth, "Cookie", az.cookie)
	if r.get("data", "linkUserIdentity", "success") != true {
		t.Fatalf("link started on A, finished on B: %s", r.raw)
	}
	oauthLogin := wpOperation(t, doc, "mutation login(")
	az = b.authorize(t, provider, "acct-7")
	vars := map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code, "state": az.state}
	if r = a.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("data", "login", "user", "id") != "2" || r.str("data", "login", "authToken") == "" {
		t.Fatalf("OAuth2 login started on B, finished on A, with the link made on B: %s", r.raw)
	}
	vars["code"] = provider.authorize(t, "acct-7", "")
	if r = b.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" {
		t.Errorf("a state spent on A, replayed on B: %s", r.raw)
	}
}

// TestRedisOption: what -redis accepts, read by rueidis.ParseURL where it
// is a URL.
func TestRedisOption(t *testing.T) {
	for _, tc := range []struct {
		spec        string
		addrs       []string
		tls         bool
		db          int
		user, pass  string
		description string
	}{
		{spec: "127.0.0.1:6379", addrs: []string{"127.0.0.1:6379"}, description: "Redis at 127.0.0.1:6379"},
		{spec: "10.0.0.1:7000, 10.0.0.2:7000,10.0.0.3:7000", addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
			description: "Redis at 10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000"},
		{spec: "redis://127.0.0.1:6379/0", addrs: []string{"127.0.0.1:6379"}, description: "Redis at 127.0.0.1:6379"},
		{spec: "redis://localhost/3", addrs: []string{"localhost:6379"}, db: 3, description: "Redis at localhost:6379, database 3"},
		{spec: "rediss://app:s3cret@cache.example:6380/1", addrs: []string{"cache.example:6380"}, tls: true, db: 1, user: "app", pass: "s3cret",
			description: "Redis at cache.example:6380, TLS, database 1, with credentials"},
		{spec: "redis://:pw@h1:7000,h2:7001,h3:7002", addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, pass: "pw",
			description: "Redis at h1:7000,h2:7001,h3:7002, with credentials"},
		{spec: "redis://h1:7000,h2:7001/0?dial_timeout=2s", addrs: []string{"h1:7000", "h2:7001"}, description: "Redis at h1:7000,h2:7001"},
		{spec: "redis://h1:7000?addr=h2:7001", addrs: []string{"h1:7000", "h2:7001"}, description: "Redis at h1:7000,h2:7001"},
	} {
		opt, err := redisOption(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if !slices.Equal(opt.InitAddress, tc.addrs) || (opt.TLSConfig != nil) != tc.tls || opt.SelectDB != tc.db ||
			opt.Username != tc.user || opt.Password != tc.pass {
			t.Errorf("%q: addresses %q, TLS %v, db %d, user %q, password %q", tc.spec, opt.InitAddress, opt.TLSConfig != nil, opt.SelectDB, opt.Username, opt.Password)
		}
		if d := describeRedis(rueidis.ClientModeStandalone, opt); d != tc.description || (tc.pass != "" && strings.Contains(d, tc.pass)) {
			t.Errorf("%q described as %q, want %q", tc.spec, d, tc.description)
		}
	}
	for spec, want := range map[string]string{
		"":                                   "-redis: no address",
		" , ":                                "-redis: no address",
		"http://127.0.0.1:6379":              "-redis: redis: invalid URL scheme: http",
		"redis://u:hunter2@127.0.0.1:6379/x": `-redis: redis: invalid database number: "x"`,
		"redis://u:hunter2@[::1:6379/0":      "-redis: missing ']' in host",
	} {
		if _, err := redisOption(spec); err == nil || err.Error() != want || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error %v, want %q", spec, err, want)
		}
	}
}

// TestRedisURLBackend: the demo on a redis:// URL says, for its banner,
// which backend it uses; without -redis, that it keeps state in process.
func TestRedisURLBackend(t *testing.T) {
	redis := redistest.Start(t)
	s := onRedis(t, "redis://"+redis.Addr+"/0", options{})
	if want := "Redis at " + redis.Addr; s.app.backend != want {
		t.Errorf("backend %q, want %q", s.app.backend, want)
	}
	if r := s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil); r.str("data", "tokenAuth", "token") == "" {
		t.Errorf("login on the redis:// URL: %s", r.raw)
	}
	if s := newServer(t, options{}); !strings.HasPrefix(s.app.backend, "in this process's memory") {
		t.Errorf("backend without -redis: %q", s.app.backend)
	}
}

// TestTwoInstancesOnRedisCluster: two demo servers given a 3-master
// Redis Cluster as a list of seeds say so, and share sessions over it: a
// login on A refreshes on B, and a logout on B is refused on A.
func TestTwoInstancesOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	seeds := strings.Join(cl.Addrs, ",")
	a, b := onRedis(t, seeds, options{}), onRedis(t, "redis://"+seeds+"/0", options{})
	for _, s := range []*server{a, b} {
		if want := "Redis Cluster at " + seeds; s.app.backend != want {
			t.Errorf("backend %q, want %q", s.app.backend, want)
		}
	}
	const path = "/graphql"
	login := a.post(path, `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`, nil)
	refresh := login.str("data", "tokenAuth", "refreshToken")
	if refresh == "" {
		t.Fatalf("login on A: %s", login.raw)
	}
	r := b.post(path, `mutation R($t: String) { refreshToken(refreshToken: $t) { token } }`, map[string]any{"t": refresh})
	token := r.str("data", "refreshToken", "token")
	if token == "" {
		t.Fatalf("refresh on B: %s", r.raw)
	}
	if r := b.post(path, `mutation { logout { success } }`, nil, "Authorization", "Bearer "+token); r.get("data", "logout", "success") != true {
		t.Fatalf("logout on B: %s", r.raw)
	}
	if r := a.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+token); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
		t.Errorf("a token logged out on B, on A: %s", r.raw)
	}
}

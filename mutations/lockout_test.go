package mutations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	"golang.org/x/crypto/bcrypt"
)

// clientHeader stands in for the proxy header a deployment trusts: the
// tests speak for clients at several addresses over one loopback socket.
const clientHeader = "X-Test-Client"

func clientAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get(clientHeader); a != "" {
			r.RemoteAddr = a + ":443"
		}
		next.ServeHTTP(w, r)
	})
}

// lockoutServer is an HTTPS API with device cookies on: chi, the verifier,
// graphql-go's handler and a preset.
type lockoutServer struct {
	t     *testing.T
	auth  *gqljwt.Service
	users *countingUsers
	srv   *httptest.Server
}

func newLockoutServer(t *testing.T, preset mutations.Preset) *lockoutServer {
	t.Helper()
	base := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, u := range []gqljwt.User{
		{ID: "1", Username: "alice", Email: "alice@example.com", Active: true},
		{ID: "2", Username: "bob", Email: "bob@example.com", Active: true},
	} {
		if err := base.Add(u, u.Username+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	users := &countingUsers{Users: base}
	auth, err := gqljwt.New(gqljwt.Config{
		Secret: secret, Users: users, Versions: base, Refresh: memstore.NewRefreshTokens(),
		DeviceCookie: &gqljwt.DeviceCookieConfig{},
	})
	if err != nil {
		t.Fatal(err)
	}
	query := graphql.Fields{"me": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
		id, err := gqljwt.FromContext(p.Context)
		if id == nil {
			return nil, err
		}
		return id.Username, nil
	}}}
	mutation := graphql.Fields{"noop": &graphql.Field{Type: graphql.Boolean}}
	frag, err := mutations.New(auth, preset, mutations.Options{Identities: memstore.NewIdentities()})
	if err != nil {
		t.Fatal(err)
	}
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
	r.Use(clientAddress, middleware.Verifier(auth))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	s := &lockoutServer{t: t, auth: auth, users: users, srv: httptest.NewTLSServer(r)}
	t.Cleanup(s.srv.Close)
	return s
}

// browser is a client that keeps cookies, as a browser does; nil jar
// makes one that keeps none (an attacker's script, or a new browser).
func (s *lockoutServer) browser(keepCookies bool) *http.Client {
	c := &http.Client{Transport: s.srv.Client().Transport}
	if keepCookies {
		c.Jar, _ = cookiejar.New(nil)
	}
	return c
}

type httpAnswer struct {
	response
	setCookies []string
}

func (s *lockoutServer) post(c *http.Client, addr, token, query string, vars map[string]any, cookies ...*http.Cookie) *httpAnswer {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", s.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(clientHeader, addr)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &httpAnswer{response: response{Header: resp.Header, Raw: string(raw)}, setCookies: resp.Header.Values("Set-Cookie")}
	if err := json.Unmarshal(raw, &out.response); err != nil {
		s.t.Fatalf("response %q: %v", raw, err)
	}
	return out
}

// codes returns extensions.code and retryAfter of every error.
func (r *httpAnswer) codes() (codes []string, retries []float64) {
	for _, e := range r.Errors {
		ext, _ := e["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		ra, _ := ext["retryAfter"].(float64)
		codes, retries = append(codes, c), append(retries, ra)
	}
	return codes, retries
}

const nativeLogin = `mutation($username: String, $password: String!) { tokenAuth(username: $username, password: $password) { token } }`

const (
	ownerAddr = "198.51.100.7"
	firstLock = 900 // seconds: DefaultLoginWindow
)

func attackerAddr(i int) string { return fmt.Sprintf("203.0.113.%d", i) }

// TestLockoutOverHTTP: the owner's browser keeps logging in while an
// attacker, spread over addresses, has the account locked for everyone
// else; the device cookie is HttpOnly, Secure, SameSite=Strict, Path=/.
func TestLockoutOverHTTP(t *testing.T) {
	s := newLockoutServer(t, mutations.Native())
	owner, stranger := s.browser(true), s.browser(false)
	alice := map[string]any{"username": "alice", "password": "alice-password"}

	r := s.post(owner, ownerAddr, "", nativeLogin, alice)
	if r.str("tokenAuth", "token") == "" {
		t.Fatal(r.Raw)
	}
	if len(r.setCookies) != 1 {
		t.Fatalf("Set-Cookie %q", r.setCookies)
	}
	attrs := map[string]bool{}
	for _, a := range strings.Split(r.setCookies[0], "; ")[1:] {
		attrs[a] = true
	}
	for _, want := range []string{"Path=/", "Max-Age=7776000", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !attrs[want] {
			t.Errorf("Set-Cookie %q lacks %s", r.setCookies[0], want)
		}
	}
	if !strings.HasPrefix(r.setCookies[0], "__Host-gqljwt-device=") || strings.Contains(r.setCookies[0], "Domain=") {
		t.Errorf("Set-Cookie %q: want a __Host- cookie without Domain", r.setCookies[0])
	}

	// Four addresses, five aliased guesses each: 20, the account's bar.
	var aliases []string
	for i := range 5 {
		aliases = append(aliases, fmt.Sprintf(`a%d: tokenAuth(username: "alice", password: "guess%d") { token }`, i, i))
	}
	for i := 1; i <= 4; i++ {
		r := s.post(stranger, attackerAddr(i), "", "mutation { "+strings.Join(aliases, "\n")+" }", nil)
		if codes, _ := r.codes(); strings.Join(codes, " ") != strings.Repeat("INVALID_CREDENTIALS ", 4)+"INVALID_CREDENTIALS" {
			t.Fatalf("address %d: %v", i, codes)
		}
	}
	tests := []struct {
		name    string
		client  *http.Client
		addr    string
		cookies []*http.Cookie
		code    string
		retry   float64
	}{
		{"the attacker from a fifth address", stranger, attackerAddr(5), nil, "TOO_MANY_ATTEMPTS", firstLock},
		{"the owner in a new browser", stranger, ownerAddr, nil, "TOO_MANY_ATTEMPTS", firstLock},
		{"the owner with a forged device cookie", stranger, ownerAddr, []*http.Cookie{{Name: "__Host-gqljwt-device", Value: strings.Repeat("A", 76)}}, "TOO_MANY_ATTEMPTS", firstLock},
		{"the owner's browser", owner, ownerAddr, nil, "", 0},
		{"the owner's browser behind an attacker's address", owner, attackerAddr(1), nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.post(tt.client, tt.addr, "", nativeLogin, alice, tt.cookies...)
			codes, retries := r.codes()
			switch {
			case tt.code == "" && len(codes) != 0:
				t.Fatalf("refused: %s", r.Raw)
			case tt.code != "" && (len(codes) != 1 || codes[0] != tt.code || retries[0] != tt.retry):
				t.Fatalf("want %s with retryAfter %v: %s", tt.code, tt.retry, r.Raw)
			case tt.code == "":
				// A real session, and a new device cookie with it.
				if me := s.post(tt.client, tt.addr, r.str("tokenAuth", "token"), `{ me }`, nil); me.str("me") != "alice" {
					t.Fatalf("me: %s", me.Raw)
				}
				if len(r.setCookies) != 1 {
					t.Fatalf("Set-Cookie %q", r.setCookies)
				}
			}
		})
	}

	// The device cookie, altered by one character, is no device cookie.
	u, _ := url.Parse(s.srv.URL)
	cookies := owner.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("jar: %v", cookies)
	}
	v := []byte(cookies[0].Value)
	v[10] ^= 1
	if r := s.post(stranger, ownerAddr, "", nativeLogin, alice, &http.Cookie{Name: cookies[0].Name, Value: string(v)}); r.code(t) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("tampered cookie: %s", r.Raw)
	}
}

// TestConcurrentLoginsOverHTTP: 16 simultaneous correct logins of one
// account from one browser all succeed, with working tokens; 100
// simultaneous wrong ones from one address get 5 checks.
func TestConcurrentLoginsOverHTTP(t *testing.T) {
	s := newLockoutServer(t, mutations.Native())
	run := func(n int, client *http.Client, addr, password string) ([]*httpAnswer, int) {
		s.users.reset()
		out := make([]*httpAnswer, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out[i] = s.post(client, addr, "", nativeLogin, map[string]any{"username": "alice", "password": password})
			}()
		}
		close(start)
		wg.Wait()
		return out, s.users.comparisons()
	}
	answers, checks := run(16, s.browser(false), ownerAddr, "alice-password")
	for i, r := range answers {
		token := r.str("tokenAuth", "token")
		if token == "" {
			t.Fatalf("login %d: %s", i, r.Raw)
		}
		if _, err := s.auth.Verify(context.Background(), token); err != nil {
			t.Errorf("login %d: %v", i, err)
		}
	}
	if checks != 16 {
		t.Errorf("%d checks for 16 logins", checks)
	}
	answers, checks = run(100, s.browser(false), attackerAddr(1), "guess")
	count := map[string]int{}
	for _, r := range answers {
		count[r.code(t)]++
	}
	if checks != 5 || count["INVALID_CREDENTIALS"] != 5 || count["TOO_MANY_ATTEMPTS"] != 95 {
		t.Errorf("100 wrong logins: %d checks, answers %v; want 5 checked", checks, count)
	}
}

// TestDeviceCookieEveryPreset: the device cookie comes from the core, so
// every preset's password login hands it out and honours it.
func TestDeviceCookieEveryPreset(t *testing.T) {
	tests := []struct {
		preset mutations.Preset
		query  string
		vars   map[string]any
	}{
		{mutations.Native(), nativeLogin, map[string]any{"username": "alice"}},
		{mutations.GrapheneRelay(), `mutation($username: String!, $password: String!) { tokenAuth(input: {username: $username, password: $password}) { token } }`, map[string]any{"username": "alice"}},
		{mutations.CollectiveAccess(), `query($username: String!, $password: String!) { login(username: $username, password: $password) { jwt } }`, map[string]any{"username": "alice"}},
		{mutations.WPGraphQL(), `mutation($username: String!, $password: String!) { login(input: {provider: PASSWORD, credentials: {username: $username, password: $password}}) { authToken } }`, map[string]any{"username": "alice"}},
		{mutations.Toggle(), `query($email: String, $password: String!) { loginUser(email: $email, password: $password) { id } }`, map[string]any{"email": "alice@example.com"}},
		{mutations.DE(), `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }`, map[string]any{"email": "alice@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.preset.Name, func(t *testing.T) {
			s := newLockoutServer(t, tt.preset)
			owner, stranger := s.browser(true), s.browser(false)
			vars := func(pw string) map[string]any {
				v := map[string]any{"password": pw}
				for k, x := range tt.vars {
					v[k] = x
				}
				return v
			}
			if r := s.post(owner, ownerAddr, "", tt.query, vars("alice-password")); len(r.Errors) != 0 || len(r.setCookies) != 1 {
				t.Fatalf("login: %s %q", r.Raw, r.setCookies)
			}
			for i := 1; i <= gqljwt.DefaultMaxAccountFailures; i++ {
				if r := s.post(stranger, attackerAddr(i), "", tt.query, vars("guess")); len(r.Errors) != 1 {
					t.Fatalf("guess %d: %s", i, r.Raw)
				}
			}
			if r := s.post(stranger, ownerAddr, "", tt.query, vars("alice-password")); r.code(t) != "TOO_MANY_ATTEMPTS" {
				t.Fatalf("untrusted client: %s", r.Raw)
			}
			if r := s.post(owner, ownerAddr, "", tt.query, vars("alice-password")); len(r.Errors) != 0 {
				t.Fatalf("trusted device: %s", r.Raw)
			}
		})
	}
}

package middleware_test

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	chimw "github.com/go-chi/chi/v5/middleware"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// lockedBuffer is the log sink: the server goroutines write, the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// TestRedactQueryToken: with chi's request logger after RedactQueryToken,
// the query token never reaches the log, while the request is still
// authenticated from it.
func TestRedactQueryToken(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	var logBuf lockedBuffer
	logger := chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(&logBuf, "", 0), NoColor: true})
	srv := newServer(t, newRouter(t,
		middleware.RedactQueryToken("jwt"),
		logger,
		middleware.Verifier(auth, middleware.FromHeader(), middleware.FromQuery("jwt")),
	))
	q := url.QueryEscape

	cases := []struct {
		name    string
		path    string
		header  map[string]string
		want    string // authState
		logPath string // the request URI the log line must show
	}{
		{"query token", "/graphql?jwt=" + q(tk.good), nil, stateUser("u1"), "/graphql?jwt=REDACTED"},
		{"query token among others", "/graphql?b=2&jwt=" + q(tk.good2) + "&a=1", nil, stateUser("u2"), "/graphql?a=1&b=2&jwt=REDACTED"},
		{"repeated parameter", "/graphql?jwt=" + q(tk.good) + "&jwt=" + q(tk.good2), nil, stateUser("u1"), "/graphql?jwt=REDACTED"},
		{"expired query token", "/graphql?jwt=" + q(tk.expired), nil, stateExpired, "/graphql?jwt=REDACTED"},
		{"bad query token", "/graphql?jwt=" + q(tk.badSig), nil, stateInvalid, "/graphql?jwt=REDACTED"},
		{"empty query token", "/graphql?jwt=", nil, stateInvalid, "/graphql?jwt=REDACTED"},
		{"header wins over query", "/graphql?jwt=" + q(tk.badSig), bearer(tk.good), stateUser("u1"), "/graphql?jwt=REDACTED"},
		{"no query", "/graphql", nil, stateNoToken, "/graphql"},
		{"other parameters only", "/graphql?a=1&b=" + q("x y"), nil, stateNoToken, "/graphql?a=1&b=x+y"},
		{"unparsable query with token", "/graphql?x=%zz&jwt=" + q(tk.good), nil, stateUser("u1"), "/graphql?REDACTED"},
		// A malformed query must not leak a token, and must not invent one.
		{"unparsable query, no token", "/graphql?x=%zz", nil, stateNoToken, "/graphql?REDACTED"},
		{"unparsable query, header token", "/graphql?x=%zz", bearer(tk.good), stateUser("u1"), "/graphql?REDACTED"},
		{"semicolon hides token", "/graphql?a=1;jwt=" + q(tk.good), nil, stateNoToken, "/graphql?REDACTED"},
	}
	for _, c := range cases {
		got := do(t, srv.Client(), srv.URL, request{path: c.path, query: "{ auth }", header: c.header})
		checkReply(t, c.name, got, http.StatusOK, dataAuth(c.want), map[string]string{"Referrer-Policy": "no-referrer"})
		line := logBuf.take()
		for _, tok := range []string{tk.good, tk.good2, tk.badSig, tk.expired} {
			if strings.Contains(line, tok) || strings.Contains(line, q(tok)) || strings.Contains(line, strings.Split(tok, ".")[1]) {
				t.Errorf("%s: token leaked into the log: %q", c.name, line)
			}
		}
		if want := `"POST http://` + strings.TrimPrefix(srv.URL, "http://") + c.logPath + ` HTTP/1.1" from `; !strings.Contains(line, want) {
			t.Errorf("%s: log line %q does not contain %q", c.name, line, want)
		}
		if !strings.Contains(line, " - 200 ") {
			t.Errorf("%s: log line %q does not record status 200", c.name, line)
		}
	}
}

// TestRedactKeepsGraphQLQueryParams: a GET GraphQL request whose operation
// is in the URL still works after the token is taken out of it.
func TestRedactKeepsGraphQLQueryParams(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tok := issue(t, auth, "u1")
	srv := newServer(t, newRouter(t, middleware.RedactQueryToken(""), middleware.Verifier(auth, middleware.FromQuery(""))))
	got := do(t, srv.Client(), srv.URL, request{path: "/graphql?query=" + url.QueryEscape("{ me hello }") + "&jwt=" + url.QueryEscape(tok)})
	checkReply(t, "GET", got, http.StatusOK, `{"data":{"hello":"world","me":"u1"}}`, map[string]string{"Referrer-Policy": "no-referrer"})
}

// TestLoggerSeesTokenWithoutRedact documents why RedactQueryToken exists
// (and that the log assertion above can fail): without it the token is in
// the log line.
func TestLoggerSeesTokenWithoutRedact(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tok := issue(t, auth, "u1")
	var logBuf lockedBuffer
	srv := newServer(t, newRouter(t,
		chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(&logBuf, "", 0), NoColor: true}),
		middleware.Verifier(auth, middleware.FromQuery("jwt")),
	))
	got := do(t, srv.Client(), srv.URL, request{path: "/graphql?jwt=" + tok, query: "{ me }"})
	checkReply(t, "query token", got, http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	if line := logBuf.take(); !strings.Contains(line, tok) {
		t.Errorf("log line %q lacks the token: the leak check of TestRedactQueryToken proves nothing", line)
	}
}

// TestReferrerPolicy: Referrer-Policy: no-referrer on every response when
// a query extractor is configured (on 401s too), and not otherwise.
func TestReferrerPolicy(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tok := issue(t, auth, "u1")
	cases := []struct {
		name   string
		mw     func(http.Handler) http.Handler
		header map[string]string
		status int
		policy string
	}{
		{"default verifier", middleware.Verifier(auth), bearer(tok), 200, ""},
		{"header and cookie", middleware.Verifier(auth, middleware.FromHeader(), middleware.FromCookie("")), bearer(tok), 200, ""},
		{"query configured", middleware.Verifier(auth, middleware.FromHeader(), middleware.FromQuery("jwt")), bearer(tok), 200, "no-referrer"},
		{"query configured, anonymous", middleware.Verifier(auth, middleware.FromQuery("t")), nil, 200, "no-referrer"},
		{"strict with query, refused", middleware.Strict(auth, middleware.FromQuery("jwt")), nil, 401, "no-referrer"},
		{"strict with query, accepted", middleware.Strict(auth, middleware.FromHeader(), middleware.FromQuery("jwt")), bearer(tok), 200, "no-referrer"},
		{"strict without query, refused", middleware.Strict(auth), nil, 401, ""},
		{"redact alone", middleware.RedactQueryToken("jwt"), nil, 200, "no-referrer"},
	}
	for _, c := range cases {
		srv := newServer(t, newRouter(t, c.mw))
		got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ hello }", header: c.header})
		if got.status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, got.status, c.status)
		}
		checkReply(t, c.name, got, got.status, got.body, map[string]string{"Referrer-Policy": c.policy})
	}
}

// TestRedactUnparsableQueryQueryFirst: with the query extractor tried first,
// a request whose query does not parse and carries no token parameter is
// still authenticated by its header (the query holds no token to find).
func TestRedactUnparsableQueryQueryFirst(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tok := issue(t, auth, "u1")
	srv := newServer(t, newRouter(t, middleware.RedactQueryToken("jwt"), middleware.Verifier(auth, middleware.FromQuery("jwt"), middleware.FromHeader())))
	for _, path := range []string{"/graphql?x=%zz", "/graphql?a=1;b=2", "/graphql?x=1"} {
		got := do(t, srv.Client(), srv.URL, request{path: path, query: "{ auth }", header: bearer(tok)})
		checkReply(t, path, got, http.StatusOK, dataAuth(stateUser("u1")), nil)
	}
}

// TestRedactURI: what a log line keeps of each URL.
func TestRedactURI(t *testing.T) {
	q := url.QueryEscape
	login := `mutation { tokenAuth(username: "ann", password: $p) { token } }`
	cases := []struct{ in, want string }{
		{"/graphql", "/graphql"},
		{"/graphql?", "/graphql?"},
		{"/graphql?a=1&b=x+y", "/graphql?a=1&b=x+y"},
		{"/graphql?query=" + q("{ posts { title } }"), "/graphql?query=" + q("{ posts { title } }")},
		{"/graphql?query=" + q("{ posts { title } }") + "&variables=" + q(`{"n":1}`), "/graphql?query=" + q("{ posts { title } }") + "&variables=" + q(`{"n":1}`)},
		{"/graphql?jwt=abc&x=1", "/graphql?jwt=REDACTED&x=1"},
		{"/graphql?JWT=abc", "/graphql?JWT=REDACTED"},
		{"/cb?code=c0de&state=st4te", "/cb?code=REDACTED&state=REDACTED"},
		{"/x?Password=p&token=t&refreshToken=r&refresh_token=r2&STATE=s", "/x?Password=REDACTED&STATE=REDACTED&refreshToken=REDACTED&refresh_token=REDACTED&token=REDACTED"},
		{"/graphql?query=" + q(login) + "&variables=" + q(`{"p":"ann-password"}`), "/graphql?query=REDACTED&variables=REDACTED"},
		// Either half names a credential: both go.
		{"/graphql?query=" + q("query($in: In) { f(input: $in) }") + "&variables=" + q(`{"in":{"password":"x"}}`), "/graphql?query=REDACTED&variables=REDACTED"},
		{"/graphql?query=" + q(`{ login(username: "a", password: "b") { jwt } }`), "/graphql?query=REDACTED"},
		{"/graphql?query=" + q(`{ verify(Token: "t") }`), "/graphql?query=REDACTED"},
		{"/graphql?query=" + q(`subscription { s }`), "/graphql?query=REDACTED"},
		{"/graphql?query=" + q(`{ a(code: 1) }`), "/graphql?query=REDACTED"},
		{"/graphql?x=%zz&password=p", "/graphql?REDACTED"},
		{"/graphql?a=1;password=p", "/graphql?REDACTED"},
		{"http://host/graphql?password=p#x", "http://host/graphql?password=REDACTED"},
	}
	for _, c := range cases {
		if got := middleware.RedactURI(c.in); got != c.want {
			t.Errorf("RedactURI(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestRedactQueryTokenLogsAsRedactURI: the RequestURI handed on is what
// RedactURI makes of the one requested, whether r.URL still holds its
// query or a handler before rewrote it, and r.URL only loses the token.
func TestRedactQueryTokenLogsAsRedactURI(t *testing.T) {
	q := url.QueryEscape
	for _, tc := range []struct{ requestURI, url, wantURL string }{
		{"/graphql?jwt=t&password=p&x=1", "", "/graphql?jwt=REDACTED&password=p&x=1"},
		{"/graphql?query=" + q("mutation { x }") + "&jwt=t", "", "/graphql?jwt=REDACTED&query=" + q("mutation { x }")},
		{"/graphql?code=c&state=s", "", "/graphql?code=c&state=s"},
		{"/graphql?x=%zz&jwt=t", "", "/graphql?REDACTED"},
		{"/graphql?x=1", "", "/graphql?x=1"},
		{"/old?jwt=t", "/new?x=1", "/new?x=1"},
		{"/old?password=p", "/new?jwt=t", "/new?jwt=REDACTED"},
	} {
		req, err := http.NewRequest("GET", "http://api.example"+tc.requestURI, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.RequestURI = tc.requestURI
		if tc.url != "" {
			req.URL, _ = url.Parse(tc.url)
		}
		var gotURI, gotURL string
		middleware.RedactQueryToken("jwt")(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			gotURI, gotURL = r.RequestURI, r.URL.RequestURI()
		})).ServeHTTP(httptest.NewRecorder(), req)
		if want := middleware.RedactURI(tc.requestURI); gotURI != want || gotURL != tc.wantURL {
			t.Errorf("%s (URL %q): RequestURI %q URL %q, want %q %q", tc.requestURI, tc.url, gotURI, gotURL, want, tc.wantURL)
		}
	}
}

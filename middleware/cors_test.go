package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt/middleware"
)

const (
	listedOrigin   = "http://localhost:3000"
	unlistedOrigin = "https://evil.example"
)

// corsServer is CORS in front of a handler that answers a token header,
// as Toggle's login does, and fails the test on a preflight: a preflight
// must never reach GraphQL.
func corsServer(t *testing.T) *httptest.Server {
	t.Helper()
	c, err := middleware.CORS(middleware.CORSOptions{Origins: []string{listedOrigin, "https://app.example:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			t.Errorf("a preflight reached the handler: %v", r.Header)
		}
		w.Header().Set("Authorization", "Bearer a-token")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"ok":true}}`)
	})))
	t.Cleanup(srv.Close)
	return srv
}

func corsHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out[k] = v
		}
	}
	return out
}

func TestCORS(t *testing.T) {
	srv := corsServer(t)
	preflightVary := []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
	cases := []struct {
		name    string
		method  string
		origin  string
		reqHdrs string // Access-Control-Request-Headers of a preflight
		status  int
		want    map[string][]string
	}{
		{"preflight, listed origin", http.MethodOptions, listedOrigin, "content-type,authorization", http.StatusNoContent, map[string][]string{
			"Access-Control-Allow-Origin":      {listedOrigin},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"POST"},
			"Access-Control-Allow-Headers":     {"Content-Type, Authorization"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             preflightVary,
		}},
		{"preflight, second listed origin", http.MethodOptions, "https://app.example:8443", "content-type", http.StatusNoContent, map[string][]string{
			"Access-Control-Allow-Origin":      {"https://app.example:8443"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"POST"},
			"Access-Control-Allow-Headers":     {"Content-Type"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             preflightVary,
		}},
		{"preflight, unlisted origin", http.MethodOptions, unlistedOrigin, "content-type", http.StatusNoContent, map[string][]string{"Vary": preflightVary}},
		{"preflight, listed origin with a port it lacks", http.MethodOptions, "https://app.example", "content-type", http.StatusNoContent, map[string][]string{"Vary": preflightVary}},
		{"preflight, header not allowed", http.MethodOptions, listedOrigin, "x-other", http.StatusNoContent, map[string][]string{"Vary": preflightVary}},
		{"POST, listed origin", http.MethodPost, listedOrigin, "", http.StatusOK, map[string][]string{
			"Access-Control-Allow-Origin":      {listedOrigin},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Expose-Headers":    {"Authorization"},
			"Vary":                             {"Origin"},
		}},
		{"POST, unlisted origin", http.MethodPost, unlistedOrigin, "", http.StatusOK, map[string][]string{"Vary": {"Origin"}}},
		{"POST, origin null", http.MethodPost, "null", "", http.StatusOK, map[string][]string{"Vary": {"Origin"}}},
		{"POST, same origin (no Origin header)", http.MethodPost, "", "", http.StatusOK, map[string][]string{"Vary": {"Origin"}}},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+"/graphql", strings.NewReader(`{"query":"{ ok }"}`))
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", c.reqHdrs)
		} else {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer x")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if got := corsHeaders(resp.Header); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: headers\n got %v\nwant %v", c.name, got, c.want)
		}
		wantBody := `{"data":{"ok":true}}`
		if c.method == http.MethodOptions {
			wantBody = ""
		}
		if string(body) != wantBody {
			t.Errorf("%s: body %q, want %q", c.name, body, wantBody)
		}
	}
}

// TestCORSRefusesOpenConfigurations: what would let any site act as its
// visitors, or is no origin at all, is an error at start-up.
func TestCORSRefusesOpenConfigurations(t *testing.T) {
	for _, origins := range [][]string{
		nil, {"*"}, {"http://localhost:3000", "*"}, {"https://*.example.com"}, {"http://localhost:3000/"},
		{"localhost:3000"}, {"ftp://example.com"}, {"https://example.com/app"}, {"https://user@example.com"},
		{"https://example.com?x"}, {""}, {"null"},
	} {
		if _, err := middleware.CORS(middleware.CORSOptions{Origins: origins}); err == nil {
			t.Errorf("CORS(%q) accepted", origins)
		}
	}
}

package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestRefusedTokenStatus: a refused token turns the handler's 200 into the
// status, body untouched; no token, a good token and the handler's own
// statuses are left alone.
func TestRefusedTokenStatus(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	h := middleware.Verifier(auth)(middleware.RefusedTokenStatus(http.StatusForbidden)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("status") == "405" {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
		_, _ = io.WriteString(w, "body")
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		name, token, query string
		want               int
	}{
		{"no token", "", "", http.StatusOK},
		{"good token", tk.good, "", http.StatusOK},
		{"expired", tk.expired, "", http.StatusForbidden},
		{"bad signature", tk.badSig, "", http.StatusForbidden},
		{"revoked", tk.revoked, "", http.StatusForbidden},
		{"the handler's own status", tk.expired, "?status=405", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+c.query, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want || string(body) != "body" {
			t.Errorf("%s: %d %q, want %d", c.name, res.StatusCode, body, c.want)
		}
	}
}

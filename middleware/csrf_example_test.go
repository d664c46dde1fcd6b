package middleware_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

func ExampleCSRF() {
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes")})
	if err != nil {
		panic(err)
	}
	cookies, err := gqljwt.CookieConfig{AccessName: "jwt"}.WithDefaults()
	if err != nil {
		panic(err)
	}
	csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: &cookies, Origins: []string{"https://app.example"}})
	if err != nil {
		panic(err)
	}
	// CSRF outside the Verifier, which reads the header, then the cookie.
	h := csrf(middleware.Verifier(auth, middleware.FromHeader(), middleware.FromAccessCookie(&cookies))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := gqljwt.FromContext(r.Context())
			fmt.Fprintln(w, "user", id.Subject)
		})))
	tok, _ := auth.IssueAccessToken(httptest.NewRequest("GET", "/", nil).Context(), &gqljwt.User{ID: "42"})

	for _, origin := range []string{"https://app.example", "https://evil.example"} {
		req := httptest.NewRequest("POST", "https://api.example/graphql", strings.NewReader(`{"query":"{ me }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		req.AddCookie(&http.Cookie{Name: "jwt", Value: tok.Value})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		fmt.Print(origin, " ", rec.Code, " ", string(body))
	}
	// Output:
	// https://app.example 200 user 42
	// https://evil.example 403 {"errors":[{"message":"Cross-site request refused: requests carrying the session cookies must come from an allowed origin","locations":[{"line":1,"column":1}],"extensions":{"code":"CSRF_REFUSED"}}]}
}

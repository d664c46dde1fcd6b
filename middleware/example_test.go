package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

func ExampleVerifier() {
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes")})
	if err != nil {
		panic(err)
	}
	r := chi.NewRouter()
	// Bearer headers, "JWT <token>" headers, then the jwt cookie.
	r.Use(middleware.Verifier(auth, middleware.FromHeader("JWT"), middleware.FromCookie("jwt")))
	r.Get("/whoami", func(w http.ResponseWriter, r *http.Request) {
		id, err := gqljwt.FromContext(r.Context())
		if id == nil {
			fmt.Fprintln(w, "anonymous:", err)
			return
		}
		fmt.Fprintln(w, "user", id.Subject)
	})

	tok, _ := auth.IssueAccessToken(httptest.NewRequest("GET", "/", nil).Context(), &gqljwt.User{ID: "42"})
	for _, header := range []string{"", "JWT " + tok.Value, "Bearer not.a.token"} {
		req := httptest.NewRequest("GET", "/whoami", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Print(rec.Body.String())
	}
	// Output:
	// anonymous: Unauthorized
	// user 42
	// anonymous: Invalid token
}

func ExampleStrict() {
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes")})
	if err != nil {
		panic(err)
	}
	h := middleware.Strict(auth)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/graphql", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String())
	// Output:
	// 401 Bearer
	// {"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED"}}]}
}

func ExampleRedactURI() {
	fmt.Println(middleware.RedactURI("/graphql?query=%7B+posts+%7D&page=2"))
	fmt.Println(middleware.RedactURI(`/graphql?query=mutation+%7B+tokenAuth%28username%3A+%22ann%22%2C+password%3A+%22secret%22%29+%7B+token+%7D+%7D`))
	fmt.Println(middleware.RedactURI("/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz"))
	// Output:
	// /graphql?query=%7B+posts+%7D&page=2
	// /graphql?query=REDACTED
	// /callback?code=REDACTED&state=REDACTED
}

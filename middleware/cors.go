package middleware

import (
	"fmt"
	"net/http"

	"github.com/go-chi/cors"
)

// CORSOptions configure CORS. Only Origins is required.
type CORSOptions struct {
	// Origins are the origins (scheme://host[:port], no path) whose
	// scripts may call the API, credentials included, matched without
	// regard to case or to a default port written out. Wildcards and "*"
	// are refused: with credentials they would let any site act as its
	// visitors.
	Origins []string
	// Headers are request headers allowed besides Authorization and
	// Content-Type (a CSRF token header, say).
	Headers []string
	// ExposedHeaders are response headers scripts may read besides
	// Authorization, which presets with a TokenHeader (Toggle) answer the
	// token in.
	ExposedHeaders []string
	// MaxAge is how long, in seconds, a browser may cache a preflight's
	// answer (default 600, which is also Chromium's cap; negative: not
	// cached).
	MaxAge int
}

// CORS answers cross-origin requests from the listed origins through
// go-chi/cors: GET and POST, the Authorization and Content-Type request
// headers, credentials (cookies, Authorization) and the token response
// headers. Requests from other origins get no CORS header at all, so the
// browser hides the answer from the calling script. A preflight answers
// 204 and goes no further: no GraphQL runs for it, listed origin or not.
//
// It returns an error for an empty list, "*", a wildcard or anything that
// is not an origin, so a typo in a flag is refused at start-up instead of
// opening the API or closing it silently.
func CORS(o CORSOptions) (func(http.Handler) http.Handler, error) {
	if len(o.Origins) == 0 {
		return nil, fmt.Errorf("middleware: CORS needs at least one origin")
	}
	allowed := make(map[string]bool, len(o.Origins))
	for _, origin := range o.Origins {
		canonical, ok := canonicalOrigin(origin, true)
		if !ok {
			return nil, fmt.Errorf("middleware: CORS origin %q is not scheme://host[:port] (no wildcard, path or trailing slash)", origin)
		}
		allowed[canonical] = true
	}
	maxAge := o.MaxAge
	switch {
	case maxAge == 0:
		maxAge = 600
	case maxAge < 0:
		maxAge = 0
	}
	c := cors.Handler(cors.Options{
		// Matched as CSRF matches them, not by go-chi/cors's own
		// comparison, so the two never disagree on an origin.
		AllowOriginFunc: func(_ *http.Request, origin string) bool {
			o, ok := canonicalOrigin(origin, true)
			return ok && allowed[o]
		},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   append([]string{"Authorization", "Content-Type"}, o.Headers...),
		ExposedHeaders:   append([]string{"Authorization"}, o.ExposedHeaders...),
		AllowCredentials: true,
		MaxAge:           maxAge,
		// go-chi/cors answers a preflight 200 itself; passing it through
		// lets us answer 204 without letting it reach next.
		OptionsPassthrough: true,
	})
	return func(next http.Handler) http.Handler {
		return c(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isPreflight(r) {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		}))
	}, nil
}

// isPreflight is go-chi/cors's own test of a preflight.
func isPreflight(r *http.Request) bool {
	_, hasOrigin := r.Header["Origin"]
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && hasOrigin
}

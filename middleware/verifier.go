package middleware

import (
	"net/http"

	"github.com/gqljwt/gqljwt"
)

// Verifier finds the request's token with the extractors, tried in order
// (default: FromHeader()), verifies it and stores the outcome in the request
// context: gqljwt.FromContext returns the identity, or the error saying why
// there is none (gqljwt.ErrNoToken, ErrTokenExpired, ...), and
// jwtauth.FromContext keeps working. It also installs the response bridge
// (gqljwt.ResponseFromContext) through which resolvers set headers and
// cookies.
//
// Verifier never refuses a request: a GraphQL endpoint serves public
// operations, login among them, to anonymous callers. Guards or Required
// decide what needs an identity.
func Verifier(auth *gqljwt.Service, extractors ...Extractor) func(http.Handler) http.Handler {
	if len(extractors) == 0 {
		extractors = []Extractor{FromHeader()}
	}
	noReferrer := false
	for _, ex := range extractors {
		if _, ok := ex.(queryExtractor); ok {
			noReferrer = true
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if noReferrer {
				w.Header().Set("Referrer-Policy", "no-referrer")
			}
			for _, ex := range extractors {
				if token, found := ex.Extract(r); found {
					next.ServeHTTP(w, r.WithContext(auth.VerifiedContext(r.Context(), w, r, token)))
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(gqljwt.NewContext(r.Context(), w, r, nil, gqljwt.ErrNoToken)))
		})
	}
}

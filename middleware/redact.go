package middleware

import (
	"context"
	"net/http"
	"net/url"
)

// Redacted is what RedactQueryToken leaves in the URL in place of a token.
const Redacted = "REDACTED"

type redactedKey struct{ name string }

// RedactQueryToken takes the token out of the query parameter name (default
// "jwt") before anything logs the URL: it replaces the value in r.URL and
// r.RequestURI (which chi's Logger prints) with REDACTED and hands the real
// value to FromQuery through the context. It also sets
// Referrer-Policy: no-referrer, so browsers do not leak the URL either.
//
// Put it before the logger:
//
//	r.Use(middleware.RedactQueryToken("jwt"), chimw.Logger,
//		middleware.Verifier(auth, middleware.FromHeader(), middleware.FromQuery("jwt")))
func RedactQueryToken(name string) func(http.Handler) http.Handler {
	if name == "" {
		name = DefaultQueryParam
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Referrer-Policy", "no-referrer")
			if r.URL.RawQuery == "" {
				next.ServeHTTP(w, r)
				return
			}
			values, err := url.ParseQuery(r.URL.RawQuery)
			vs, found := values[name]
			var rawQuery string
			switch {
			case err != nil:
				// An unparsable query may hide the token from ParseQuery but
				// not from a log line: redact all of it.
				rawQuery = Redacted
			case !found:
				next.ServeHTTP(w, r)
				return
			default:
				values[name] = []string{Redacted}
				rawQuery = values.Encode()
			}
			ctx := r.Context()
			if found && len(vs) > 0 {
				// Only a parameter that was there is handed on: an
				// unparsable query without one must leave FromQuery with
				// nothing (anonymous, or the next extractor), not with "".
				ctx = context.WithValue(ctx, redactedKey{name}, vs[0])
			}
			r2 := r.WithContext(ctx)
			u := *r.URL
			u.RawQuery = rawQuery
			r2.URL = &u
			r2.RequestURI = u.RequestURI()
			next.ServeHTTP(w, r2)
		})
	}
}

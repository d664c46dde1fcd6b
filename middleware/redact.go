package middleware

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Redacted is what RedactQueryToken leaves in the URL in place of a token.
const Redacted = "REDACTED"

type redactedKey struct{ name string }

// secretParams are the URL query parameters whose values are secrets
// wherever they appear (compared without regard to case): passwords,
// tokens, and the authorization code and state of an OAuth2 callback.
var secretParams = []string{"password", "code", "token", "refreshToken", "refresh_token", "state"}

// RedactQueryToken keeps secrets in URLs out of access logs.
//
// It takes the token out of the query parameter name (default "jwt"): the
// value is replaced with REDACTED in r.URL and r.RequestURI and handed to
// FromQuery through the context.
//
// r.RequestURI, which chi's Logger prints, is what RedactURI makes of it:
// besides the token, the values of password, code, token, refreshToken,
// refresh_token and state, and the query and variables of any operation
// that may carry a credential, are REDACTED. r.URL keeps those, since the
// handler needs them (an OAuth2 callback its code and state, graphql-go
// the query of a GET, so that Limits can refuse a mutation with 405):
// a logger must print r.RequestURI, or pass what it prints through
// RedactURI.
//
// It also sets Referrer-Policy: no-referrer, so browsers do not leak the
// URL either. Put it before the logger:
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
			requestURI := r.RequestURI
			if requestURI == "" {
				requestURI = r.URL.RequestURI()
			}
			values, err := url.ParseQuery(r.URL.RawQuery)
			vs, found := values[name]
			var rawQuery string
			switch {
			case err != nil:
				// An unparsable query may hide the token from ParseQuery but
				// not from a log line: redact all of it.
				rawQuery = Redacted
			case found:
				values[name] = []string{Redacted}
				rawQuery = values.Encode()
			}
			var logged string
			if path, query, _ := strings.Cut(requestURI, "?"); query == r.URL.RawQuery {
				// The request's own query, as it is unless a handler
				// before this one rewrote r.URL: what was parsed serves
				// the log line too. Its token is REDACTED already, as the
				// line's would be.
				logged = redactParsed(requestURI, path, values, err, name)
			} else {
				logged = redactURI(requestURI, name)
			}
			if err == nil && !found {
				if logged != r.RequestURI {
					r2 := r.WithContext(r.Context())
					r2.RequestURI = logged
					r = r2
				}
				next.ServeHTTP(w, r)
				return
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
			r2.RequestURI = logged
			next.ServeHTTP(w, r2)
		})
	}
}

// RedactURI returns a request URI (path and query, or an absolute URL) fit
// for a log: the values of jwt, password, code, token, refreshToken,
// refresh_token and state are REDACTED, and so are query and variables when
// either names anything a credential travels in (a mutation or
// subscription, a password, a token, a secret, a code or a state). A
// query that does not parse is REDACTED whole.
func RedactURI(uri string) string { return redactURI(uri, DefaultQueryParam) }

func redactURI(uri, tokenParam string) string {
	path, rawQuery, ok := strings.Cut(uri, "?")
	if !ok || rawQuery == "" {
		return uri
	}
	values, err := url.ParseQuery(rawQuery)
	return redactParsed(uri, path, values, err, tokenParam)
}

// redactParsed is redactURI of uri, whose path is path and whose query
// url.ParseQuery made values (which it changes) and err of.
func redactParsed(uri, path string, values url.Values, err error, tokenParam string) string {
	if err != nil {
		return path + "?" + Redacted
	}
	changed := false
	redact := func(k string) {
		values[k] = []string{Redacted}
		changed = true
	}
	document := false
	for k, vs := range values {
		switch {
		case strings.EqualFold(k, tokenParam) || isSecretParam(k):
			redact(k)
		case strings.EqualFold(k, "query") || strings.EqualFold(k, "variables"):
			for _, v := range vs {
				document = document || mayCarryCredential(v)
			}
		}
	}
	if document {
		for k := range values {
			if strings.EqualFold(k, "query") || strings.EqualFold(k, "variables") {
				redact(k)
			}
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + values.Encode()
}

func isSecretParam(k string) bool {
	for _, s := range secretParams {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// mayCarryCredential reports whether a GraphQL document, or its variables
// in JSON, has a name (a word of letters, digits and underscores) that an
// auth operation or its credentials use. Reading words, not the grammar,
// errs on the side of redacting: a word in a string counts too.
func mayCarryCredential(text string) bool {
	isWord := func(c rune) bool {
		return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
	}
	for _, w := range strings.FieldsFunc(text, func(c rune) bool { return !isWord(c) }) {
		w = strings.ToLower(w)
		switch w {
		case "mutation", "subscription", "code", "state":
			return true
		}
		for _, part := range []string{"password", "token", "secret", "jwt", "login", "credential"} {
			if strings.Contains(w, part) {
				return true
			}
		}
	}
	return false
}

package middleware

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gqljwt/gqljwt"
)

// Extractor finds the token of a request. found is true when the request
// carries something in the extractor's place, even if it is empty or
// malformed: the verifier then reports TOKEN_INVALID instead of treating the
// request as anonymous.
type Extractor interface {
	Extract(r *http.Request) (token string, found bool)
}

// ExtractorFunc adapts a jwtauth-style find function, such as
// jwtauth.TokenFromCookie, to an Extractor; an empty result means not found.
type ExtractorFunc func(r *http.Request) string

// Extract implements Extractor.
func (f ExtractorFunc) Extract(r *http.Request) (string, bool) {
	t := f(r)
	return t, t != ""
}

// FromHeader reads the Authorization header. The scheme is matched without
// regard to case; "Bearer" is always accepted, and prefixes adds others,
// e.g. FromHeader("JWT") for django-graphql-jwt clients that send
// "Authorization: JWT <token>". A header with another scheme (Basic, ...)
// is left to other mechanisms: not found.
func FromHeader(prefixes ...string) Extractor {
	return headerExtractor{schemes: append([]string{"Bearer"}, prefixes...)}
}

type headerExtractor struct{ schemes []string }

func (h headerExtractor) Extract(r *http.Request) (string, bool) {
	// The key is already canonical: indexing the map skips the per-call
	// canonicalisation of Header.Get (a measurable part of a cached
	// verification) with the same result.
	vs := r.Header["Authorization"]
	if len(vs) == 0 || vs[0] == "" {
		return "", false
	}
	v := vs[0]
	for _, scheme := range h.schemes {
		if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
			continue
		}
		rest := v[len(scheme):]
		if rest == "" {
			return "", true // "Bearer" and nothing else
		}
		if rest[0] != ' ' {
			continue // "Bearerx...": another scheme
		}
		return strings.TrimLeft(rest, " "), true
	}
	return "", false
}

// DefaultQueryParam is the query parameter FromQuery reads when given "".
const DefaultQueryParam = "jwt"

// FromQuery reads the token from a URL query parameter (default "jwt", as
// CollectiveAccess clients send it). Opt in only when clients cannot send a
// header: URLs end up in logs and Referer headers. The verifier sends
// Referrer-Policy: no-referrer when this extractor is configured, and
// RedactQueryToken keeps the token out of access logs.
func FromQuery(name string) Extractor {
	if name == "" {
		name = DefaultQueryParam
	}
	return queryExtractor{name: name}
}

type queryExtractor struct{ name string }

func (q queryExtractor) Extract(r *http.Request) (string, bool) {
	//lint:ignore S1016 the two types share a shape by chance, not by meaning
	if t, ok := r.Context().Value(redactedKey{q.name}).(string); ok {
		return t, true
	}
	if r.URL.RawQuery == "" {
		return "", false
	}
	values, _ := url.ParseQuery(r.URL.RawQuery)
	vs, ok := values[q.name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// DefaultCookie is the cookie FromCookie reads when given "".
const DefaultCookie = "jwt"

// FromCookie reads the token from a cookie (default "jwt").
func FromCookie(name string) Extractor {
	if name == "" {
		name = DefaultCookie
	}
	return cookieExtractor{name: name}
}

// FromAccessCookie reads the access-token cookie of cookie mode, on
// requests that CSRF let through from an allowed origin
// (gqljwt.CookiesAllowed) and no others: without the CSRF check in front,
// the cookie authenticates nothing. Put it after FromHeader, so that a
// request with a bearer token is authenticated by the token, as without
// cookie mode.
func FromAccessCookie(c *gqljwt.CookieConfig) Extractor {
	return cookieExtractor{name: c.AccessName, csrf: true}
}

type cookieExtractor struct {
	name string
	// csrf makes the cookie count only on requests CSRF allowed.
	csrf bool
}

func (c cookieExtractor) Extract(r *http.Request) (string, bool) {
	if c.csrf && (c.name == "" || !gqljwt.CookiesAllowed(r.Context())) {
		return "", false
	}
	ck, err := r.Cookie(c.name)
	if err != nil {
		return "", false
	}
	return ck.Value, true
}

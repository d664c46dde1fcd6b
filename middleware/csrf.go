package middleware

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"github.com/gqljwt/gqljwt"
)

// CSRFPolicy is the cross-site request forgery defence of cookie mode.
type CSRFPolicy struct {
	// Cookies is the endpoint's cookie mode; a request carrying any of
	// its cookies is one the cookies may authenticate. Required.
	Cookies *gqljwt.CookieConfig
	// Origins are the origins ("https://app.example", scheme, host and
	// port as the browser sends them in Origin, matched without regard to
	// case or to a default port written out) allowed besides the
	// endpoint's own. Behind a proxy that rewrites Host or terminates TLS,
	// list the public origin of the endpoint too.
	Origins []string
}

// The refusals of CSRF, all CSRF_REFUSED with HTTP 403.
var (
	errCSRFOrigin      = gqljwt.ErrCSRFRefused.WithMessage("Cross-site request refused: requests carrying the session cookies must come from an allowed origin")
	errCSRFContentType = gqljwt.ErrCSRFRefused.WithMessage("Cross-site request refused: requests carrying the session cookies must be POSTs of Content-Type application/json")
	errCSRFSimple      = gqljwt.ErrCSRFRefused.WithMessage("Cross-site request refused: a page of another origin may only send this endpoint POSTs of Content-Type application/json")
)

// CSRF guards an endpoint in cookie mode. Browsers attach cookies to
// requests that any page sends, so a request carrying the session cookies
// is refused unless
//
//   - its Origin (or, without one, its Referer) is the endpoint's own or
//     one of p.Origins: a browser names the page that sent the request;
//     a request that names none comes from a client that is not a browser
//     or from the endpoint's own pages, and
//   - it is a POST of application/json (charset, if any, utf-8: what
//     GraphQLHTTP accepts), which a page of another origin can
//     only send after a CORS preflight the endpoint answers (the rule of
//     GraphQL over HTTP): forms, text/plain and GET links skip it, and
//   - with a CSRFCookie configured, it sends the double-submit token in the
//     CSRFHeader (see gqljwt.CookieConfig).
//
// A request without the cookies from a foreign origin is refused when it
// is such a form, text/plain or GET: its answer could set the session
// cookies, which would sign the browser in to the sender's account (login
// CSRF). Every other request without the cookies, an API client's with a
// bearer token say, passes as before.
//
// Refusals are answered with HTTP 403 and a GraphQL error, code
// CSRF_REFUSED, before anything runs. Requests that pass are marked with
// gqljwt.WithCookiesAllowed when their origin is allowed; only those read
// or set session cookies (see FromAccessCookie and the mutations' cookie
// mode). Mount CSRF outside Verifier and Batch.
func CSRF(p CSRFPolicy) (func(http.Handler) http.Handler, error) {
	if p.Cookies == nil {
		return nil, errors.New("middleware: CSRFPolicy.Cookies is required")
	}
	// A copy with its defaults: the mutations apply them to theirs, and
	// an unnamed refresh cookie must be found under its default name.
	cfg, err := p.Cookies.WithDefaults()
	if err != nil {
		return nil, err
	}
	c := &cfg
	names := c.Names()
	errToken := gqljwt.ErrCSRFRefused.WithMessage("Cross-site request refused: requests carrying the session cookies must send the value of the " + c.CSRFCookie + " cookie in the " + c.CSRFHeader + " header")
	allowed := make(map[string]bool, len(p.Origins))
	for _, o := range p.Origins {
		norm, ok := canonicalOrigin(o, true)
		if !ok {
			return nil, fmt.Errorf("middleware: CSRFPolicy.Origins: %q is not an origin (scheme://host[:port], nothing more)", o)
		}
		allowed[norm] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cookied := false
			for _, name := range names {
				if _, err := r.Cookie(name); err == nil {
					cookied = true
					break
				}
			}
			trusted := trustedOrigin(r, allowed)
			// The test of GraphQLHTTP: a body CSRF let through as JSON
			// must not be one GraphQLHTTP refuses as another type, nor
			// the other way round.
			preflighted := r.Method == http.MethodPost && isJSONRequest(r.Header.Get("Content-Type"))
			var refusal *gqljwt.Error
			switch {
			case cookied && !trusted:
				refusal = errCSRFOrigin
			case cookied && !preflighted:
				refusal = errCSRFContentType
			case !trusted && !preflighted:
				refusal = errCSRFSimple
			case cookied && c.CSRFCookie != "" && !doubleSubmitted(r, c):
				refusal = errToken
			}
			if refusal != nil {
				writeGraphQLError(w, http.StatusForbidden, limitError{code: refusal.Code, message: refusal.Message})
				return
			}
			if trusted {
				r = r.WithContext(gqljwt.WithCookiesAllowed(r.Context()))
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// doubleSubmitted reports whether r sends in c.CSRFHeader the CSRF token
// of the session its cookies hold: the refresh cookie's, or without one
// the access cookie's.
func doubleSubmitted(r *http.Request, c *gqljwt.CookieConfig) bool {
	session, err := r.Cookie(c.RefreshName)
	if err != nil && c.AccessName != "" {
		session, err = r.Cookie(c.AccessName)
	}
	got := r.Header.Get(c.CSRFHeader)
	return err == nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.CSRFToken(session.Value))) == 1
}

// trustedOrigin reports whether the page that sent r, as its Origin or
// else its Referer names it, is the endpoint's own or allowed. A request
// naming no page is trusted: browsers name the sender of every
// cross-origin request that can carry a body.
func trustedOrigin(r *http.Request, allowed map[string]bool) bool {
	// An Origin is read as CORS reads it, an origin and nothing more; a
	// Referer is a page's URL.
	sender, exact := r.Header.Get("Origin"), true
	if sender == "" {
		sender, exact = r.Header.Get("Referer"), false
		if sender == "" {
			return true
		}
	}
	o, ok := canonicalOrigin(sender, exact)
	if !ok {
		// "null" (sandboxed frames, some redirects) and anything
		// unparsable name no origin we could allow.
		return false
	}
	if allowed[o] {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The scheme counts: a page of http://host is another origin than
	// https://host, and could be a network attacker's.
	own, ok := canonicalOrigin(scheme+"://"+r.Host, true)
	return ok && o == own
}

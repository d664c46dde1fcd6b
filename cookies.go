package gqljwt

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultRefreshCookieName is the refresh-token cookie of a CookieConfig
// that names none.
const DefaultRefreshCookieName = "gqljwt-refresh"

// DefaultCSRFHeader is the header a CookieConfig with a CSRFCookie and no
// CSRFHeader reads the double-submit token from.
const DefaultCSRFHeader = "X-CSRF-Token"

// csrfTokenLabel separates CSRF tokens from every other hash of a token
// (refresh tokens are stored under their plain SHA-256).
const csrfTokenLabel = "gqljwt csrf token v1\x00"

// CookieConfig turns on cookie mode: the refresh token, and with
// AccessName the access token too, travel in HttpOnly cookies that the
// browser keeps and script cannot read, so an XSS cannot take them away.
// Browsers send cookies by themselves, so every request a cookie
// authenticates must pass a CSRF check: mount middleware.CSRF in front of
// the endpoint. Without it no cookie is read and none is set.
//
// The same attributes set, rotate and delete the cookies: a deletion with
// another Path or Domain would leave the browser's cookie in place.
type CookieConfig struct {
	// AccessName names the access-token cookie; empty keeps the access
	// token out of cookies (it then travels in the body and the
	// Authorization header, as without cookie mode).
	AccessName string
	// RefreshName names the refresh-token cookie (default
	// DefaultRefreshCookieName).
	RefreshName string
	// Path is the cookies' path (default "/").
	Path string
	// Domain, when set, shares the cookies with the domain's subdomains;
	// empty keeps them to the host that set them, the safer default.
	Domain string
	// SameSite is http.SameSiteLaxMode (default), Strict or None. None
	// lets every site make the browser send the cookies, leaving the CSRF
	// check alone in the way, and needs the Secure attribute.
	SameSite http.SameSite
	// Insecure leaves out the Secure attribute, for development over plain
	// HTTP only: without it the tokens travel in clear text.
	Insecure bool
	// HideTokens leaves the tokens that travel in cookies out of the
	// schema's payload types, as django-graphql-jwt's
	// JWT_HIDE_TOKEN_FIELDS does: script never sees them.
	HideTokens bool
	// CSRFCookie, when set, adds the double-submit token: a cookie that
	// script can read (not HttpOnly), set with the session cookies,
	// whose value requests carrying the session cookies must send back in
	// the CSRFHeader header (default "X-CSRF-Token"), which middleware.CSRF
	// checks. A page of another origin can neither read the cookie nor
	// send a custom header without the endpoint's CORS leave. The value
	// is derived from the refresh token (or, without one, the access
	// token) the cookies hold, so it changes with every rotation and a
	// cookie planted by a sibling subdomain does not match the victim's
	// session.
	CSRFCookie string
	CSRFHeader string
}

// WithDefaults returns a copy of c with its defaults, or an error naming
// what is unacceptable.
func (c CookieConfig) WithDefaults() (CookieConfig, error) {
	if c.RefreshName == "" {
		c.RefreshName = DefaultRefreshCookieName
	}
	if c.Path == "" {
		c.Path = "/"
	}
	switch c.SameSite {
	case 0, http.SameSiteDefaultMode:
		c.SameSite = http.SameSiteLaxMode
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if c.Insecure {
			return c, errors.New("gqljwt: Cookies: SameSite=None needs the Secure attribute, which Insecure leaves out")
		}
	default:
		return c, fmt.Errorf("gqljwt: Cookies: unknown SameSite %d", c.SameSite)
	}
	if c.AccessName == c.RefreshName {
		return c, fmt.Errorf("gqljwt: Cookies: the access and refresh cookies are both named %q", c.RefreshName)
	}
	names := c.Names()
	if c.CSRFCookie != "" {
		if c.CSRFHeader == "" {
			c.CSRFHeader = DefaultCSRFHeader
		}
		if c.CSRFCookie == c.AccessName || c.CSRFCookie == c.RefreshName {
			return c, fmt.Errorf("gqljwt: Cookies: the CSRF cookie is named %q like a session cookie", c.CSRFCookie)
		}
		if strings.ContainsAny(c.CSRFHeader, " \t\r\n:") {
			return c, fmt.Errorf("gqljwt: Cookies: %q is not a header name", c.CSRFHeader)
		}
		names = append(names, c.CSRFCookie)
	} else if c.CSRFHeader != "" {
		return c, errors.New("gqljwt: Cookies: CSRFHeader needs CSRFCookie")
	}
	for _, name := range names {
		if err := (&http.Cookie{Name: name, Value: "v", Path: c.Path, Domain: c.Domain}).Valid(); err != nil {
			return c, fmt.Errorf("gqljwt: Cookies: %w", err)
		}
		switch {
		case c.Insecure && (strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-")):
			return c, fmt.Errorf("gqljwt: Cookies: %q needs the Secure attribute, which Insecure leaves out", name)
		case strings.HasPrefix(name, "__Host-") && (c.Path != "/" || c.Domain != ""):
			return c, fmt.Errorf("gqljwt: Cookies: %q needs Path \"/\" and no Domain", name)
		}
	}
	return c, nil
}

// Names returns the names of the cookies c sets: the access cookie's, if
// any, and the refresh cookie's.
func (c *CookieConfig) Names() []string {
	if c.AccessName == "" {
		return []string{c.RefreshName}
	}
	return []string{c.AccessName, c.RefreshName}
}

// Cookie returns the cookie name holding value until expires, with c's
// attributes. Max-Age counts from now in whole seconds, rounded up (token
// times are whole seconds, now is not), and is at least one.
func (c *CookieConfig) Cookie(name, value string, expires, now time.Time) *http.Cookie {
	ck := c.base(name)
	ck.Value = value
	ck.MaxAge = max(int((expires.Sub(now)+time.Second-1)/time.Second), 1)
	return ck
}

// Deletion returns the cookie that makes a browser drop the cookie name:
// the same Path and Domain, an empty value and a negative Max-Age
// ("Max-Age=0" on the wire).
func (c *CookieConfig) Deletion(name string) *http.Cookie {
	ck := c.base(name)
	ck.MaxAge = -1
	ck.HttpOnly = name != c.CSRFCookie
	return ck
}

// CSRFToken is the double-submit token of the session whose refresh
// token (or, with none in a cookie, access token) is session: SHA-256
// under a label of its own, base64url. Knowing it reveals nothing of the
// token it comes from.
func (c *CookieConfig) CSRFToken(session string) string {
	sum := sha256.Sum256([]byte(csrfTokenLabel + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CSRFTokenCookie returns the CSRF cookie for session (see CSRFToken),
// with c's attributes but readable by script.
func (c *CookieConfig) CSRFTokenCookie(session string, expires, now time.Time) *http.Cookie {
	ck := c.Cookie(c.CSRFCookie, c.CSRFToken(session), expires, now)
	ck.HttpOnly = false
	return ck
}

func (c *CookieConfig) base(name string) *http.Cookie {
	return &http.Cookie{Name: name, Path: c.Path, Domain: c.Domain, HttpOnly: true, Secure: !c.Insecure, SameSite: c.SameSite}
}

var cookiesAllowedKey = &contextKey{"cookies allowed"}

// WithCookiesAllowed marks a request that passed the CSRF check of cookie
// mode (middleware.CSRF does): its cookies may authenticate it, and
// responses to it may set them.
func WithCookiesAllowed(ctx context.Context) context.Context {
	return context.WithValue(ctx, cookiesAllowedKey, true)
}

// CookiesAllowed reports whether WithCookiesAllowed marked the request.
// Unmarked requests neither read nor set session cookies: that is what an
// endpoint without the CSRF check, or a request from a foreign origin,
// gets.
func CookiesAllowed(ctx context.Context) bool {
	ok, _ := ctx.Value(cookiesAllowedKey).(bool)
	return ok
}

package gqljwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultRefreshCookieName is the refresh-token cookie of a CookieConfig
// that names none.
const DefaultRefreshCookieName = "gqljwt-refresh"

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
	for _, name := range c.Names() {
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

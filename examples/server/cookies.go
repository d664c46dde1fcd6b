package main

import (
	"net/http"

	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
)

// defaultCSRFOrigins are the pages besides the demo's own that may use
// its cookie sessions: a development SPA's usual addresses.
var defaultCSRFOrigins = []string{"http://localhost:3000", "http://127.0.0.1:3000"}

// cookieMode puts ep in cookie mode when it asks for it, with
// django-graphql-jwt's cookie names and a double-submit token: the preset
// gets its cookies, the
// verifier reads the access cookie after the Authorization header, and
// the returned middleware is the CSRF check to mount outermost. Secure
// stays on unless o.insecureCookies, the plain-HTTP development switch.
func cookieMode(ep *endpoint, o options) (func(http.Handler) http.Handler, error) {
	if !ep.cookies {
		return func(h http.Handler) http.Handler { return h }, nil
	}
	c := mutations.DjangoCookies()
	// Django's CSRF names: its clients already echo the csrftoken cookie
	// in X-CSRFToken.
	c.CSRFCookie, c.CSRFHeader = "csrftoken", "X-CSRFToken"
	c.Insecure = o.insecureCookies
	ep.preset.Cookies = &c
	ep.extractors = append(ep.extractors[:len(ep.extractors):len(ep.extractors)], middleware.FromAccessCookie(&c))
	origins := o.csrfOrigins
	if origins == nil {
		origins = defaultCSRFOrigins
	}
	return middleware.CSRF(middleware.CSRFPolicy{Cookies: &c, Origins: origins})
}

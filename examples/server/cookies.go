package main

import (
	"net/http"

	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
)

// cookieEndpoint serves the Graphene preset in cookie mode, with Django's
// CSRF names for the double-submit token: its clients already echo the
// csrftoken cookie in X-CSRFToken.
const (
	cookieEndpoint = "/graphene-cookies"
	csrfCookie     = "csrftoken"
	csrfHeader     = "X-CSRFToken"
)

func init() {
	// GraphiQL's first document there: once Login has set the cookies,
	// every request of the page carries them and so needs X-CSRFToken.
	graphiqlQueries[cookieEndpoint] = "# gqljwt demo: django-graphql-jwt in cookie mode.\n" +
		"# 1. Run Login (the run button asks which\n#    operation): it sets the JWT,\n#    JWT-refresh-token and csrftoken cookies.\n" +
		"# 2. In Headers below, enter\n#    {\"Authorization\": \"JWT <token>\",\n#     \"X-CSRFToken\": \"<csrftoken cookie>\"}\n" +
		"#    (devtools show the csrftoken cookie).\n# 3. Run Me.\n\n" + `mutation Login {
  tokenAuth(username: "bob", password: "bob-password") {
    token
    payload
  }
}

query Me {
  me {
    username
    roles
  }
}
`
}

// cookieMode puts ep in cookie mode when it asks for it, with
// django-graphql-jwt's cookie names and a double-submit token: the preset
// gets its cookies, the verifier reads the access cookie after the
// Authorization header, and the returned middleware is the CSRF check to
// mount outermost. Secure stays on unless o.insecureCookies, the
// plain-HTTP development switch.
func cookieMode(ep *endpoint, o options) (func(http.Handler) http.Handler, error) {
	if !ep.cookies {
		return func(h http.Handler) http.Handler { return h }, nil
	}
	c := mutations.DjangoCookies()
	c.CSRFCookie, c.CSRFHeader = csrfCookie, csrfHeader
	c.Insecure = o.insecureCookies
	ep.preset.Cookies = &c
	ep.extractors = append(ep.extractors[:len(ep.extractors):len(ep.extractors)], middleware.FromAccessCookie(&c))
	// The origins CORS lets call with credentials are the ones whose
	// pages may use the cookies.
	return middleware.CSRF(middleware.CSRFPolicy{Cookies: &c, Origins: o.corsOrigins})
}

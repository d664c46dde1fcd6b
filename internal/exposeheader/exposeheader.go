// Package exposeheader lists response headers in
// Access-Control-Expose-Headers for the middleware and the mutations,
// which both hand out tokens in headers (Toggle's login, its sliding
// refresh) and may do so on one response, after middleware.CORS listed
// its own.
package exposeheader

import (
	"net/http"
	"strings"
)

// Add lists name in h's Access-Control-Expose-Headers unless a value there
// already names it: header names are case-insensitive, and a response
// that a login, a renewal and CORS all pass through would otherwise list
// it once for each.
func Add(h http.Header, name string) {
	const key = "Access-Control-Expose-Headers"
	for _, v := range h.Values(key) {
		for _, listed := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(listed), name) {
				return
			}
		}
	}
	h.Add(key, name)
}

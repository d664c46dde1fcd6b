package middleware

import (
	"net/http"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/exposeheader"
)

// SlidingRefresh renews tokens close to expiry, the way the Toggle API
// does: when the request's token expires within the window, the response
// carries a fresh one in header (default "Authorization") as
// "Bearer <token>", exposed to browsers through
// Access-Control-Expose-Headers. The client switches to it for its next
// request. Renewal keeps the session's original issue time, so it ends
// RefreshTTL after login like any single-token refresh. Put it after
// Verifier.
func SlidingRefresh(auth *gqljwt.Service, window time.Duration, header string) func(http.Handler) http.Handler {
	if header == "" {
		header = "Authorization"
	}
	return renew(auth, window, header, "Bearer ")
}

// RenewHeader hands every request with a valid token a renewed one in the
// response header, the bare token, exposed to browsers, as WPGraphQL
// Headless Login's X-WPGraphQL-Login-Token does. It is SlidingRefresh with
// a window as long as the token: the same session, ending RefreshTTL
// after login. Put it after Verifier.
func RenewHeader(auth *gqljwt.Service, header string) func(http.Handler) http.Handler {
	return renew(auth, 1<<63-1, header, "")
}

func renew(auth *gqljwt.Service, window time.Duration, header, prefix string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := gqljwt.FromContext(r.Context())
			if id != nil && id.ExpiresAt.Sub(auth.Now()) < window {
				if sess, err := auth.RenewToken(r.Context(), id.Token); err == nil {
					w.Header().Set(header, prefix+sess.Access.Value)
					exposeheader.Add(w.Header(), header)
					w.Header().Set("Cache-Control", "no-store")
					w.Header().Set("Pragma", "no-cache")
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

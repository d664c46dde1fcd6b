package middleware

import (
	"net/http"

	"github.com/gqljwt/gqljwt"
)

// RefusedTokenStatus answers a request whose token was refused (invalid,
// expired, revoked) with status instead of 200, the body as the handler
// writes it: the request still runs anonymously, so public data is
// answered, as WPGraphQL Headless Login answers 403 (src/Auth/
// TokenManager.php validate_token). A request without a token, or one
// whose token a store could not check, keeps its status. Put it after
// Verifier.
func RefusedTokenStatus(status int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := gqljwt.FromContext(r.Context())
			switch gqljwt.CodeOf(err) {
			case gqljwt.CodeTokenInvalid, gqljwt.CodeTokenExpired, gqljwt.CodeTokenRevoked:
				w = &statusWriter{ResponseWriter: w, status: status}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// statusWriter turns the handler's 200 into status.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if code == http.StatusOK {
		code = w.status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package middleware

import (
	"net/http"
)

// MaxBodySize bounds request bodies to n bytes. graphql-go's handler reads
// the whole body into memory, so an unbounded one is a memory exhaustion
// waiting to happen. A declared Content-Length over n is answered 413 with
// a GraphQL-formatted error before anything is read; a body that turns out
// longer than declared (or chunked) is cut at n, and its reader fails.
func MaxBodySize(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				writeErrors(w, http.StatusRequestEntityTooLarge, "Request body too large", "BAD_USER_INPUT")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

package middleware

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gqljwt/gqljwt"
)

// Required refuses a request that Verifier left without an identity: 401
// with an RFC 6750 WWW-Authenticate header and a GraphQL-formatted body,
//
//	{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED"}}]}
//
// whose extensions.reason says why when a token was sent (TOKEN_EXPIRED,
// TOKEN_INVALID, TOKEN_REVOKED). When a store failed the answer is 503 with
// code AUTH_UNAVAILABLE. Use it on endpoints with no public operations.
func Required(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := gqljwt.FromContext(r.Context())
		if id != nil {
			next.ServeHTTP(w, r)
			return
		}
		WriteUnauthorized(w, err)
	})
}

// Strict is Verifier followed by Required: the verifier in its strict form.
func Strict(auth *gqljwt.Service, extractors ...Extractor) func(http.Handler) http.Handler {
	verify := Verifier(auth, extractors...)
	return func(next http.Handler) http.Handler {
		return verify(Required(next))
	}
}

// WriteUnauthorized writes the response Required gives for err, the reason
// a request has no identity.
func WriteUnauthorized(w http.ResponseWriter, err error) {
	status := http.StatusUnauthorized
	out := gqljwt.Unauthenticated(err)
	challenge := "Bearer"
	switch {
	case out.Code == gqljwt.CodeUnavailable:
		status, challenge = http.StatusServiceUnavailable, ""
	case out.Reason != "":
		var e *gqljwt.Error
		errors.As(err, &e)
		challenge = `Bearer error="invalid_token", error_description=` + strconv.Quote(e.Message)
	}
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeError(w, status, out.Message, out.Extensions())
}

// writeErrors answers with a GraphQL-formatted body holding one error.
func writeErrors(w http.ResponseWriter, status int, message, code string) {
	writeError(w, status, message, map[string]any{"code": code})
}

func writeError(w http.ResponseWriter, status int, message string, extensions map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorEntry{{Message: message, Extensions: extensions}}})
}

type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

package gqljwt

import (
	"errors"
	"time"

	"github.com/go-chi/jwtauth/v5"
)

// Code is the stable, machine-readable kind of an auth error. It is what
// clients read from extensions.code, so values never change once released.
type Code string

// The codes every gqljwt error carries in extensions.code.
const (
	CodeUnauthenticated   Code = "UNAUTHENTICATED"
	CodeForbidden         Code = "FORBIDDEN"
	CodeTokenExpired      Code = "TOKEN_EXPIRED"
	CodeTokenInvalid      Code = "TOKEN_INVALID"
	CodeTokenRevoked      Code = "TOKEN_REVOKED"
	CodeBadUserInput      Code = "BAD_USER_INPUT"
	CodeInvalidCredential Code = "INVALID_CREDENTIALS"
	CodeTooManyAttempts   Code = "TOO_MANY_ATTEMPTS"
	// CodeUnavailable reports that a store the decision depends on failed.
	// The request is refused: a store that fails means "no".
	CodeUnavailable Code = "AUTH_UNAVAILABLE"
	CodeInternal    Code = "INTERNAL_SERVER_ERROR"
	// CodeCSRFRefused reports a request that cookie mode refused as a
	// possible cross-site request forgery: it carried the session cookies
	// (or would have had them set) from a foreign origin, or in a form a
	// page of any origin can send without a CORS preflight.
	CodeCSRFRefused Code = "CSRF_REFUSED"
)

// Error is the one error type of gqljwt. It implements graphql-go's
// gqlerrors.ExtendedError, so a resolver that returns it unwrapped produces a
// GraphQL error whose extensions carry Code (and Reason, RetryAfter when set).
//
// errors.Is(err, ErrTokenExpired) matches any *Error with the same Code, and
// errors.Is(err, jwtauth.ErrExpired) matches through the wrapped cause.
type Error struct {
	// Code is the stable kind of the error, sent as extensions.code.
	Code Code
	// Message is the client-facing message. It never contains a token,
	// password or key.
	Message string
	// Reason tells why a request is unauthenticated when a token was sent
	// (TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_REVOKED); sent as extensions.reason.
	Reason Code
	// RetryAfter is set on TOO_MANY_ATTEMPTS; sent as extensions.retryAfter
	// in whole seconds, rounded up.
	RetryAfter time.Duration

	cause error
}

// Error returns the client-facing message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying cause, for logs and errors.Is; it is never
// sent to clients.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Code, which makes the
// sentinel values below usable with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Extensions implements gqlerrors.ExtendedError.
func (e *Error) Extensions() map[string]any {
	ext := map[string]any{"code": string(e.Code)}
	if e.Reason != "" {
		ext["reason"] = string(e.Reason)
	}
	if e.RetryAfter > 0 {
		ext["retryAfter"] = int64((e.RetryAfter + time.Second - 1) / time.Second)
	}
	return ext
}

// WithCause returns a copy of e that wraps cause. Sentinels stay immutable.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// WithMessage returns a copy of e with another client-facing message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// Sentinel errors, for errors.Is and as templates. Never modify them; use
// WithCause or WithMessage to derive a variant.
var (
	// ErrNoToken: the request carried no token. Code UNAUTHENTICATED.
	ErrNoToken = &Error{Code: CodeUnauthenticated, Message: "Unauthorized", cause: jwtauth.ErrNoTokenFound}
	// ErrUnauthenticated: the operation needs an identity and there is none.
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated, Message: "Unauthorized"}
	// ErrForbidden: an identity is present but not allowed.
	ErrForbidden = &Error{Code: CodeForbidden, Message: "You do not have permission to perform this action"}
	// ErrTokenExpired: exp (plus leeway) is in the past.
	ErrTokenExpired = &Error{Code: CodeTokenExpired, Message: "Token has expired", cause: jwtauth.ErrExpired}
	// ErrTokenInvalid: malformed, badly signed, wrong alg/typ/iss/aud, or not yet valid.
	ErrTokenInvalid = &Error{Code: CodeTokenInvalid, Message: "Invalid token", cause: jwtauth.ErrUnauthorized}
	// ErrTokenRevoked: the token, its refresh family or its user's token
	// version was revoked.
	ErrTokenRevoked = &Error{Code: CodeTokenRevoked, Message: "Token has been revoked"}
	// ErrInvalidCredentials: unknown user, wrong password or inactive user,
	// deliberately indistinguishable.
	ErrInvalidCredentials = &Error{Code: CodeInvalidCredential, Message: "Please enter valid credentials"}
	// ErrTooManyAttempts: login is throttled; RetryAfter says for how long.
	ErrTooManyAttempts = &Error{Code: CodeTooManyAttempts, Message: "Too many failed login attempts"}
	// ErrBadUserInput: the arguments are missing or contradictory.
	ErrBadUserInput = &Error{Code: CodeBadUserInput, Message: "Invalid input"}
	// ErrUnavailable: a store failed, so the answer is no.
	ErrUnavailable = &Error{Code: CodeUnavailable, Message: "Authentication is temporarily unavailable"}
	// ErrCSRFRefused: cookie mode refused the request as a possible
	// cross-site request forgery.
	ErrCSRFRefused = &Error{Code: CodeCSRFRefused, Message: "Cross-site request refused"}
	// ErrInternal: an unexpected failure; details are in the cause only.
	ErrInternal = &Error{Code: CodeInternal, Message: "Internal server error"}
)

// AsError returns err as an *Error: itself if it is one (or wraps one), and
// otherwise ErrInternal wrapping it, so that no unexpected error text reaches
// a client.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal.WithCause(err)
}

// Unauthenticated is the error for a request that has no identity, given
// why (FromContext's error): UNAUTHENTICATED whose Reason is the token
// error's code when a token was sent and refused (TOKEN_EXPIRED,
// TOKEN_INVALID, TOKEN_REVOKED), plain UNAUTHENTICATED when none was sent.
// A store that could not answer stays AUTH_UNAVAILABLE: an outage is not a
// signed-out caller, and clients that sign users out on UNAUTHENTICATED
// must not do so then, and why comes back as it is. Otherwise the result
// is a fresh value whose cause is why.
func Unauthenticated(why error) *Error {
	code := CodeOf(why)
	if code == CodeUnavailable {
		return AsError(why)
	}
	e := ErrUnauthenticated.WithCause(why)
	switch code {
	case CodeTokenExpired, CodeTokenInvalid, CodeTokenRevoked:
		e.Reason = code
	}
	return e
}

// CodeOf returns the Code of err, or "" when err is not (and does not wrap)
// an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

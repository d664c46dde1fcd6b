package gqljwt

import (
	"context"
	"net"
	"net/http"

	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

type contextKey struct{ name string }

var (
	identityKey = &contextKey{"identity"}
	errorKey    = &contextKey{"error"}
	responseKey = &contextKey{"response"}
	requestKey  = &contextKey{"request"}
)

// httpContext is the part of a request's context node that bridges to
// HTTP: the response resolvers set headers and cookies on, the request
// ClientAddr reads. One node per request carries it with the verification
// result, instead of a chain of context.WithValue, and answers jwtauth's
// own keys so code written for jwtauth.FromContext keeps working.
type httpContext struct {
	context.Context
	w http.ResponseWriter
	r *http.Request
}

// requestContext is the node of a request without an identity: err says
// why there is none.
type requestContext struct {
	httpContext
	err error
}

// verifiedContext is the node of a request with an identity: the box holds
// it, its lazy token and, when they fit, its roles and scopes, so that the
// identity costs no allocation of its own. It is 560 bytes, in the
// allocator's 576-byte size class: the 272 of the Identity (three
// time.Time of 24 bytes, eight strings, two slices, its private fields),
// the lazy token's pointer, room for four roles and scopes (64), its texts
// (176, so that a cache hit copies them out of the cache's slot instead of
// the cache keeping a string per entry for the collector to mark), and the
// 40 of the bridge. Requests without an identity take the smaller
// requestContext.
type verifiedContext struct {
	httpContext
	box identityBox
}

// verifiedErrContext is the node NewContext makes when given an identity
// and an error both.
type verifiedErrContext struct {
	verifiedContext
	err error
}

// adopt makes a copy of id the request's identity. A handler that edits
// its identity (a role added for the rest of the request, say) must not
// change the one the verified-token cache serves to the next request.
func (c *verifiedContext) adopt(id *Identity) {
	copyIdentity(&c.box.id, &c.box.roles, id)
}

// copyIdentity copies src to dst, its roles and scopes into buf when they
// fit and into a new array otherwise, so that dst shares nothing mutable
// with src.
func copyIdentity(dst *Identity, buf *[4]string, src *Identity) {
	*dst = *src
	n := len(src.Roles) + len(src.Scopes)
	if n == 0 {
		return
	}
	var b []string
	if n <= len(buf) {
		b = buf[:0:n]
	} else {
		b = make([]string, 0, n)
	}
	b = append(append(b, src.Roles...), src.Scopes...)
	nr := len(src.Roles)
	if src.Roles != nil {
		dst.Roles = b[:nr:nr]
	}
	if src.Scopes != nil {
		dst.Scopes = b[nr:n:n]
	}
}

func (c *requestContext) Value(key any) any { return c.value(key, nil, c.err) }

func (c *verifiedContext) Value(key any) any { return c.value(key, &c.box.id, nil) }

func (c *verifiedErrContext) Value(key any) any { return c.value(key, &c.box.id, c.err) }

// value answers key for a node carrying id (nil for none) and err.
func (c *httpContext) value(key any, id *Identity, err error) any {
	switch key {
	case identityKey:
		if id == nil {
			return nil
		}
		return id
	case errorKey:
		return err
	case requestKey:
		if c.r == nil {
			return c.Context.Value(key)
		}
		return c.r
	case responseKey:
		if c.w == nil {
			return c.Context.Value(key)
		}
		return Response(c)
	case jwtauth.TokenCtxKey:
		// A typed nil inside the interface would defeat jwtauth's nil checks.
		if t := id.JWT(); t != nil {
			return t
		}
		return jwt.Token(nil)
	case jwtauth.ErrorCtxKey:
		return err
	}
	return c.Context.Value(key)
}

// Header implements Response.
func (c *httpContext) Header() http.Header { return c.w.Header() }

// SetCookie implements Response.
func (c *httpContext) SetCookie(cookie *http.Cookie) { http.SetCookie(c.w, cookie) }

// Response is the part of the HTTP response a resolver may touch: headers
// and cookies, set before the GraphQL handler writes the body. Login and
// refresh resolvers use it to hand out tokens in headers or cookies.
type Response interface {
	Header() http.Header
	SetCookie(*http.Cookie)
}

// NewContext returns a child of parent carrying the result of verifying the
// request's token: the identity, or the error saying why there is none
// (ErrNoToken when no token was sent). w, when not nil, becomes the
// response bridge returned by ResponseFromContext; r, when not nil, is the
// request ClientAddr reads. Both may be nil outside HTTP.
//
// The context holds its own copy of id: changes to one do not reach the
// other.
func NewContext(parent context.Context, w http.ResponseWriter, r *http.Request, id *Identity, err error) context.Context {
	h := httpContext{Context: parent, w: w, r: r}
	if id == nil {
		return &requestContext{httpContext: h, err: err}
	}
	if err != nil {
		c := &verifiedErrContext{verifiedContext: verifiedContext{httpContext: h}, err: err}
		c.adopt(id)
		return c
	}
	c := &verifiedContext{httpContext: h}
	c.adopt(id)
	return c
}

// FromContext returns the identity verified for this request, or nil and
// the reason there is none: ErrNoToken, a token error (ErrTokenExpired,
// ErrTokenInvalid, ErrTokenRevoked, ...), or ErrUnauthenticated when no
// verifier ran.
func FromContext(ctx context.Context) (*Identity, error) {
	if id, ok := ctx.Value(identityKey).(*Identity); ok {
		return id, nil
	}
	if err, ok := ctx.Value(errorKey).(error); ok && err != nil {
		return nil, err
	}
	return nil, ErrUnauthenticated
}

// ResponseFromContext returns the response bridge of the request, if a
// verifier (or NewContext with a ResponseWriter) installed one.
func ResponseFromContext(ctx context.Context) (Response, bool) {
	r, ok := ctx.Value(responseKey).(Response)
	return r, ok
}

// RequestFromContext returns the HTTP request a verifier (or NewContext)
// recorded, for resolvers that need its headers, e.g. a site-token login.
func RequestFromContext(ctx context.Context) (*http.Request, bool) {
	r, ok := ctx.Value(requestKey).(*http.Request)
	return r, ok
}

// ClientAddr returns the network address of the client of the request in
// ctx (its RemoteAddr, which chi's RealIP middleware may have set from
// proxy headers), or "" outside a verified HTTP request. Login throttling
// counts failures per address with it.
func ClientAddr(ctx context.Context) string {
	r, ok := RequestFromContext(ctx)
	if !ok {
		return ""
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

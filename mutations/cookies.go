package mutations

import (
	"context"
	"time"

	"github.com/gqljwt/gqljwt"
)

// DjangoCookies is django-graphql-jwt's cookie mode (its jwt_cookie view
// decorator) under its default names: the access token in JWT
// (JWT_COOKIE_NAME), the refresh token in JWT-refresh-token
// (JWT_REFRESH_TOKEN_COOKIE_NAME), Path "/" (JWT_COOKIE_PATH) and no
// Domain (JWT_COOKIE_DOMAIN). Two of its defaults are not kept:
// JWT_COOKIE_SECURE is off there and on here (Insecure turns it off), and
// JWT_COOKIE_SAMESITE is unset there and Lax here. Set HideTokens for
// JWT_HIDE_TOKEN_FIELDS. Give it to a Graphene preset:
//
//	p := mutations.Graphene()
//	c := mutations.DjangoCookies()
//	p.Cookies = &c
func DjangoCookies() gqljwt.CookieConfig {
	return gqljwt.CookieConfig{AccessName: "JWT", RefreshName: "JWT-refresh-token", Path: "/"}
}

// deleteTokenCookie and deleteRefreshTokenCookie are django-graphql-jwt's
// DeleteJSONWebTokenCookie and DeleteRefreshTokenCookie as schemas mount
// them (delete_token_cookie, delete_refresh_token_cookie), in cookie mode
// only.
func deleteTokenCookie(relay bool) Operation {
	return Operation{Kind: DeleteTokenCookie, Name: "deleteTokenCookie", TypeName: "DeleteJSONWebTokenCookie", Relay: relay,
		CookieOnly: true, Fields: []Field{{Name: "deleted", Result: ResultDeleted}}}
}

func deleteRefreshTokenCookie(relay bool) Operation {
	return Operation{Kind: DeleteRefreshTokenCookie, Name: "deleteRefreshTokenCookie", TypeName: "DeleteRefreshTokenCookie", Relay: relay,
		CookieOnly: true, Fields: []Field{{Name: "deleted", Result: ResultDeleted}}}
}

var errCookiesNotAllowed = gqljwt.ErrCSRFRefused.WithMessage("Cross-site request refused: session cookies are only set for requests from an allowed origin")

// cookieInputs completes in from the request's cookies in cookie mode: a
// refresh or revocation without a token argument takes the refresh
// cookie. Operations that would set the cookies are refused up front on a
// request that middleware.CSRF did not allow, before they change
// anything.
func (e *engine) cookieInputs(ctx context.Context, op Operation, in *inputs) error {
	allowed := gqljwt.CookiesAllowed(ctx)
	switch op.Kind {
	case Login, Refresh, RefreshUserSecret:
		if !allowed {
			return errCookiesNotAllowed
		}
	}
	if !allowed || in.get(ArgRefreshToken) != "" || in.get(ArgToken) != "" {
		return nil
	}
	switch op.Kind {
	case Refresh, Revoke, DeleteRefreshTokenCookie:
		if v, ok := e.cookie(ctx, e.cookies.RefreshName); ok {
			in.values[ArgRefreshToken], in.refreshFromCookie = v, true
		} else if op.Kind == Revoke {
			// Reached by a revokeToken with neither, whose argument cookie
			// mode made nullable. Left to run, it would get the preset's
			// own wording of errRefreshTokenRequired: the same for
			// Graphene, but Native's "A refresh token is required" is not
			// django-graphql-jwt's, whose cookie mode this is.
			return errRefreshRequired
		}
	}
	return nil
}

// errRefreshRequired is django-graphql-jwt's answer (ensure_refresh_token)
// to a revocation with neither the argument nor the cookie.
var errRefreshRequired = gqljwt.ErrBadUserInput.WithMessage("Refresh token is required")

// cookie returns the request's cookie name, on a request CSRF allowed.
func (e *engine) cookie(ctx context.Context, name string) (string, bool) {
	r, ok := gqljwt.RequestFromContext(ctx)
	if name == "" || !ok || !gqljwt.CookiesAllowed(ctx) {
		return "", false
	}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// deleteCookie runs a DeleteTokenCookie or DeleteRefreshTokenCookie
// operation. As django-graphql-jwt does, deleted says whether the request
// carried the cookie, and the deletion is sent either way.
func (e *engine) deleteCookie(ctx context.Context, op Operation, in inputs, out *outcome) error {
	if op.Kind == DeleteTokenCookie {
		_, out.deleted = e.cookie(ctx, e.cookies.AccessName)
		return nil
	}
	out.deleted = in.refreshFromCookie
	if !in.refreshFromCookie {
		return nil
	}
	// A token already refused is as good as revoked; an outage is not.
	if err := e.auth.RevokeRefreshToken(ctx, in.get(ArgRefreshToken)); err != nil && !refusedToken(err) {
		return err
	}
	return nil
}

// writeCookies sets, rotates or deletes the cookies after op ran, with
// out and err its result.
func (e *engine) writeCookies(ctx context.Context, op Operation, in inputs, out *outcome, err error) {
	w, ok := gqljwt.ResponseFromContext(ctx)
	if !ok {
		return
	}
	c := e.cookies
	del := func(name string) {
		if name != "" {
			w.SetCookie(c.Deletion(name))
		}
	}
	switch {
	case err == nil && out.session != nil:
		if !gqljwt.CookiesAllowed(ctx) {
			return
		}
		now := e.auth.Now()
		if a := out.session.Access; c.AccessName != "" && a != nil {
			w.SetCookie(c.Cookie(c.AccessName, a.Value, a.ExpiresAt, now))
		}
		if rt := out.session.RefreshToken; rt != "" {
			w.SetCookie(c.Cookie(c.RefreshName, rt, out.session.RefreshExpiresAt, now))
		}
		e.setCSRFCookie(ctx, w, out.session, now)
	case op.Kind == Logout || op.Kind == LogoutAll:
		// Whatever the server answered, the user asked to be signed out
		// of this browser.
		del(c.AccessName)
		del(c.RefreshName)
		del(c.CSRFCookie)
	case op.Kind == DeleteTokenCookie:
		del(c.AccessName)
	case op.Kind == DeleteRefreshTokenCookie:
		// The CSRF token was the refresh cookie's: without it the
		// access cookie no longer passes the check, and a new login
		// starts over.
		del(c.RefreshName)
		del(c.CSRFCookie)
	case in.refreshFromCookie && (err == nil || refusedToken(err)):
		// A revoked, expired, reused or unknown refresh cookie is dead:
		// the browser need not send it again.
		del(c.RefreshName)
		del(c.CSRFCookie)
	}
}

// setCSRFCookie sets the double-submit token of the session s, when the
// cookie mode has one: derived from the refresh token set now, else from
// the refresh cookie the browser keeps (then unchanged), else from the
// access token set now.
func (e *engine) setCSRFCookie(ctx context.Context, w gqljwt.Response, s *gqljwt.Session, now time.Time) {
	c := e.cookies
	if c.CSRFCookie == "" {
		return
	}
	if s.RefreshToken != "" {
		w.SetCookie(c.CSRFTokenCookie(s.RefreshToken, s.RefreshExpiresAt, now))
		return
	}
	if _, kept := e.cookie(ctx, c.RefreshName); !kept && c.AccessName != "" && s.Access != nil {
		w.SetCookie(c.CSRFTokenCookie(s.Access.Value, s.Access.ExpiresAt, now))
	}
}

// hidden reports whether cookie mode keeps the payload field of r out of
// the schema (gqljwt.CookieConfig.HideTokens): the tokens that travel in
// cookies.
func (e *engine) hidden(r Result) bool {
	if e.cookies == nil || !e.cookies.HideTokens {
		return false
	}
	return r == ResultRefreshToken || (r == ResultToken && e.cookies.AccessName != "")
}

// nullable reports whether cookie mode makes the argument a of a required
// token optional, the cookie standing in for it.
func (e *engine) nullable(a Arg) bool {
	return e.cookies != nil && (a.Role == ArgRefreshToken || (a.Role == ArgToken && e.cookies.AccessName != ""))
}

package directives

import (
	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// TokenArgument is django-graphql-jwt's JWT_ALLOW_ARGUMENT: a guarded field
// called with a non-empty string argument named name (its
// JWT_ARGUMENT_NAME, "token") is decided on the identity of that token,
// verified by auth, instead of the request's, and so are the guarded
// fields below it in the response, as graphql_jwt/middleware.py hands the
// argument's user down the path. Their resolvers read that identity with
// gqljwt.FromContext. A refused argument token is refused as a refused
// request token is: the rule sees no identity, and the denial's reason
// says why. So is one in an operation sent in the URL (GET ?query=…),
// which servers and proxies log.
//
// The fields below find their parent's identity in the per-request store
// of Memoize (or WithMemo); without one only the field itself is decided
// on its argument. The application declares the argument on its fields,
// as in Django (token: String). It panics when auth is nil or name empty.
func TokenArgument(auth *gqljwt.Service, name string) Option {
	if auth == nil || name == "" {
		panic("directives: TokenArgument needs a Service and an argument name")
	}
	return func(o *options) { o.tokenArg = &tokenArgument{auth: auth, name: name} }
}

type tokenArgument struct {
	auth *gqljwt.Service
	name string
}

// argIdentity is the outcome of verifying a token argument.
type argIdentity struct {
	id  *gqljwt.Identity
	why error
}

// identity returns the caller p is decided on and the context its
// resolver runs with: the field's own token argument, else the nearest
// field above it that had one, else the request's.
func (t *tokenArgument) identity(p graphql.ResolveParams) (graphql.ResolveParams, *gqljwt.Identity, error) {
	store := memoStoreOf(p)
	var found *argIdentity
	if tok, ok := p.Args[t.name].(string); ok && tok != "" {
		found = &argIdentity{why: gqljwt.ErrTokenInvalid}
		// In the URL, the token is in every log on its way: refused as if
		// it did not verify, so that nobody comes to rely on it.
		if r, ok := gqljwt.RequestFromContext(p.Context); !ok || r.URL.Query().Get("query") == "" {
			found.id, found.why = t.auth.Verify(p.Context, tok)
		}
		if store != nil && p.Info.Path != nil {
			store.mu.Lock()
			if store.byPath == nil {
				store.byPath = map[*graphql.ResponsePath]*argIdentity{}
			}
			store.byPath[p.Info.Path] = found
			store.mu.Unlock()
		}
	} else if store != nil && p.Info.Path != nil {
		store.mu.Lock()
		for at := p.Info.Path.Prev; at != nil && found == nil; at = at.Prev {
			found = store.byPath[at]
		}
		store.mu.Unlock()
	}
	if found == nil {
		id, why := identity(p)
		return p, id, why
	}
	p.Context = gqljwt.NewContext(p.Context, nil, nil, found.id, found.why)
	return p, found.id, found.why
}

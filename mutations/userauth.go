package mutations

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// UserAuth is WPGraphQL Headless Login's User.auth field
// (AuthenticationData) of one endpoint: what its clients select as
// viewer { auth { authToken refreshToken userSecret linkedIdentities … } }.
// Make one with NewUserAuth, put Field on the user type and the UserAuth
// in the Options of the endpoint's Fragment, whose logins then show their
// user their own session. It holds the sessions of the logins of requests
// in flight, so each endpoint has its own: nothing is shared between
// values, nor between schemas.
type UserAuth struct {
	field *graphql.Field
	// started maps the user of a session that a login of a request still
	// in flight started to that session. The plugin makes the user it
	// logs in the current user, so login { user { auth { authToken
	// userSecret } } } shows them their own; the login's request has no
	// identity of its own to tell. Keys are the request and the session's
	// *gqljwt.User, so that no other request finds the entry even where a
	// user store hands several requests one pointer, and entries go when
	// their request ends.
	started sync.Map
}

// NewUserAuth returns the User.auth field of auth's endpoint, the
// identities of linkedIdentities read from identities (nil: always null).
//
// As the plugin does, authToken and refreshToken are a new session for
// the user, handed out to that user only (on a login's user, the login's
// session, when the UserAuth is in the login's Options): for anybody
// else, an administrator included, and for an anonymous caller, they,
// their expirations and userSecret are null. One selection of auth makes
// one session, whatever it selects of it. linkedIdentities is null when
// the user has none.
//
// isUserSecretRevoked is the Service's UserSecretRevoked: true between
// revokeUserSecret and refreshUserSecret when gqljwt.Config.UserSecrets
// keeps the mark, always false without it (a revocation then only moves
// the version on). A store that cannot answer fails the field.
func NewUserAuth(auth *gqljwt.Service, identities gqljwt.IdentityStore) *UserAuth {
	a := &UserAuth{}
	a.field = a.build(auth, identities)
	return a
}

// Field is the User.auth field. Its source must be the *gqljwt.User the
// user type resolves from (Options.ResolveUser nil). It is the same field
// on every call: its types may be in a schema once.
func (a *UserAuth) Field() *graphql.Field { return a.field }

func (a *UserAuth) build(auth *gqljwt.Service, identities gqljwt.IdentityStore) *graphql.Field {
	identity := graphql.NewObject(graphql.ObjectConfig{
		Name: "LinkedIdentity",
		Fields: graphql.Fields{
			"id": &graphql.Field{Type: graphql.ID, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(gqljwt.LinkedIdentity).ID, nil
			}},
			"provider": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(gqljwt.LinkedIdentity).Provider, nil
			}},
		},
	})
	own := func(get func(d *authData) (string, error)) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			d := p.Source.(*authData)
			if !d.self {
				return nil, nil
			}
			v, err := get(d)
			if err != nil || v == "" {
				return nil, err
			}
			return v, nil
		}}
	}
	unix := func(t interface{ Unix() int64 }) string { return strconv.FormatInt(t.Unix(), 10) }
	data := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AuthenticationData",
		Description: "The Headless Login authentication data.",
		Fields: graphql.Fields{
			"authToken": own(func(d *authData) (string, error) {
				s, err := d.session()
				if err != nil {
					return "", err
				}
				return s.Access.Value, nil
			}),
			"authTokenExpiration": own(func(d *authData) (string, error) {
				s, err := d.session()
				if err != nil {
					return "", err
				}
				return unix(s.Access.ExpiresAt), nil
			}),
			"refreshToken": own(func(d *authData) (string, error) {
				s, err := d.session()
				if err != nil {
					return "", err
				}
				return s.RefreshToken, nil
			}),
			"refreshTokenExpiration": own(func(d *authData) (string, error) {
				s, err := d.session()
				if err != nil || s.RefreshToken == "" {
					return "", err
				}
				return unix(s.RefreshExpiresAt), nil
			}),
			"userSecret": own(func(d *authData) (string, error) {
				v, err := auth.TokenVersion(d.ctx, d.user.ID)
				if err != nil {
					return "", err
				}
				return secretOf(d.user.ID, v), nil
			}),
			"isUserSecretRevoked": &graphql.Field{Type: graphql.Boolean, Resolve: func(p graphql.ResolveParams) (any, error) {
				d := p.Source.(*authData)
				revoked, err := auth.UserSecretRevoked(p.Context, d.user.ID)
				if err != nil {
					return nil, gqljwt.AsError(err)
				}
				return revoked, nil
			}},
			"linkedIdentities": &graphql.Field{Type: graphql.NewList(identity), Resolve: func(p graphql.ResolveParams) (any, error) {
				d := p.Source.(*authData)
				if identities == nil {
					return nil, nil
				}
				ids, err := identities.Identities(p.Context, d.user.ID)
				if err != nil {
					return nil, gqljwt.ErrUnavailable.WithCause(err)
				}
				if len(ids) == 0 {
					return nil, nil
				}
				return ids, nil
			}},
		},
	})
	return &graphql.Field{Type: data, Description: "Headless Login authentication data.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			u, ok := p.Source.(*gqljwt.User)
			if !ok || u == nil {
				return nil, nil
			}
			id, _ := gqljwt.FromContext(p.Context)
			d := &authData{user: u, self: id.IsLocalUser(u.ID), ctx: p.Context}
			d.start = func() (*gqljwt.Session, error) { return auth.StartSession(d.ctx, u) }
			if sess, ok := a.started.Load(startedKey(p.Context, u)); ok {
				// The user of a login of this request: their own, and
				// the login's session is the one to show.
				d.self = true
				d.once.Do(func() { d.sess = sess.(*gqljwt.Session) })
			}
			return d, nil
		}}
}

type startedAt struct {
	r *http.Request
	u *gqljwt.User
}

func startedKey(ctx context.Context, u *gqljwt.User) startedAt {
	r, _ := gqljwt.RequestFromContext(ctx)
	return startedAt{r, u}
}

// noteStarted records sess for the rest of the request of ctx; outside an
// HTTP request, whose end nothing would signal, it records nothing. A nil
// a, an endpoint without User.auth, has nobody to show it to.
func (a *UserAuth) noteStarted(ctx context.Context, sess *gqljwt.Session) {
	r, ok := gqljwt.RequestFromContext(ctx)
	if a == nil || sess == nil || sess.User == nil || !ok || r.Context().Done() == nil {
		return
	}
	key := startedAt{r, sess.User}
	a.started.Store(key, sess)
	context.AfterFunc(r.Context(), func() { a.started.Delete(key) })
}

// authData is one resolution of User.auth: the user, whether the caller
// is that user, and the session its token fields share.
type authData struct {
	user  *gqljwt.User
	self  bool
	ctx   context.Context
	start func() (*gqljwt.Session, error)

	once sync.Once
	sess *gqljwt.Session
	err  error
}

func (d *authData) session() (*gqljwt.Session, error) {
	d.once.Do(func() {
		d.sess, d.err = d.start()
		if d.err != nil {
			d.err = gqljwt.AsError(d.err)
		}
	})
	return d.sess, d.err
}

package mutations

import (
	"context"
	"strconv"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// UserAuthField returns WPGraphQL Headless Login's User.auth field
// (AuthenticationData): what its clients select as
// viewer { auth { authToken refreshToken userSecret linkedIdentities … } }.
// The field's source must be the *gqljwt.User the user type resolves
// from (Options.ResolveUser nil).
//
// As the plugin does, authToken and refreshToken are a new session for
// the user, handed out to that user only: for anybody else, and for an
// anonymous caller, they and userSecret are null. One selection of auth
// makes one session, whatever it selects of it. linkedIdentities is null
// when the user has none. isUserSecretRevoked is false: a revoked secret
// here is a new one at once (revokeUserSecret moves the token version on).
func UserAuthField(auth *gqljwt.Service, identities gqljwt.IdentityStore) *graphql.Field {
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
			"isUserSecretRevoked": &graphql.Field{Type: graphql.Boolean, Resolve: func(graphql.ResolveParams) (any, error) {
				return false, nil
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
			return d, nil
		}}
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

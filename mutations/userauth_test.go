package mutations_test

import (
	"context"
	"testing"

	"github.com/graphql-go/graphql"
	"golang.org/x/crypto/bcrypt"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
)

// TestUserAuthFieldIsTheUsersOwn: User.auth hands tokens and the user
// secret to that user only; another caller, even signed in, even an
// administrator, gets nulls, as the plugin's get_auth_token and
// get_user_secret enforce the current user (src/Model/User.php,
// src/Auth/TokenManager.php).
func TestUserAuthFieldIsTheUsersOwn(t *testing.T) {
	ctx := context.Background()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, u := range []gqljwt.User{{ID: "1", Username: "alice", Roles: []string{"ADMIN"}, Active: true}, {ID: "2", Username: "bob", Active: true}} {
		if err := users.Add(u, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: users, Refresh: memstore.NewRefreshTokens()})
	if err != nil {
		t.Fatal(err)
	}
	user := graphql.NewObject(graphql.ObjectConfig{Name: "User", Fields: graphql.Fields{
		"id":   &graphql.Field{Type: graphql.ID, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*gqljwt.User).ID, nil }},
		"auth": mutations.NewUserAuth(auth, memstore.NewIdentities()).Field(),
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"user": &graphql.Field{Type: user, Args: graphql.FieldConfigArgument{"id": {Type: graphql.ID}},
			Resolve: func(p graphql.ResolveParams) (any, error) { return users.UserByID(p.Context, p.Args["id"].(string)) }},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := users.UserByID(ctx, "2")
	sess, err := auth.StartSession(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	asBob := auth.VerifiedContext(ctx, nil, nil, sess.Access.Value)
	alice, _ := users.UserByID(ctx, "1")
	adminSess, err := auth.StartSession(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	asAdmin := auth.VerifiedContext(ctx, nil, nil, adminSess.Access.Value)
	const q = `query($id: ID) { user(id: $id) { auth { authToken authTokenExpiration refreshToken refreshTokenExpiration userSecret } } }`
	for _, c := range []struct {
		name, id string
		ctx      context.Context
		own      bool
	}{
		{"bob on bob", "2", asBob, true},
		{"bob on alice", "1", asBob, false},
		{"an administrator on bob", "2", asAdmin, false},
		{"anonymous on bob", "2", gqljwt.NewContext(ctx, nil, nil, nil, gqljwt.ErrNoToken), false},
	} {
		r := graphql.Do(graphql.Params{Schema: schema, RequestString: q, VariableValues: map[string]any{"id": c.id}, Context: c.ctx})
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %v", c.name, r.Errors)
		}
		a := r.Data.(map[string]any)["user"].(map[string]any)["auth"].(map[string]any)
		for _, k := range []string{"authToken", "authTokenExpiration", "refreshToken", "refreshTokenExpiration", "userSecret"} {
			if got := a[k] != nil; got != c.own {
				t.Errorf("%s: %s = %v", c.name, k, a[k])
			}
		}
		if c.own {
			if _, err := auth.Verify(ctx, a["authToken"].(string)); err != nil {
				t.Errorf("%s: the handed-out token: %v", c.name, err)
			}
		}
	}
}

// TestUserAuthShowsTheLoginsSession: on the user of a login, User.auth
// shows the login's own session when its UserAuth is in the login's
// Options; without it, the field takes the login's caller for the
// anonymous caller they still are.
func TestUserAuthShowsTheLoginsSession(t *testing.T) {
	const login = `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken user { auth { authToken userSecret } } } }`
	for _, wired := range []bool{true, false} {
		e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}, preset: mutations.WPGraphQL(),
			withAuth: func(auth *gqljwt.Service, opts *mutations.Options) {
				opts.Identities = memstore.NewIdentities()
				ua := mutations.NewUserAuth(auth, opts.Identities)
				opts.UserType = graphql.NewObject(graphql.ObjectConfig{Name: "User", Fields: graphql.Fields{"auth": ua.Field()}})
				if wired {
					opts.UserAuth = ua
				}
			}})
		r := e.do("", login, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("wired %v: %v", wired, r.Errors)
		}
		token, own := r.str("login", "authToken"), r.field("login", "user", "auth", "authToken")
		if secret := r.field("login", "user", "auth", "userSecret"); token == "" || (own == token) != wired || (secret != nil) != wired {
			t.Errorf("wired %v: login's token %q, its user's auth.authToken %v, userSecret %v", wired, token, own, secret)
		}
	}
}

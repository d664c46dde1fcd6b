package mutations_test

import (
	"context"
	"fmt"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
)

// The native fragment merged into an application's schema. A real server
// serves it through middleware.Verifier and graphql-go/handler.
func Example() {
	users := memstore.NewUsers()
	_ = users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "alice-password")
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes"), Users: users})
	if err != nil {
		panic(err)
	}
	frag, err := mutations.New(auth, mutations.Native(), mutations.Options{})
	if err != nil {
		panic(err)
	}
	query := graphql.Fields{"hello": &graphql.Field{Type: graphql.String}}
	mutation := graphql.Fields{}
	if err := frag.MergeInto(query, mutation); err != nil {
		panic(err)
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutation}),
	})
	if err != nil {
		panic(err)
	}
	res := graphql.Do(graphql.Params{Schema: schema, Context: context.Background(),
		RequestString: `mutation { tokenAuth(username: "alice", password: "alice-password") { payload user { username } } }`})
	login := res.Data.(map[string]any)["tokenAuth"].(map[string]any)
	fmt.Println(login["user"], login["payload"].(map[string]any)["username"])

	res = graphql.Do(graphql.Params{Schema: schema, Context: context.Background(),
		RequestString: `mutation { tokenAuth(username: "alice", password: "nope") { token } }`})
	fmt.Println(res.Errors[0].Message, res.Errors[0].Extensions["code"])
	// Output:
	// map[username:alice] alice
	// Please enter valid credentials INVALID_CREDENTIALS
}

// A preset is data: the operations an API exposes, under its own names.
func ExamplePreset() {
	myAPI := mutations.Preset{
		Name: "my-api",
		Operations: []mutations.Operation{
			{Kind: mutations.Login, Name: "signIn", TypeName: "SignInResult",
				Args: []mutations.Arg{
					{Name: "email", Role: mutations.ArgEmail, Required: true},
					{Name: "password", Role: mutations.ArgPassword, Required: true},
				},
				Fields: []mutations.Field{{Name: "accessToken", Result: mutations.ResultToken}, {Name: "expiresIn", Result: mutations.ResultTokenExpiresIn}}},
		},
	}
	users := memstore.NewUsers()
	_ = users.Add(gqljwt.User{ID: "1", Email: "alice@example.com", Active: true}, "alice-password")
	auth, _ := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes"), Users: users})
	frag, err := mutations.New(auth, myAPI, mutations.Options{})
	if err != nil {
		panic(err)
	}
	schema, _ := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{"ok": &graphql.Field{Type: graphql.Boolean}}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: frag.Mutation}),
	})
	res := graphql.Do(graphql.Params{Schema: schema, Context: context.Background(),
		RequestString: `mutation { signIn(email: "alice@example.com", password: "alice-password") { expiresIn } }`})
	fmt.Println(res.Data)
	// Output:
	// map[signIn:map[expiresIn:900]]
}

// django-graphql-jwt with JWT_LONG_RUNNING_REFRESH_TOKEN = True: its
// mutations, their arguments and the lifetimes of its defaults.
func ExampleGrapheneWith() {
	p := mutations.GrapheneWith(mutations.GrapheneSettings{Refresh: mutations.LongRunningRefresh})
	for _, op := range p.Operations {
		var args []string
		for _, a := range op.Args {
			args = append(args, a.Name)
		}
		if op.CookieOnly {
			args = append(args, "(cookie mode only)")
		}
		fmt.Println(op.Name, args)
	}
	fmt.Println(p.AccessTTL, p.RefreshTTL)
	// Output:
	// tokenAuth [username password]
	// verifyToken [token]
	// refreshToken [refreshToken]
	// revokeToken [refreshToken]
	// deleteTokenCookie [(cookie mode only)]
	// deleteRefreshTokenCookie [(cookie mode only)]
	// 5m0s 168h0m0s
}

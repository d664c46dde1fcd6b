package directives_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
)

// exampleSchema is a small schema with no guards: a greeting, drafts and a
// mutation, all served by graphql-go's default resolver from the root
// object.
func exampleSchema() graphql.Schema {
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"hello":  &graphql.Field{Type: graphql.String},
		"drafts": &graphql.Field{Type: graphql.NewList(graphql.String)},
	}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"publish": &graphql.Field{Type: graphql.Boolean},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation, Directives: directives.Directives()})
	if err != nil {
		panic(err)
	}
	return schema
}

// exampleDo runs query for the caller id, as middleware.Verifier would
// leave the context, and prints the JSON response.
func exampleDo(schema graphql.Schema, id *gqljwt.Identity, query string, format func(error) gqlerrors.FormattedError) {
	var why error
	if id == nil {
		why = gqljwt.ErrNoToken
	}
	res := graphql.Do(graphql.Params{
		Schema:        schema,
		RequestString: query,
		RootObject:    map[string]any{"hello": "world", "drafts": []any{"draft 1"}, "publish": true},
		Context:       gqljwt.NewContext(context.Background(), nil, nil, id, why),
	})
	if format != nil {
		for i, e := range res.Errors {
			res.Errors[i] = format(e)
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func ExampleGuard() {
	drafts := &graphql.Field{
		Type: graphql.NewList(graphql.String),
		Resolve: directives.Guard(directives.AnyRole("EDITOR"), func(graphql.ResolveParams) (any, error) {
			return []any{"draft 1"}, nil
		}),
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{"drafts": drafts}})
	schema, _ := graphql.NewSchema(graphql.SchemaConfig{Query: query})

	exampleDo(schema, nil, `{ drafts }`, nil)
	exampleDo(schema, &gqljwt.Identity{Subject: "u1"}, `{ drafts }`, nil)
	exampleDo(schema, &gqljwt.Identity{Subject: "u2", Roles: []string{"EDITOR"}}, `{ drafts }`, nil)
	// Output:
	// {"data":{"drafts":null},"errors":[{"message":"Unauthorized","locations":[{"line":1,"column":3}],"path":["drafts"],"extensions":{"code":"UNAUTHENTICATED"}}]}
	// {"data":{"drafts":null},"errors":[{"message":"You do not have permission to perform this action","locations":[{"line":1,"column":3}],"path":["drafts"],"extensions":{"code":"FORBIDDEN"}}]}
	// {"data":{"drafts":["draft 1"]}}
}

func ExampleApply() {
	schema := exampleSchema()
	err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.hello":  directives.Public(),
		"Query.drafts": directives.Or(directives.AnyRole("EDITOR"), directives.Scopes("drafts:read")),
		// Mutation.publish has no rule: DenyByDefault closes it.
	}, directives.DenyByDefault())
	if err != nil {
		panic(err)
	}
	robot := &gqljwt.Identity{Subject: "ci", Scopes: []string{"drafts:read"}}
	exampleDo(schema, robot, `{ hello drafts }`, nil)
	exampleDo(schema, robot, `mutation { publish }`, nil)
	// Output:
	// {"data":{"drafts":["draft 1"],"hello":"world"}}
	// {"data":{"publish":null},"errors":[{"message":"You do not have permission to perform this action","locations":[{"line":1,"column":12}],"path":["publish"],"extensions":{"code":"FORBIDDEN"}}]}
}

func ExampleApply_typeRule() {
	schema := exampleSchema()
	// The field rule replaces the type rule: hello is open to everyone.
	err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.*":     directives.Authenticated(),
		"Query.hello": directives.Public(),
	})
	if err != nil {
		panic(err)
	}
	exampleDo(schema, nil, `{ hello }`, nil)
	// Output:
	// {"data":{"hello":"world"}}
}

func ExampleApply_unknownField() {
	schema := exampleSchema()
	err := directives.Apply(&schema, map[string]directives.Rule{"Query.draft": directives.Authenticated()})
	fmt.Println(err)
	// Output:
	// directives: invalid rule key: Query.draft: no field draft on Query
}

func ExampleParseSDL() {
	const sdl = `
type Query {
  hello: String @auth(policy: "public")
  drafts: [String] @auth(requires: ["EDITOR", "ADMIN"], policy: "daytime")
}
extend type Mutation @auth(scopes: ["posts:write"]) {
  publish: Boolean
}
`
	daytime := directives.Predicate("daytime", func(graphql.ResolveParams, *gqljwt.Identity) (bool, error) {
		return true, nil
	})
	rules, err := directives.ParseSDL(sdl, map[string]directives.Rule{"daytime": daytime})
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"Query.hello", "Query.drafts", "Mutation.*"} {
		fmt.Printf("%s: %v\n", key, rules[key])
	}
	schema := exampleSchema()
	if err := directives.Apply(&schema, rules); err != nil {
		panic(err)
	}
	exampleDo(schema, &gqljwt.Identity{Subject: "u1", Roles: []string{"ADMIN"}}, `{ drafts }`, nil)
	// Output:
	// Query.hello: Public
	// Query.drafts: And(AnyRole(EDITOR, ADMIN), Predicate(daytime))
	// Mutation.*: Scopes(posts:write)
	// {"data":{"drafts":["draft 1"]}}
}

func ExampleParseSDL_error() {
	_, err := directives.ParseSDL("type Query {\n  drafts: [String] @auth(policy: \"owner\")\n}", nil)
	fmt.Println(err)
	// Output:
	// directives: invalid @auth SDL: line 2: Query.drafts: unknown policy "owner"
}

func ExampleNot() {
	// register is for callers who are not signed in yet.
	register := directives.Not(directives.Authenticated())
	schema := exampleSchema()
	if err := directives.Apply(&schema, map[string]directives.Rule{"Mutation.publish": register}); err != nil {
		panic(err)
	}
	exampleDo(schema, nil, `mutation { publish }`, nil)
	exampleDo(schema, &gqljwt.Identity{Subject: "u1"}, `mutation { publish }`, nil)
	// Output:
	// {"data":{"publish":true}}
	// {"data":{"publish":null},"errors":[{"message":"You do not have permission to perform this action","locations":[{"line":1,"column":12}],"path":["publish"],"extensions":{"code":"FORBIDDEN"}}]}
}

func ExampleFormatErrorFn() {
	schema := exampleSchema()
	if err := directives.Apply(&schema, map[string]directives.Rule{"Query.drafts": directives.Authenticated()}); err != nil {
		panic(err)
	}
	// The shape some clients expect: the message only, and the code at the
	// top of extensions under another name. In a server, pass format as
	// handler.Config.FormatErrorFn.
	format := directives.FormatErrorFn(func(e *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError {
		f.Message = "Please log in"
		f.Extensions = map[string]any{"type": string(e.Code)}
		return f
	})
	exampleDo(schema, nil, `{ drafts }`, format)
	// Output:
	// {"data":{"drafts":null},"errors":[{"message":"Please log in","locations":[{"line":1,"column":3}],"path":["drafts"],"extensions":{"type":"UNAUTHENTICATED"}}]}
}

func ExampleMemo() {
	// An expensive check that depends on the caller only: once per request.
	calls := 0
	active := directives.Memo(directives.Predicate("active", func(graphql.ResolveParams, *gqljwt.Identity) (bool, error) {
		calls++
		return true, nil
	}))
	schema := exampleSchema()
	if err := directives.Apply(&schema, map[string]directives.Rule{"Query.*": active}); err != nil {
		panic(err)
	}
	ctx := directives.WithMemo(gqljwt.NewContext(context.Background(), nil, nil, &gqljwt.Identity{Subject: "u1"}, nil))
	graphql.Do(graphql.Params{Schema: schema, RequestString: `{ hello drafts }`, Context: ctx})
	fmt.Println(calls)
	// Output:
	// 1
}

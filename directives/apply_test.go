package directives_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// run executes query against schema as the caller id.
func run(schema graphql.Schema, id *gqljwt.Identity, query string) *graphql.Result {
	why := error(gqljwt.ErrNoToken)
	if id != nil {
		why = nil
	}
	return graphql.Do(graphql.Params{Schema: schema, RequestString: query, Context: ctxFor(id, why)})
}

func TestApplyRejectsBadKeys(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	node := graphql.NewInterface(graphql.InterfaceConfig{Name: "Node", Fields: graphql.Fields{"id": &graphql.Field{Type: graphql.ID}}})
	if err := schema.AppendType(node); err != nil {
		t.Fatal(err)
	}
	rules := map[string]directives.Rule{
		"Query":          directives.Authenticated(),
		"Query.":         directives.Authenticated(),
		".hello":         directives.Authenticated(),
		"Query.hello.x":  directives.Authenticated(),
		"Nope.*":         directives.Authenticated(),
		"Query.nope":     directives.Authenticated(),
		"String.*":       directives.Authenticated(),
		"Node.id":        directives.Authenticated(),
		"__Schema.types": directives.Authenticated(),
		"Query.__schema": directives.Authenticated(),
		"Query.stats":    nil,
		"Query.hello":    directives.AnyRole("ADMIN"), // valid, yet not applied
	}
	err := directives.Apply(&schema, rules)
	if !errors.Is(err, directives.ErrInvalidKey) {
		t.Fatalf("got %v, want ErrInvalidKey", err)
	}
	const want = `directives: invalid rule key: ".hello" is not Type.field or Type.*
directives: invalid rule key: Node.id: Node is not an object type; guard the object types instead
directives: invalid rule key: Nope.*: no type Nope in the schema
directives: invalid rule key: "Query" is not Type.field or Type.*
directives: invalid rule key: "Query." is not Type.field or Type.*
directives: invalid rule key: Query.__schema: no field __schema on Query
directives: invalid rule key: "Query.hello.x" is not Type.field or Type.*
directives: invalid rule key: Query.nope: no field nope on Query
directives: invalid rule key: Query.stats has a nil rule
directives: invalid rule key: String.*: String is not an object type; guard the object types instead
directives: invalid rule key: __Schema.types: introspection types cannot be guarded`
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	// Nothing was applied.
	if res := run(schema, nil, `{ hello }`); len(res.Errors) != 0 {
		t.Errorf("a failed Apply guarded fields: %v", res.Errors)
	}
}

func TestApplyTwice(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	rules := map[string]directives.Rule{"Query.stats": directives.AnyRole("ADMIN"), "Post.*": directives.Authenticated()}
	if err := directives.Apply(&schema, rules); err != nil {
		t.Fatal(err)
	}
	err := directives.Apply(&schema, rules)
	if !errors.Is(err, directives.ErrAlreadyGuarded) {
		t.Fatalf("got %v, want ErrAlreadyGuarded", err)
	}
	const want = "directives: already guarded: every field of Post\ndirectives: already guarded: Query.stats"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	// A second Apply may still rule what the first left open.
	if err := directives.Apply(&schema, map[string]directives.Rule{"Query.*": directives.AnyRole("EDITOR")}); err != nil {
		t.Fatal(err)
	}
	res := run(schema, editor, `{ stats drafts { id } }`)
	if len(res.Errors) != 1 || res.Errors[0].Path[0] != "stats" {
		t.Errorf("stats lost its own rule or drafts was not guarded: %v", res.Errors)
	}
}

func TestApplyKeepsHandGuards(t *testing.T) {
	secret := &graphql.Field{
		Type:    graphql.String,
		Resolve: directives.Guard(directives.AnyRole("ADMIN"), constant("s")),
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"secret": secret,
		"hello":  &graphql.Field{Type: graphql.String, Resolve: constant("world")},
		"other":  &graphql.Field{Type: graphql.String, Resolve: constant("x")},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
	if err != nil {
		t.Fatal(err)
	}
	err = directives.Apply(&schema, map[string]directives.Rule{"Query.secret": directives.Public()})
	if !errors.Is(err, directives.ErrAlreadyGuarded) {
		t.Errorf("naming a hand-guarded field: got %v, want ErrAlreadyGuarded", err)
	}
	err = directives.Apply(&schema, map[string]directives.Rule{"Query.hello": directives.Public()}, directives.DenyByDefault())
	if err != nil {
		t.Fatal(err)
	}
	res := run(schema, admin, `{ secret hello other }`)
	data := res.Data.(map[string]any)
	if data["secret"] != "s" || data["hello"] != "world" || data["other"] != nil || len(res.Errors) != 1 {
		t.Errorf("got %v %v; want the hand guard to let the admin through and other denied", data, res.Errors)
	}
	if res := run(schema, editor, `{ secret }`); len(res.Errors) != 1 {
		t.Errorf("the hand guard was replaced: %v", res.Data)
	}
}

func TestApplyGuardsSubscribe(t *testing.T) {
	subscribed := false
	sub := graphql.NewObject(graphql.ObjectConfig{Name: "Subscription", Fields: graphql.Fields{
		"events": &graphql.Field{
			Type: graphql.String,
			Subscribe: func(graphql.ResolveParams) (any, error) {
				subscribed = true
				return nil, nil
			},
		},
	}})
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{"hello": &graphql.Field{Type: graphql.String}}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Subscription: sub})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{"Subscription.events": directives.AnyRole("ADMIN")}); err != nil {
		t.Fatal(err)
	}
	fd := sub.Fields()["events"]
	_, err = fd.Subscribe(graphql.ResolveParams{Context: ctxFor(reader, nil)})
	if gqljwt.CodeOf(err) != gqljwt.CodeForbidden || subscribed {
		t.Errorf("Subscribe: got %v, subscribed %v; want FORBIDDEN before subscribing", err, subscribed)
	}
	if _, err := fd.Subscribe(graphql.ResolveParams{Context: ctxFor(admin, nil)}); err != nil || !subscribed {
		t.Errorf("Subscribe for admin: %v, subscribed %v", err, subscribed)
	}
}

func TestApplyNilSchema(t *testing.T) {
	if err := directives.Apply(nil, nil); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("got %v", err)
	}
}

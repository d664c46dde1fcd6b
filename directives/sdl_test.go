package directives_test

import (
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/gqljwt/gqljwt/directives"
)

func TestParseSDL(t *testing.T) {
	const sdl = `
"The declaration is allowed, and ignored."
directive @auth(requires: [String!], scopes: [String!], policy: String) on FIELD_DEFINITION | OBJECT

schema { query: Query }

type Query {
  hello: String @auth(policy: "public")
  me: User @auth
  drafts(first: Int): [Post] @auth(requires: ["EDITOR", "ADMIN"])
  one: String @auth(requires: "ADMIN")
  report: String @auth(policy: "owner", scopes: ["a", "b"], requires: ["AUDITOR"])
  old: String @deprecated(reason: "gone")
  plain: String
}

type Post @auth(requires: ["READER"]) {
  id: ID!
  notes: String @auth(policy: "owner")
}

extend type Query {
  stats: String @auth(policy: "authenticated")
}

interface Node { id: ID! }
enum Role { ADMIN EDITOR }
input PostInput { title: String }
`
	rules, err := directives.ParseSDL(sdl, map[string]directives.Rule{"owner": owner})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, r := range rules {
		got[k] = fmt.Sprint(r)
	}
	want := map[string]string{
		"Query.hello":  "Public",
		"Query.me":     "Authenticated",
		"Query.drafts": "AnyRole(EDITOR, ADMIN)",
		"Query.one":    "AnyRole(ADMIN)",
		"Query.report": "And(AnyRole(AUDITOR), Scopes(a, b), Predicate(owner))",
		"Post.*":       "AnyRole(READER)",
		"Post.notes":   "Predicate(owner)",
		"Query.stats":  "Authenticated",
	}
	if !maps.Equal(got, want) {
		t.Errorf("rules:\n%v\nwant:\n%v", got, want)
	}
}

func TestParseSDLPolicyOverridesBuiltin(t *testing.T) {
	rules, err := directives.ParseSDL(`type Query { a: String @auth(policy: "public") }`,
		map[string]directives.Rule{"public": directives.AnyRole("X")})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rules["Query.a"]); got != "AnyRole(X)" {
		t.Errorf("got %s, want the registered policy", got)
	}
}

func TestParseSDLErrors(t *testing.T) {
	tests := []struct{ name, sdl, want string }{
		{"syntax", "type Query {\n  a: String @auth(\n}",
			"directives: invalid @auth SDL: Syntax Error SDL (3:1) Expected Name, found }\n\n2:   a: String @auth(\n3: }\n   ^\n"},
		{"unknown policy", "type Query {\n  a: String\n  b: String @auth(policy: \"owner\")\n}",
			`directives: invalid @auth SDL: line 3: Query.b: unknown policy "owner"`},
		{"unknown argument", "type Query { a: String @auth(role: \"X\") }",
			"directives: invalid @auth SDL: line 1: Query.a: unknown argument role (want requires, scopes or policy)"},
		{"empty list", "type Query { a: String @auth(requires: []) }",
			"directives: invalid @auth SDL: line 1: Query.a: requires is an empty list"},
		{"not strings", "type Query {\n a: String @auth(scopes: [\"x\", 3]) }",
			"directives: invalid @auth SDL: line 2: Query.a: scopes must be a list of non-empty strings"},
		{"empty string", "type Query { a: String @auth(requires: [\"\"]) }",
			"directives: invalid @auth SDL: line 1: Query.a: requires must be a list of non-empty strings"},
		{"variable", "type Query { a: String @auth(requires: $roles) }",
			"directives: invalid @auth SDL: line 1: Query.a: requires must be a list of non-empty strings"},
		{"policy not a string", "type Query { a: String @auth(policy: [\"x\"]) }",
			"directives: invalid @auth SDL: line 1: Query.a: policy must be a string"},
		{"argument twice", "type Query { a: String @auth(requires: \"A\", requires: \"B\") }",
			"directives: invalid @auth SDL: line 1: Query.a: argument requires given twice"},
		{"two on a field", "type Query {\n  a: String @auth @auth(requires: \"A\")\n}",
			"directives: invalid @auth SDL: line 2: Query.a: a second @auth (the first is at line 2)"},
		{"type and extension", "type Query @auth { a: String }\n\nextend type Query @auth(requires: \"A\") { b: String }",
			"directives: invalid @auth SDL: line 3: Query.*: a second @auth (the first is at line 1)"},
		{"interface", "interface Node {\n  id: ID! @auth\n}",
			"directives: invalid @auth SDL: line 2: interface field Node.id: @auth is allowed only on object types and their fields"},
		{"argument", "type Query {\n  a(x: Int @auth): String\n}",
			"directives: invalid @auth SDL: line 2: argument x of Query.a: @auth is allowed only on object types and their fields"},
		{"enum", "enum Role @auth { A }",
			"directives: invalid @auth SDL: line 1: enum Role: @auth is allowed only on object types and their fields"},
		{"input", "input I { a: Int @auth }",
			"directives: invalid @auth SDL: line 1: input field I.a: @auth is allowed only on object types and their fields"},
		{"query document", "{ hello }",
			"directives: invalid @auth SDL: line 1: SDL: operations and fragments are not SDL"},
		{"several at once", "type Query {\n  a: String @auth(policy: \"x\")\n  b: String @auth(policy: \"y\")\n}",
			"directives: invalid @auth SDL: line 2: Query.a: unknown policy \"x\"\ndirectives: invalid @auth SDL: line 3: Query.b: unknown policy \"y\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := directives.ParseSDL(tt.sdl, nil)
			if !errors.Is(err, directives.ErrInvalidSDL) {
				t.Fatalf("got %v, %v; want ErrInvalidSDL", rules, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%q\nwant:\n%q", err, tt.want)
			}
		})
	}
}

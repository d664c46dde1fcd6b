package gqldoc

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
	gqlparser "github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

var strict = Limits{
	MaxTokens: 1000, MaxDepth: 10, MaxAliases: 15, MaxDirectives: 50, MaxRootFields: 20,
	MaxIntrospectionDepth: 2, MaxCost: 5000, ObjectCost: 2, ScalarCost: 1, DepthCostFactor: 1.5,
}

func loc(line, col int) Location { return Location{line, col} }

func TestFragmentCycles(t *testing.T) {
	cases := []struct {
		name, doc, msg string
		locs           []Location
	}{
		{"direct", `query { ...A } fragment A on Query { ...A }`,
			`Cannot spread fragment "A" within itself.`, []Location{loc(1, 38)}},
		{"direct, anonymous operation", `{ ...A } fragment A on Query { ...A }`,
			`Cannot spread fragment "A" within itself.`, []Location{loc(1, 32)}},
		{"indirect", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`,
			`Cannot spread fragment "A" within itself via B.`, []Location{loc(1, 32), loc(1, 61)}},
		{"three fragments", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { ...A }`,
			`Cannot spread fragment "A" within itself via B, C.`, []Location{loc(1, 32), loc(1, 61), loc(1, 90)}},
		{"through an inline fragment", `{ ...A } fragment A on Query { ... on Query { ...A } }`,
			`Cannot spread fragment "A" within itself.`, []Location{loc(1, 47)}},
		{"through an inline fragment without type", `{ ...A } fragment A on Query { ... @include(if: true) { ...A } }`,
			`Cannot spread fragment "A" within itself.`, []Location{loc(1, 57)}},
		{"below a field", `{ ...A } fragment A on Query { posts { author { ...B } } } fragment B on User { posts { ...A } }`,
			`Cannot spread fragment "A" within itself via B.`, []Location{loc(1, 49), loc(1, 89)}},
		{"in a mutation", `mutation { ...M } fragment M on Mutation { ...M }`,
			`Cannot spread fragment "M" within itself.`, []Location{loc(1, 44)}},
		{"in a subscription", `subscription { ...S } fragment S on Subscription { a { ...S } }`,
			`Cannot spread fragment "S" within itself.`, []Location{loc(1, 56)}},
		{"in fragments no operation uses", `{ a } fragment A on Query { ...B } fragment B on Query { ...A }`,
			`Cannot spread fragment "A" within itself via B.`, []Location{loc(1, 29), loc(1, 58)}},
		{"entered from the middle", `{ ...X } fragment X on Query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`,
			`Cannot spread fragment "A" within itself via B.`, []Location{loc(1, 61), loc(1, 90)}},
		{"multiline", "query {\n  ...A\n}\nfragment A on Query {\n  x\n  ...A\n}",
			`Cannot spread fragment "A" within itself.`, []Location{loc(6, 3)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check(c.doc, strict)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Limit != LimitFragmentCycle || err.Message != c.msg || !reflect.DeepEqual(err.Locations, c.locs) {
				t.Errorf("got %s %q at %v, want %q at %v", err.Limit, err.Message, err.Locations, c.msg, c.locs)
			}
			// No bound turns the cycle check off.
			if _, err := Check(c.doc, Limits{}); err == nil || err.Limit != LimitFragmentCycle {
				t.Errorf("without limits: %v", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("a { ", n-1) + "a" + strings.Repeat(" }", n-1) }
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "x%d: a ", i)
		}
		return b.String()
	}
	cases := []struct {
		name  string
		doc   string
		limit Limit
		found int
		max   int
		at    Location
	}{
		{"depth at the bound", "{ " + nest(10) + " }", "", 0, 0, Location{}},
		{"depth over the bound", "{ " + nest(11) + " }", LimitDepth, 11, 10, loc(1, 43)},
		{"depth through fragments", "{ a { ...F } } fragment F on A { " + nest(10) + " }", LimitDepth, 11, 10, loc(1, 70)},
		{"introspection is not depth", "{ __schema { types { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }", "", 0, 0, Location{}},
		{"aliases at the bound", "{ " + aliases(15) + "}", "", 0, 0, Location{}},
		{"aliases over the bound", "{ " + aliases(16) + "}", LimitAliases, 16, 15, loc(1, 1)},
		{"aliases of a fragment spread twice", "query Q { ...F ...F } fragment F on Query { " + aliases(8) + "}", LimitAliases, 16, 15, loc(1, 1)},
		{"aliases in nested fragments", "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...C ...C } fragment C on Query { a: x b: x }", LimitAliases, 8, 15, Location{}},
		{"root fields over the bound", "{ " + strings.Repeat("a ", 21) + "}", LimitRootFields, 21, 20, loc(1, 1)},
		{"root fields through an inline fragment", "mutation { ... on Mutation { " + strings.Repeat("a ", 21) + "} }", LimitRootFields, 21, 20, loc(1, 1)},
		{"directives over the bound", "{ a " + strings.Repeat("@d ", 51) + "}", LimitDirectives, 51, 50, loc(1, 1)},
		{"operation directives count", "query " + strings.Repeat("@d ", 51) + "{ a }", LimitDirectives, 51, 50, loc(1, 1)},
		{"introspection depth 2", "{ __schema { types { fields { type { fields { name } } } } } }", "", 0, 0, Location{}},
		{"introspection depth 3", "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }", LimitIntrospectionDepth, 3, 2, loc(1, 3)},
		{"introspection depth through a fragment", "{ __type(name: \"Q\") { ...T } } fragment T on __Type { fields { type { interfaces { possibleTypes { name } } } } }", LimitIntrospectionDepth, 3, 2, loc(1, 3)},
		{"cost at the bound", "{ " + strings.Repeat("a { b { c { d { e { f { g { h { i { v w x y z } } } } } } } } } ", 14) + "}", "", 0, 0, Location{}},
		{"cost over the bound", "{ " + strings.Repeat("a { b { c { d { e { f { g { h { i { v w x y z } } } } } } } } } ", 15) + "}", LimitCost, 5130, 5000, loc(1, 1)},
		{"tokens at the bound", "{ " + strings.Repeat("a ", 998) + "}", LimitRootFields, 998, 20, loc(1, 1)},
		{"tokens over the bound", "{ " + strings.Repeat("a ", 999) + "}", LimitTokens, 1001, 1000, loc(1, 2001)},
		{"nesting cap", strings.Repeat("{ a ", 2000) + strings.Repeat("}", 2000), LimitNesting, 1001, 1000, loc(1, 4001)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := strict
			if c.name == "nesting cap" {
				l = Limits{}
			}
			_, err := Check(c.doc, l)
			if c.limit == "" || c.name == "aliases in nested fragments" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Limit != c.limit || err.Max != c.max || (c.found != 0 && err.Found != c.found) || (c.at != Location{} && !reflect.DeepEqual(err.Locations, []Location{c.at})) {
				t.Errorf("got %s found %d max %d at %v, want %s found %d max %d at %v", err.Limit, err.Found, err.Max, err.Locations, c.limit, c.found, c.max, c.at)
			}
		})
	}
}

func TestExponentialFragmentsStayLinear(t *testing.T) {
	// 2^40 selections once expanded; measured in a handful of steps.
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range 40 {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	b.WriteString(" fragment F40 on Query { a: x }")
	_, err := Check(b.String(), Limits{MaxAliases: 15})
	if err == nil || err.Limit != LimitAliases || err.Found < 1<<30 {
		t.Fatalf("got %v", err)
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := map[string]string{
		"{":                       "Syntax Error: Expected Name, found <EOF>.",
		"{ }":                     `Syntax Error: Expected Name, found "}".`,
		"{ a(x: ) }":              `Syntax Error: Unexpected ")".`,
		`{ a(x: "unterminated) }`: "Syntax Error: Unterminated string.",
		`{ a(x: "\q") }`:          "Syntax Error: Invalid character escape sequence.",
		"{ a(x: 01) }":            "Syntax Error: Invalid number, unexpected digit after 0.",
		"{ a(x: 1.) }":            "Syntax Error: Invalid number, expected digit.",
		"{ a(x: 12abc) }":         "Syntax Error: Invalid number, expected digit.",
		"{ a } ?":                 `Syntax Error: Unexpected character "?".`,
		"type Query { a: Int }":   `Syntax Error: Unexpected Name "type".`,
		"fragment on on Q { a }":  `Syntax Error: Unexpected Name "on".`,
		"fragment F Q { a }":      `Syntax Error: Expected "on", found Name "Q".`,
		"{ ... }":                 `Syntax Error: Expected "{", found "}".`,
		"query Q($a) { a }":       `Syntax Error: Expected ":", found ")".`,
		"{ a } fragment F on Q { b } fragment F on Q { c }": `There can be only one fragment named "F".`,
	}
	for doc, want := range cases {
		_, err := Check(doc, strict)
		if err == nil || err.Message != want {
			t.Errorf("%q: got %v, want %q", doc, err, want)
		}
	}
}

// validDocuments are documents graphql-go parses; the reader must accept
// each and agree on what it found.
var validDocuments = []string{
	`{ a }`,
	`query { a b c }`,
	`query Q($id: ID!, $n: [Int!]! = [1, 2], $o: In = {a: {b: [true, ENUM, "s", """block "" string""", 1.5e-3]}}) @d(x: $id) { a(id: $id, n: $n) @include(if: true) { b } }`,
	`mutation M { tokenAuth(username: "u", password: "p\u00e9\"\\") { token } }`,
	`subscription S { onPost { id } }`,
	"\ufeff{ a }",
	"{ a,, b\r\n c\r d # comment\n e }",
	`{ ... on Q { a } ... @skip(if: false) { b } ...F } fragment F on Q @d { c: d }`,
	`{ a(x: -0, y: -12.5E+3, z: 0.0, w: """ \""" """) }`,
	`query ($v: [[Int!]]!) { a(v: $v) }`,
	`{ a(obj: {}) b(list: []) }`,
	introspectionQuery,
}

func TestAgreesWithGraphQLGo(t *testing.T) {
	for _, doc := range validDocuments {
		if _, err := gqlparser.Parse(gqlparser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(doc)})}); err != nil {
			t.Fatalf("graphql-go refuses %q: %v", doc, err)
		}
		d, err := Check(doc, strict)
		if err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		if got, want := d.Operations(), operations(t, doc); got != want {
			t.Errorf("%q: %d operations, graphql-go %d", doc, got, want)
		}
	}
}

func operations(t *testing.T, doc string) int {
	t.Helper()
	parsed, err := gqlparser.Parse(gqlparser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(doc)})})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range parsed.Definitions {
		if _, ok := d.(*ast.OperationDefinition); ok {
			n++
		}
	}
	return n
}

func TestRootFieldCounts(t *testing.T) {
	doc := `mutation A { a: tokenAuth { t } ...F ... on Mutation { tokenAuth { t } } } query B { me } fragment F on Mutation { x: tokenAuth { t } verifyToken }`
	d, err := Check(doc, strict)
	if err != nil {
		t.Fatal(err)
	}
	for op, want := range []map[string]int{{"mutation.tokenAuth": 3, "mutation.verifyToken": 1}, {"query.me": 1}} {
		got := map[string]int{}
		if !d.RootFieldCounts(op, 100, func(typ, f string) { got[typ+"."+f]++ }) {
			t.Fatal("budget")
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("operation %d: %v, want %v", op, got, want)
		}
	}
	if d.RootFieldCounts(0, 3, func(string, string) {}) {
		t.Error("a budget of 3 selections covered 7")
	}
}

// introspectionQuery is GraphiQL's, which every GraphQL tool sends.
const introspectionQuery = `
  query IntrospectionQuery {
    __schema {
      queryType { name }
      mutationType { name }
      subscriptionType { name }
      types {
        ...FullType
      }
      directives {
        name
        description
        locations
        args {
          ...InputValue
        }
      }
    }
  }

  fragment FullType on __Type {
    kind
    name
    description
    fields(includeDeprecated: true) {
      name
      description
      args {
        ...InputValue
      }
      type {
        ...TypeRef
      }
      isDeprecated
      deprecationReason
    }
    inputFields {
      ...InputValue
    }
    interfaces {
      ...TypeRef
    }
    enumValues(includeDeprecated: true) {
      name
      description
      isDeprecated
      deprecationReason
    }
    possibleTypes {
      ...TypeRef
    }
  }

  fragment InputValue on __InputValue {
    name
    description
    type { ...TypeRef }
    defaultValue
  }

  fragment TypeRef on __Type {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                }
              }
            }
          }
        }
      }
    }
  }
`

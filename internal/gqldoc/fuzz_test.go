package gqldoc

import (
	"testing"

	"github.com/graphql-go/graphql/language/ast"
	gqlparser "github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// FuzzCheck: no input makes the reader panic, and where both the reader
// and graphql-go parse a document they see the same definitions. (Where
// graphql-go alone parses one, it is laxer than the specification, e.g. a
// variable without a type: refusing is right.)
func FuzzCheck(f *testing.F) {
	for _, doc := range validDocuments {
		f.Add(doc)
	}
	f.Add(`{ ...A } fragment A on Query { ...B } fragment B on Query { ... on Query { ...A } }`)
	f.Add(`query Q($a: Int = 1) { a(b: {c: [1, 2.5, "x", """y"""]}) @d { ... on T { e } } }`)
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := Check(doc, strict)
		if err != nil {
			if err.Limit == "" || len(err.Locations) == 0 {
				t.Fatalf("%q: error without a limit or a location: %+v", doc, err)
			}
			return
		}
		parsed, perr := gqlparser.Parse(gqlparser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(doc)})})
		if perr != nil {
			return
		}
		ops, frags := 0, 0
		for _, def := range parsed.Definitions {
			switch def.(type) {
			case *ast.OperationDefinition:
				ops++
			case *ast.FragmentDefinition:
				frags++
			}
		}
		if ops != d.Operations() || ops+frags != len(d.defs) {
			t.Errorf("%q: graphql-go sees %d operations and %d fragments, the reader %d definitions with %d operations", doc, ops, frags, len(d.defs), d.Operations())
		}
	})
}

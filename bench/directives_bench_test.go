package bench

import (
	"context"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// The directives benchmarks come in pairs that differ only in the guard:
// the same schema, query and identity, with and without a rule on the
// field. The guard's cost is the difference within a pair:
//
//	go test -run '^$' -bench Directives -benchmem
//
// GuardCall times the resolver call alone; Field and ListField run whole
// queries through graphql.Do, where ListField resolves 100 guarded fields
// per query and reports ns/field.

// directivesRule is a realistic rule: a role check the caller passes
// with the second of its roles.
var directivesRule = directives.AnyRole("EDITOR", "ADMIN")

func directivesContext() context.Context {
	id := &gqljwt.Identity{Subject: "u1", Roles: []string{"READER", "ADMIN"}, Scopes: []string{"read"}}
	return gqljwt.NewContext(context.Background(), nil, nil, id, nil)
}

// directivesSchema has Query.value and Query.items[].value, guarded by
// directivesRule when guarded is true. Item.value uses graphql-go's
// default resolver, as plain data fields do.
func directivesSchema(b *testing.B, guarded bool) graphql.Schema {
	b.Helper()
	item := graphql.NewObject(graphql.ObjectConfig{Name: "Item", Fields: graphql.Fields{
		"value": &graphql.Field{Type: graphql.Int},
	}})
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"value": i}
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"value": &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 42, nil }},
		"items": &graphql.Field{Type: graphql.NewList(item), Resolve: func(graphql.ResolveParams) (any, error) { return items, nil }},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
	if err != nil {
		b.Fatal(err)
	}
	if guarded {
		err := directives.Apply(&schema, map[string]directives.Rule{"Query.value": directivesRule, "Item.value": directivesRule})
		if err != nil {
			b.Fatal(err)
		}
	}
	return schema
}

func BenchmarkDirectivesGuardCall(b *testing.B) {
	resolve := func(graphql.ResolveParams) (any, error) { return 42, nil }
	p := graphql.ResolveParams{Context: directivesContext()}
	for _, bb := range []struct {
		name    string
		resolve graphql.FieldResolveFn
	}{
		{"unguarded", resolve},
		{"guarded", directives.Guard(directivesRule, resolve)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bb.resolve(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDirectivesField(b *testing.B) {
	benchmarkDirectivesQuery(b, `{ value }`, 1)
}

func BenchmarkDirectivesListField(b *testing.B) {
	benchmarkDirectivesQuery(b, `{ items { value } }`, 100)
}

func benchmarkDirectivesQuery(b *testing.B, query string, fields int) {
	ctx := directivesContext()
	for _, guarded := range []bool{false, true} {
		name := "unguarded"
		if guarded {
			name = "guarded"
		}
		schema := directivesSchema(b, guarded)
		params := graphql.Params{Schema: schema, RequestString: query, Context: ctx}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if res := graphql.Do(params); len(res.Errors) > 0 {
					b.Fatal(res.Errors)
				}
			}
			if fields > 1 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fields), "ns/field")
			}
		})
	}
}

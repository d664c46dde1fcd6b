package directives

import (
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
)

// Auth is the declared directive
//
//	directive @auth(requires: [String!], scopes: [String!], policy: String)
//	  on FIELD_DEFINITION | OBJECT
//
// graphql-go never executes it; declaring it documents the guards in
// introspection and lets SDL that uses it validate in other tools. The
// guards themselves come from Guard, Apply and ParseSDL.
var Auth = newAuthDirective()

func newAuthDirective() *graphql.Directive {
	d := graphql.NewDirective(graphql.DirectiveConfig{
		Name: "auth",
		Description: "Restricts a field, or every field of a type, to authenticated callers " +
			"that hold any of the roles in `requires`, all of the `scopes`, and pass the named `policy`.",
		Locations: []string{graphql.DirectiveLocationFieldDefinition, graphql.DirectiveLocationObject},
		Args: graphql.FieldConfigArgument{
			"requires": &graphql.ArgumentConfig{
				Type:        graphql.NewList(graphql.NewNonNull(graphql.String)),
				Description: "The caller needs at least one of these roles.",
			},
			"scopes": &graphql.ArgumentConfig{
				Type:        graphql.NewList(graphql.NewNonNull(graphql.String)),
				Description: "The caller needs every one of these scopes.",
			},
			"policy": &graphql.ArgumentConfig{
				Type:        graphql.String,
				Description: "A named policy registered by the server.",
			},
		},
	})
	// NewDirective ranges over a map; sorting keeps introspection stable.
	slices.SortFunc(d.Args, func(a, b *graphql.Argument) int { return strings.Compare(a.Name(), b.Name()) })
	return d
}

// Directives returns graphql.SpecifiedDirectives followed by Auth, for
// graphql.SchemaConfig.Directives: a non-empty list there replaces the
// specified directives instead of adding to them. The slice is new on every
// call, so callers may append their own.
func Directives() []*graphql.Directive {
	return append(slices.Clone(graphql.SpecifiedDirectives), Auth)
}

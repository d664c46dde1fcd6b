// Package directives decides who may resolve what in a graphql-go schema:
// the @auth directive, with guards for roles, scopes and policies whose
// denials are GraphQL-formatted errors.
//
// graphql-go executes no custom schema directives: it runs only @skip and
// @include, and its field definitions carry no applied directives. So @auth
// is built here in two parts. Auth is the declared directive, for
// documentation and introspection (add it with Directives). Guards do the
// work: they wrap resolvers and run a Rule before the resolver, so a denied
// mutation has no side effect. Rules are attached in one of three ways:
//
//   - Guard wraps one resolver;
//   - Apply wraps the fields of a built schema from a rule map keyed by
//     "Type.field" and "Type.*", optionally denying by default;
//   - ParseSDL reads @auth directives from SDL text into such a rule map.
//
// Rules are values: Authenticated, Public, AnyRole, AllRoles, Scopes and
// Predicate, combined with And, Or, Not and Chain; Memo evaluates a rule
// once per request. A server wires it all up like this:
//
//	schema, err := graphql.NewSchema(graphql.SchemaConfig{
//		Query: query, Mutation: mutation, Directives: directives.Directives(),
//	})
//	...
//	err = directives.Apply(&schema, map[string]directives.Rule{
//		"Query.posts":     directives.Public(),
//		"Post.*":          directives.Public(),
//		"Query.drafts":    directives.AnyRole("EDITOR", "ADMIN"),
//		"Mutation.delete": directives.Or(owner, directives.AnyRole("ADMIN")),
//	}, directives.DenyByDefault())
//	...
//	r := chi.NewRouter()
//	r.Use(middleware.Verifier(auth), directives.Memoize)
//	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
//
// # Errors
//
// A denied anonymous caller gets
//
//	{"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}
//
// with extensions.reason TOKEN_EXPIRED, TOKEN_INVALID or TOKEN_REVOKED when
// a token was sent but not accepted. When a store could not check the
// token, the error is AUTH_UNAVAILABLE itself: an outage, not a signed-out
// caller. A denied authenticated caller gets
//
//	{"message": "You do not have permission to perform this action",
//	 "extensions": {"code": "FORBIDDEN"}}
//
// Which of the two depends only on whether the caller has an identity, never
// on the rule: 401 and 403 semantics, whatever And, Or and Not combine. A
// rule that could not decide, such as a Predicate whose store failed,
// reports its own error instead (see Predicate). The messages are
// configurable (UnauthenticatedMessage, ForbiddenMessage), and FormatErrorFn
// reshapes whole error bodies.
//
// The guard returns a *gqljwt.Error itself, never wrapped: graphql-go finds
// extensions by a type assertion on the resolver's error. graphql-go adds
// locations and path, resolves the field to null and propagates the null as
// usual; sibling fields the caller may see still resolve.
//
// A denied subscription is the exception: graphql-go formats the error of a
// field's Subscribe with its message only. Pass the errors of
// graphql.Subscribe through FormatErrorFn, which puts the extensions,
// locations and path back.
package directives

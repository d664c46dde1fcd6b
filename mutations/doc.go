// Package mutations adds auth operations (login, verify, refresh, revoke,
// logout) to a graphql-go schema, under the names and shapes of an API
// that clients already speak.
//
// A Preset is an API's vocabulary as data: its operations, each of a Kind
// (Login, Verify, Refresh, ...) with its own field name, arguments and
// payload, how tokens travel (payload fields, a response header) and how
// errors read. One resolver per kind serves every preset, so each
// behaves the same underneath: the gqljwt.Service issues, verifies,
// rotates and revokes. The presets are constructors returning a fresh
// value, to use as they are or change before use:
//
//   - Native, NativeRelay: gqljwt's own shape, django-graphql-jwt's
//     classic mutations plus logout and logoutAll;
//   - Graphene, GrapheneRelay: django-graphql-jwt;
//   - CollectiveAccess: the CollectiveAccess Auth service, with its
//     {ok, data, errors} envelope (Envelope);
//   - WPGraphQL: WPGraphQL Headless Login, with the PASSWORD, SITETOKEN
//     (NewSiteToken) and OAUTH2_GENERIC (NewOAuth2: PKCE, state bound to
//     the browser) providers, user secrets and linked identities
//     (NewUserAuth);
//   - Toggle: the token in the Authorization response header;
//   - DE: login(email, password), refreshToken and its error shapes.
//
// New builds a Fragment from a Service and a Preset: the query and
// mutation fields to add to the application's root types, their payload
// and input types coming along. The wiring:
//
//	frag, err := mutations.New(auth, mutations.Native(), mutations.Options{})
//	err = frag.MergeInto(queryFields, mutationFields) // refuses a name taken
//	// ... graphql.NewSchema with those fields ...
//	limits := middleware.Limits(middleware.OperationLimits{AuthOperations: frag.AuthOperations()})
//
// AuthOperations names the fragment's root fields by kind, so that
// middleware.Limits lets a request run one login (one refresh, ...)
// however it aliases or batches them. Options connect the fragment to the
// application: its user type, its providers, its identity store.
//
// Every auth failure reaches the client as a GraphQL error whose
// extensions.code is the gqljwt.Code (a preset may reword the message),
// and every response that carries a token is marked Cache-Control:
// no-store. examples/quickstart wires Native into a whole server;
// examples/server serves every preset on its own endpoint.
//
// Nothing here is package-level state: presets are fresh values, and
// WPGraphQL's User.auth is a value too, NewUserAuth, which keeps the
// sessions of its endpoint's logins in flight and is put in that
// endpoint's Options.UserAuth. It replaces UserAuthField, whose logins'
// sessions lived in one map that every endpoint of the process shared.
package mutations

// Package gqljwt is the shared core of gqljwt: configuration, the token
// service that issues and verifies JWTs through go-chi/jwtauth, the
// Identity a verified request carries in its context, the error type every
// auth failure is reported with, and the store interfaces the backends
// implement.
//
// The other packages build on it: middleware finds and verifies the token
// of each request, mutations adds the auth operations to a GraphQL schema,
// and directives guards fields by role, scope or policy.
//
// To start, read examples/quickstart/main.go, the README's quick start: a
// whole server with a login, a refresh and guarded fields, in one page.
// examples/server serves every preset with its documented requests.
package gqljwt

// Package gqljwt is the shared core of gqljwt: configuration, the token
// service that issues and verifies JWTs through go-chi/jwtauth, the
// Identity a verified request carries in its context, the error type every
// auth failure is reported with, and the store interfaces the backends
// implement.
//
// The other packages build on it: middleware finds and verifies the token
// of each request, mutations adds the auth operations to a GraphQL schema,
// and directives guards fields by role, scope or policy.
package gqljwt

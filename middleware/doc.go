// Package middleware is the chi layer of gqljwt: net/http middleware of the
// form func(http.Handler) http.Handler, one concern per file.
//
// Verifier finds the request's token with the extractors it is given,
// verifies it with a gqljwt.Service and puts the identity (or the reason
// there is none) into the request context; it never refuses a request, so
// public operations such as login keep working. Required (or Strict) refuses
// unauthenticated requests with a GraphQL-formatted 401.
//
// For browsers: CORS answers the origins of an allow-list, GraphQLHTTP
// refuses the POSTs a page of another site can send without a preflight
// and speaks the GraphQL over HTTP media type, and RedactQueryToken keeps
// the secrets of URLs out of access logs.
package middleware

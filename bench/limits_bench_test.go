package bench

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"github.com/gqljwt/gqljwt/middleware"
)

// The limits benchmarks measure what middleware.Limits adds to a request:
//
//	go test -run '^$' -bench 'Limits|GraphQLGoParse' -benchmem
//
// typicalQuery has 20 fields, 4 levels deep, a variable and an alias,
// the shape of an ordinary page query.
const typicalQuery = `query Feed($first: Int = 10) {
  viewer { id username email roles }
  posts(first: $first) {
    id title body createdAt
    author { id username }
    tags
    comments { id body author { id username } }
  }
  latest: drafts { id title }
}`

var typicalBody = func() []byte {
	b, _ := json.Marshal(map[string]any{"query": typicalQuery, "variables": map[string]any{"first": 20}})
	return b
}()

// benchmarkBehind serves typicalBody through h, a no-op GraphQL handler
// behind the middleware under test, and nothing else.
func benchmarkBehind(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	body := bytes.NewReader(typicalBody)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		body.Reset(typicalBody)
		req.Body = readCloser{body}
		h.ServeHTTP(w, req)
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// BenchmarkLimitsNone is the baseline: the request to a no-op handler.
func BenchmarkLimitsNone(b *testing.B) { benchmarkBehind(b, noop) }

// BenchmarkLimitsTypicalQuery: Limits with its defaults and a preset's
// auth operations, in front of the no-op handler. Its time less
// BenchmarkLimitsNone's is the cost of the limits.
func BenchmarkLimitsTypicalQuery(b *testing.B) {
	auth := map[string]string{"Mutation.tokenAuth": "login", "Mutation.verifyToken": "verify", "Mutation.refreshToken": "refresh", "Mutation.revokeToken": "revoke"}
	benchmarkBehind(b, middleware.Limits(middleware.OperationLimits{AuthOperations: auth})(noop))
}

// BenchmarkLimitsBatchAndLimits adds Batch in front, as the demo mounts
// them.
func BenchmarkLimitsBatchAndLimits(b *testing.B) {
	auth := map[string]string{"Mutation.tokenAuth": "login"}
	benchmarkBehind(b, middleware.Batch(0)(middleware.Limits(middleware.OperationLimits{AuthOperations: auth})(noop)))
}

// BenchmarkGraphQLGoParse is graphql-go parsing the same document, for
// scale: checking the limits on its AST would cost at least this.
func BenchmarkGraphQLGoParse(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(typicalQuery)})}); err != nil {
			b.Fatal(err)
		}
	}
}

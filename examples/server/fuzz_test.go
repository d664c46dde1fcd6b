package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// FuzzGraphQLRequest sends arbitrary request bodies, under the content
// types graphql-go's handler reads, to every endpoint of the demo, through
// the whole router: body limit, batches, operation limits, verifier,
// guards, graphql-go. No body may crash the process (graphql-go's fatal
// stack overflows included), make a handler panic (chi's Recoverer would
// answer 500) or answer anything but a GraphQL body.
func FuzzGraphQLRequest(f *testing.F) {
	a, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost})
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range hostileRequests() {
		if len(h.body) < 4096 {
			f.Add(uint8(0), uint8(0), []byte(h.body))
		}
	}
	for _, seed := range []string{
		`{"query": "{ posts { title author } me { username } }"}`,
		`[{"query": "{ posts { title } }"}, {"query": "mutation { tokenAuth(username: \"alice\", password: \"x\") { token } }"}]`,
		`{"query": "query($u: String!) { login(username: $u, password: \"p\") { jwt } }", "variables": {"u": "carol"}}`,
		`{"query": "mutation { login(input: {provider: PASSWORD, credentials: {username: \"bob\", password: \"bob-password\"}}) { authToken } }"}`,
		`{"query": "{ __schema { types { name fields { name } } } }"}`,
		`{"query": "{ ... on Query { posts { ... on Post { title } } } }", "variables": "{\"a\": 1}"}`,
	} {
		f.Add(uint8(0), uint8(0), []byte(seed))
	}
	f.Add(uint8(1), uint8(1), []byte(`{ posts { title } }`))
	f.Add(uint8(2), uint8(3), []byte(`query=%7B+posts+%7B+title+%7D+%7D`))
	contentTypes := []string{"application/json", "application/graphql", "application/x-www-form-urlencoded", "text/plain"}
	f.Fuzz(func(t *testing.T, endpoint, ct uint8, body []byte) {
		ep := a.endpoints[int(endpoint)%len(a.endpoints)]
		req := httptest.NewRequest(http.MethodPost, ep.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentTypes[int(ct)%len(contentTypes)])
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		a.router.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s: 500 for %q: %s", ep.path, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s: %d, not JSON, for %q: %q", ep.path, w.Code, body, w.Body)
		}
	})
}

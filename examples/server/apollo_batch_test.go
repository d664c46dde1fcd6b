package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestApolloBatchHttpLink runs Apollo Client's own BatchHttpLink (Node,
// e2e/apollo-batch.mjs) against the demo: concurrent operations arrive as
// one JSON array (middleware.Batch) and each gets its answer, and the
// request's budget of one login covers the whole batch, so the second of
// two batched logins is refused with AUTH_OPERATION_LIMIT_EXCEEDED.
func TestApolloBatchHttpLink(t *testing.T) {
	node := nodeScript(t, "@apollo/client", "graphql")
	a, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	// The sizes of the batches the server received, 1 for a lone operation.
	var mu sync.Mutex
	var posts []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" && r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
			n := 1
			if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
				n = bytes.Count(body, []byte(`"operationName"`))
			}
			mu.Lock()
			posts = append(posts, n)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		a.router.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	out := runNode(t, node, "apollo-batch.mjs", time.Minute, nil, srv.URL)
	for _, want := range []string{
		"logins: tokens true,false codes ,AUTH_OPERATION_LIMIT_EXCEEDED",
		"queries: alice,alice,alice,alice,alice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the script's output", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 || posts[0] != 2 || posts[1] != 5 {
		t.Errorf("batches received: %v, want [2 5] (two logins in one POST, then five queries in one)", posts)
	}
}

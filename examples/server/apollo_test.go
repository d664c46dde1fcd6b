package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// lockedBuffer is a log destination that the server's goroutines write to
// and the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestApolloRefreshLink runs the README's Apollo Client recipe
// (e2e/apollo-refresh-link.mjs, in Node with @apollo/client) against the
// demo: 8 concurrent queries with an expired access token make exactly one
// refresh and all succeed. The naive link, which refreshes on every
// failure, sends 8 refreshes of one refresh token at once: the reuse grace
// takes them for a race, all queries succeed, and the session is not
// revoked.
func TestApolloRefreshLink(t *testing.T) {
	node := nodeScript(t, "@apollo/client", "graphql")
	clock := newTestClock()
	events := &lockedBuffer{}
	a, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost, now: clock.Now,
		events: slog.New(slog.NewJSONHandler(events, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// The test's own routes beside the demo: a clock to move, and a count
	// of the refreshToken mutations the server received.
	var refreshes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /test/advance", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		clock.Advance(d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /test/refreshes", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strconv.FormatInt(refreshes.Load(), 10))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" && r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
			var req struct{ Query string }
			if json.Unmarshal(body, &req) == nil && strings.Contains(req.Query, "refreshToken(") {
				refreshes.Add(1)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		a.router.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	out := runNode(t, node, "apollo.mjs", 2*time.Minute, nil, srv.URL)
	for _, want := range []string{
		"single-flight: 8 concurrent queries with an expired token all answered; refreshes: 1 sent, 1 received",
		"naive: 8 concurrent queries with an expired token all answered; refreshes: 8 sent, 8 received",
		"naive: the session is not revoked",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the script's output", want)
		}
	}
	// One refresh, eight, and the naive session's last one.
	if n := refreshes.Load(); n != 1+8+1 {
		t.Errorf("the server received %d refreshToken mutations, want 10", n)
	}
	for _, kind := range []string{"refresh.reused", "session.revoked"} {
		if strings.Contains(events.String(), kind) {
			t.Errorf("security event %s: %s", kind, events.String())
		}
	}
	if !strings.Contains(events.String(), "login.succeeded") {
		t.Errorf("no login event: the events are not captured: %q", events.String())
	}
}

// TestREADMEApolloRecipe: the README shows the recipe the test runs,
// byte for byte.
func TestREADMEApolloRecipe(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	recipe, err := os.ReadFile(filepath.Join(e2eDir, "apollo-refresh-link.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```js\n"+string(recipe)+"```\n")) {
		t.Error("README.md's Apollo recipe differs from examples/server/e2e/apollo-refresh-link.mjs: copy the file into the README's ```js block")
	}
}

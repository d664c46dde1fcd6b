package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var testSecret = []byte("example-server-test-secret-0123456789")

// seed returns a seed document from testdata, the copy of ../shared/seeds
// that keeps the tests independent of the shared folder.
func seed(t *testing.T, prefix string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join("testdata", "seeds", prefix+"_*.txt"))
	if len(matches) != 1 {
		t.Fatalf("seed %s: %v", prefix, matches)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// operation cuts the nth (0-based) GraphQL operation starting with start
// out of a seed document, verbatim: from start to the brace closing its
// selection set.
func operation(t *testing.T, doc, start string, nth int) string {
	t.Helper()
	from := -1
	for i, rest := 0, doc; i <= nth; i++ {
		k := strings.Index(rest, start)
		if k < 0 {
			t.Fatalf("operation %q #%d not in the seed", start, nth)
		}
		from = len(doc) - len(rest) + k
		rest = rest[k+len(start):]
	}
	depth := 0
	for i := from; i < len(doc); i++ {
		switch doc[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return doc[from : i+1]
			}
		}
	}
	t.Fatalf("operation %q is not closed", start)
	return ""
}

// server is the example server's router on a real listener.
type server struct {
	t   *testing.T
	app *app
	url string
	// client sends the requests; nil is http.DefaultClient.
	client *http.Client
}

func newServer(t *testing.T, o options) *server {
	t.Helper()
	if o.secret == nil {
		o.secret = testSecret
	}
	o.bcryptCost = bcrypt.MinCost
	a, err := newApp(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	return &server{t: t, app: a, url: srv.URL}
}

// reply is an HTTP response carrying a GraphQL body.
type reply struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// post sends a GraphQL request to path with optional extra headers.
func (s *server) post(path, query string, vars map[string]any, headers ...string) *reply {
	s.t.Helper()
	payload := map[string]any{"query": query}
	if vars != nil {
		payload["variables"] = vars
	}
	b, _ := json.Marshal(payload)
	req, _ := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(req)
}

func (s *server) send(req *http.Request) *reply {
	s.t.Helper()
	client := s.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		s.t.Fatalf("%s: not JSON: %q", req.URL.Path, raw)
	}
	return r
}

// get walks the body along path (map keys, or list indexes as ints).
func (r *reply) get(path ...any) any {
	var cur any = r.body
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := cur.(map[string]any)
			cur = m[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (r *reply) str(path ...any) string {
	s, _ := r.get(path...).(string)
	return s
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

// TestSeedCopiesAreCurrent checks testdata against ../shared/seeds when it
// is there (CI has it; a user's clone need not).
func TestSeedCopiesAreCurrent(t *testing.T) {
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "seeds", "*"))
	if len(shared) == 0 {
		t.Skip("../shared/seeds is not beside the repository; testdata copies are used as they are")
	}
	for _, f := range shared {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "seeds", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/seeds/%s differs from %s", filepath.Base(f), f)
		}
	}
}

var ctxBackground = context.Background()

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package middleware_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt/middleware"
)

// limitsServer serves a small schema behind Batch and Limits over real
// HTTP; logins counts the tokenAuth resolver's runs.
type limitsServer struct {
	url    string
	logins *atomic.Int64
}

func newLimitsServer(t *testing.T, l middleware.OperationLimits) *limitsServer {
	t.Helper()
	logins := &atomic.Int64{}
	user := graphql.NewObject(graphql.ObjectConfig{Name: "User", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{"name": {Type: graphql.String}, "posts": {Type: graphql.NewList(post)}}
	})})
	post = graphql.NewObject(graphql.ObjectConfig{Name: "Post", Fields: graphql.Fields{
		"title":  {Type: graphql.String},
		"author": {Type: user},
	}})
	str := func(v string) graphql.FieldResolveFn {
		return func(graphql.ResolveParams) (any, error) { return v, nil }
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"a":     {Type: graphql.String, Resolve: str("a")},
			"posts": {Type: graphql.NewList(post), Resolve: func(graphql.ResolveParams) (any, error) { return []any{map[string]any{"title": "t"}}, nil }},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"tokenAuth": {Type: graphql.String, Args: graphql.FieldConfigArgument{"password": {Type: graphql.String}},
				Resolve: func(graphql.ResolveParams) (any, error) { logins.Add(1); return "token", nil }},
			"verifyToken": {Type: graphql.String, Resolve: str("ok")},
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.AuthOperations == nil {
		l.AuthOperations = map[string]string{"Mutation.tokenAuth": "login", "Mutation.verifyToken": "verify"}
	}
	r := chi.NewRouter()
	r.Use(middleware.Batch(3), middleware.Limits(l))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema, GraphiQL: true}))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &limitsServer{url: srv.URL + "/graphql", logins: logins}
}

var post *graphql.Object

func (s *limitsServer) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *limitsServer) postJSON(t *testing.T, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return s.do(t, req)
}

func queryBody(q string) string {
	b, _ := json.Marshal(map[string]string{"query": q})
	return string(b)
}

// firstError returns the first error's message and extensions, and
// whether the body had data.
func firstError(t *testing.T, body string) (string, map[string]any, []any) {
	t.Helper()
	var r struct {
		Errors []struct {
			Message    string         `json:"message"`
			Locations  []any          `json:"locations"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("not JSON: %q", body)
	}
	if len(r.Errors) == 0 {
		return "", nil, nil
	}
	return r.Errors[0].Message, r.Errors[0].Extensions, r.Errors[0].Locations
}

// TestFragmentCyclesDoNotCrash sends every shape of fragment cycle; without
// Limits, each one kills this test binary with a fatal stack overflow in
// graphql-go's validation.
func TestFragmentCyclesDoNotCrash(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{})
	cases := []struct{ doc, msg string }{
		{`query { ...A } fragment A on Query { ...A }`, `Cannot spread fragment "A" within itself.`},
		{`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, `Cannot spread fragment "A" within itself via B.`},
		{`{ ...A } fragment A on Query { ... on Query { ...A } }`, `Cannot spread fragment "A" within itself.`},
		{`{ ...A } fragment A on Query { posts { author { ...U } } } fragment U on User { posts { ...P } } fragment P on Post { author { ...U } }`, `Cannot spread fragment "U" within itself via P.`},
		{`mutation { ...M } fragment M on Mutation { ...M }`, `Cannot spread fragment "M" within itself.`},
		{`{ a } fragment A on Query { ...B } fragment B on Query { ...A }`, `Cannot spread fragment "A" within itself via B.`},
	}
	for _, c := range cases {
		status, body := s.postJSON(t, queryBody(c.doc))
		msg, ext, locs := firstError(t, body)
		if status != http.StatusOK || msg != c.msg || ext["code"] != "GRAPHQL_VALIDATION_FAILED" || len(locs) == 0 {
			t.Errorf("%s: %d %s", c.doc, status, body)
		}
		if strings.Contains(body, `"data"`) {
			t.Errorf("%s: a request error carries data: %s", c.doc, body)
		}
	}
	if _, body := s.postJSON(t, queryBody(`{ a }`)); body != `{"data":{"a":"a"}}` {
		t.Errorf("after the cycles: %s", body)
	}
}

func TestLimitRefusals(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{})
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("x")
			b.WriteString(strings.Repeat("y", i))
			b.WriteString(": a ")
		}
		return b.String()
	}
	cases := []struct {
		name, doc, code, msg string
		ext                  map[string]any
	}{
		{"depth", "{ posts { author { posts { author { posts { author { posts { author { posts { author { name } } } } } } } } } } }",
			"MAX_DEPTH_EXCEEDED", "Query depth 11 exceeds the limit of 10 (MaxDepth)", map[string]any{"limit": "MaxDepth", "max": 10.0, "found": 11.0}},
		{"aliases", "{ " + aliases(16) + "}", "MAX_ALIASES_EXCEEDED", "16 aliases exceed the limit of 15 (MaxAliases)",
			map[string]any{"limit": "MaxAliases", "max": 15.0, "found": 16.0}},
		{"root fields", "{ " + strings.Repeat("a ", 21) + "}", "MAX_ROOT_FIELDS_EXCEEDED", "21 root fields exceed the limit of 20 (MaxRootFields)",
			map[string]any{"limit": "MaxRootFields", "max": 20.0, "found": 21.0}},
		{"directives", "{ a" + strings.Repeat(" @include(if: true)", 51) + " }", "MAX_DIRECTIVES_EXCEEDED", "51 directives exceed the limit of 50 (MaxDirectives)",
			map[string]any{"limit": "MaxDirectives", "max": 50.0, "found": 51.0}},
		{"tokens", "{ " + strings.Repeat("a ", 1000) + "}", "MAX_TOKENS_EXCEEDED", "The document has more tokens than the limit of 1000 (MaxTokens)",
			map[string]any{"limit": "MaxTokens", "max": 1000.0}},
		{"introspection", "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }", "MAX_INTROSPECTION_DEPTH_EXCEEDED",
			"Introspection depth 3 exceeds the limit of 2 (MaxIntrospectionDepth)", map[string]any{"limit": "MaxIntrospectionDepth", "max": 2.0, "found": 3.0}},
		{"cost", "{ " + strings.Repeat("posts { author { posts { author { posts { author { posts { author { posts { title title title } } } } } } } } } ", 19) + "}",
			"MAX_COST_EXCEEDED", "Query cost 5037 exceeds the limit of 5000 (MaxCost)", map[string]any{"limit": "MaxCost", "max": 5000.0, "found": 5037.0}},
		{"syntax", "{ a", "GRAPHQL_PARSE_FAILED", "Syntax Error: Expected Name, found <EOF>.", nil},
		{"two logins", `mutation { a: tokenAuth(password: "p") b: tokenAuth(password: "p") }`, "AUTH_OPERATION_LIMIT_EXCEEDED",
			"2 login operations in one request exceed the limit of 1 (MaxAuthOperations)", map[string]any{"limit": "MaxAuthOperations", "max": 1.0, "found": 2.0, "operation": "login"}},
		{"logins through fragments", `mutation { ...L ... on Mutation { tokenAuth } } fragment L on Mutation { tokenAuth }`, "AUTH_OPERATION_LIMIT_EXCEEDED",
			"2 login operations in one request exceed the limit of 1 (MaxAuthOperations)", map[string]any{"limit": "MaxAuthOperations", "max": 1.0, "found": 2.0, "operation": "login"}},
		{"login spread twice", `mutation { ...L ...L } fragment L on Mutation { tokenAuth }`, "AUTH_OPERATION_LIMIT_EXCEEDED",
			"2 login operations in one request exceed the limit of 1 (MaxAuthOperations)", map[string]any{"limit": "MaxAuthOperations", "max": 1.0, "found": 2.0, "operation": "login"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, body := s.postJSON(t, queryBody(c.doc))
			msg, ext, _ := firstError(t, body)
			if msg != c.msg || ext["code"] != c.code {
				t.Fatalf("got %s", body)
			}
			for k, v := range c.ext {
				if ext[k] != v {
					t.Errorf("extensions.%s = %v, want %v (%s)", k, ext[k], v, body)
				}
			}
		})
	}
	if got := s.logins.Load(); got != 0 {
		t.Errorf("refused requests ran %d logins", got)
	}
	// One login and one verification may share a request.
	if _, body := s.postJSON(t, queryBody(`mutation { tokenAuth(password: "p") verifyToken }`)); body != `{"data":{"tokenAuth":"token","verifyToken":"ok"}}` {
		t.Errorf("login and verify: %s", body)
	}
}

// TestLimitsReadWhatTheHandlerRuns: wherever graphql-go's handler finds
// the document (URL, JSON in its odd forms, application/graphql, forms),
// Limits finds the same one.
func TestLimitsReadWhatTheHandlerRuns(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{})
	cycle := `{ ...A } fragment A on Query { ...A }`
	post := func(ct, body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return req
	}
	reqs := map[string]*http.Request{
		"GET ?query=":                 mustRequest(http.MethodGet, s.url+"?query="+url.QueryEscape(cycle), ""),
		"POST ?query= over a body":    mustRequest(http.MethodPost, s.url+"?query="+url.QueryEscape(cycle), queryBody("{ a }")),
		"JSON":                        post("application/json", queryBody(cycle)),
		"JSON, variables as a string": post("application/json", `{"variables": "{}", "query": `+mustJSONString(cycle)+`}`),
		"JSON, key in capitals":       post("application/json", `{"QUERY": `+mustJSONString(cycle)+`}`),
		"JSON, the last of two keys":  post("application/json", `{"query": "{ a }", "query": `+mustJSONString(cycle)+`}`),
		"JSON, no content type":       post("", queryBody(cycle)),
		"JSON, another content type":  post("text/plain", queryBody(cycle)),
		"application/graphql":         post("application/graphql; charset=utf-8", cycle),
		"form":                        post("application/x-www-form-urlencoded", "query="+url.QueryEscape(cycle)),
		"GraphiQL page":               mustRequest(http.MethodGet, s.url+"?query="+url.QueryEscape(cycle), ""),
	}
	reqs["GraphiQL page"].Header.Set("Accept", "text/html")
	for name, req := range reqs {
		status, body := s.do(t, req)
		if msg, ext, _ := firstError(t, body); status != http.StatusOK || ext["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %d %s %s", name, status, msg, body)
		}
	}
	big := post("application/json", `{"query": "{ a }", "pad": "`+strings.Repeat("x", middleware.DefaultMaxRequestBytes)+`"}`)
	if status, body := s.do(t, big); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"REQUEST_TOO_LARGE"`) {
		t.Errorf("oversized body: %d %.200s", status, body)
	}
}

func mustRequest(method, u, body string) *http.Request {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func mustJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestBatch(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{})
	status, body := s.postJSON(t, `[{"query": "{ a }"}, {"query": "{ ...A } fragment A on Query { ...A }"}, {"query": "mutation { tokenAuth }"}]`)
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(body), &items); status != http.StatusOK || err != nil || len(items) != 3 {
		t.Fatalf("%d %s", status, body)
	}
	if string(items[0]) != `{"data":{"a":"a"}}` || string(items[2]) != `{"data":{"tokenAuth":"token"}}` {
		t.Errorf("answers: %s", body)
	}
	if msg, _, _ := firstError(t, string(items[1])); msg != `Cannot spread fragment "A" within itself.` {
		t.Errorf("the cycle's answer: %s", items[1])
	}

	// The items share one auth budget: the second login is refused and
	// runs nothing.
	before := s.logins.Load()
	_, body = s.postJSON(t, `[{"query": "mutation { tokenAuth }"}, {"query": "mutation { tokenAuth }"}]`)
	if err := json.Unmarshal([]byte(body), &items); err != nil || len(items) != 2 {
		t.Fatalf("%s", body)
	}
	if string(items[0]) != `{"data":{"tokenAuth":"token"}}` {
		t.Errorf("first login: %s", items[0])
	}
	if _, ext, _ := firstError(t, string(items[1])); ext["code"] != "AUTH_OPERATION_LIMIT_EXCEEDED" {
		t.Errorf("second login: %s", items[1])
	}
	if got := s.logins.Load() - before; got != 1 {
		t.Errorf("%d logins ran, want 1", got)
	}

	_, body = s.postJSON(t, `[{"query": "{ a }"}, {"query": "{ a }"}, {"query": "{ a }"}, {"query": "{ a }"}]`)
	if msg, ext, _ := firstError(t, body); msg != "A batch of 4 operations exceeds the limit of 3 (MaxBatch)" || ext["code"] != "MAX_BATCH_EXCEEDED" {
		t.Errorf("long batch: %s", body)
	}
	if _, body = s.postJSON(t, `[]`); !strings.Contains(body, "The batch is empty") {
		t.Errorf("empty batch: %s", body)
	}
}

// TestAuthBudgetIsPerRequest: the budget is spent per request, not per
// connection or forever.
func TestAuthBudgetIsPerRequest(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{MaxAuthOperations: 2})
	for range 3 {
		if _, body := s.postJSON(t, queryBody(`mutation { a: tokenAuth b: tokenAuth }`)); body != `{"data":{"a":"token","b":"token"}}` {
			t.Fatalf("two logins with a budget of 2: %s", body)
		}
	}
	if _, body := s.postJSON(t, queryBody(`mutation { a: tokenAuth b: tokenAuth c: tokenAuth }`)); !strings.Contains(body, "3 login operations in one request exceed the limit of 2") {
		t.Errorf("three: %s", body)
	}
}

func TestLimitsConfigurable(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{MaxDepth: 2, MaxAliases: -1, MaxTokens: -1, MaxRootFields: -1, MaxCost: -1})
	if _, body := s.postJSON(t, queryBody(`{ posts { author { name } } }`)); !strings.Contains(body, "Query depth 3 exceeds the limit of 2 (MaxDepth)") {
		t.Errorf("MaxDepth 2: %s", body)
	}
	var b bytes.Buffer
	b.WriteString("{ ")
	for i := range 300 {
		b.WriteString("a")
		b.WriteString(strings.Repeat("b", i%20))
		b.WriteString(string(rune('a'+i%26)) + ": a ")
	}
	b.WriteString("}")
	if _, body := s.postJSON(t, queryBody(b.String())); strings.Contains(body, "errors") {
		t.Errorf("limits turned off: %.300s", body)
	}
}

func TestLimitsPanicsOnAMisspeltAuthOperation(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	middleware.Limits(middleware.OperationLimits{AuthOperations: map[string]string{"mutation.tokenAuth": "login"}})
}

// FuzzLimitsReadWhatTheHandlerRuns: for any body, content type and URL
// query, the document Limits checks is the one graphql-go's handler runs,
// and the handler still finds it after Limits has read the body.
func FuzzLimitsReadWhatTheHandlerRuns(f *testing.F) {
	f.Add("POST", "application/json", `{"query": "{ a }"}`, "")
	f.Add("POST", "application/json", `{"variables": "x", "query": "{ b }"}`, "")
	f.Add("POST", "application/graphql", `{ a }`, "")
	f.Add("POST", "application/x-www-form-urlencoded", `query=%7B+a+%7D`, "")
	f.Add("POST", "application/x-www-form-urlencoded;", `query=%7B+a+%7D&query=x`, "query=")
	f.Add("POST", "", `{"QuErY": "{ a }", "query": 1}`, "query=%7B+c+%7D")
	f.Add("GET", "application/json", `{"query": "{ a }"}`, "query=%7B+c+%7D")
	f.Fuzz(func(t *testing.T, method, ct, body, rawQuery string) {
		if method != http.MethodGet && method != http.MethodPost && method != http.MethodPut {
			return
		}
		fresh := func() *http.Request {
			req := httptest.NewRequest(method, "/graphql", strings.NewReader(body))
			req.URL.RawQuery = rawQuery
			req.Header.Set("Content-Type", ct)
			return req
		}
		want := handler.NewRequestOptions(fresh()).Query
		req := fresh()
		got, err := middleware.DocumentOf(req, middleware.DefaultMaxRequestBytes)
		if err != nil {
			t.Fatal(err)
		}
		// Where the body is not JSON the handler runs no document, and
		// checking one anyway is merely strict.
		if got != want && (want != "" || json.Valid([]byte(body))) {
			t.Fatalf("Limits checks %q, the handler runs %q", got, want)
		}
		if after := handler.NewRequestOptions(req).Query; after != want {
			t.Fatalf("after Limits read the body the handler runs %q, not %q", after, want)
		}
	})
}

// TestMutationsNeedPOST: graphql-go's handler runs ?query= for any method;
// a mutation in a GET is refused with 405 and runs nothing, a query in a
// GET still works.
func TestMutationsNeedPOST(t *testing.T) {
	s := newLimitsServer(t, middleware.OperationLimits{})
	for _, doc := range []string{`mutation { tokenAuth }`, `query Q { a } mutation M { tokenAuth }`, `subscription { a }`} {
		resp, err := http.Get(s.url + "?query=" + url.QueryEscape(doc))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if msg, ext, _ := firstError(t, string(b)); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" ||
			ext["code"] != "METHOD_NOT_ALLOWED" || msg != "Mutations and subscriptions are accepted in POST requests only" {
			t.Errorf("GET %s: %d %v %s", doc, resp.StatusCode, resp.Header, b)
		}
	}
	if got := s.logins.Load(); got != 0 {
		t.Errorf("%d logins ran from GET requests", got)
	}
	resp, err := http.Get(s.url + "?query=" + url.QueryEscape(`{ a }`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"data":{"a":"a"}}` {
		t.Errorf("GET query: %s", b)
	}
	if _, body := s.postJSON(t, queryBody(`mutation { tokenAuth }`)); body != `{"data":{"tokenAuth":"token"}}` {
		t.Errorf("POST mutation: %s", body)
	}
}

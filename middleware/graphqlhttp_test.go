package middleware_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// httpSchema has what the status rules tell apart: a field, a field
// error (me, anonymous), an error that nulls the whole data (broken is
// non-null) and a mutation.
func httpSchema(t *testing.T) *graphql.Schema {
	t.Helper()
	str := func(v string) graphql.FieldResolveFn {
		return func(graphql.ResolveParams) (any, error) { return v, nil }
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"hello": {Type: graphql.String, Resolve: str("world")},
			"echo": {Type: graphql.String, Args: graphql.FieldConfigArgument{"s": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Args["s"], nil }},
			"me": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				if _, err := gqljwt.FromContext(p.Context); err != nil {
					return nil, err
				}
				return "someone", nil
			}},
			"broken": {Type: graphql.NewNonNull(graphql.String), Resolve: func(graphql.ResolveParams) (any, error) {
				return nil, errors.New("broken")
			}},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"touch": {Type: graphql.String, Resolve: str("touched")},
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &schema
}

// TestGraphQLHTTP: each rule of GraphQL over HTTP, over real HTTP through
// the middleware order the demo mounts (Batch, GraphQLHTTP, Limits,
// Verifier) and graphql-go's handler.
func TestGraphQLHTTP(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	var h http.Handler = handler.New(&handler.Config{Schema: httpSchema(t)})
	h = middleware.Verifier(auth)(h)
	h = middleware.Limits(middleware.OperationLimits{MaxAliases: 2})(h)
	h = middleware.GraphQLHTTP()(h)
	h = middleware.Batch(0)(h)
	srv := newServer(t, h)

	const (
		appJSON = "application/json; charset=utf-8"
		gqlJSON = "application/graphql-response+json; charset=utf-8"
		modern  = "application/graphql-response+json, application/json;q=0.9" // graphql-http's client
	)
	jsonBody := func(q string) string { b, _ := json.Marshal(map[string]string{"query": q}); return string(b) }
	aliases := `{ a: hello b: hello c: hello }`
	cases := []struct {
		name        string
		method      string
		contentType string
		accept      string
		url         string // query string of a GET
		body        string
		status      int
		wantCT      string
		code        string // extensions.code of errors[0]; "" for none
		data        string // the data member, exactly; "-" for absent
	}{
		{"query, no Accept", "POST", "application/json", "", "", jsonBody(`{ hello }`), 200, appJSON, "", `{"hello":"world"}`},
		{"query, Accept */*", "POST", "application/json", "*/*", "", jsonBody(`{ hello }`), 200, appJSON, "", `{"hello":"world"}`},
		{"query, modern", "POST", "application/json", modern, "", jsonBody(`{ hello }`), 200, gqlJSON, "", `{"hello":"world"}`},
		{"query, charset UTF-8", "POST", "application/json; charset=UTF-8", modern, "", jsonBody(`{ hello }`), 200, gqlJSON, "", `{"hello":"world"}`},
		{"modern refused by q=0", "POST", "application/json", "application/graphql-response+json;q=0, application/json", "", jsonBody(`{ hello }`), 200, appJSON, "", `{"hello":"world"}`},
		{"JSON preferred", "POST", "application/json", "application/json, application/graphql-response+json;q=0.5", "", jsonBody(`{ hello }`), 200, appJSON, "", `{"hello":"world"}`},
		{"GET query, modern", "GET", "", modern, "?query=" + url.QueryEscape(`{ hello }`), "", 200, gqlJSON, "", `{"hello":"world"}`},

		{"syntax error, old client", "POST", "application/json", "application/json", "", jsonBody(`{ hello `), 200, appJSON, "GRAPHQL_PARSE_FAILED", "-"},
		{"syntax error, modern", "POST", "application/json", modern, "", jsonBody(`{ hello `), 400, gqlJSON, "GRAPHQL_PARSE_FAILED", "-"},
		{"validation error, old client", "POST", "application/json", "", "", jsonBody(`{ nope }`), 200, appJSON, "", "null"},
		{"validation error, modern", "POST", "application/json", modern, "", jsonBody(`{ nope }`), 400, gqlJSON, "", "null"},
		{"variable not provided, modern", "POST", "application/json", modern, "", jsonBody(`query($s: String!) { echo(s: $s) }`), 400, gqlJSON, "", "null"},
		{"Limits refusal, old client", "POST", "application/json", "", "", jsonBody(aliases), 200, appJSON, "MAX_ALIASES_EXCEEDED", "-"},
		{"Limits refusal, modern", "POST", "application/json", modern, "", jsonBody(aliases), 400, gqlJSON, "MAX_ALIASES_EXCEEDED", "-"},
		{"field error, modern", "POST", "application/json", modern, "", jsonBody(`{ hello me }`), 200, gqlJSON, "UNAUTHENTICATED", `{"hello":"world","me":null}`},
		{"data nulled by a field error, modern", "POST", "application/json", modern, "", jsonBody(`{ broken }`), 200, gqlJSON, "", "null"},
		{"mutation, POST", "POST", "application/json", modern, "", jsonBody(`mutation { touch }`), 200, gqlJSON, "", `{"touch":"touched"}`},

		{"GET mutation, old client", "GET", "", "application/json", "?query=" + url.QueryEscape(`mutation { touch }`), "", 405, appJSON, "METHOD_NOT_ALLOWED", "-"},
		{"GET mutation, modern", "GET", "", modern, "?query=" + url.QueryEscape(`mutation { touch }`), "", 405, gqlJSON, "METHOD_NOT_ALLOWED", "-"},

		{"text/plain", "POST", "text/plain", "", "", jsonBody(`mutation { touch }`), 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"text/plain, modern", "POST", "text/plain;charset=UTF-8", modern, "", jsonBody(`mutation { touch }`), 415, gqlJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"text/plain batch", "POST", "text/plain", "", "", "[" + jsonBody(`mutation { touch }`) + "]", 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"form", "POST", "application/x-www-form-urlencoded", "", "", "query=" + url.QueryEscape(`mutation { touch }`), 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"multipart", "POST", "multipart/form-data; boundary=x", "", "", "--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\nmutation { touch }\r\n--x--\r\n", 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"application/graphql", "POST", "application/graphql", "", "", `mutation { touch }`, 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"no Content-Type", "POST", "", "", "?query=" + url.QueryEscape(`mutation { touch }`), "", 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"JSON in Latin-1", "POST", "application/json; charset=iso-8859-1", "", "", jsonBody(`mutation { touch }`), 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"JSON with another parameter", "POST", "application/json; x=1", "", "", jsonBody(`mutation { touch }`), 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
		{"malformed Content-Type", "POST", "application/json;;", "", "", jsonBody(`mutation { touch }`), 415, appJSON, "UNSUPPORTED_MEDIA_TYPE", "-"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+"/graphql"+c.url, strings.NewReader(c.body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var members map[string]json.RawMessage
		_ = json.Unmarshal(raw, &members)
		var body struct {
			Errors []struct {
				Message    string
				Locations  []any
				Extensions struct{ Code string }
			}
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("%s: not JSON: %q", c.name, raw)
			continue
		}
		code, data := "", "-"
		if len(body.Errors) > 0 {
			code = body.Errors[0].Extensions.Code
			if body.Errors[0].Message == "" || len(body.Errors[0].Locations) == 0 {
				t.Errorf("%s: an error without message or locations: %s", c.name, raw)
			}
		}
		if d, ok := members["data"]; ok {
			data = string(d)
		}
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.wantCT || code != c.code || data != c.data {
			t.Errorf("%s: %d %q code %q data %s, want %d %q code %q data %s\n%s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"),
				code, data, c.status, c.wantCT, c.code, c.data, raw)
		}
		if c.status == 405 && resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", c.name, resp.Header.Get("Allow"))
		}
		if c.status == 415 && body.Errors[0].Message != "A GraphQL POST must have Content-Type: application/json" {
			t.Errorf("%s: message %q", c.name, body.Errors[0].Message)
		}
	}
}

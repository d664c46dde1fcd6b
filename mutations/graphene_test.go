package mutations_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
)

const signatureQuery = `{ __schema { mutationType { fields { name args { name type { ...T } } type { name fields { name type { ...T } } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name } } }`

// signature renders the auth mutations of the schema behind e as SDL-like
// lines, one per mutation, sorted: "name(args): Type { fields }".
func signature(t *testing.T, e *env) []string {
	t.Helper()
	r := e.do("", signatureQuery, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("introspection: %s", r.Raw)
	}
	var typeRef func(v any) string
	typeRef = func(v any) string {
		m, _ := v.(map[string]any)
		switch m["kind"] {
		case "NON_NULL":
			return typeRef(m["ofType"]) + "!"
		case "LIST":
			return "[" + typeRef(m["ofType"]) + "]"
		}
		name, _ := m["name"].(string)
		return name
	}
	named := func(list any, render func(m map[string]any) string) string {
		var out []string
		for _, v := range list.([]any) {
			out = append(out, render(v.(map[string]any)))
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
	var lines []string
	for _, f := range r.field("__schema", "mutationType", "fields").([]any) {
		f := f.(map[string]any)
		if f["name"] == "createPost" {
			continue
		}
		typ := f["type"].(map[string]any)
		lines = append(lines, fmt.Sprintf("%s(%s): %s { %s }", f["name"],
			named(f["args"], func(a map[string]any) string { return a["name"].(string) + ": " + typeRef(a["type"]) }),
			typ["name"],
			named(typ["fields"], func(a map[string]any) string { return a["name"].(string) + ": " + typeRef(a["type"]) })))
	}
	slices.Sort(lines)
	return lines
}

// TestGrapheneRefreshModes: the schema of each JWT_LONG_RUNNING_REFRESH_TOKEN
// setting as django-graphql-jwt declares it (graphql_jwt/mutations.py,
// mixins.py JSONWebTokenMixin, VerifyMixin, KeepAliveRefreshMixin,
// refresh_token/mixins.py RefreshTokenMixin, RevokeMixin,
// refresh_token/mutations.py Revoke), and what each mode answers.
func TestGrapheneRefreshModes(t *testing.T) {
	const verify = "verifyToken(token: String): Verify { payload: GenericScalar! }"
	tests := []struct {
		name    string
		refresh mutations.GrapheneRefresh
		store   bool
		want    []string
	}{
		{"JWT_LONG_RUNNING_REFRESH_TOKEN = False", mutations.SingleTokenRefresh, false, []string{
			"refreshToken(token: String): Refresh { payload: GenericScalar!, refreshExpiresIn: Int!, token: String! }",
			"tokenAuth(password: String!, username: String!): ObtainJSONWebToken { payload: GenericScalar!, refreshExpiresIn: Int!, token: String!, user: AuthUser }",
			verify,
		}},
		{"JWT_LONG_RUNNING_REFRESH_TOKEN = True", mutations.LongRunningRefresh, true, []string{
			"refreshToken(refreshToken: String): Refresh { payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String!, token: String! }",
			"revokeToken(refreshToken: String): Revoke { revoked: Int! }",
			"tokenAuth(password: String!, username: String!): ObtainJSONWebToken { payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String!, token: String!, user: AuthUser }",
			verify,
		}},
		{"both, as seed 000 documents", mutations.BothRefreshModes, true, []string{
			"refreshToken(refreshToken: String, token: String): Refresh { payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String, token: String! }",
			"revokeToken(refreshToken: String): Revoke { revoked: Int! }",
			"tokenAuth(password: String!, username: String!): ObtainJSONWebToken { payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String, token: String!, user: AuthUser }",
			verify,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg gqljwt.Config
			if tt.store {
				cfg.Refresh = memstore.NewRefreshTokens()
			}
			e := newEnv(t, envConfig{cfg: cfg, preset: mutations.GrapheneWith(mutations.GrapheneSettings{Refresh: tt.refresh})})
			if got := signature(t, e); !slices.Equal(got, tt.want) {
				t.Errorf("schema:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
			const login = `mutation { tokenAuth(username: "bob", password: "bob-password") { token payload refreshExpiresIn } }`
			r := e.do("", login, nil)
			token := r.str("tokenAuth", "token")
			if token == "" || r.field("tokenAuth", "payload", "origIat") == nil || r.field("tokenAuth", "refreshExpiresIn") == nil {
				t.Fatalf("tokenAuth: %s", r.Raw)
			}
			switch tt.refresh {
			case mutations.SingleTokenRefresh:
				// tests/mixins.py RefreshMixin.test_refresh: a new token, the
				// same origIat.
				r := e.do("", `mutation($t: String) { refreshToken(token: $t) { token payload } }`, map[string]any{"t": token})
				if r.str("refreshToken", "token") == "" || r.field("refreshToken", "payload", "origIat") == nil {
					t.Errorf("refreshToken(token:): %s", r.Raw)
				}
				// test_missing_token
				if r := e.do("", `mutation { refreshToken { token } }`, nil); len(r.Errors) != 1 || r.Errors[0]["message"] != "Token is required" {
					t.Errorf("refreshToken without token: %s", r.Raw)
				}
			case mutations.LongRunningRefresh:
				// tests/refresh_token/mixins.py RefreshMixin
				// .test_missing_refresh_token: the request's own token is no
				// substitute.
				r := e.do(token, `mutation { refreshToken { token } }`, nil)
				if len(r.Errors) != 1 || r.Errors[0]["message"] != "Refresh token is required" || r.code(t) != "BAD_USER_INPUT" {
					t.Errorf("refreshToken without refreshToken: %s", r.Raw)
				}
			}
		})
	}
}

// TestGrapheneRelaySignature: graphql_jwt/relay.py, ClientIDMutation's
// Input and Payload types.
func TestGrapheneRelaySignature(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}, preset: mutations.GrapheneRelay()})
	want := []string{
		"refreshToken(input: RefreshInput!): RefreshPayload { clientMutationId: String, payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String, token: String! }",
		"revokeToken(input: RevokeInput!): RevokePayload { clientMutationId: String, revoked: Int! }",
		"tokenAuth(input: ObtainJSONWebTokenInput!): ObtainJSONWebTokenPayload { clientMutationId: String, payload: GenericScalar!, refreshExpiresIn: Int!, refreshToken: String, token: String!, user: AuthUser }",
		"verifyToken(input: VerifyInput!): VerifyPayload { clientMutationId: String, payload: GenericScalar! }",
	}
	if got := signature(t, e); !slices.Equal(got, want) {
		t.Errorf("schema:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

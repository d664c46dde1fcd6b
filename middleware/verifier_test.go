package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/jwtauth/v5"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestVerifierNeverRejects: whatever the token, the request reaches the
// GraphQL handler, public fields resolve and `me` reports the exact reason.
func TestVerifierNeverRejects(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	srv := newServer(t, newRouter(t, middleware.Verifier(auth)))

	meErr := func(msg, code string) string {
		return `{"data":{"me":null},"errors":[{"message":"` + msg + `","locations":[{"line":1,"column":3}],"path":["me"],"extensions":{"code":"` + code + `"}}]}`
	}
	cases := []struct {
		name   string
		header map[string]string
		me     string
	}{
		{"anonymous", nil, meErr("Unauthorized", "UNAUTHENTICATED")},
		{"Basic", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, meErr("Unauthorized", "UNAUTHENTICATED")},
		{"garbage", bearer("garbage"), meErr("Invalid token", "TOKEN_INVALID")},
		{"bad signature", bearer(tk.badSig), meErr("Invalid token", "TOKEN_INVALID")},
		{"expired", bearer(tk.expired), meErr("Token has expired", "TOKEN_EXPIRED")},
		{"revoked", bearer(tk.revoked), meErr("Token has been revoked", "TOKEN_REVOKED")},
		{"good", bearer(tk.good), `{"data":{"me":"u1"}}`},
	}
	for _, c := range cases {
		got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ hello }", header: c.header})
		checkReply(t, c.name+" hello", got, http.StatusOK, `{"data":{"hello":"world"}}`, map[string]string{"WWW-Authenticate": "", "Referrer-Policy": ""})
		got = do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: c.header})
		checkReply(t, c.name+" me", got, http.StatusOK, c.me, nil)
		// A second time: the verified-token cache must answer the same.
		got = do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: c.header})
		checkReply(t, c.name+" me again", got, http.StatusOK, c.me, nil)
	}
}

// TestJwtauthFromContext: code written for jwtauth keeps working behind the
// gqljwt Verifier: the parsed token and its claims for a good token, the
// verification error (matching jwtauth's sentinels) otherwise.
func TestJwtauthFromContext(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	r := newRouter(t, middleware.Verifier(auth))
	r.Get("/claims", func(w http.ResponseWriter, r *http.Request) {
		tok, claims, err := jwtauth.FromContext(r.Context())
		out := map[string]any{"token": tok != nil, "err": errName(err)}
		if tok != nil {
			keys := make([]string, 0, len(claims))
			for k := range claims {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out["keys"] = strings.Join(keys, ",")
			out["sub"], out["username"], out["roles"], out["typ"] = claims["sub"], claims["username"], claims["roles"], claims["typ"]
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	srv := newServer(t, r)
	cases := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"good", bearer(tk.good), `{"err":"nil","keys":"exp,iat,jti,origIat,roles,sid,sub,typ,username","roles":["reader"],"sub":"u1","token":true,"typ":"access","username":"name-u1"}`},
		{"anonymous", nil, `{"err":"NO_TOKEN","token":false}`},
		{"expired", bearer(tk.expired), `{"err":"TOKEN_EXPIRED+jwtauth.ErrExpired","token":false}`},
		{"bad signature", bearer(tk.badSig), `{"err":"TOKEN_INVALID+jwtauth.ErrUnauthorized","token":false}`},
		{"malformed", bearer("a.b"), `{"err":"TOKEN_INVALID+jwtauth.ErrUnauthorized","token":false}`},
		{"revoked", bearer(tk.revoked), `{"err":"TOKEN_REVOKED","token":false}`},
	}
	for _, c := range cases {
		for _, round := range []string{"first", "cached"} {
			got := do(t, srv.Client(), srv.URL, request{path: "/claims", header: c.header})
			checkReply(t, c.name+" "+round, got, http.StatusOK, c.want+"\n", nil)
		}
	}
}

// TestResponseBridge: a resolver sets a header and a cookie through
// gqljwt.ResponseFromContext and the client receives both, with or without
// an identity.
func TestResponseBridge(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	srv := newServer(t, newRouter(t, middleware.Verifier(auth)))
	for _, c := range []struct {
		name   string
		header map[string]string
	}{{"anonymous", nil}, {"authenticated", bearer(tk.good)}, {"bad token", bearer("x.y.z")}} {
		got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ login }", header: c.header})
		checkReply(t, c.name, got, http.StatusOK, `{"data":{"login":"ok"}}`, map[string]string{
			"X-Auth-Token": "issued-token",
			"Set-Cookie":   "jwt=issued-cookie; Path=/; HttpOnly; Secure; SameSite=Strict",
			"Content-Type": "application/json; charset=utf-8",
		})
	}
	// Without a verifier there is no bridge: the resolver reports it.
	bare := newServer(t, newRouter(t))
	got := do(t, bare.Client(), bare.URL, request{path: "/graphql", query: "{ login }"})
	checkReply(t, "no verifier", got, http.StatusOK,
		`{"data":{"login":null},"errors":[{"message":"no response bridge","locations":[{"line":1,"column":3}],"path":["login"]}]}`,
		map[string]string{"X-Auth-Token": "", "Set-Cookie": ""})
}

// TestNoVerifier: FromContext outside a verified request says
// UNAUTHENTICATED, and jwtauth sees nothing.
func TestNoVerifier(t *testing.T) {
	srv := newServer(t, newRouter(t))
	got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ auth }", header: bearer("anything")})
	checkReply(t, "no verifier", got, http.StatusOK, dataAuth(stateNoVerify), nil)
}

// TestIdentityIsTheRequestsOwn: a handler that edits its identity changes
// nothing for the next request with the same token, which the cache
// serves, nor for a caller of Verify.
func TestIdentityIsTheRequestsOwn(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tok, err := auth.IssueAccessToken(context.Background(), &gqljwt.User{ID: "u1", Roles: []string{"reader", "writer"}, Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	h := middleware.Verifier(auth)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := gqljwt.FromContext(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, id.Subject+" "+strings.Join(id.Roles, ",")+" "+strings.Join(id.Scopes, ","))
		id.Subject = "mallory"
		id.Roles[0] = "ADMIN"
		id.Roles = append(id.Roles, "ROOT")
		id.Scopes[0] = "write:everything"
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i, s := range seen {
		if s != "u1 reader,writer read" {
			t.Errorf("request %d saw %q", i, s)
		}
	}
	id, err := auth.Verify(context.Background(), tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	id.Roles[1] = "ADMIN"
	if again, _ := auth.Verify(context.Background(), tok.Value); strings.Join(again.Roles, ",") != "reader,writer" || !again.HasRole("writer") {
		t.Errorf("Verify handed out the cache's identity: %v", again.Roles)
	}
}

package main

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/gqljwt/gqljwt"
)

// TestGrapheneCompatSchema: the payload types of /graphene as
// django-graphql-jwt declares them (graphql_jwt/mixins.py
// JSONWebTokenMixin: payload = GenericScalar(required=True),
// refresh_expires_in = graphene.Int(required=True), token and
// refresh_token String required; VerifyMixin; refresh_token/mixins.py
// RevokeMixin: revoked = graphene.Int(required=True)) and its nullable
// arguments (mutations.py Verify, Refresh; refresh_token/mutations.py
// Revoke), read by introspection over HTTP. refreshToken is nullable
// here: the endpoint serves both refresh modes (seed 000), and renewing a
// token fills none.
func TestGrapheneCompatSchema(t *testing.T) {
	s := newServer(t, options{})
	const typeRef = `kind name ofType { kind name }`
	r := s.post("/graphene", `{
  obtain: __type(name: "ObtainJSONWebToken") { fields { name type { `+typeRef+` } } }
  refresh: __type(name: "Refresh") { fields { name type { `+typeRef+` } } }
  verify: __type(name: "Verify") { fields { name type { `+typeRef+` } } }
  revoke: __type(name: "Revoke") { fields { name type { `+typeRef+` } } }
  __schema { mutationType { fields { name args { name type { `+typeRef+` } } } } }
}`, nil)
	nonNull := func(name string) map[string]any {
		return map[string]any{"kind": "NON_NULL", "name": nil, "ofType": map[string]any{"kind": "SCALAR", "name": name}}
	}
	nullable := func(kind, name string) map[string]any {
		return map[string]any{"kind": kind, "name": name, "ofType": nil}
	}
	fields := func(kv ...any) string {
		var out []any
		for i := 0; i < len(kv); i += 2 {
			out = append(out, map[string]any{"name": kv[i], "type": kv[i+1]})
		}
		return mustJSON(t, map[string]any{"fields": out})
	}
	sortedFields := func(v any) string {
		m, _ := v.(map[string]any)
		list, _ := m["fields"].([]any)
		byName := map[string]any{}
		var names []string
		for _, f := range list {
			f := f.(map[string]any)
			byName[f["name"].(string)] = f
			names = append(names, f["name"].(string))
		}
		slices.Sort(names)
		out := []any{}
		for _, n := range names {
			out = append(out, byName[n])
		}
		return mustJSON(t, map[string]any{"fields": out})
	}
	for _, c := range []struct{ key, want string }{
		{"obtain", fields("payload", nonNull("GenericScalar"), "refreshExpiresIn", nonNull("Int"), "refreshToken", nullable("SCALAR", "String"),
			"token", nonNull("String"), "user", nullable("OBJECT", "User"))},
		{"refresh", fields("payload", nonNull("GenericScalar"), "refreshExpiresIn", nonNull("Int"), "refreshToken", nullable("SCALAR", "String"),
			"token", nonNull("String"))},
		{"verify", fields("payload", nonNull("GenericScalar"))},
		{"revoke", fields("revoked", nonNull("Int"))},
	} {
		if got := sortedFields(r.get("data", c.key)); !jsonEqual(t, got, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.key, got, c.want)
		}
	}
	args := map[string]string{}
	for _, f := range r.get("data", "__schema", "mutationType", "fields").([]any) {
		f := f.(map[string]any)
		args[f["name"].(string)] = sortedFields(map[string]any{"fields": f["args"]})
	}
	str := nullable("SCALAR", "String")
	for name, want := range map[string]string{
		"tokenAuth":    fields("password", nonNull("String"), "username", nonNull("String")),
		"verifyToken":  fields("token", str),
		"refreshToken": fields("refreshToken", str, "token", str),
		"revokeToken":  fields("refreshToken", str),
	} {
		if !jsonEqual(t, args[name], want) {
			t.Errorf("%s arguments:\n got %s\nwant %s", name, args[name], want)
		}
	}
}

// TestGrapheneCompatMessages: the messages django-graphql-jwt answers on
// the paths TestGrapheneWordsLikeDjangoGraphQLJWT leaves out, each from
// the file that raises it, in classic and Relay style, with gqljwt's
// codes beside them.
func TestGrapheneCompatMessages(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	type want struct{ message, code, reason string }
	check := func(name string, r *reply, w want) {
		t.Helper()
		if got := (want{r.str("errors", 0, "message"), r.str("errors", 0, "extensions", "code"), r.str("errors", 0, "extensions", "reason")}); got != w {
			t.Errorf("%s: got %+v, want %+v (%s)", name, got, w, r.raw)
		}
	}
	login := func(path, query string) string {
		t.Helper()
		r := s.post(path, query, nil)
		tok := r.str("data", "tokenAuth", "token")
		if tok == "" {
			t.Fatalf("tokenAuth on %s: %s", path, r.raw)
		}
		return tok
	}
	token := login("/graphene", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`)
	relayToken := login("/graphene-relay", `mutation { tokenAuth(input: {username: "bob", password: "bob-password"}) { token } }`)

	// graphql_jwt/decorators.py ensure_token: no argument (and no cookie).
	check("verifyToken without a token", s.post("/graphene", `mutation { verifyToken { payload } }`, nil),
		want{"Token is required", "UNAUTHENTICATED", ""})
	check("Relay verifyToken without a token", s.post("/graphene-relay", `mutation { verifyToken(input: {}) { payload } }`, nil),
		want{"Token is required", "UNAUTHENTICATED", ""})
	// graphql_jwt/refresh_token/decorators.py ensure_refresh_token.
	check("revokeToken without a refresh token", s.post("/graphene", `mutation { revokeToken { revoked } }`, nil),
		want{"Refresh token is required", "BAD_USER_INPUT", ""})
	check("Relay revokeToken without a refresh token", s.post("/graphene-relay", `mutation { revokeToken(input: {}) { revoked } }`, nil),
		want{"Refresh token is required", "BAD_USER_INPUT", ""})
	// graphql_jwt/mixins.py KeepAliveRefreshMixin, tests/mixins.py
	// RefreshMixin.test_refresh_expired: a still-valid token of a session
	// older than JWT_REFRESH_EXPIRATION_DELTA (7 days). Signed with the
	// endpoint's key by a clock a week behind and a long lifetime, as a
	// token renewed every few minutes all week would be.
	old, err := gqljwt.New(gqljwt.Config{Secret: testSecret, Audience: demoAudience("/graphene"), Users: s.app.users,
		AccessTTL: 7*24*time.Hour + time.Hour, RefreshTTL: 8 * 24 * time.Hour,
		Now: func() time.Time { return clock.Now().Add(-7*24*time.Hour - time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.app.users.UserByUsername(ctxBackground, "bob")
	if err != nil {
		t.Fatal(err)
	}
	weekOld, err := old.IssueAccessToken(ctxBackground, u)
	if err != nil {
		t.Fatal(err)
	}
	check("refreshToken(token:) of a week-old session", s.post("/graphene", `mutation($t: String) { refreshToken(token: $t) { token } }`, map[string]any{"t": weekOld.Value}),
		want{"Refresh has expired", "TOKEN_EXPIRED", ""})

	// graphql_jwt/utils.py get_payload through the backend
	// (backends.py, middleware.py): verifyToken with the token in the
	// Authorization header only, once it has expired.
	clock.Advance(10 * time.Minute) // JWT_EXPIRATION_DELTA is 5 minutes
	check("verifyToken, expired header token", s.post("/graphene", `mutation { verifyToken { payload } }`, nil, "Authorization", "JWT "+token),
		want{"Signature has expired", "UNAUTHENTICATED", "TOKEN_EXPIRED"})
	check("Relay refreshToken(token:), expired", s.post("/graphene-relay", `mutation($t: String) { refreshToken(input: {token: $t}) { token } }`, map[string]any{"t": relayToken}),
		want{"Signature has expired", "TOKEN_EXPIRED", ""})
	check("Relay login_required field, expired header token", s.post("/graphene-relay", `{ me { id } }`, nil, "Authorization", "JWT "+relayToken),
		want{"Signature has expired", "UNAUTHENTICATED", "TOKEN_EXPIRED"})
	check("Relay login_required field, anonymous", s.post("/graphene-relay", `{ me { id } }`, nil),
		want{"You do not have permission to perform this action", "UNAUTHENTICATED", ""})
	check("Relay wrong password", s.post("/graphene-relay", `mutation { tokenAuth(input: {username: "bob", password: "nope"}) { token } }`, nil),
		want{"Please enter valid credentials", "INVALID_CREDENTIALS", ""})
	// Deviation: django-graphql-jwt's middleware refuses every field, public
	// ones included, when the header token is refused; here public data is
	// still answered.
	if r := s.post("/graphene", `{ posts { id } }`, nil, "Authorization", "JWT "+token); r.get("errors") != nil || r.get("data", "posts", 0, "id") == nil {
		t.Errorf("public field with an expired header token: %s", r.raw)
	}

	// An access token ended by logout elsewhere (a gqljwt feature): a bad
	// token in django-graphql-jwt's words, on a protected field.
	fresh := login("/graphene", `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`)
	id, err := s.app.services["/graphene"].Verify(ctxBackground, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.services["/graphene"].Logout(ctxBackground, id); err != nil {
		t.Fatal(err)
	}
	check("login_required field, revoked token", s.post("/graphene", `{ me { id } }`, nil, "Authorization", "JWT "+fresh),
		want{"Invalid token", "UNAUTHENTICATED", "TOKEN_REVOKED"})
	check("verifyToken, revoked token", s.post("/graphene", `mutation($t: String) { verifyToken(token: $t) { payload } }`, map[string]any{"t": fresh}),
		want{"Invalid token", "TOKEN_REVOKED", ""})
}

// TestGrapheneCompatTokenClaims: graphql_jwt/utils.py get_payload words a
// token whose signature verifies but whose claims do not (pyjwt's
// InvalidTokenError, not DecodeError) "Invalid token", and
// get_user_by_payload one without the claim naming the user "Invalid
// payload"; a token that does not decode stays "Error decoding signature".
func TestGrapheneCompatTokenClaims(t *testing.T) {
	s := newServer(t, options{})
	// Another endpoint's token: signed by the same key, for another
	// audience.
	other := s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil).str("data", "tokenAuth", "token")
	// Signed with the endpoint's key, for its audience, without sub.
	now := time.Now().Unix()
	_, noSubject, err := jwtauth.New("HS256", testSecret, nil).Encode(map[string]any{
		"aud": demoAudience("/graphene"), "iat": now, "exp": now + 300, "jti": "j1", "typ": "access", "origIat": now,
		"sid": "AAAAAAAAAAAAAAAAAAAAAA", "username": "bob"})
	if err != nil || other == "" {
		t.Fatal(err, other)
	}
	const verify = `mutation($t: String) { verifyToken(token: $t) { payload } }`
	type want struct{ message, code, reason string }
	for _, c := range []struct {
		name string
		r    *reply
		want want
	}{
		{"verifyToken, another audience", s.post("/graphene", verify, map[string]any{"t": other}), want{"Invalid token", "TOKEN_INVALID", ""}},
		{"protected field, another audience", s.post("/graphene", `{ me { id } }`, nil, "Authorization", "JWT "+other), want{"Invalid token", "UNAUTHENTICATED", "TOKEN_INVALID"}},
		{"verifyToken, no sub", s.post("/graphene", verify, map[string]any{"t": noSubject}), want{"Invalid payload", "TOKEN_INVALID", ""}},
		{"protected field, no sub", s.post("/graphene-relay", `{ me { id } }`, nil, "Authorization", "JWT "+noSubject), want{"Invalid payload", "UNAUTHENTICATED", "TOKEN_INVALID"}},
		{"verifyToken, garbage", s.post("/graphene", verify, map[string]any{"t": "a.b.c"}), want{"Error decoding signature", "TOKEN_INVALID", ""}},
	} {
		r := c.r
		if got := (want{r.str("errors", 0, "message"), r.str("errors", 0, "extensions", "code"), r.str("errors", 0, "extensions", "reason")}); got != c.want {
			t.Errorf("%s: got %+v, want %+v (%s)", c.name, got, c.want, r.raw)
		}
	}
}

// TestGrapheneCompatReuseRefreshTokens: tests/refresh_token/mixins.py
// RefreshMixin.test_refresh_token and test_reuse_refresh_token: a refresh
// gives a new refresh token, never the old one. We rotate always, as with
// JWT_REUSE_REFRESH_TOKENS = True: the old token still works within the
// reuse grace (concurrent tabs), and after it is refused as django-graphql-jwt
// refuses a token it no longer knows, ending the session.
func TestGrapheneCompatReuseRefreshTokens(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	const refresh = `mutation($r: String) { refreshToken(refreshToken: $r) { token refreshToken payload } }`
	first := s.post("/graphene", `mutation { tokenAuth(username: "bob", password: "bob-password") { refreshToken } }`, nil).str("data", "tokenAuth", "refreshToken")
	r := s.post("/graphene", refresh, map[string]any{"r": first})
	second := r.str("data", "refreshToken", "refreshToken")
	if second == "" || second == first || r.str("data", "refreshToken", "payload", "username") != "bob" {
		t.Fatalf("refresh: %s", r.raw)
	}
	if r := s.post("/graphene", refresh, map[string]any{"r": first}); r.str("data", "refreshToken", "token") == "" {
		t.Errorf("the old token within the grace: %s", r.raw)
	}
	clock.Advance(time.Minute)
	// In this order: the reuse of the old token is what ends the session.
	for _, c := range []struct{ name, token string }{{"the old token after the grace", first}, {"its successor, the session ended", second}} {
		r := s.post("/graphene", refresh, map[string]any{"r": c.token})
		if r.str("errors", 0, "message") != "Invalid refresh token" || r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" {
			t.Errorf("%s: %s", c.name, r.raw)
		}
	}
}

// TestGrapheneCompatTokenArgument: JWT_ALLOW_ARGUMENT on /graphene,
// tests/test_middleware.py AuthenticateByArgumentTests: me(token:) is
// decided on its argument; a refused one is worded as get_payload words
// it; one in the URL is refused.
func TestGrapheneCompatTokenArgument(t *testing.T) {
	s := newServer(t, options{})
	bob := s.post("/graphene", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil).str("data", "tokenAuth", "token")
	const q = `query($t: String) { me(token: $t) { username } }`
	if r := s.post("/graphene", q, map[string]any{"t": bob}); r.str("data", "me", "username") != "bob" {
		t.Errorf("test_authenticate: %s", r.raw)
	}
	r := s.post("/graphene", q, map[string]any{"t": bob[:len(bob)-2] + "xx"})
	if r.str("errors", 0, "message") != "Error decoding signature" || r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
		t.Errorf("refused argument: %s", r.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/graphene?query="+url.QueryEscape(`{ me(token: "`+bob+`") { username } }`), nil)
	if r := s.send(req); r.get("data", "me") != nil || r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
		t.Errorf("token argument in the URL: %s", r.raw)
	}
	// Endpoints without the setting have no such argument.
	if r := s.post("/graphene-relay", q, map[string]any{"t": bob}); r.get("errors") == nil {
		t.Errorf("/graphene-relay took a token argument: %s", r.raw)
	}
}

// TestGrapheneCompatKeepAliveRefusals: graphql_jwt/mixins.py
// KeepAliveRefreshMixin.refresh refuses a token without origIat ("origIat
// field is required"), and utils.py get_user_by_payload the token of an
// inactive user ("User is disabled", tests/test_utils.py
// test_user_disabled_by_payload), on refreshToken(token:) in classic and
// Relay style, with gqljwt's codes.
func TestGrapheneCompatKeepAliveRefusals(t *testing.T) {
	s := newServer(t, options{})
	type want struct{ message, code string }
	refresh := map[string]string{
		"/graphene":       `mutation($t: String) { refreshToken(token: $t) { token } }`,
		"/graphene-relay": `mutation($t: String) { refreshToken(input: {token: $t}) { token } }`,
	}
	login := map[string]string{
		"/graphene":       `mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token } }`,
		"/graphene-relay": `mutation($u: String!, $p: String!) { tokenAuth(input: {username: $u, password: $p}) { token } }`,
	}
	for path, q := range refresh {
		check := func(name, token string, w want) {
			t.Helper()
			r := s.post(path, q, map[string]any{"t": token})
			if got := (want{r.str("errors", 0, "message"), r.str("errors", 0, "extensions", "code")}); got != w || r.get("data", "refreshToken") != nil {
				t.Errorf("%s %s: got %+v, want %+v (%s)", path, name, got, w, r.raw)
			}
		}
		tokenOf := func(user string) string {
			t.Helper()
			tok := s.post(path, login[path], map[string]any{"u": user, "p": user + "-password"}).str("data", "tokenAuth", "token")
			if tok == "" {
				t.Fatalf("%s: tokenAuth %s", path, user)
			}
			return tok
		}
		// A token of the endpoint's key and shape, without origIat.
		claims := tokenClaims(t, tokenOf("bob"))
		delete(claims, "origIat")
		_, noOrigIat, err := jwtauth.New("HS256", testSecret, nil).Encode(claims)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.services[path].Verify(ctxBackground, noOrigIat); err != nil {
			t.Fatalf("%s: the token without origIat does not verify: %v", path, err)
		}
		check("without origIat", noOrigIat, want{"origIat field is required", "TOKEN_INVALID"})

		// carol's still-valid token once her account is disabled.
		carol := tokenOf("carol")
		if err := s.app.users.SetActive("3", false); err != nil {
			t.Fatal(err)
		}
		check("of a disabled user", carol, want{"User is disabled", "TOKEN_REVOKED"})
		if err := s.app.users.SetActive("3", true); err != nil {
			t.Fatal(err)
		}
		if r := s.post(path, q, map[string]any{"t": carol}); r.get("errors") != nil {
			t.Errorf("%s: carol enabled again: %s", path, r.raw)
		}
	}
}

// TestGrapheneCompatDisabledUser: django-graphql-jwt's backend reads the
// token's user on every request (graphql_jwt/backends.py,
// utils.py get_user_by_payload; tests/test_utils.py
// test_user_disabled_by_payload), so once an account is disabled its
// still-valid token in the header answers "User is disabled" on every
// guarded field (directives.ActiveLoginRequired), our code and reason
// beside it, and public fields are answered; enabled again, it works.
func TestGrapheneCompatDisabledUser(t *testing.T) {
	s := newServer(t, options{})
	login := map[string]string{
		"/graphene":       `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`,
		"/graphene-relay": `mutation { tokenAuth(input: {username: "carol", password: "carol-password"}) { token } }`,
	}
	for path, q := range login {
		token := s.post(path, q, nil).str("data", "tokenAuth", "token")
		if token == "" {
			t.Fatalf("%s: tokenAuth carol", path)
		}
		if err := s.app.users.SetActive("3", false); err != nil {
			t.Fatal(err)
		}
		disabled := func(field string, col int) string {
			return `{"message": "User is disabled", "locations": [{"line": 1, "column": ` + strconv.Itoa(col) + `}], "path": ["` + field + `"], "extensions": {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}}`
		}
		for _, c := range []struct{ query, want string }{
			{`{ me { username } posts { title } }`, `{"data": {"me": null, "posts": [{"title": "Hello, gqljwt"}, {"title": "Guarding fields with @auth"}]}, "errors": [` + disabled("me", 3) + `]}`},
			// drafts needs EDITOR, which carol lacks: the account is read
			// first, as Django authenticates before any decorator runs.
			{`{ drafts { title } }`, `{"data": {"drafts": null}, "errors": [` + disabled("drafts", 3) + `]}`},
			{`mutation { createPost(title: "x") { title } }`, `{"data": {"createPost": null}, "errors": [` + disabled("createPost", 12) + `]}`},
		} {
			if r := s.post(path, c.query, nil, "Authorization", "JWT "+token); !jsonEqual(t, r.raw, c.want) {
				t.Errorf("%s %s: %s, want %s", path, c.query, r.raw, c.want)
			}
		}
		if err := s.app.users.SetActive("3", true); err != nil {
			t.Fatal(err)
		}
		if r := s.post(path, `{ me { username } }`, nil, "Authorization", "JWT "+token); r.raw != `{"data":{"me":{"username":"carol"}}}` {
			t.Errorf("%s: carol enabled again: %s", path, r.raw)
		}
	}
	// LoginRequired alone, as on /graphql, reads no account: the token
	// of a disabled user passes there until it expires.
	native := s.post("/graphql", `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`, nil).str("data", "tokenAuth", "token")
	if err := s.app.users.SetActive("3", false); err != nil {
		t.Fatal(err)
	}
	if r := s.post("/graphql", `{ me { username } }`, nil, "Authorization", "JWT "+native); r.raw != `{"data":{"me":{"username":"carol"}}}` {
		t.Errorf("/graphql, a disabled user's token: %s", r.raw)
	}
}

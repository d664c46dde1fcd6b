package mutations

import (
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
)

// djangoOperations are django-graphql-jwt's four mutations: the shape of
// the Graphene presets and the base of the native one. login are
// tokenAuth's arguments, issued the fields of a payload with a new token.
func djangoOperations(relay bool, login []Arg, issued []Field) []Operation {
	return []Operation{
		{Kind: Login, Name: "tokenAuth", TypeName: "ObtainJSONWebToken", Relay: relay, Args: login,
			Fields: append(issued[:len(issued):len(issued)], Field{"user", ResultUser})},
		{Kind: Verify, Name: "verifyToken", TypeName: "Verify", Relay: relay,
			Args: []Arg{{Name: "token", Role: ArgToken}}, Fields: []Field{{"payload", ResultPayload}}},
		{Kind: Refresh, Name: "refreshToken", TypeName: "Refresh", Relay: relay,
			Args: []Arg{{Name: "refreshToken", Role: ArgRefreshToken}, {Name: "token", Role: ArgToken}}, Fields: issued},
		{Kind: Revoke, Name: "revokeToken", TypeName: "Revoke", Relay: relay,
			Args: []Arg{{Name: "refreshToken", Role: ArgRefreshToken, Required: true}}, Fields: []Field{{"revoked", ResultRevokedAt}}},
		deleteTokenCookie(relay), deleteRefreshTokenCookie(relay),
	}
}

// nativeOperations add email login, tokenExpiresIn, logout and logoutAll
// to django-graphql-jwt's mutations. Expiry fields are Unix timestamps, as
// django-graphql-jwt's refreshExpiresIn is.
func nativeOperations(relay bool) []Operation {
	login := []Arg{{Name: "username", Role: ArgUsername}, {Name: "email", Role: ArgEmail}, {Name: "password", Role: ArgPassword, Required: true}}
	issued := []Field{
		{"token", ResultToken}, {"refreshToken", ResultRefreshToken}, {"payload", ResultPayload},
		{"tokenExpiresIn", ResultTokenExpiresAt}, {"refreshExpiresIn", ResultRefreshExpiresAt},
	}
	revoked := []Field{{"success", ResultSuccess}, {"revoked", ResultRevokedAt}}
	return append(djangoOperations(relay, login, issued),
		Operation{Kind: Logout, Name: "logout", TypeName: "Logout", Relay: relay, Fields: revoked},
		Operation{Kind: LogoutAll, Name: "logoutAll", TypeName: "LogoutAll", Relay: relay, Fields: revoked})
}

// Native is gqljwt's own shape, django-graphql-jwt's classic mutations plus
// logout and logoutAll:
//
//	tokenAuth(username: String, email: String, password: String!)
//	  { token refreshToken payload tokenExpiresIn refreshExpiresIn user }
//	verifyToken(token: String) { payload }
//	refreshToken(refreshToken: String, token: String)
//	  { token refreshToken payload tokenExpiresIn refreshExpiresIn }
//	revokeToken(refreshToken: String!) { revoked }
//	logout { success revoked }
//	logoutAll { success revoked }
//
// refreshToken works in both of django-graphql-jwt's modes: with
// refreshToken it rotates a long-running refresh token, with token (or
// none, using the request's token) it renews a still-valid access token.
func Native() Preset {
	return Preset{Name: "native", Operations: nativeOperations(false)}
}

// NativeRelay is Native in Relay style: each mutation takes one input
// argument and echoes its clientMutationId.
func NativeRelay() Preset {
	return Preset{Name: "native-relay", Operations: nativeOperations(true)}
}

func grapheneOperations(relay bool) []Operation {
	login := []Arg{{Name: "username", Role: ArgUsername, Required: true}, {Name: "password", Role: ArgPassword, Required: true}}
	issued := []Field{{"token", ResultToken}, {"refreshToken", ResultRefreshToken}, {"payload", ResultPayload}, {"refreshExpiresIn", ResultRefreshExpiresAt}}
	return djangoOperations(relay, login, issued)
}

// Graphene is django-graphql-jwt (seed 000) in classic style: tokenAuth,
// verifyToken, refreshToken (single-token with token:, long-running with
// refreshToken:) and revokeToken, tokenAuth customized to return user.
func Graphene() Preset {
	return Preset{Name: "graphene", Operations: grapheneOperations(false),
		Messages: grapheneMessages(), GuardMessages: grapheneGuardMessages()}
}

// grapheneMessages are django-graphql-jwt's words for what gqljwt says
// otherwise (graphql_jwt/exceptions.py, utils.py get_payload,
// refresh_token/mixins.py and shortcuts.py). Its clients match on them:
// public Apollo error links refresh on "Signature has expired".
func grapheneMessages() map[string]string {
	return map[string]string{
		gqljwt.ErrTokenExpired.Message: "Signature has expired",
		gqljwt.ErrTokenInvalid.Message: "Error decoding signature",
		"Refresh token has expired":    "Refresh token is expired",
		// Its handler looks refresh tokens up among the unrevoked ones.
		"Refresh token has been revoked":         "Invalid refresh token",
		"A token or a refresh token is required": "Token is required",
	}
}

// grapheneGuardMessages are the words of django-graphql-jwt's decorators
// and middleware on a protected field: login_required raises
// PermissionDenied for an anonymous caller, and a refused token in the
// Authorization header fails as get_payload words it.
func grapheneGuardMessages() map[gqljwt.Code]string {
	return map[gqljwt.Code]string{
		gqljwt.CodeUnauthenticated: "You do not have permission to perform this action",
		gqljwt.CodeTokenExpired:    "Signature has expired",
		gqljwt.CodeTokenInvalid:    "Error decoding signature",
		gqljwt.CodeTokenRevoked:    "Invalid token",
	}
}

// GrapheneRelay is django-graphql-jwt's graphql_jwt.relay: the same
// mutations, each taking one input argument (seed 000 verbatim).
func GrapheneRelay() Preset {
	return Preset{Name: "graphene-relay", Operations: grapheneOperations(true),
		Messages: grapheneMessages(), GuardMessages: grapheneGuardMessages()}
}

// CollectiveAccess is the CollectiveAccess GraphQL service endpoint Auth
// (seed 001): login and refresh are queries, tokens are jwt and refresh,
// and every response is wrapped as {"ok": true, "data": ...}. Clients also
// send the token as the jwt query parameter (middleware.FromQuery). The
// refresh query returns no new refresh token, so it does not rotate.
func CollectiveAccess() Preset {
	return Preset{
		Name:      "collectiveaccess",
		AccessTTL: 900 * time.Second, RefreshTTL: 7 * 24 * time.Hour,
		Operations: []Operation{
			{Kind: Login, Name: "login", Query: true, TypeName: "AuthLoginResult",
				Args:   []Arg{{Name: "username", Role: ArgUsername, Required: true}, {Name: "password", Role: ArgPassword, Required: true}},
				Fields: []Field{{"jwt", ResultToken}, {"refresh", ResultRefreshToken}, {"user", ResultUser}}},
			{Kind: Refresh, Name: "refresh", Query: true, TypeName: "AuthRefreshResult", KeepRefreshToken: true,
				Args:   []Arg{{Name: "token", Role: ArgRefreshToken, Required: true}},
				Fields: []Field{{"jwt", ResultToken}}},
		},
		Body: Envelope,
	}
}

// Envelope wraps a response as CollectiveAccess does: "ok" is true when
// there are no errors.
func Envelope(body map[string]any) {
	errs, _ := body["errors"].([]any)
	body["ok"] = len(errs) == 0
}

// WPGraphQL is WPGraphQL Headless Login (seed 002): login with a provider
// (PASSWORD credentials, SITETOKEN identity, OAUTH2_GENERIC authorization
// response), refreshToken, linkUserIdentity, revokeUserSecret and
// refreshUserSecret, all Relay-style. SITETOKEN and OAUTH2_GENERIC are
// enabled by Options.Providers; the user type gets its auth field from
// LinkedIdentitiesField. refreshToken returns no new refresh token, so it
// does not rotate.
func WPGraphQL() Preset {
	return Preset{
		Name:             "wpgraphql",
		UserGlobalIDType: "user",
		Operations: []Operation{
			{Kind: Login, Name: "login", TypeName: "Login", Relay: true,
				Args: []Arg{
					{Name: "provider", Role: ArgProvider, Required: true},
					{Name: "credentials", Role: ArgGroup, TypeName: "LoginCredentialsInput", Fields: []Arg{
						{Name: "username", Role: ArgUsername, Required: true}, {Name: "password", Role: ArgPassword, Required: true}}},
					oauthResponse(),
					{Name: "identity", Role: ArgIdentity},
				},
				Fields: []Field{{"authToken", ResultToken}, {"authTokenExpiration", ResultTokenExpiration},
					{"refreshToken", ResultRefreshToken}, {"refreshTokenExpiration", ResultRefreshExpiration}, {"user", ResultUser}}},
			{Kind: Refresh, Name: "refreshToken", TypeName: "RefreshToken", Relay: true, KeepRefreshToken: true, RefusalAsPayload: true,
				Args:   []Arg{{Name: "refreshToken", Role: ArgRefreshToken, Required: true}},
				Fields: []Field{{"authToken", ResultToken}, {"authTokenExpiration", ResultTokenExpiration}, {"success", ResultSuccess}}},
			{Kind: LinkIdentity, Name: "linkUserIdentity", TypeName: "LinkUserIdentity", Relay: true,
				Args:   []Arg{{Name: "provider", Role: ArgProvider, Required: true}, {Name: "userId", Role: ArgUserID, Required: true}, oauthResponse()},
				Fields: []Field{{"success", ResultSuccess}, {"user", ResultUser}}},
			{Kind: RevokeUserSecret, Name: "revokeUserSecret", TypeName: "RevokeUserSecret", Relay: true,
				Args:   []Arg{{Name: "userId", Role: ArgUserID, Required: true}},
				Fields: []Field{{"revokedUserSecret", ResultRevokedUserSecret}, {"success", ResultSuccess}}},
			{Kind: RefreshUserSecret, Name: "refreshUserSecret", TypeName: "RefreshUserSecret", Relay: true,
				Args: []Arg{{Name: "userId", Role: ArgUserID, Required: true}},
				Fields: []Field{{"authToken", ResultToken}, {"refreshToken", ResultRefreshToken}, {"userSecret", ResultUserSecret},
					{"revokedUserSecret", ResultRevokedUserSecret}, {"success", ResultSuccess}}},
		},
	}
}

func oauthResponse() Arg {
	return Arg{Name: "oauthResponse", Role: ArgGroup, TypeName: "OAuthProviderResponseInput", Fields: []Arg{
		{Name: "state", Role: ArgState}, {Name: "code", Role: ArgCode, Required: true}}}
}

// Toggle is the Toggle API (seed 003): the loginUser query (email or
// username) returns the user and hands the token out in the Authorization
// response header. Pair it with middleware.SlidingRefresh, which renews
// tokens close to expiry the same way, and serve its errors with
// "customer_facing": false.
func Toggle() Preset {
	return Preset{
		Name:        "toggle",
		AccessTTL:   time.Hour,
		TokenHeader: "Authorization",
		Operations: []Operation{
			{Kind: Login, Name: "loginUser", Query: true, ReturnsUser: true,
				Args: []Arg{{Name: "email", Role: ArgEmail}, {Name: "username", Role: ArgUsername}, {Name: "password", Role: ArgPassword, Required: true}}},
		},
		Body: CustomerFacing,
	}
}

// CustomerFacing marks every error "customer_facing": false, as Toggle's
// error bodies are.
func CustomerFacing(body map[string]any) {
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			m["customer_facing"] = false
		}
	}
}

// DE is the "DE" API (seed 004): login(email, password) and
// refreshToken(refreshToken) mutations returning token, refreshToken and
// expiresIn (seconds), 1 h / 7 d lifetimes, and its documented errors:
// "Incorrect email or password" and "invalid signature" under
// INTERNAL_SERVER_ERROR, and BAD_USER_INPUT on request errors.
func DE() Preset {
	return Preset{
		Name:      "de",
		AccessTTL: time.Hour, RefreshTTL: 7 * 24 * time.Hour,
		Operations: []Operation{
			{Kind: Login, Name: "login", TypeName: "LoginResponse",
				Args:   []Arg{{Name: "email", Role: ArgEmail, Required: true}, {Name: "password", Role: ArgPassword, Required: true}},
				Fields: deFields()},
			{Kind: Refresh, Name: "refreshToken", TypeName: "RefreshTokenResponse",
				Args:   []Arg{{Name: "refreshToken", Role: ArgRefreshToken}},
				Fields: deFields()},
		},
		Errors: map[gqljwt.Code]ErrorShape{
			gqljwt.CodeInvalidCredential: {Message: "Incorrect email or password", Code: gqljwt.CodeInternal},
			gqljwt.CodeTokenInvalid:      {Message: "invalid signature", Code: gqljwt.CodeInternal},
		},
		Body: RequestErrors,
	}
}

func deFields() []Field {
	return []Field{{"token", ResultToken}, {"refreshToken", ResultRefreshToken}, {"expiresIn", ResultTokenExpiresIn}}
}

// RequestErrors gives errors raised before execution the codes Apollo
// Server uses (BAD_USER_INPUT for variables, GRAPHQL_PARSE_FAILED,
// GRAPHQL_VALIDATION_FAILED), and, as the GraphQL specification asks of
// such responses, leaves out data.
func RequestErrors(body map[string]any) {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return
	}
	beforeExecution := true
	for _, e := range errs {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if _, executed := m["path"]; executed {
			beforeExecution = false
			continue
		}
		if _, coded := m["extensions"]; coded {
			continue
		}
		msg, _ := m["message"].(string)
		code := "GRAPHQL_VALIDATION_FAILED"
		switch {
		case strings.HasPrefix(msg, `Variable "$`):
			code = string(gqljwt.CodeBadUserInput)
		case strings.HasPrefix(msg, "Syntax Error"):
			code = "GRAPHQL_PARSE_FAILED"
		}
		m["extensions"] = map[string]any{"code": code}
	}
	if beforeExecution && body["data"] == nil {
		delete(body, "data")
	}
}

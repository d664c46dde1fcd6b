package mutations

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// djangoShape is what tells apart the presets built on django-graphql-jwt's
// mutations.
type djangoShape struct {
	relay bool
	// login are tokenAuth's arguments, issued the fields of a payload
	// with a new token, refresh refreshToken's arguments.
	login, refresh []Arg
	issued         []Field
	// revoke is revokeToken's argument; nil leaves revokeToken out.
	revoke *Arg
	// required makes payload and revoked non-null, as django-graphql-jwt
	// declares them.
	required bool
}

// djangoOperations are django-graphql-jwt's mutations: the shape of the
// Graphene presets and the base of the native one.
func djangoOperations(d djangoShape) []Operation {
	ops := []Operation{
		{Kind: Login, Name: "tokenAuth", TypeName: "ObtainJSONWebToken", Relay: d.relay, Args: d.login,
			Fields: append(d.issued[:len(d.issued):len(d.issued)], Field{Name: "user", Result: ResultUser})},
		{Kind: Verify, Name: "verifyToken", TypeName: "Verify", Relay: d.relay,
			Args: []Arg{{Name: "token", Role: ArgToken}}, Fields: []Field{{Name: "payload", Result: ResultPayload, Required: d.required}}},
		{Kind: Refresh, Name: "refreshToken", TypeName: "Refresh", Relay: d.relay, Args: d.refresh, Fields: d.issued},
	}
	if d.revoke != nil {
		ops = append(ops, Operation{Kind: Revoke, Name: "revokeToken", TypeName: "Revoke", Relay: d.relay,
			Args: []Arg{*d.revoke}, Fields: []Field{{Name: "revoked", Result: ResultRevokedAt, Required: d.required}}})
	}
	return append(ops, deleteTokenCookie(d.relay), deleteRefreshTokenCookie(d.relay))
}

// nativeOperations add email login, tokenExpiresIn, logout and logoutAll
// to django-graphql-jwt's mutations. Expiry fields are Unix timestamps, as
// django-graphql-jwt's refreshExpiresIn is.
func nativeOperations(relay bool) []Operation {
	revoked := []Field{{Name: "success", Result: ResultSuccess}, {Name: "revoked", Result: ResultRevokedAt}}
	return append(djangoOperations(djangoShape{
		relay: relay,
		login: []Arg{{Name: "username", Role: ArgUsername}, {Name: "email", Role: ArgEmail}, {Name: "password", Role: ArgPassword, Required: true}},
		issued: []Field{
			{Name: "token", Result: ResultToken}, {Name: "refreshToken", Result: ResultRefreshToken}, {Name: "payload", Result: ResultPayload},
			{Name: "tokenExpiresIn", Result: ResultTokenExpiresAt}, {Name: "refreshExpiresIn", Result: ResultRefreshExpiresAt},
		},
		refresh: []Arg{{Name: "refreshToken", Role: ArgRefreshToken}, {Name: "token", Role: ArgToken}},
		revoke:  &Arg{Name: "refreshToken", Role: ArgRefreshToken, Required: true},
	}),
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

// GrapheneSettings are the settings of django-graphql-jwt (GRAPHQL_JWT in
// Django's settings) that change what its clients see. The zero value is
// seed 000's endpoint, classic style with both refresh modes.
//
// Its other such settings are not options: JWT_VERIFY_EXPIRATION is
// always on (off, an access token would never expire), and refresh tokens
// are always single-use, as with JWT_REUSE_REFRESH_TOKENS = True, whose
// default False keeps every refresh token ever issued valid until it
// expires; concurrent refreshes of one token within
// gqljwt.Config.RefreshReuseGrace all succeed, which is what a client
// relying on the default needs.
type GrapheneSettings struct {
	// Relay is graphql_jwt.relay: every mutation takes one input argument
	// and echoes clientMutationId.
	Relay bool
	// Refresh is JWT_LONG_RUNNING_REFRESH_TOKEN.
	Refresh GrapheneRefresh
	// AllowArgument is JWT_ALLOW_ARGUMENT: the application's fields may
	// take the token as their argument "token" (Preset.TokenArgument).
	AllowArgument bool
}

// GrapheneRefresh is the refresh mode of a Graphene preset.
type GrapheneRefresh int

const (
	// BothRefreshModes serves the clients of either setting of
	// JWT_LONG_RUNNING_REFRESH_TOKEN, as seed 000 documents both:
	// refreshToken takes token or refreshToken, and the refreshToken
	// fields are nullable, since renewing a token fills none.
	BothRefreshModes GrapheneRefresh = iota
	// SingleTokenRefresh is JWT_LONG_RUNNING_REFRESH_TOKEN = False,
	// django-graphql-jwt's default: refreshToken(token: String) renews a
	// still-valid token, there are no refresh tokens and no revokeToken.
	// Serve it on a gqljwt.Service without Config.Refresh.
	SingleTokenRefresh
	// LongRunningRefresh is JWT_LONG_RUNNING_REFRESH_TOKEN = True:
	// refreshToken(refreshToken: String) rotates a refresh token,
	// tokenAuth and refreshToken return refreshToken: String!, and
	// revokeToken(refreshToken: String) revokes one.
	LongRunningRefresh
)

// GrapheneWith is django-graphql-jwt under settings s:
//
//	tokenAuth(username: String!, password: String!): ObtainJSONWebToken
//	  { token: String! refreshToken payload: GenericScalar! refreshExpiresIn: Int! user }
//	verifyToken(token: String): Verify { payload: GenericScalar! }
//	refreshToken(token: String, refreshToken: String): Refresh
//	  { token: String! refreshToken payload: GenericScalar! refreshExpiresIn: Int! }
//	revokeToken(refreshToken: String): Revoke { revoked: Int! }
//
// as graphql_jwt/mixins.py and refresh_token/mixins.py declare them, with
// tokenAuth customized to return user, and its messages (Preset.Messages,
// Preset.GuardMessages).
func GrapheneWith(s GrapheneSettings) Preset {
	long, single := s.Refresh != SingleTokenRefresh, s.Refresh != LongRunningRefresh
	d := djangoShape{relay: s.Relay, required: true,
		login:  []Arg{{Name: "username", Role: ArgUsername, Required: true}, {Name: "password", Role: ArgPassword, Required: true}},
		issued: []Field{{Name: "token", Result: ResultToken, Required: true}}}
	if long {
		d.issued = append(d.issued, Field{Name: "refreshToken", Result: ResultRefreshToken, Required: !single})
		d.refresh = append(d.refresh, Arg{Name: "refreshToken", Role: ArgRefreshToken})
		d.revoke = &Arg{Name: "refreshToken", Role: ArgRefreshToken}
	}
	if single {
		d.refresh = append(d.refresh, Arg{Name: "token", Role: ArgToken})
	}
	d.issued = append(d.issued, Field{Name: "payload", Result: ResultPayload, Required: true},
		Field{Name: "refreshExpiresIn", Result: ResultRefreshExpiresAt, Required: true})
	name := "graphene"
	if s.Relay {
		name = "graphene-relay"
	}
	tokenArg := ""
	if s.AllowArgument {
		tokenArg = "token" // JWT_ARGUMENT_NAME
	}
	// JWT_EXPIRATION_DELTA and JWT_REFRESH_EXPIRATION_DELTA's defaults.
	return Preset{Name: name, Operations: djangoOperations(d), AccessTTL: 5 * time.Minute, RefreshTTL: 7 * 24 * time.Hour,
		Messages: grapheneMessages(), GuardMessages: grapheneGuardMessages(), Reword: grapheneReword, TokenArgument: tokenArg}
}

// grapheneReword tells apart what django-graphql-jwt's get_payload and
// get_user_by_payload word apart (graphql_jwt/utils.py): a token whose
// signature verified but whose claims did not (jwt.InvalidTokenError:
// "Invalid token"; "Invalid payload" when a claim it needs is missing)
// from one that did not decode ("Error decoding signature", from
// Messages and GuardMessages).
func grapheneReword(e *gqljwt.Error) string {
	if e.Code != gqljwt.CodeTokenInvalid && e.Reason != gqljwt.CodeTokenInvalid {
		return ""
	}
	switch {
	case errors.Is(e, jwt.MissingRequiredClaimError()):
		return "Invalid payload"
	case errors.Is(e, jwt.ValidateError()):
		return "Invalid token"
	}
	return ""
}

// Graphene is django-graphql-jwt (seed 000) in classic style: tokenAuth,
// verifyToken, refreshToken (single-token with token:, long-running with
// refreshToken:) and revokeToken, tokenAuth customized to return user.
func Graphene() Preset { return GrapheneWith(GrapheneSettings{}) }

// GrapheneRelay is django-graphql-jwt's graphql_jwt.relay: the same
// mutations, each taking one input argument (seed 000 verbatim).
func GrapheneRelay() Preset { return GrapheneWith(GrapheneSettings{Relay: true}) }

// grapheneMessages are django-graphql-jwt's words for what gqljwt says
// otherwise (graphql_jwt/exceptions.py, utils.py get_payload,
// decorators.py ensure_token, refresh_token/mixins.py, decorators.py and
// shortcuts.py). Its clients match on them: public Apollo error links
// refresh on "Signature has expired".
func grapheneMessages() map[string]string {
	return map[string]string{
		gqljwt.ErrTokenExpired.Message: "Signature has expired",
		gqljwt.ErrTokenInvalid.Message: "Error decoding signature",
		// A revoked access token (logout, a user secret moved on): it has
		// no word for it, and its clients treat it as a bad token.
		gqljwt.ErrTokenRevoked.Message: "Invalid token",
		"Refresh token has expired":    "Refresh token is expired",
		// Its handler looks refresh tokens up among the unrevoked ones.
		"Refresh token has been revoked":         "Invalid refresh token",
		"A token or a refresh token is required": "Token is required",
		errRefreshTokenRequired.Message:          "Refresh token is required",
		// KeepAliveRefreshMixin (mixins.py) and get_user_by_payload.
		errNoOrigIat.Message:    "origIat field is required",
		errUserDisabled.Message: "User is disabled",
		// verifyToken without a token, nor one in the request.
		gqljwt.ErrUnauthenticated.Message: "Token is required",
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
				Fields: []Field{{Name: "jwt", Result: ResultToken}, {Name: "refresh", Result: ResultRefreshToken}, {Name: "user", Result: ResultUser}}},
			{Kind: Refresh, Name: "refresh", Query: true, TypeName: "AuthRefreshResult", KeepRefreshToken: true,
				Args:   []Arg{{Name: "token", Role: ArgRefreshToken, Required: true}},
				Fields: []Field{{Name: "jwt", Result: ResultToken}}},
		},
		Body: Envelope,
		// The seed's tokens carry nbf = iat, and the user's ID as the
		// claim id.
		NotBefore: true,
		Claims: func(_ context.Context, u *gqljwt.User) (map[string]any, error) {
			return map[string]any{"id": u.ID}, nil
		},
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
// response), refreshToken, linkUserIdentity, revokeUserSecret,
// refreshUserSecret and logout, all Relay-style, worded as the plugin
// words them (src/Mutation/*.php, src/Auth/Auth.php), under its root type
// names, its lifetimes (300 s, 365 days) and its claim data.user.id.
// SITETOKEN and OAUTH2_GENERIC are enabled by Options.Providers; the user
// type gets its auth field from NewUserAuth. refreshToken returns no new
// refresh token, so it does not rotate.
func WPGraphQL() Preset {
	userSecret := func(verb string) map[string]string {
		msg := "You are not allowed to " + verb + " the user secret."
		return map[string]string{gqljwt.ErrForbidden.Message: msg, gqljwt.ErrUnauthenticated.Message: msg, errUserIDRequired.Message: msg}
	}
	success := Field{Name: "success", Result: ResultSuccess}
	return Preset{
		Name:             "wpgraphql",
		UserGlobalIDType: "user",
		// graphql_login_token_validity and
		// graphql_login_refresh_token_validity (src/Auth/TokenManager.php).
		AccessTTL: 300 * time.Second, RefreshTTL: 365 * 24 * time.Hour,
		QueryTypeName: "RootQuery", MutationTypeName: "RootMutation",
		// prepare_token: nbf is iat (graphql_login_token_not_before_timestamp's
		// default). Its iss, the site URL, is the endpoint's
		// gqljwt.Config.Issuer.
		Claims: wpClaims, NotBefore: true,
		// src/Auth/TokenManager.php validate_token: a token that does not
		// decode answers 403, and the request goes on anonymously.
		RefusedTokenStatus: 403,
		RenewHeader:        "X-WPGraphQL-Login-Token",
		Operations: []Operation{
			{Kind: Login, Name: "login", TypeName: "Login", Relay: true, AnonymousOnly: true,
				Args: []Arg{
					{Name: "provider", Role: ArgProvider, Required: true},
					{Name: "credentials", Role: ArgGroup, TypeName: "LoginCredentialsInput", Fields: []Arg{
						{Name: "username", Role: ArgUsername, Required: true}, {Name: "password", Role: ArgPassword, Required: true}}},
					oauthResponse(),
					{Name: "identity", Role: ArgIdentity},
				},
				Fields: []Field{{Name: "authToken", Result: ResultToken}, {Name: "authTokenExpiration", Result: ResultTokenExpiration},
					{Name: "refreshToken", Result: ResultRefreshToken}, {Name: "refreshTokenExpiration", Result: ResultRefreshExpiration}, {Name: "user", Result: ResultUser}}},
			{Kind: Refresh, Name: "refreshToken", TypeName: "RefreshToken", Relay: true, KeepRefreshToken: true, RefusalAsPayload: true,
				Args:   []Arg{{Name: "refreshToken", Role: ArgRefreshToken, Required: true}},
				Fields: []Field{{Name: "authToken", Result: ResultToken}, {Name: "authTokenExpiration", Result: ResultTokenExpiration}, success}},
			{Kind: LinkIdentity, Name: "linkUserIdentity", TypeName: "LinkUserIdentity", Relay: true,
				Args: []Arg{{Name: "provider", Role: ArgProvider, Required: true}, {Name: "userId", Role: ArgUserID, Required: true},
					oauthResponse(), {Name: "identity", Role: ArgIdentity}},
				Fields: []Field{success, {Name: "user", Result: ResultUser}}},
			{Kind: RevokeUserSecret, Name: "revokeUserSecret", TypeName: "RevokeUserSecret", Relay: true, Messages: userSecret("revoke"),
				Args:   []Arg{{Name: "userId", Role: ArgUserID, Required: true}},
				Fields: []Field{{Name: "revokedUserSecret", Result: ResultRevokedUserSecret}, success}},
			{Kind: RefreshUserSecret, Name: "refreshUserSecret", TypeName: "RefreshUserSecret", Relay: true, Messages: userSecret("refresh"),
				Args: []Arg{{Name: "userId", Role: ArgUserID, Required: true}},
				Fields: []Field{{Name: "authToken", Result: ResultToken}, {Name: "refreshToken", Result: ResultRefreshToken}, {Name: "userSecret", Result: ResultUserSecret},
					{Name: "revokedUserSecret", Result: ResultRevokedUserSecret}, success}},
			// src/Mutation/Logout.php: success is null for a caller who is
			// not logged in.
			{Kind: Logout, Name: "logout", TypeName: "Logout", Relay: true, RefusalAsPayload: true, Fields: []Field{success}},
		},
		Messages: map[string]string{
			// src/Auth/Auth.php login. The plugin's password provider
			// passes on WordPress's own messages, which tell an unknown
			// username from a wrong password; this one message does not.
			gqljwt.ErrInvalidCredentials.Message: "The user could not be logged in.",
			// src/CoreSchemaFilters.php check_if_secret_is_revoked: no
			// token is signed for a user whose secret is revoked.
			gqljwt.ErrUserSecretRevoked.Message: "A JWT token cannot be issued for this user.",
		},
	}
}

// wpClaims are the plugin's claim data.user.id (src/Auth/TokenManager.php
// prepare_token), which its clients decode to find the user.
func wpClaims(_ context.Context, u *gqljwt.User) (map[string]any, error) {
	id := any(u.ID)
	if n, err := strconv.ParseInt(u.ID, 10, 64); err == nil {
		id = n // WordPress user IDs are integers
	}
	return map[string]any{"data": map[string]any{"user": map[string]any{"id": id}}}, nil
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
			// Its one documented refusal of a refresh token, whatever
			// makes it unusable: unknown, forged, expired, revoked, or
			// reused after its rotation (which revokes the session).
			gqljwt.CodeTokenInvalid: deBadRefresh, gqljwt.CodeTokenExpired: deBadRefresh, gqljwt.CodeTokenRevoked: deBadRefresh,
		},
		Body: RequestErrors,
	}
}

var deBadRefresh = ErrorShape{Message: "invalid signature", Code: gqljwt.CodeInternal}

func deFields() []Field {
	return []Field{{Name: "token", Result: ResultToken}, {Name: "refreshToken", Result: ResultRefreshToken}, {Name: "expiresIn", Result: ResultTokenExpiresIn}}
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

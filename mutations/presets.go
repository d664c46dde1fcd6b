package mutations

// The native shape follows django-graphql-jwt, the best-known vocabulary.
// Expiry fields are Unix timestamps, as django-graphql-jwt's
// refreshExpiresIn is.
var (
	tokenAuthArgs = []Arg{{Name: "username", Role: ArgUsername}, {Name: "email", Role: ArgEmail}, {Name: "password", Role: ArgPassword, Required: true}}
	issuedFields  = []Field{
		{"token", ResultToken}, {"refreshToken", ResultRefreshToken}, {"payload", ResultPayload},
		{"tokenExpiresIn", ResultTokenExpiresAt}, {"refreshExpiresIn", ResultRefreshExpiresAt},
	}
)

func nativeOperations(relay bool) []Operation {
	return []Operation{
		{Kind: Login, Name: "tokenAuth", TypeName: "ObtainJSONWebToken", Relay: relay, Args: tokenAuthArgs,
			Fields: append(issuedFields[:len(issuedFields):len(issuedFields)], Field{"user", ResultUser})},
		{Kind: Verify, Name: "verifyToken", TypeName: "Verify", Relay: relay,
			Args: []Arg{{Name: "token", Role: ArgToken}}, Fields: []Field{{"payload", ResultPayload}}},
		{Kind: Refresh, Name: "refreshToken", TypeName: "Refresh", Relay: relay,
			Args:   []Arg{{Name: "refreshToken", Role: ArgRefreshToken}, {Name: "token", Role: ArgToken}},
			Fields: issuedFields},
		{Kind: Revoke, Name: "revokeToken", TypeName: "Revoke", Relay: relay,
			Args: []Arg{{Name: "refreshToken", Role: ArgRefreshToken, Required: true}}, Fields: []Field{{"revoked", ResultRevokedAt}}},
		{Kind: Logout, Name: "logout", TypeName: "Logout", Relay: relay,
			Fields: []Field{{"success", ResultSuccess}, {"revoked", ResultRevokedAt}}},
		{Kind: LogoutAll, Name: "logoutAll", TypeName: "LogoutAll", Relay: relay,
			Fields: []Field{{"success", ResultSuccess}, {"revoked", ResultRevokedAt}}},
	}
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
var Native = Preset{Name: "native", Operations: nativeOperations(false)}

// NativeRelay is Native in Relay style: each mutation takes one input
// argument and echoes its clientMutationId.
var NativeRelay = Preset{Name: "native-relay", Operations: nativeOperations(true)}

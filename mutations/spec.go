package mutations

import (
	"context"
	"time"

	"github.com/gqljwt/gqljwt"
)

// Kind is what an operation does. Every preset is a list of operations of
// these kinds under its own names and shapes; one resolver per kind serves
// them all.
type Kind string

// Operation kinds.
const (
	// Login checks credentials (or a provider's proof) and starts a session.
	Login Kind = "login"
	// Verify checks an access token (the argument, else the request's) and
	// returns its payload.
	Verify Kind = "verify"
	// Refresh renews the session: with a refresh token argument through the
	// RefreshStore (long-running mode, rotating unless KeepRefreshToken);
	// otherwise with the access token argument or the request's token
	// (single-token mode).
	Refresh Kind = "refresh"
	// Revoke revokes a refresh token and the rest of its session.
	Revoke Kind = "revoke"
	// Logout revokes the request's access token and its refresh tokens.
	Logout Kind = "logout"
	// LogoutAll ends every session of the request's user.
	LogoutAll Kind = "logoutAll"
	// RevokeUserSecret moves a user's token version on (WPGraphQL's user
	// secret), which invalidates all of that user's tokens, and with
	// gqljwt.Config.UserSecrets marks the secret revoked: no token is
	// issued for the user until RefreshUserSecret (Service.RevokeUserSecret).
	// Self or admin.
	RevokeUserSecret Kind = "revokeUserSecret"
	// RefreshUserSecret moves the version on too, clears the revocation
	// (Service.RefreshUserSecret) and starts a new session for the caller
	// when the caller is that user.
	RefreshUserSecret Kind = "refreshUserSecret"
	// LinkIdentity links an OAuth2 account to a user. Self or admin.
	LinkIdentity Kind = "linkIdentity"
	// DeleteTokenCookie deletes the access-token cookie of cookie mode
	// (django-graphql-jwt's deleteTokenCookie); its ResultDeleted says
	// whether the request carried one.
	DeleteTokenCookie Kind = "deleteTokenCookie"
	// DeleteRefreshTokenCookie deletes the refresh-token cookie of cookie
	// mode and revokes the refresh token it held (django-graphql-jwt's
	// deleteRefreshTokenCookie only deletes the cookie, leaving a copied
	// token valid until it expires).
	DeleteRefreshTokenCookie Kind = "deleteRefreshTokenCookie"
)

// Role is what an argument carries.
type Role string

// Argument roles.
const (
	ArgUsername     Role = "username"
	ArgEmail        Role = "email"
	ArgPassword     Role = "password"
	ArgToken        Role = "token"        // an access token
	ArgRefreshToken Role = "refreshToken" // a long-running refresh token
	ArgProvider     Role = "provider"     // LoginProviderEnum
	ArgIdentity     Role = "identity"     // SITETOKEN login: the user's login name
	ArgUserID       Role = "userId"
	ArgCode         Role = "code"  // OAuth2 authorization code
	ArgState        Role = "state" // OAuth2 state
	// ArgGroup is a nested input object whose fields are Arg.Fields.
	ArgGroup Role = "group"
)

// Arg is one argument (or input field) of an operation.
type Arg struct {
	Name     string
	Role     Role
	Required bool
	// Fields and TypeName describe an ArgGroup input object.
	Fields   []Arg
	TypeName string
}

// Result is what a payload field carries.
type Result string

// Payload field results.
const (
	ResultToken        Result = "token"        // access token, String
	ResultRefreshToken Result = "refreshToken" // refresh token, String
	ResultPayload      Result = "payload"      // claims, GenericScalar
	// ResultTokenExpiresAt / ResultRefreshExpiresAt: Unix seconds, Int
	// (django-graphql-jwt's refreshExpiresIn is such a timestamp).
	ResultTokenExpiresAt   Result = "tokenExpiresAt"
	ResultRefreshExpiresAt Result = "refreshExpiresAt"
	// ResultTokenExpiresIn: seconds from now, Int.
	ResultTokenExpiresIn Result = "tokenExpiresIn"
	// ResultTokenExpiration / ResultRefreshExpiration: Unix seconds as a
	// String (WPGraphQL).
	ResultTokenExpiration   Result = "tokenExpiration"
	ResultRefreshExpiration Result = "refreshExpiration"
	ResultUser              Result = "user"      // the application's user type
	ResultRevokedAt         Result = "revokedAt" // Unix seconds, Int
	ResultSuccess           Result = "success"   // Boolean
	ResultUserSecret        Result = "userSecret"
	ResultRevokedUserSecret Result = "revokedUserSecret"
	// ResultDeleted: whether the request carried the cookie a
	// DeleteTokenCookie or DeleteRefreshTokenCookie operation deleted,
	// Boolean! as django-graphql-jwt types it.
	ResultDeleted Result = "deleted"
)

// Field is one field of an operation's payload type.
type Field struct {
	Name   string
	Result Result
	// Required makes the field non-null in the schema, for APIs that
	// declare it so (django-graphql-jwt's token: String!). Only results an
	// operation always fills may be required: a null would fail the
	// whole payload.
	Required bool
}

// Operation is one auth operation as an API exposes it.
type Operation struct {
	Kind Kind
	// Name is the field name on Query or Mutation.
	Name string
	// Query puts the operation on the Query type instead of Mutation.
	Query bool
	// Relay takes the arguments as one input object argument named
	// "input" (type TypeName+"Input") and echoes clientMutationId.
	Relay bool
	// TypeName names the payload type (and, with Relay, TypeName+"Input").
	TypeName string
	Args     []Arg
	Fields   []Field
	// ReturnsUser makes the operation return the user type itself instead
	// of a payload (Toggle's loginUser { id }); the token then travels in
	// the preset's TokenHeader.
	ReturnsUser bool
	// KeepRefreshToken makes a Refresh operation keep the presented
	// refresh token instead of rotating it, for APIs whose refresh payload
	// has no field for a new one.
	KeepRefreshToken bool
	// RefusalAsPayload answers a refused token (invalid, expired,
	// revoked) with the payload, success false and no tokens, instead of
	// a GraphQL error, as WPGraphQL Headless Login's refreshToken does.
	// An outage (AUTH_UNAVAILABLE) stays an error: a client must not take
	// it for a verdict on its token. On a Logout operation it answers a
	// caller without a valid token with success null, as WPGraphQL
	// Headless Login's logout does.
	RefusalAsPayload bool
	// AnonymousOnly makes a Login operation refuse a caller who already
	// has a valid token: "You are already logged in." (WPGraphQL Headless
	// Login), FORBIDDEN.
	AnonymousOnly bool
	// Messages rewords this operation's errors by gqljwt's exact message,
	// before Preset.Messages, where the API words one refusal apart by
	// operation (WPGraphQL: "You are not allowed to revoke the user
	// secret."). Codes stay.
	Messages map[string]string
	// CookieOnly keeps the operation out of the schema unless the preset
	// is in cookie mode (Preset.Cookies), as the cookie-deleting
	// mutations are.
	CookieOnly bool
}

// hasRole reports whether args, or the fields of their groups, carry role.
func hasRole(args []Arg, role Role) bool {
	for _, a := range args {
		if a.Role == role || hasRole(a.Fields, role) {
			return true
		}
	}
	return false
}

// Preset is an auth API's vocabulary: its operations and how tokens travel.
// Presets are data; New builds any of them with the same resolvers.
type Preset struct {
	Name       string
	Operations []Operation
	// UserGlobalIDType, when set, makes userId arguments accept the API's
	// Relay-style global IDs as well as database IDs: standard base64 of
	// the type, a colon and the ID (WPGraphQL: "user", so "dXNlcjoy" is
	// user 2).
	UserGlobalIDType string
	// TokenHeader, when set, makes every operation that issues an access
	// token also send it in this response header as "Bearer <token>",
	// exposed to browsers through Access-Control-Expose-Headers.
	TokenHeader string
	// AccessTTL and RefreshTTL are the lifetimes the API documents; zero
	// means gqljwt's defaults. Apply them to the gqljwt.Config of the
	// endpoint serving the preset.
	AccessTTL, RefreshTTL time.Duration
	// Body reshapes each JSON response body of the endpoint (an envelope,
	// extra error members); wire it with middleware.Rewrite. Nil leaves
	// graphql-go's body as it is.
	Body func(body map[string]any)
	// Errors reshapes the errors the operations return, by gqljwt code,
	// for APIs whose clients match on messages or codes. Unlisted codes
	// keep gqljwt's message and code.
	Errors map[gqljwt.Code]ErrorShape
	// Messages rewords the errors the operations return, by gqljwt's
	// exact message, where one code covers cases the API words apart
	// (django-graphql-jwt: "Signature has expired" for an access token,
	// "Refresh token is expired" for a refresh token). Applied after
	// Errors; codes stay.
	Messages map[string]string
	// GuardMessages words the refusals of guarded fields as the API does;
	// pass it to directives.Apply with directives.Messages.
	GuardMessages map[gqljwt.Code]string
	// Reword, when set, words the refusals that neither a code nor a
	// message tells apart, from their cause (django-graphql-jwt: a token
	// whose signature verified but whose claims did not is "Invalid
	// token", one that did not decode "Error decoding signature"); ""
	// leaves the error to Messages and GuardMessages. It applies to the
	// operations' errors and, through directives.Reword, to the guards'.
	Reword func(e *gqljwt.Error) string
	// Claims adds the API's own claims to every access token; set it as
	// the gqljwt.Config.Claims of the endpoint serving the preset.
	Claims func(ctx context.Context, u *gqljwt.User) (map[string]any, error)
	// NotBefore: the API's tokens carry nbf, equal to iat; set it as the
	// gqljwt.Config.NotBefore of the endpoint serving the preset.
	NotBefore bool
	// QueryTypeName and MutationTypeName are the API's names of the root
	// types, which graphql-go shows in its messages ("Cannot query field
	// \"x\" on type \"RootMutation\"."); empty means Query and Mutation.
	QueryTypeName, MutationTypeName string
	// RefusedTokenStatus, when set, is the HTTP status of a response to a
	// request whose token was refused (middleware.RefusedTokenStatus);
	// the body is answered all the same, public data included.
	RefusedTokenStatus int
	// RenewHeader, when set, is the response header that hands a request
	// with a valid token a renewed one (middleware.RenewHeader).
	RenewHeader string
	// TokenArgument, when set, is the name of the argument by which the
	// application's fields may carry a token to be decided on instead of
	// the request's (django-graphql-jwt's JWT_ALLOW_ARGUMENT and
	// JWT_ARGUMENT_NAME); pass it to directives.Apply with
	// directives.TokenArgument, and declare it on those fields.
	TokenArgument string
	// Cookies, when set, turns on cookie mode (see gqljwt.CookieConfig):
	// login and refresh set the token cookies, refresh, verify and revoke
	// read them when their token argument is absent (in cookie mode those
	// arguments are nullable), logout deletes them, and the CookieOnly
	// operations join the schema. Serve the endpoint behind
	// middleware.CSRF, with middleware.FromAccessCookie among the
	// Verifier's extractors when the access token travels in a cookie.
	Cookies *gqljwt.CookieConfig
}

// ErrorShape is how a preset reports one kind of error. Empty fields keep
// gqljwt's value.
type ErrorShape struct {
	Message string
	Code    gqljwt.Code
}

var errAlreadyLoggedIn = gqljwt.ErrForbidden.WithMessage("You are already logged in.")

// opMessage rewords err by op.Messages, keeping its code.
func opMessage(op Operation, err error) error {
	ge := gqljwt.AsError(err)
	if msg, ok := op.Messages[ge.Message]; ok {
		return ge.WithMessage(msg)
	}
	return err
}

var errUserIDRequired = gqljwt.ErrBadUserInput.WithMessage("userId is required")

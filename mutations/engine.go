package mutations

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/exposeheader"
	"github.com/graphql-go/graphql"
)

// Options connect a preset to the application.
type Options struct {
	// UserType is the application's GraphQL type for users, returned by
	// the `user` payload fields; nil selects a fresh NewAuthUser().
	UserType graphql.Output
	// ResolveUser turns a gqljwt.User into the value UserType resolves
	// from; nil passes the *gqljwt.User itself.
	ResolveUser func(ctx context.Context, u *gqljwt.User) (any, error)
	// AdminRole may revoke other users' secrets and link their identities
	// (default "ADMIN").
	AdminRole string
	// Providers log users in by other means than a password (WPGraphQL's
	// SITETOKEN and OAUTH2_GENERIC), keyed by LoginProviderEnum value.
	Providers map[string]Provider
	// Identities stores OAuth2 identities linked to users; needed by
	// LinkIdentity operations and OAuth2 providers.
	Identities gqljwt.IdentityStore
	// UserAuth is the User.auth field of the endpoint, if its user type
	// has one: a login hands it its session, which its user's auth then
	// shows them as their own within the login's request.
	UserAuth *UserAuth
}

// engine resolves the operations of one preset.
type engine struct {
	auth   *gqljwt.Service
	preset Preset
	opts   Options
	inputs map[string]*graphql.InputObject // group input types by name
	// cookies is the preset's cookie mode, with its defaults; nil without.
	cookies *gqljwt.CookieConfig
}

// New builds the fragment of preset on auth. It refuses a preset whose
// operations are inconsistent (duplicate names, an argument the kind does
// not use) or that needs something auth lacks (a refresh store for
// long-running refresh, a user store for login).
func New(auth *gqljwt.Service, preset Preset, opts Options) (*Fragment, error) {
	if auth == nil {
		return nil, errors.New("mutations: nil *gqljwt.Service")
	}
	if opts.UserType == nil {
		opts.UserType = NewAuthUser()
	}
	if opts.AdminRole == "" {
		opts.AdminRole = "ADMIN"
	}
	e := &engine{auth: auth, preset: preset, opts: opts, inputs: map[string]*graphql.InputObject{}}
	if preset.Cookies != nil {
		c, err := preset.Cookies.WithDefaults()
		if err != nil {
			return nil, fmt.Errorf("mutations: preset %s: %w", preset.Name, err)
		}
		e.cookies = &c
	}
	frag := &Fragment{Query: graphql.Fields{}, Mutation: graphql.Fields{}, authOps: map[string]string{}}
	for _, op := range preset.Operations {
		if op.CookieOnly && e.cookies == nil {
			continue
		}
		if err := e.check(op); err != nil {
			return nil, fmt.Errorf("mutations: preset %s, %s: %w", preset.Name, op.Name, err)
		}
		root, rootName := frag.Mutation, "Mutation."
		if op.Query {
			root, rootName = frag.Query, "Query."
		}
		if _, dup := root[op.Name]; dup {
			return nil, fmt.Errorf("mutations: preset %s defines %s twice", preset.Name, op.Name)
		}
		root[op.Name] = e.field(op)
		frag.authOps[rootName+op.Name] = string(op.Kind)
	}
	return frag, nil
}

// check refuses operations that could only fail at run time.
func (e *engine) check(op Operation) error {
	for _, f := range op.Fields {
		if !knownResults[f.Result] {
			return fmt.Errorf("field %s: unknown result %q", f.Name, f.Result)
		}
	}
	if e.cookies != nil && e.cookies.HideTokens && !op.Relay && !op.ReturnsUser {
		visible := 0
		for _, f := range op.Fields {
			if !e.hidden(f.Result) {
				visible++
			}
		}
		if visible == 0 {
			return errors.New("Cookies.HideTokens leaves its payload without a field")
		}
	}
	cfg := e.auth.Settings()
	roles := map[Role]bool{}
	var walk func([]Arg)
	walk = func(args []Arg) {
		for _, a := range args {
			roles[a.Role] = true
			walk(a.Fields)
		}
	}
	walk(op.Args)
	switch op.Kind {
	case Login:
		switch {
		case !cfg.HasUsers:
			return errors.New("login needs gqljwt.Config.Users")
		case !roles[ArgPassword] && !roles[ArgProvider]:
			return errors.New("a login operation needs a password or a provider argument")
		case op.ReturnsUser && e.preset.TokenHeader == "":
			return errors.New("a login returning the user needs the preset's TokenHeader to hand out the token")
		}
	case Refresh:
		switch {
		case !cfg.HasUsers:
			return errors.New("refresh needs gqljwt.Config.Users")
		// An operation that also takes an access token still works in
		// single-token mode; one that only takes refresh tokens does not.
		case roles[ArgRefreshToken] && !roles[ArgToken] && !cfg.HasRefresh:
			return errors.New("an operation taking only refresh tokens needs gqljwt.Config.Refresh")
		}
	case Revoke:
		if !roles[ArgRefreshToken] {
			return errors.New("revoke needs a refreshToken argument")
		}
	case RevokeUserSecret, RefreshUserSecret:
		if !cfg.HasVersions || !cfg.HasUsers {
			return errors.New("user secrets need gqljwt.Config.Versions and Users")
		}
	case LinkIdentity:
		if e.opts.Identities == nil || !cfg.HasUsers {
			return errors.New("linking identities needs Options.Identities")
		}
	case LogoutAll:
		if !cfg.HasVersions {
			return errors.New("logoutAll needs gqljwt.Config.Versions: without token versions the user's other sessions cannot be ended")
		}
	case DeleteTokenCookie, DeleteRefreshTokenCookie:
		if e.cookies == nil {
			return errors.New("deleting cookies needs the preset's Cookies")
		}
	case Verify, Logout:
	default:
		return fmt.Errorf("unknown kind %q", op.Kind)
	}
	return nil
}

// inputs are the argument values of one call, by role.
type inputs struct {
	values           map[Role]string
	clientMutationID any
	// refreshFromCookie: the refresh token came from the cookie.
	refreshFromCookie bool
}

func (in inputs) get(r Role) string { return in.values[r] }

func collect(args []Arg, values map[string]any, in *inputs) {
	for _, a := range args {
		v, ok := values[a.Name]
		if !ok || v == nil {
			continue
		}
		if a.Role == ArgGroup {
			if m, ok := v.(map[string]any); ok {
				collect(a.Fields, m, in)
			}
			continue
		}
		if s, ok := v.(string); ok {
			in.values[a.Role] = s
		}
	}
}

// outcome is what an operation produced; payload fields read from it.
type outcome struct {
	session           *gqljwt.Session
	payload           map[string]any
	revokedAt         time.Time
	success           bool
	userSecret        string
	revokedUserSecret string
	user              *gqljwt.User
	clientMutationID  any
	// noVerdict makes success null: nothing was there to decide on.
	noVerdict bool
	deleted   bool
}

func (e *engine) resolver(op Operation) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		in := inputs{values: map[Role]string{}}
		if op.Relay {
			input, _ := p.Args["input"].(map[string]any)
			collect(op.Args, input, &in)
			in.clientMutationID = input["clientMutationId"]
		} else {
			collect(op.Args, p.Args, &in)
		}
		if secretsInURL(p.Context, in) {
			return nil, e.shape(errSecretsInURL)
		}
		if e.cookies != nil {
			if err := e.cookieInputs(p.Context, op, &in); err != nil {
				return nil, e.shape(err)
			}
		}
		out, err := e.run(p.Context, op, in)
		if e.cookies != nil {
			e.writeCookies(p.Context, op, in, out, err)
		}
		if err != nil && op.RefusalAsPayload && (refusedToken(err) || op.Kind == Logout && gqljwt.CodeOf(err) == gqljwt.CodeUnauthenticated) {
			out, err = &outcome{noVerdict: op.Kind == Logout}, nil
		}
		if err != nil {
			return nil, e.shape(opMessage(op, err))
		}
		if op.Kind == Login {
			e.opts.UserAuth.noteStarted(p.Context, out.session)
		}
		out.clientMutationID = in.clientMutationID
		if out.carriesToken() {
			noStore(p.Context)
		}
		if out.session != nil && e.preset.TokenHeader != "" {
			e.sendTokenHeader(p.Context, out.session.Access.Value)
		}
		if op.ReturnsUser {
			return e.resolveUser(p.Context, out.user)
		}
		return out, nil
	}
}

// refusedToken reports whether err is a verdict on a token: invalid,
// expired or revoked.
func refusedToken(err error) bool {
	switch gqljwt.CodeOf(err) {
	case gqljwt.CodeTokenInvalid, gqljwt.CodeTokenExpired, gqljwt.CodeTokenRevoked:
		return true
	}
	return false
}

// secretRoles are the arguments that carry credentials or tokens.
var secretRoles = []Role{ArgPassword, ArgToken, ArgRefreshToken, ArgCode}

var errSecretsInURL = gqljwt.ErrBadUserInput.WithMessage("Send credentials and tokens in the request body: this request carries them in its URL, which servers and proxies log")

// secretsInURL reports whether in carries a secret in an operation taken
// from the URL, as graphql-go's handler does whenever the query string
// has a "query" parameter, for GET and POST alike.
func secretsInURL(ctx context.Context, in inputs) bool {
	r, ok := gqljwt.RequestFromContext(ctx)
	if !ok || r.URL.Query().Get("query") == "" {
		return false
	}
	for _, role := range secretRoles {
		if in.get(role) != "" {
			return true
		}
	}
	return false
}

func (e *engine) run(ctx context.Context, op Operation, in inputs) (*outcome, error) {
	now := e.auth.Now()
	out := &outcome{}
	var err error
	switch op.Kind {
	case Login:
		if id, _ := gqljwt.FromContext(ctx); id != nil && op.AnonymousOnly {
			return nil, errAlreadyLoggedIn
		}
		out.session, err = e.login(ctx, in)
	case Verify:
		var id *gqljwt.Identity
		if id, err = e.verify(ctx, in.get(ArgToken)); err == nil {
			out.payload = id.Claims()
		}
	case Refresh:
		out.session, err = e.refresh(ctx, op, in)
	case Revoke:
		if in.get(ArgRefreshToken) == "" {
			return nil, errRefreshTokenRequired
		}
		if err = e.auth.RevokeRefreshToken(ctx, in.get(ArgRefreshToken)); err == nil {
			out.revokedAt, out.success = now, true
		}
	case Logout, LogoutAll:
		var id *gqljwt.Identity
		if id, err = requireIdentity(ctx); err != nil {
			return nil, err
		}
		if op.Kind == Logout {
			err = e.auth.Logout(ctx, id)
		} else {
			err = e.auth.LogoutAll(ctx, id)
		}
		out.revokedAt, out.success = now, err == nil
	case RevokeUserSecret, RefreshUserSecret:
		err = e.userSecret(ctx, op, in, out)
	case LinkIdentity:
		err = e.linkIdentity(ctx, in, out)
	case DeleteTokenCookie, DeleteRefreshTokenCookie:
		err = e.deleteCookie(ctx, op, in, out)
	}
	if err != nil {
		return nil, err
	}
	if out.session != nil {
		out.user = out.session.User
		out.payload = out.session.Access.Claims
		out.success = true
	}
	return out, nil
}

func (e *engine) login(ctx context.Context, in inputs) (*gqljwt.Session, error) {
	provider := in.get(ArgProvider)
	if provider == "" || provider == ProviderPassword {
		return e.auth.Login(ctx, gqljwt.Credentials{Username: in.get(ArgUsername), Email: in.get(ArgEmail), Password: in.get(ArgPassword)})
	}
	prov, ok := e.opts.Providers[provider]
	if !ok {
		return nil, gqljwt.ErrBadUserInput.WithMessage("The login provider " + strconv.Quote(provider) + " is not enabled")
	}
	u, err := prov.Authenticate(ctx, ProviderInput{Identity: in.get(ArgIdentity), Code: in.get(ArgCode), State: in.get(ArgState)})
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, gqljwt.ErrInvalidCredentials
	}
	return e.auth.StartSession(ctx, u)
}

// verify checks token, or the request's own token when token is empty.
func (e *engine) verify(ctx context.Context, token string) (*gqljwt.Identity, error) {
	if token != "" {
		return e.auth.Verify(ctx, token)
	}
	return requireIdentity(ctx)
}

func (e *engine) refresh(ctx context.Context, op Operation, in inputs) (*gqljwt.Session, error) {
	if rt := in.get(ArgRefreshToken); rt != "" {
		return e.auth.Refresh(ctx, rt, gqljwt.RefreshOptions{KeepRefreshToken: op.KeepRefreshToken})
	}
	if !hasRole(op.Args, ArgToken) {
		// Long-running refresh only: the request's own token is no
		// substitute for the refresh token it did not send.
		return nil, errRefreshTokenRequired
	}
	token := in.get(ArgToken)
	if token == "" {
		id, err := gqljwt.FromContext(ctx)
		if id == nil {
			if errors.Is(err, gqljwt.ErrNoToken) || errors.Is(err, gqljwt.ErrUnauthenticated) {
				return nil, gqljwt.ErrBadUserInput.WithMessage("A token or a refresh token is required")
			}
			return nil, err
		}
		token = id.Token
	}
	return e.renew(ctx, token)
}

// renew is single-token refresh, refusing apart what django-graphql-jwt's
// KeepAliveRefreshMixin words apart (graphql_jwt/mixins.py, utils.py
// get_user_by_payload): a token without origIat, whose session start is
// unknown, and the token of a disabled user, which the core refuses as
// revoked. Both lookups are the core's own: the verification is the one
// RenewToken repeats from the verified-token cache, and the user is read
// only once the renewal has been refused.
func (e *engine) renew(ctx context.Context, token string) (*gqljwt.Session, error) {
	id, err := e.auth.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if _, ok := id.Claims()["origIat"]; !ok && id.ExternalIssuer == "" {
		return nil, errNoOrigIat
	}
	sess, err := e.auth.RenewToken(ctx, token)
	if gqljwt.CodeOf(err) == gqljwt.CodeTokenRevoked {
		if u, uerr := e.auth.User(ctx, id.Subject); uerr == nil && !u.Active {
			return nil, errUserDisabled
		}
	}
	return sess, err
}

var (
	errRefreshTokenRequired = gqljwt.ErrBadUserInput.WithMessage("A refresh token is required")
	errNoOrigIat            = gqljwt.ErrTokenInvalid.WithMessage("The token has no origIat: the start of its session is unknown")
	errUserDisabled         = gqljwt.ErrTokenRevoked.WithMessage("The user is disabled")
)

// requireIdentity returns the request's identity or an UNAUTHENTICATED
// error whose reason says why there is none.
func requireIdentity(ctx context.Context) (*gqljwt.Identity, error) {
	id, err := gqljwt.FromContext(ctx)
	if id != nil {
		return id, nil
	}
	return nil, gqljwt.Unauthenticated(err)
}

// userID returns the userId argument as a database ID, decoding the
// preset's global IDs.
func (e *engine) userID(in inputs) string {
	v := in.get(ArgUserID)
	if e.preset.UserGlobalIDType == "" {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return v
	}
	if id, ok := strings.CutPrefix(string(b), e.preset.UserGlobalIDType+":"); ok && id != "" {
		return id
	}
	return v
}

// mayManage reports whether the caller may act on userID's account.
func (e *engine) mayManage(ctx context.Context, userID string) (*gqljwt.Identity, error) {
	id, err := requireIdentity(ctx)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, errUserIDRequired
	}
	if !id.IsLocalUser(userID) && !id.HasRole(e.opts.AdminRole) {
		return nil, gqljwt.ErrForbidden
	}
	return id, nil
}

func (e *engine) userSecret(ctx context.Context, op Operation, in inputs, out *outcome) error {
	userID := e.userID(in)
	id, err := e.mayManage(ctx, userID)
	if err != nil {
		return err
	}
	move := e.auth.RevokeUserSecret
	if op.Kind == RefreshUserSecret {
		move = e.auth.RefreshUserSecret
	}
	old, next, err := move(ctx, userID)
	if err != nil {
		return err
	}
	out.success = true
	if !id.IsLocalUser(userID) {
		// An administrator acting on another user is shown neither
		// secret, as the plugin's get_user_secret shows them to the user
		// alone (RevokeUserSecretMutationTest.php, RefreshUserSecret…
		// testMutation).
		return nil
	}
	out.revokedUserSecret, out.userSecret = secretOf(userID, old), secretOf(userID, next)
	if op.Kind == RefreshUserSecret {
		u, err := e.auth.User(ctx, userID)
		if err != nil {
			return err
		}
		if out.session, err = e.auth.StartSession(ctx, u); err != nil {
			return err
		}
		out.userSecret = secretOf(userID, u.TokenVersion)
	}
	return nil
}

// secretOf is the public face of a user's token version: WPGraphQL calls it
// the user secret. It identifies the version without revealing the count;
// nothing is signed with it.
func secretOf(userID string, version uint64) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + strconv.FormatUint(version, 10)))
	return "graphql_jwt_" + hex.EncodeToString(sum[:16])
}

// shape applies the preset's error vocabulary. The result is always a
// *gqljwt.Error, returned unwrapped so graphql-go finds its extensions.
func (e *engine) shape(err error) error {
	ge := gqljwt.AsError(err)
	s, coded := e.preset.Errors[ge.Code]
	worded, reworded := e.preset.Messages[ge.Message]
	if ge.Code == gqljwt.CodeUnauthenticated && ge.Reason != "" {
		// The request's own token was refused: worded as the preset's
		// guards word it, where they have a word for it.
		if m, ok := e.preset.GuardMessages[ge.Reason]; ok {
			worded, reworded = m, true
		}
	}
	if e.preset.Reword != nil {
		if msg := e.preset.Reword(ge); msg != "" {
			worded, reworded = msg, true
		}
	}
	if !coded && !reworded {
		return ge
	}
	out := *ge
	if s.Message != "" {
		out.Message = s.Message
	}
	if s.Code != "" {
		out.Code = s.Code
	}
	if reworded {
		out.Message = worded
	}
	return &out
}

// carriesToken reports whether the response to the operation will hold a
// credential or what a credential says: tokens, a verified payload, user
// secrets. The payload counts because it names the user and the session.
func (o *outcome) carriesToken() bool {
	return o.session != nil || o.payload != nil || o.userSecret != "" || o.revokedUserSecret != ""
}

// noStore forbids caching the response (RFC 6749 section 5.1): a shared
// cache or a browser's history would otherwise keep a token after the
// session it belongs to ended. Pragma is for HTTP/1.0 caches, which ignore
// Cache-Control. The headers go on the whole response, so one operation of
// a batch or of an aliased document is enough to set them.
func noStore(ctx context.Context) {
	w, ok := gqljwt.ResponseFromContext(ctx)
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func (e *engine) sendTokenHeader(ctx context.Context, token string) {
	w, ok := gqljwt.ResponseFromContext(ctx)
	if !ok {
		return
	}
	w.Header().Set(e.preset.TokenHeader, "Bearer "+token)
	exposeheader.Add(w.Header(), e.preset.TokenHeader)
}

func (e *engine) resolveUser(ctx context.Context, u *gqljwt.User) (any, error) {
	if u == nil {
		return nil, nil
	}
	if e.opts.ResolveUser == nil {
		return u, nil
	}
	v, err := e.opts.ResolveUser(ctx, u)
	if err != nil {
		return nil, e.shape(err)
	}
	return v, nil
}

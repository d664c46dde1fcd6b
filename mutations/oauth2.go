package mutations

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
	"golang.org/x/oauth2"
)

// stateTTL is how long an authorization request may take.
const stateTTL = 10 * time.Minute

// maxUserInfo bounds the user-info response we read.
const maxUserInfo = 1 << 20

// DefaultBrowserCookie names the cookie that binds an authorization to the
// browser that started it.
const DefaultBrowserCookie = "gqljwt-oauth2"

// OAuth2 is WPGraphQL Headless Login's OAUTH2_GENERIC provider: Start
// sends the browser to the provider with a fresh state and a PKCE
// challenge (RFC 7636), and binds the state to the browser with a cookie;
// the frontend then sends the authorization code and state from the
// provider's redirect to login, which checks that the state is one this
// server issued to this very browser (login CSRF, RFC 6749 §10.12),
// exchanges the code with its PKCE verifier through golang.org/x/oauth2,
// reads the account ID from the user-info endpoint and logs in the user
// that account is linked to.
type OAuth2 struct {
	// Slug names the provider in linked identities (default OAUTH2_GENERIC).
	Slug string
	// States holds the authorizations under way (default: in-process).
	// Set a shared one before use when several instances serve.
	States gqljwt.StateStore
	// BrowserCookie names the binding cookie (default
	// DefaultBrowserCookie). InsecureCookie drops its Secure attribute,
	// for plain-HTTP development only.
	BrowserCookie  string
	InsecureCookie bool

	config      *oauth2.Config
	userInfoURL string
	identities  gqljwt.IdentityStore
	users       gqljwt.UserStore
	client      *http.Client
}

// NewOAuth2 returns the provider. userInfoURL answers the access token's
// bearer with a JSON object whose "sub" (or "id") is the account ID.
func NewOAuth2(cfg *oauth2.Config, userInfoURL string, identities gqljwt.IdentityStore, users gqljwt.UserStore) (*OAuth2, error) {
	if cfg == nil || cfg.Endpoint.TokenURL == "" || userInfoURL == "" {
		return nil, errors.New("mutations: OAuth2 needs a token URL and a user-info URL")
	}
	if identities == nil || users == nil {
		return nil, errors.New("mutations: OAuth2 needs an identity store and a user store")
	}
	return &OAuth2{
		Slug: ProviderOAuth2, States: gqljwt.NewMemoryStates(), BrowserCookie: DefaultBrowserCookie,
		config: cfg, userInfoURL: userInfoURL, identities: identities, users: users,
		client: &http.Client{Timeout: 10 * time.Second},
	}, nil
}

// Start begins an authorization for the browser of r: it returns the
// provider URL to send the browser to, carrying a fresh single-use state
// and a PKCE challenge, and sets (or keeps) the cookie that binds the
// state to this browser.
func (o *OAuth2) Start(w http.ResponseWriter, r *http.Request) (string, error) {
	nonce := ""
	if c, err := r.Cookie(o.BrowserCookie); err == nil && validNonce(c.Value) {
		nonce = c.Value
	} else if nonce, err = randomToken(32); err != nil {
		return "", err
	}
	state, err := randomToken(24)
	if err != nil {
		return "", err
	}
	verifier := oauth2.GenerateVerifier()
	binding := sha256.Sum256([]byte(nonce))
	if err := o.States.PutState(r.Context(), state, append(binding[:], verifier...), stateTTL); err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{
		Name: o.BrowserCookie, Value: nonce, Path: "/", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, Secure: !o.InsecureCookie, SameSite: http.SameSiteLaxMode,
	})
	return o.config.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

var (
	errBadState = gqljwt.ErrBadUserInput.WithMessage("Invalid or expired OAuth2 state")
	errBadCode  = &gqljwt.Error{Code: gqljwt.CodeInvalidCredential, Message: "The authorization code was refused"}
	errUnlinked = &gqljwt.Error{Code: gqljwt.CodeInvalidCredential, Message: "No user is linked to this account"}
)

// Identify implements Identifier: it consumes the state, checks that the
// request comes from the browser the state was issued to, exchanges the
// code with the state's PKCE verifier and returns the account behind it.
func (o *OAuth2) Identify(ctx context.Context, in ProviderInput) (gqljwt.LinkedIdentity, error) {
	if in.Code == "" {
		return gqljwt.LinkedIdentity{}, gqljwt.ErrBadUserInput.WithMessage("code is required")
	}
	verifier, err := o.takeState(ctx, in.State)
	if err != nil {
		return gqljwt.LinkedIdentity{}, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.client)
	tok, err := o.config.Exchange(ctx, in.Code, oauth2.VerifierOption(verifier))
	if err != nil {
		return gqljwt.LinkedIdentity{}, errBadCode.WithCause(err)
	}
	id, err := o.accountID(ctx, tok)
	if err != nil {
		return gqljwt.LinkedIdentity{}, gqljwt.ErrUnavailable.WithCause(err)
	}
	return gqljwt.LinkedIdentity{Provider: o.Slug, ID: id}, nil
}

// takeState consumes state and returns its PKCE verifier. A state is good
// once, so a replayed authorization response fails even when the replays
// race, and only in the browser it was issued to: without the binding
// cookie a state someone else started (login CSRF) is refused. It is
// consumed either way, so a state shown to the wrong browser is spent.
func (o *OAuth2) takeState(ctx context.Context, state string) (string, error) {
	if state == "" {
		return "", errBadState
	}
	data, err := o.States.TakeState(ctx, state)
	if errors.Is(err, gqljwt.ErrNotFound) {
		return "", errBadState
	}
	if err != nil {
		return "", gqljwt.ErrUnavailable.WithCause(err)
	}
	r, ok := gqljwt.RequestFromContext(ctx)
	if !ok || len(data) <= sha256.Size {
		return "", errBadState
	}
	c, err := r.Cookie(o.BrowserCookie)
	if err != nil {
		return "", errBadState
	}
	binding := sha256.Sum256([]byte(c.Value))
	if subtle.ConstantTimeCompare(binding[:], data[:sha256.Size]) != 1 {
		return "", errBadState
	}
	return string(data[sha256.Size:]), nil
}

func validNonce(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

func (o *OAuth2) accountID(ctx context.Context, tok *oauth2.Token) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.userInfoURL, nil)
	if err != nil {
		return "", err
	}
	tok.SetAuthHeader(req)
	resp, err := o.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("user info: %s", resp.Status)
	}
	var info map[string]any
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxUserInfo))
	// Account IDs past 2^53 do not survive a float64.
	dec.UseNumber()
	if err := dec.Decode(&info); err != nil {
		return "", fmt.Errorf("user info: %w", err)
	}
	for _, k := range []string{"sub", "id"} {
		switch v := info[k].(type) {
		case string:
			if v != "" {
				return v, nil
			}
		case json.Number:
			if _, err := strconv.ParseUint(strings.TrimPrefix(v.String(), "-"), 10, 64); err != nil {
				return "", fmt.Errorf("user info: %s is not an integer ID", k)
			}
			return v.String(), nil
		}
	}
	return "", errors.New("user info: no sub or id")
}

// Authenticate implements Provider: the account must be linked to an
// existing user.
func (o *OAuth2) Authenticate(ctx context.Context, in ProviderInput) (*gqljwt.User, error) {
	ident, err := o.Identify(ctx, in)
	if err != nil {
		return nil, err
	}
	userID, err := o.identities.UserFor(ctx, ident)
	if errors.Is(err, gqljwt.ErrNotFound) {
		return nil, errUnlinked
	}
	if err != nil {
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	u, err := o.users.UserByID(ctx, userID)
	if errors.Is(err, gqljwt.ErrNotFound) {
		return nil, errUnlinked
	}
	if err != nil {
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	return u, nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

package mutations

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/patrickmn/go-cache"
	"golang.org/x/oauth2"
)

// stateTTL is how long an authorization request may take.
const stateTTL = 10 * time.Minute

// maxUserInfo bounds the user-info response we read.
const maxUserInfo = 1 << 20

// OAuth2 is WPGraphQL Headless Login's OAUTH2_GENERIC provider: the
// frontend sends the authorization code and state from the provider's
// redirect; the server checks the state it issued, exchanges the code
// through golang.org/x/oauth2, reads the account ID from the user-info
// endpoint and logs in the user that account is linked to.
type OAuth2 struct {
	// Slug names the provider in linked identities (default OAUTH2_GENERIC).
	Slug        string
	config      *oauth2.Config
	userInfoURL string
	identities  gqljwt.IdentityStore
	users       gqljwt.UserStore
	client      *http.Client
	mu          sync.Mutex // makes taking a state atomic
	states      *cache.Cache
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
		Slug: ProviderOAuth2, config: cfg, userInfoURL: userInfoURL, identities: identities, users: users,
		client: &http.Client{Timeout: 10 * time.Second},
		states: cache.New(stateTTL, time.Minute),
	}, nil
}

// AuthCodeURL starts an authorization: it returns the provider URL to send
// the user to, carrying a fresh single-use state that login will check.
func (o *OAuth2) AuthCodeURL() (string, error) {
	state, err := randomState()
	if err != nil {
		return "", err
	}
	o.states.SetDefault(state, struct{}{})
	return o.config.AuthCodeURL(state), nil
}

var (
	errBadState = gqljwt.ErrBadUserInput.WithMessage("Invalid or expired OAuth2 state")
	errBadCode  = &gqljwt.Error{Code: gqljwt.CodeInvalidCredential, Message: "The authorization code was refused"}
	errUnlinked = &gqljwt.Error{Code: gqljwt.CodeInvalidCredential, Message: "No user is linked to this account"}
)

// Identify implements Identifier: it consumes the state, exchanges the code
// and returns the account behind it.
func (o *OAuth2) Identify(ctx context.Context, in ProviderInput) (gqljwt.LinkedIdentity, error) {
	if in.Code == "" {
		return gqljwt.LinkedIdentity{}, gqljwt.ErrBadUserInput.WithMessage("code is required")
	}
	if !o.takeState(in.State) {
		return gqljwt.LinkedIdentity{}, errBadState
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.client)
	tok, err := o.config.Exchange(ctx, in.Code)
	if err != nil {
		return gqljwt.LinkedIdentity{}, errBadCode.WithCause(err)
	}
	id, err := o.accountID(ctx, tok)
	if err != nil {
		return gqljwt.LinkedIdentity{}, gqljwt.ErrUnavailable.WithCause(err)
	}
	return gqljwt.LinkedIdentity{Provider: o.Slug, ID: id}, nil
}

// takeState consumes state: a state is good once, so a replayed
// authorization response fails even when the replays race.
func (o *OAuth2) takeState(state string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.states.Get(state); !ok || state == "" {
		return false
	}
	o.states.Delete(state)
	return true
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
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxUserInfo)).Decode(&info); err != nil {
		return "", fmt.Errorf("user info: %w", err)
	}
	for _, k := range []string{"sub", "id"} {
		switch v := info[k].(type) {
		case string:
			if v != "" {
				return v, nil
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
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

func randomState() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

package mutations

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/gqljwt/gqljwt"
)

// SiteToken is WPGraphQL Headless Login's SITETOKEN provider: a trusted
// server logs a user in by identity alone, authorised by a secret site
// token in a request header. Never use it from a browser.
type SiteToken struct {
	header string
	digest [sha256.Size]byte
	users  gqljwt.UserStore
	// Identities, when set, links each identity to the user it found on
	// its first login and finds the user by that link afterwards, as the
	// plugin does (src/Auth/ProviderConfig/SiteToken.php
	// get_user_from_data); linkUserIdentity links identities to users
	// through it too.
	Identities gqljwt.IdentityStore
}

// NewSiteToken returns the provider. header names the request header that
// carries the token; token must be at least 32 bytes. An identity is
// looked up among the linked ones (Identities), then as a username, then
// as an email.
func NewSiteToken(header string, token []byte, users gqljwt.UserStore) (*SiteToken, error) {
	if header == "" {
		return nil, errors.New("mutations: the site token needs a header name")
	}
	if len(token) < gqljwt.MinHMACSecretLength {
		return nil, fmt.Errorf("mutations: the site token is %d bytes, at least %d are required", len(token), gqljwt.MinHMACSecretLength)
	}
	return &SiteToken{header: header, digest: sha256.Sum256(token), users: users}, nil
}

// The plugin's words (src/Auth/ProviderConfig/SiteToken.php).
var (
	errNoSiteToken   = &gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Missing site token in custom header."}
	errBadSiteToken  = &gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Invalid site token."}
	errNoIdentityArg = gqljwt.ErrBadUserInput.WithMessage("The SITE_TOKEN provider requires the use of the `identity` input arg.")
)

// Identify implements Identifier: the identity the trusted server vouches
// for, under the SITETOKEN provider.
func (s *SiteToken) Identify(ctx context.Context, in ProviderInput) (gqljwt.LinkedIdentity, error) {
	r, ok := gqljwt.RequestFromContext(ctx)
	if !ok {
		return gqljwt.LinkedIdentity{}, errNoSiteToken
	}
	presented := r.Header.Get(s.header)
	if presented == "" {
		return gqljwt.LinkedIdentity{}, errNoSiteToken
	}
	// Comparing digests keeps the comparison constant-time in the length
	// of the presented token too.
	got := sha256.Sum256([]byte(presented))
	if subtle.ConstantTimeCompare(got[:], s.digest[:]) != 1 {
		return gqljwt.LinkedIdentity{}, errBadSiteToken
	}
	if in.Identity == "" {
		return gqljwt.LinkedIdentity{}, errNoIdentityArg
	}
	return gqljwt.LinkedIdentity{Provider: ProviderSiteToken, ID: in.Identity}, nil
}

// Authenticate implements Provider.
func (s *SiteToken) Authenticate(ctx context.Context, in ProviderInput) (*gqljwt.User, error) {
	ident, err := s.Identify(ctx, in)
	if err != nil {
		return nil, err
	}
	if s.Identities != nil {
		switch id, err := s.Identities.UserFor(ctx, ident); {
		case err == nil:
			return s.user(s.users.UserByID(ctx, id))
		case !errors.Is(err, gqljwt.ErrNotFound):
			return nil, gqljwt.ErrUnavailable.WithCause(err)
		}
	}
	u, err := s.users.UserByUsername(ctx, in.Identity)
	if errors.Is(err, gqljwt.ErrNotFound) {
		u, err = s.users.UserByEmail(ctx, in.Identity)
	}
	if u, err = s.user(u, err); err != nil || s.Identities == nil {
		return u, err
	}
	// Found by name: linked, so the identity keeps finding this user.
	if err := s.Identities.Link(ctx, u.ID, ident); err != nil && !errors.Is(err, gqljwt.ErrIdentityLinked) {
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	return u, nil
}

func (s *SiteToken) user(u *gqljwt.User, err error) (*gqljwt.User, error) {
	switch {
	case errors.Is(err, gqljwt.ErrNotFound):
		return nil, gqljwt.ErrInvalidCredentials
	case err != nil:
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	return u, nil
}

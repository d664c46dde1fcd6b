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
}

// NewSiteToken returns the provider. header names the request header that
// carries the token; token must be at least 32 bytes. The identity is
// looked up as a username, then as an email.
func NewSiteToken(header string, token []byte, users gqljwt.UserStore) (*SiteToken, error) {
	if header == "" {
		return nil, errors.New("mutations: the site token needs a header name")
	}
	if len(token) < gqljwt.MinHMACSecretLength {
		return nil, fmt.Errorf("mutations: the site token is %d bytes, at least %d are required", len(token), gqljwt.MinHMACSecretLength)
	}
	return &SiteToken{header: header, digest: sha256.Sum256(token), users: users}, nil
}

var errBadSiteToken = &gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Invalid site token"}

// Authenticate implements Provider.
func (s *SiteToken) Authenticate(ctx context.Context, in ProviderInput) (*gqljwt.User, error) {
	r, ok := gqljwt.RequestFromContext(ctx)
	if !ok {
		return nil, errBadSiteToken
	}
	// Comparing digests keeps the comparison constant-time in the length
	// of the presented token too.
	got := sha256.Sum256([]byte(r.Header.Get(s.header)))
	if subtle.ConstantTimeCompare(got[:], s.digest[:]) != 1 {
		return nil, errBadSiteToken
	}
	if in.Identity == "" {
		return nil, gqljwt.ErrBadUserInput.WithMessage("identity is required")
	}
	u, err := s.users.UserByUsername(ctx, in.Identity)
	if errors.Is(err, gqljwt.ErrNotFound) {
		u, err = s.users.UserByEmail(ctx, in.Identity)
	}
	switch {
	case errors.Is(err, gqljwt.ErrNotFound):
		return nil, gqljwt.ErrInvalidCredentials
	case err != nil:
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	return u, nil
}

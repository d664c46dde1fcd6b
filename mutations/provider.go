package mutations

import (
	"context"

	"github.com/gqljwt/gqljwt"
)

// ProviderInput is what a login call hands a provider.
type ProviderInput struct {
	// Identity is the SITETOKEN provider's login name.
	Identity string
	// Code and State are an OAuth2 authorization response.
	Code, State string
}

// Provider logs a user in by other means than a password.
type Provider interface {
	// Authenticate returns the user the input proves, or a *gqljwt.Error.
	Authenticate(ctx context.Context, in ProviderInput) (*gqljwt.User, error)
}

// Identifier is a Provider that can also name the external account behind
// an authorization response, which is what linking needs.
type Identifier interface {
	Provider
	Identify(ctx context.Context, in ProviderInput) (LinkedIdentity, error)
}

// LinkedIdentity is an external account linked to a user.
type LinkedIdentity struct {
	// Provider is the provider slug (e.g. "OAUTH2_GENERIC").
	Provider string
	// ID is the account's ID at the provider (the resource owner ID).
	ID string
}

// IdentityStore keeps the links between users and external accounts.
type IdentityStore interface {
	// Link links identity to userID; linking an identity already linked to
	// another user fails.
	Link(ctx context.Context, userID string, identity LinkedIdentity) error
	// UserFor returns the ID of the user identity is linked to, or
	// gqljwt.ErrNotFound.
	UserFor(ctx context.Context, identity LinkedIdentity) (string, error)
	// Identities lists the identities linked to userID.
	Identities(ctx context.Context, userID string) ([]LinkedIdentity, error)
}

func (e *engine) linkIdentity(ctx context.Context, in inputs, out *outcome) error {
	userID := in.get(ArgUserID)
	if _, err := e.mayManage(ctx, userID); err != nil {
		return err
	}
	provider := in.get(ArgProvider)
	prov, ok := e.opts.Providers[provider].(Identifier)
	if !ok {
		return gqljwt.ErrBadUserInput.WithMessage("The provider " + provider + " cannot link identities")
	}
	ident, err := prov.Identify(ctx, ProviderInput{Code: in.get(ArgCode), State: in.get(ArgState)})
	if err != nil {
		return err
	}
	u, err := e.auth.Config().Users.UserByID(ctx, userID)
	if err != nil {
		return gqljwt.ErrBadUserInput.WithMessage("No such user")
	}
	if err := e.opts.Identities.Link(ctx, userID, ident); err != nil {
		return gqljwt.AsError(err)
	}
	out.user, out.success = u, true
	return nil
}

package mutations

import (
	"context"
	"errors"

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
	Identify(ctx context.Context, in ProviderInput) (gqljwt.LinkedIdentity, error)
}

func (e *engine) linkIdentity(ctx context.Context, in inputs, out *outcome) error {
	userID := e.userID(in)
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
	u, err := e.auth.User(ctx, userID)
	if err != nil {
		return err
	}
	// Link decides atomically: of two users linking one account at once,
	// one wins and the other learns it here.
	switch err := e.opts.Identities.Link(ctx, userID, ident); {
	case errors.Is(err, gqljwt.ErrIdentityLinked):
		return gqljwt.ErrBadUserInput.WithMessage("This account is linked to another user").WithCause(err)
	case err != nil:
		return gqljwt.ErrUnavailable.WithCause(err)
	}
	out.user, out.success = u, true
	return nil
}

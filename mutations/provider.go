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

// The words of the plugin's Auth::link_user_identity (src/Auth/Auth.php).
var (
	errLinkPassword    = gqljwt.ErrBadUserInput.WithMessage("You cannot link two identities from the same WordPress site. Please use a different `provider`.")
	errLinkAnonymous   = gqljwt.ErrUnauthenticated.WithMessage("You must be logged in to link your identity.")
	errLinkOtherUser   = gqljwt.ErrForbidden.WithMessage("You must be logged in as the user to link your identity.")
	errLinkedToYou     = gqljwt.ErrBadUserInput.WithMessage("This identity is already linked to your account.")
	errLinkedToAnother = gqljwt.ErrBadUserInput.WithMessage("This identity is already linked to another account.")
)

// linkIdentity links the identity a provider vouches for to the caller's
// own account, as the plugin does: only the user themself may; an
// administrator may not link one for somebody else.
func (e *engine) linkIdentity(ctx context.Context, in inputs, out *outcome) error {
	provider := in.get(ArgProvider)
	if provider == ProviderPassword {
		return errLinkPassword
	}
	id, err := requireIdentity(ctx)
	if err != nil {
		if gqljwt.CodeOf(err) == gqljwt.CodeUnauthenticated {
			return errLinkAnonymous.WithCause(err)
		}
		return err
	}
	userID := e.userID(in)
	if userID == "" || id.Subject != userID {
		return errLinkOtherUser
	}
	prov, ok := e.opts.Providers[provider].(Identifier)
	if !ok {
		return gqljwt.ErrBadUserInput.WithMessage("The provider " + provider + " cannot link identities")
	}
	ident, err := prov.Identify(ctx, ProviderInput{Identity: in.get(ArgIdentity), Code: in.get(ArgCode), State: in.get(ArgState)})
	if err != nil {
		return err
	}
	u, err := e.auth.User(ctx, userID)
	if err != nil {
		return err
	}
	switch owner, err := e.opts.Identities.UserFor(ctx, ident); {
	case err == nil && owner == userID:
		return errLinkedToYou
	case err == nil:
		return errLinkedToAnother
	case !errors.Is(err, gqljwt.ErrNotFound):
		return gqljwt.ErrUnavailable.WithCause(err)
	}
	// Link decides atomically: of two users linking one account at once,
	// one wins and the other learns it here.
	switch err := e.opts.Identities.Link(ctx, userID, ident); {
	case errors.Is(err, gqljwt.ErrIdentityLinked):
		return errLinkedToAnother.WithCause(err)
	case err != nil:
		return gqljwt.ErrUnavailable.WithCause(err)
	}
	out.user, out.success = u, true
	return nil
}

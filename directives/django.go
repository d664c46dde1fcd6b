package directives

import (
	"errors"
	"slices"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// The roles that stand for Django's user flags in the rules below: an
// account with is_staff holds DjangoStaffRole, one with is_superuser
// DjangoSuperuserRole.
const (
	DjangoStaffRole     = "staff"
	DjangoSuperuserRole = "superuser"
)

// The rules below are django-graphql-jwt's decorators (graphql_jwt/
// decorators.py) as rules. Like the decorators, which read request.user
// from the database, the ones given a gqljwt.UserStore decide on the
// account as the store has it now, not as the token remembers it: a
// permission taken away counts at once. A store that fails refuses
// (AUTH_UNAVAILABLE); an account the store does not know, or a disabled
// one, is denied. Each is wrapped in Memo: the answer depends on the
// caller alone, so with Memoize the store is asked once per request.
//
// Every denial is django-graphql-jwt's PermissionDenied, "You do not have
// permission to perform this action": FORBIDDEN for a caller with an
// identity, and UNAUTHENTICATED for an anonymous one, worded the same way
// under mutations.Graphene's GuardMessages.

// LoginRequired is @login_required: any authenticated caller. It reads no
// account, so a disabled user's token passes until it expires; see
// ActiveLoginRequired for the check django-graphql-jwt makes.
func LoginRequired() Rule { return Authenticated() }

// ErrDjangoUserDisabled is the refusal of ActiveLoginRequired for a
// disabled account: django-graphql-jwt's JSONWebTokenError "User is
// disabled" (graphql_jwt/utils.py get_user_by_payload), as UNAUTHENTICATED
// whose reason is TOKEN_REVOKED, since the account's tokens are no longer
// good and logging in again is what the client must do.
var ErrDjangoUserDisabled = gqljwt.Unauthenticated(gqljwt.ErrTokenRevoked).WithMessage("User is disabled")

// ActiveLoginRequired is @login_required as django-graphql-jwt serves it:
// its authentication backend (graphql_jwt/backends.py) looks the token's
// user up on every request (utils.py get_user_by_payload), so a disabled
// account's still-valid token is refused with ErrDjangoUserDisabled, and
// the token of an account that no longer exists leaves the caller
// anonymous, whom login_required denies ("You do not have permission to
// perform this action", FORBIDDEN here, as the caller has a token). A
// store that fails refuses (AUTH_UNAVAILABLE). The identity of an external
// issuer (Config.Issuers) has no account here and passes as with
// LoginRequired. It costs a user store read per request (it is a Memo);
// LoginRequired costs none.
func ActiveLoginRequired(users gqljwt.UserStore) Rule {
	if users == nil {
		panic("directives: ActiveLoginRequired needs a user store")
	}
	return Memo(Predicate("login_required", func(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
		if id.ExternalIssuer != "" {
			return true, nil
		}
		u, err := account(p, users, id)
		switch {
		case u == nil || err != nil:
			return false, err
		case !u.Active:
			return false, ErrDjangoUserDisabled
		}
		return true, nil
	}))
}

// StaffMemberRequired is @staff_member_required: an active account whose
// roles in users include DjangoStaffRole.
func StaffMemberRequired(users gqljwt.UserStore) Rule {
	return UserPassesTest("staff_member_required", users, func(u *gqljwt.User) bool {
		return slices.Contains(u.Roles, DjangoStaffRole)
	})
}

// SuperuserRequired is @superuser_required: an active account whose roles
// in users include DjangoSuperuserRole.
func SuperuserRequired(users gqljwt.UserStore) Rule {
	return UserPassesTest("superuser_required", users, isSuperuser)
}

func isSuperuser(u *gqljwt.User) bool { return slices.Contains(u.Roles, DjangoSuperuserRole) }

// PermissionRequired is @permission_required(perms): an active account
// holding every one of perms, Django permission strings ("app.codename",
// e.g. "auth.add_user") kept among the user's Scopes in users. As Django's
// has_perms, a superuser holds them all. It panics on a string that is not
// "app.codename": a typo would deny everyone.
func PermissionRequired(users gqljwt.UserStore, perms ...string) Rule {
	mustHave("PermissionRequired", len(perms))
	for _, p := range perms {
		app, code, ok := strings.Cut(p, ".")
		if !ok || app == "" || code == "" || strings.ContainsAny(p, " \t\n") {
			panic("directives: PermissionRequired: " + p + " is not a Django permission (app_label.codename)")
		}
	}
	perms = slices.Clone(perms)
	return UserPassesTest("permission_required("+strings.Join(perms, ", ")+")", users, func(u *gqljwt.User) bool {
		if isSuperuser(u) {
			return true
		}
		for _, p := range perms {
			if !slices.Contains(u.Scopes, p) {
				return false
			}
		}
		return true
	})
}

// UserPassesTest is @user_passes_test(test): an active account of users
// for which test returns true. name appears in the rule's String. It
// panics when users or test is nil.
func UserPassesTest(name string, users gqljwt.UserStore, test func(u *gqljwt.User) bool) Rule {
	if users == nil || test == nil {
		panic("directives: UserPassesTest " + name + " needs a user store and a test")
	}
	return Memo(Predicate(name, func(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
		u, err := account(p, users, id)
		if u == nil || err != nil {
			return false, err
		}
		return u.Active && test(u), nil
	}))
}

// account is the caller's account as users holds it now, read as Django's
// decorators read request.user: nil for an account that no longer exists
// (the caller is then anonymous to them) and for the identity of an
// external issuer, whose sub names an account at that issuer, never one of
// ours (Identity.IsLocalUser); ErrUnavailable for a store that fails.
func account(p graphql.ResolveParams, users gqljwt.UserStore, id *gqljwt.Identity) (*gqljwt.User, error) {
	if id.ExternalIssuer != "" {
		return nil, nil
	}
	u, err := users.UserByID(p.Context, id.Subject)
	switch {
	case errors.Is(err, gqljwt.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, gqljwt.ErrUnavailable.WithCause(err)
	}
	return u, nil
}

package directives_test

import (
	"context"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/graphql-go/graphql"
)

// djangoEnv serves fields guarded by the Django decorator rules, deciding
// on the accounts of users as they are at request time.
func djangoEnv(t *testing.T) (*env, *memstore.Users) {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(4))
	for _, u := range []gqljwt.User{
		{ID: "u1", Username: "plain", Active: true},
		{ID: "u2", Username: "staff", Active: true, Roles: []string{directives.DjangoStaffRole}},
		{ID: "u3", Username: "root", Active: true, Roles: []string{directives.DjangoSuperuserRole}},
		{ID: "u4", Username: "adder", Active: true, Scopes: []string{"auth.add_user"}},
		{ID: "u5", Username: "both", Active: true, Scopes: []string{"auth.add_user", "auth.change_user"}},
		{ID: "u6", Username: "gone", Active: false, Roles: []string{directives.DjangoStaffRole}},
	} {
		if err := users.Add(u, "password"); err != nil {
			t.Fatal(err)
		}
	}
	str := func(v string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return v, nil }}
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"login": str("in"), "active": str("active"), "down": str("down"), "staff": str("staff"), "superuser": str("super"), "add": str("add"), "addChange": str("add+change"), "even": str("even"),
	}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.login":     directives.LoginRequired(),
		"Query.active":    directives.ActiveLoginRequired(users),
		"Query.down":      directives.ActiveLoginRequired(downUsers{users}),
		"Query.staff":     directives.StaffMemberRequired(users),
		"Query.superuser": directives.SuperuserRequired(users),
		"Query.add":       directives.PermissionRequired(users, "auth.add_user"),
		"Query.addChange": directives.PermissionRequired(users, "auth.add_user", "auth.change_user"),
		"Query.even": directives.UserPassesTest("even id", users, func(u *gqljwt.User) bool {
			return (u.ID[len(u.ID)-1]-'0')%2 == 0
		}),
	}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	for _, name := range []string{"plain", "staff", "root", "adder", "both", "gone"} {
		u, err := users.UserByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = e.issue(e.auth, u)
	}
	e.tokens["deleted"] = e.issue(e.auth, &gqljwt.User{ID: "u9"})
	return e, users
}

// downUsers is a user store whose lookups fail.
type downUsers struct{ *memstore.Users }

func (downUsers) UserByID(context.Context, string) (*gqljwt.User, error) { return nil, errBoom }

// TestDjangoDecoratorRules: the rules of django-graphql-jwt's decorators
// (graphql_jwt/decorators.py), cases from its tests/test_decorators.py,
// over HTTP with the accounts read from the user store at request time.
func TestDjangoDecoratorRules(t *testing.T) {
	e, users := djangoEnv(t)
	const denied = "You do not have permission to perform this action"
	tests := []struct {
		name, caller, field string
		allowed             bool
		code                string
	}{
		// LoginRequiredTests
		{"login_required", "plain", "login", true, ""},
		{"login_required, anonymous", "anonymous", "login", false, "UNAUTHENTICATED"},
		// StaffMemberRequiredTests
		{"staff_member_required", "staff", "staff", true, ""},
		{"staff_member_required, not staff", "plain", "staff", false, "FORBIDDEN"},
		{"staff_member_required, disabled staff", "gone", "staff", false, "FORBIDDEN"},
		{"staff_member_required, unknown account", "deleted", "staff", false, "FORBIDDEN"},
		{"staff_member_required, anonymous", "anonymous", "staff", false, "UNAUTHENTICATED"},
		// SuperuserRequiredTests
		{"superuser_required", "root", "superuser", true, ""},
		{"superuser_required, staff only", "staff", "superuser", false, "FORBIDDEN"},
		// PermissionRequiredTests
		{"permission_required", "adder", "add", true, ""},
		{"permission_required, list, one missing", "adder", "addChange", false, "FORBIDDEN"},
		{"permission_required, list, all held", "both", "addChange", true, ""},
		{"permission_required, superuser holds all", "root", "addChange", true, ""},
		{"permission_required, none", "plain", "add", false, "FORBIDDEN"},
		// UserPassesTests
		{"user_passes_test", "staff", "even", true, ""},
		{"user_passes_test, fails", "plain", "even", false, "FORBIDDEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := sprintf(`{"data": {%q: %q}}`, tt.field, map[string]string{"login": "in", "staff": "staff", "superuser": "super", "add": "add", "addChange": "add+change", "even": "even"}[tt.field])
			if !tt.allowed {
				msg := denied
				if tt.code == "UNAUTHENTICATED" {
					msg = "Unauthorized" // worded by the preset's GuardMessages, see examples/server
				}
				want = sprintf(`{"data": {%q: null}, "errors": [{"message": %q, "locations": [{"line": 1, "column": 3}], "path": [%q], "extensions": {"code": %q}}]}`,
					tt.field, msg, tt.field, tt.code)
			}
			assertJSON(t, e.do(tt.caller, "{ "+tt.field+" }"), want)
		})
	}

	// ActiveLoginRequired: login_required behind django-graphql-jwt's
	// backend, which reads the user on each request (graphql_jwt/
	// backends.py, utils.py get_user_by_payload; tests/test_utils.py
	// test_user_disabled_by_payload): a disabled account's valid token is
	// refused as "User is disabled"; a deleted account's caller is
	// anonymous to Django, whom login_required denies.
	at := func(field, code, reason, msg string) string {
		ext := sprintf(`{"code": %q}`, code)
		if reason != "" {
			ext = sprintf(`{"code": %q, "reason": %q}`, code, reason)
		}
		return sprintf(`{"data": {%q: null}, "errors": [{"message": %q, "locations": [{"line": 1, "column": 3}], "path": [%q], "extensions": %s}]}`, field, msg, field, ext)
	}
	for _, c := range []struct{ caller, want string }{
		{"plain", `{"data": {"active": "active"}}`},
		{"gone", at("active", "UNAUTHENTICATED", "TOKEN_REVOKED", "User is disabled")},
		{"deleted", at("active", "FORBIDDEN", "", denied)},
		{"anonymous", at("active", "UNAUTHENTICATED", "", "Unauthorized")},
	} {
		assertJSON(t, e.do(c.caller, "{ active }"), c.want)
	}
	// LoginRequired reads no account: the disabled user's token passes.
	assertJSON(t, e.do("gone", "{ login }"), `{"data": {"login": "in"}}`)
	// A store that fails refuses.
	assertJSON(t, e.do("plain", "{ down }"), at("down", "AUTH_UNAVAILABLE", "", gqljwt.ErrUnavailable.Message))

	// The store decides, not the token: an account disabled after its
	// token was issued is denied at once.
	if err := users.SetActive("u4", false); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, e.do("adder", "{ add }"), `{"data": {"add": null}, "errors": [{"message": "`+denied+`", "locations": [{"line": 1, "column": 3}], "path": ["add"], "extensions": {"code": "FORBIDDEN"}}]}`)
	assertJSON(t, e.do("adder", "{ active }"), at("active", "UNAUTHENTICATED", "TOKEN_REVOKED", "User is disabled"))
}

func TestPermissionRequiredRefusesMalformedPermissions(t *testing.T) {
	users := memstore.NewUsers()
	for _, perm := range []string{"add_user", ".add_user", "auth.", "auth. add_user"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PermissionRequired(%q) did not panic", perm)
				}
			}()
			directives.PermissionRequired(users, perm)
		}()
	}
}

// TestDjangoRulesRefuseExternalSubjects: the identity of an external
// issuer whose sub happens to be a local user's ID gets none of that
// user's rights: the rules that read an account deny it; ActiveLoginRequired,
// login_required, lets it in as LoginRequired does.
func TestDjangoRulesRefuseExternalSubjects(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(4))
	if err := users.Add(gqljwt.User{ID: "u2", Username: "staff", Active: true,
		Roles: []string{directives.DjangoStaffRole, directives.DjangoSuperuserRole}, Scopes: []string{"auth.add_user"}}, "password"); err != nil {
		t.Fatal(err)
	}
	str := &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "ok", nil }}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query",
		Fields: graphql.Fields{"staff": str, "superuser": str, "add": str, "test": str, "active": str}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.staff":     directives.StaffMemberRequired(users),
		"Query.superuser": directives.SuperuserRequired(users),
		"Query.add":       directives.PermissionRequired(users, "auth.add_user"),
		"Query.test":      directives.UserPassesTest("any", users, func(*gqljwt.User) bool { return true }),
		"Query.active":    directives.ActiveLoginRequired(users),
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		id   gqljwt.Identity
		want map[string]bool // field: allowed
	}{
		{"local", gqljwt.Identity{Subject: "u2"}, map[string]bool{"staff": true, "superuser": true, "add": true, "test": true, "active": true}},
		{"external, same sub", gqljwt.Identity{Subject: "u2", ExternalIssuer: "https://idp.example"}, map[string]bool{"active": true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := gqljwt.NewContext(context.Background(), nil, nil, &tt.id, nil)
			res := graphql.Do(graphql.Params{Schema: schema, Context: ctx, RequestString: "{ staff superuser add test active }"})
			data, _ := res.Data.(map[string]any)
			denied := map[string]string{}
			for _, e := range res.Errors {
				denied[sprintf("%v", e.Path[0])] = e.Message
			}
			for _, f := range []string{"staff", "superuser", "add", "test", "active"} {
				if got := data[f] == "ok"; got != tt.want[f] {
					t.Errorf("%s: allowed %v, want %v (errors %v)", f, got, tt.want[f], denied)
				}
				if !tt.want[f] && denied[f] != "You do not have permission to perform this action" {
					t.Errorf("%s: error %q, want Django's permission message", f, denied[f])
				}
			}
		})
	}
}

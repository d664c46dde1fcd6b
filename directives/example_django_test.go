package directives_test

import (
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
)

// django-graphql-jwt's decorators as rules: the account is read from the
// user store at request time, so a permission granted or taken away counts
// at once.
func ExamplePermissionRequired() {
	users := memstore.NewUsers()
	if err := users.Add(gqljwt.User{ID: "7", Username: "ann", Active: true, Scopes: []string{"blog.publish_post"}}, "ann-password"); err != nil {
		panic(err)
	}
	schema := exampleSchema()
	if err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.hello":      directives.LoginRequired(),                                // @login_required
		"Query.drafts":     directives.StaffMemberRequired(users),                     // @staff_member_required
		"Mutation.publish": directives.PermissionRequired(users, "blog.publish_post"), // @permission_required("blog.publish_post")
	}); err != nil {
		panic(err)
	}
	ann := &gqljwt.Identity{Subject: "7"}
	exampleDo(schema, ann, `mutation { publish }`, nil)
	exampleDo(schema, ann, `{ hello drafts }`, nil)
	// Output:
	// {"data":{"publish":true}}
	// {"data":{"drafts":null,"hello":"world"},"errors":[{"message":"You do not have permission to perform this action","locations":[{"line":1,"column":9}],"path":["drafts"],"extensions":{"code":"FORBIDDEN"}}]}
}

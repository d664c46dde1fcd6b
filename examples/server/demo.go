package main

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// demoGuards are the demo schema's guards written as @auth directives; the
// SDL only has to name the guarded fields.
const demoGuards = `
type Query {
  me: User @auth
  drafts: [Post] @auth(requires: ["EDITOR", "ADMIN"])
}

type Mutation {
  createPost(title: String!): Post @auth(scopes: ["write:posts"])
}
`

// demoRules are guards written in Go, merged with those of demoGuards.
func demoRules() (map[string]directives.Rule, error) {
	rules, err := directives.ParseSDL(demoGuards, nil)
	if err != nil {
		return nil, err
	}
	rules["Query.posts"] = directives.Public()
	rules["Query.adminStats"] = directives.AnyRole("ADMIN")
	return rules, nil
}

type post struct {
	ID        int
	Title     string
	Author    string
	Published bool
}

// blog is the demo's data: posts, some of them drafts.
type blog struct {
	mu    sync.Mutex
	posts []post
}

func newBlog() *blog {
	return &blog{posts: []post{
		{1, "Hello, gqljwt", "alice", true},
		{2, "Guarding fields with @auth", "bob", true},
		{3, "Key rotation without logouts (draft)", "bob", false},
	}}
}

func (b *blog) list(published bool) []post {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []post
	for _, p := range b.posts {
		if p.Published == published {
			out = append(out, p)
		}
	}
	return out
}

func (b *blog) create(title, author string) post {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := post{ID: len(b.posts) + 1, Title: title, Author: author, Published: true}
	b.posts = append(b.posts, p)
	return p
}

func (b *blog) stats() map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	drafts := 0
	for _, p := range b.posts {
		if !p.Published {
			drafts++
		}
	}
	return map[string]any{"posts": len(b.posts) - drafts, "drafts": drafts}
}

var postType = graphql.NewObject(graphql.ObjectConfig{
	Name: "Post",
	Fields: graphql.Fields{
		"id":        &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: postField(func(p post) any { return strconv.Itoa(p.ID) })},
		"title":     &graphql.Field{Type: graphql.String, Resolve: postField(func(p post) any { return p.Title })},
		"author":    &graphql.Field{Type: graphql.String, Resolve: postField(func(p post) any { return p.Author })},
		"published": &graphql.Field{Type: graphql.Boolean, Resolve: postField(func(p post) any { return p.Published })},
	},
})

func postField(get func(post) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return get(p.Source.(post)), nil }
}

var adminStatsType = graphql.NewObject(graphql.ObjectConfig{
	Name: "AdminStats",
	Fields: graphql.Fields{
		"posts":  &graphql.Field{Type: graphql.Int},
		"drafts": &graphql.Field{Type: graphql.Int},
	},
})

// userType is the application's User type. idType differs between the
// APIs the presets reproduce: an ID everywhere, an Int for CollectiveAccess.
// authField, when not nil, is its auth field (WPGraphQL Headless Login's).
func userType(idType graphql.Output, authField *graphql.Field) *graphql.Object {
	fields := graphql.Fields{
		"id": &graphql.Field{Type: graphql.NewNonNull(idType), Resolve: userField(func(u *gqljwt.User) any {
			if idType == graphql.Int {
				n, _ := strconv.Atoi(u.ID)
				return n
			}
			return u.ID
		})},
		"username": &graphql.Field{Type: graphql.String, Resolve: userField(func(u *gqljwt.User) any { return u.Username })},
		"email":    &graphql.Field{Type: graphql.String, Resolve: userField(func(u *gqljwt.User) any { return u.Email })},
		"fname":    &graphql.Field{Type: graphql.String, Resolve: userField(func(u *gqljwt.User) any { return u.Profile["fname"] })},
		"lname":    &graphql.Field{Type: graphql.String, Resolve: userField(func(u *gqljwt.User) any { return u.Profile["lname"] })},
		"roles":    &graphql.Field{Type: graphql.NewList(graphql.String), Resolve: userField(func(u *gqljwt.User) any { return u.Roles })},
		"scopes":   &graphql.Field{Type: graphql.NewList(graphql.String), Resolve: userField(func(u *gqljwt.User) any { return u.Scopes })},
	}
	if authField != nil {
		fields["auth"] = authField
	}
	return graphql.NewObject(graphql.ObjectConfig{Name: "User", Fields: fields})
}

func userField(get func(*gqljwt.User) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return get(p.Source.(*gqljwt.User)), nil }
}

// demoFields returns the demo schema's root fields, resolved against b.
func demoFields(b *blog, user graphql.Output, users gqljwt.UserStore) (query, mutation graphql.Fields) {
	query = graphql.Fields{
		"posts": &graphql.Field{Type: graphql.NewList(postType), Description: "Published posts; public.",
			Resolve: func(graphql.ResolveParams) (any, error) { return b.list(true), nil }},
		"drafts": &graphql.Field{Type: graphql.NewList(postType), Description: "Unpublished posts; editors and admins.",
			Resolve: func(graphql.ResolveParams) (any, error) { return b.list(false), nil }},
		"adminStats": &graphql.Field{Type: adminStatsType, Description: "Counts; admins only.",
			Resolve: func(graphql.ResolveParams) (any, error) { return b.stats(), nil }},
		"me": &graphql.Field{Type: user, Description: "The caller; authenticated.",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id, err := gqljwt.FromContext(p.Context)
				if id == nil {
					return nil, err
				}
				if id.ExternalIssuer != "" {
					return externalUser(id), nil
				}
				return users.UserByID(p.Context, id.Subject)
			}},
	}
	mutation = graphql.Fields{
		"createPost": &graphql.Field{Type: postType, Description: "Publish a post; scope write:posts.",
			Args: graphql.FieldConfigArgument{"title": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id, _ := gqljwt.FromContext(p.Context)
				if id == nil {
					return nil, fmt.Errorf("createPost reached without an identity")
				}
				title, _ := p.Args["title"].(string)
				return b.create(title, id.Username), nil
			}},
	}
	return query, mutation
}

// demoUser is one of the seeded accounts, documented in the README.
type demoUser struct {
	user     gqljwt.User
	password string
}

var demoUsers = []demoUser{
	{gqljwt.User{ID: "1", Username: "alice", Email: "alice@example.com", Roles: []string{"ADMIN"}, Scopes: []string{"read:posts", "write:posts"},
		Active: true, Profile: map[string]any{"fname": "Alice", "lname": "Admin"}}, "alice-password"},
	{gqljwt.User{ID: "2", Username: "bob", Email: "bob@example.com", Roles: []string{"EDITOR"}, Scopes: []string{"read:posts", "write:posts"},
		Active: true, Profile: map[string]any{"fname": "Bob", "lname": "Editor"}}, "bob-password"},
	{gqljwt.User{ID: "3", Username: "carol", Email: "carol@example.com", Roles: []string{"VIEWER"}, Scopes: []string{"read:posts"},
		Active: true, Profile: map[string]any{"fname": "Carol", "lname": "Viewer"}}, "carol-password"},
	// dave is disabled: his right password must get the answer a wrong one
	// gets, so that trying it tells an attacker nothing about the account.
	{gqljwt.User{ID: "4", Username: "dave", Email: "dave@example.com", Roles: []string{"VIEWER"}, Scopes: []string{"read:posts"},
		Active: false, Profile: map[string]any{"fname": "Dave", "lname": "Disabled"}}, "dave-password"},
}

// viewerField is WPGraphQL's viewer: the caller, or null.
func viewerField(user graphql.Output, users gqljwt.UserStore) *graphql.Field {
	return &graphql.Field{Type: user, Description: "The caller; null when anonymous.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			id, _ := gqljwt.FromContext(p.Context)
			if id == nil {
				return nil, nil
			}
			if id.ExternalIssuer != "" {
				return externalUser(id), nil
			}
			return users.UserByID(p.Context, id.Subject)
		}}
}

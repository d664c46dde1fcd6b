package main

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
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
// tokenArg, when set, is an argument of me carrying a token to decide on
// instead of the request's (directives.TokenArgument).
func demoFields(b *blog, user graphql.Output, users gqljwt.UserStore, tokenArg string) (query, mutation graphql.Fields) {
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
	if tokenArg != "" {
		query["me"].Args = graphql.FieldConfigArgument{tokenArg: &graphql.ArgumentConfig{Type: graphql.String}}
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

// djangoRules puts the account check of django-graphql-jwt's backend in
// front of every guarded field of the Graphene endpoints: the backend
// reads the token's user on each request, so a disabled user's token
// answers "User is disabled" on me, drafts and the rest
// (directives.ActiveLoginRequired), while public fields stay public.
func djangoRules(rules map[string]directives.Rule, users gqljwt.UserStore) map[string]directives.Rule {
	active := directives.ActiveLoginRequired(users)
	out := make(map[string]directives.Rule, len(rules))
	for field, rule := range rules {
		if rule != directives.Public() {
			rule = directives.And(active, rule)
		}
		out[field] = rule
	}
	return out
}

// userByIDField is WPGraphQL's user(id:), by database or global ID
// ("user:2" in base64): the user for that user themself and for an
// administrator, null for anybody else, as WPGraphQL's User model hides
// an account from those who may not see it. It is how an administrator
// reads another user's auth { isUserSecretRevoked }.
func userByIDField(user graphql.Output, users gqljwt.UserStore) *graphql.Field {
	return &graphql.Field{Type: user, Description: "A user, for themself and administrators; null otherwise.",
		Args: graphql.FieldConfigArgument{"id": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.ID)}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			id, _ := gqljwt.FromContext(p.Context)
			userID, _ := p.Args["id"].(string)
			if b, err := base64.StdEncoding.DecodeString(userID); err == nil {
				if v, ok := strings.CutPrefix(string(b), "user:"); ok {
					userID = v
				}
			}
			if id == nil || (!id.IsLocalUser(userID) && !id.HasRole("ADMIN")) {
				return nil, nil
			}
			u, err := users.UserByID(p.Context, userID)
			if errors.Is(err, gqljwt.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, gqljwt.ErrUnavailable.WithCause(err)
			}
			return u, nil
		}}
}

// renameRoots moves the rules of the Query and Mutation types to the
// preset's names of them (WPGraphQL's RootQuery and RootMutation).
func renameRoots(rules map[string]directives.Rule, p mutations.Preset) map[string]directives.Rule {
	if p.QueryTypeName == "" && p.MutationTypeName == "" {
		return rules
	}
	out := make(map[string]directives.Rule, len(rules))
	for key, rule := range rules {
		typ, field, _ := strings.Cut(key, ".")
		switch typ {
		case "Query":
			typ = cmp.Or(p.QueryTypeName, typ)
		case "Mutation":
			typ = cmp.Or(p.MutationTypeName, typ)
		}
		out[typ+"."+field] = rule
	}
	return out
}

// presetHeaders are the preset's HTTP-level behaviours, after the
// verifier: the status of a refused token and the renewed token header.
func presetHeaders(auth *gqljwt.Service, p mutations.Preset) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		if p.RenewHeader != "" {
			h = middleware.RenewHeader(auth, p.RenewHeader)(h)
		}
		if p.RefusedTokenStatus != 0 {
			h = middleware.RefusedTokenStatus(p.RefusedTokenStatus)(h)
		}
		return h
	}
}

// loginClients are WPGraphQL's loginClients: the providers the demo has
// enabled.
func loginClients(o options) []mutations.LoginClient {
	clients := []mutations.LoginClient{{Provider: mutations.ProviderPassword, Name: "Password"}}
	if o.siteToken != nil {
		clients = append(clients, mutations.LoginClient{Provider: mutations.ProviderSiteToken, Name: "Site Token", Order: 1})
	}
	if o.oauth2 != nil {
		clients = append(clients, mutations.LoginClient{Provider: mutations.ProviderOAuth2, Name: "OAuth2 (Generic)", Order: 2,
			ClientID: o.oauth2.ClientID, AuthorizationURL: "/oauth2/authorize"})
	}
	return clients
}

// guardOptions are the preset's wording of refusals and, for a preset
// with a token argument (django-graphql-jwt's JWT_ALLOW_ARGUMENT), the
// guards' reading of it.
func guardOptions(auth *gqljwt.Service, p mutations.Preset) []directives.Option {
	opts := []directives.Option{directives.Messages(p.GuardMessages), directives.Reword(p.Reword)}
	if p.TokenArgument != "" {
		opts = append(opts, directives.TokenArgument(auth, p.TokenArgument))
	}
	return opts
}

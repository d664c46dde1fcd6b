package mutations

import (
	"slices"

	"github.com/graphql-go/graphql"
)

// LoginClient describes one way to log in, as WPGraphQL Headless Login's
// loginClients query lists them (src/Type/WPObject/Client.php).
type LoginClient struct {
	// Provider is the LoginProviderEnum value, e.g. ProviderPassword.
	Provider string
	// Name is the client's display name.
	Name string
	// ClientID is the OAuth2 client ID, empty for the others.
	ClientID string
	// AuthorizationURL is where an OAUTH2_GENERIC login starts: the
	// server's own start URL (OAuth2.Start), which issues the state.
	AuthorizationURL string
	// Order sorts the clients for display.
	Order int
}

// LoginClientFields returns the plugin's root query fields loginClients
// (every enabled client, null when there is none) and
// loginClient(provider: LoginProviderEnum!), whose answer for a provider
// not among clients has isEnabled false. They hold no secret: the site
// token and the OAuth2 client secret are never among them. The plugin's
// clientOptions and loginOptions are left out.
func LoginClientFields(clients ...LoginClient) graphql.Fields {
	clients = slices.Clone(clients)
	slices.SortStableFunc(clients, func(a, b LoginClient) int { return a.Order - b.Order })
	str := func(get func(c *loginClient) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if v := get(p.Source.(*loginClient)); v != "" {
				return v, nil
			}
			return nil, nil
		}}
	}
	typ := graphql.NewObject(graphql.ObjectConfig{
		Name:        "LoginClient",
		Description: "The Headless Login client.",
		Fields: graphql.Fields{
			"authorizationUrl": str(func(c *loginClient) string { return c.AuthorizationURL }),
			"clientId": &graphql.Field{Type: graphql.ID, Resolve: func(p graphql.ResolveParams) (any, error) {
				if c := p.Source.(*loginClient); c.ClientID != "" {
					return c.ClientID, nil
				}
				return nil, nil
			}},
			"isEnabled": &graphql.Field{Type: graphql.Boolean, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(*loginClient).enabled, nil
			}},
			"name": str(func(c *loginClient) string { return c.Name }),
			"order": &graphql.Field{Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(*loginClient).Order, nil
			}},
			"provider": &graphql.Field{Type: LoginProviderEnum, Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Source.(*loginClient).Provider, nil
			}},
		},
	})
	return graphql.Fields{
		"loginClients": &graphql.Field{Type: graphql.NewList(typ), Description: "The registered Headless Login clients.",
			Resolve: func(graphql.ResolveParams) (any, error) {
				if len(clients) == 0 {
					return nil, nil
				}
				out := make([]*loginClient, len(clients))
				for i := range clients {
					out[i] = &loginClient{LoginClient: clients[i], enabled: true}
				}
				return out, nil
			}},
		"loginClient": &graphql.Field{Type: typ, Description: "The Headless Login client for the provided provider.",
			Args: graphql.FieldConfigArgument{"provider": &graphql.ArgumentConfig{Type: graphql.NewNonNull(LoginProviderEnum)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				provider, _ := p.Args["provider"].(string)
				for i := range clients {
					if clients[i].Provider == provider {
						return &loginClient{LoginClient: clients[i], enabled: true}, nil
					}
				}
				return &loginClient{LoginClient: LoginClient{Provider: provider}}, nil
			}},
	}
}

type loginClient struct {
	LoginClient
	enabled bool
}

package mutations

import (
	"strconv"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// GenericScalar carries the token payload as a JSON object, under the name
// graphene (and so django-graphql-jwt) gives it.
var GenericScalar = graphql.NewScalar(graphql.ScalarConfig{
	Name:        "GenericScalar",
	Description: "Any JSON value: the token payload.",
	Serialize:   func(v any) any { return v },
	ParseValue:  func(v any) any { return v },
	ParseLiteral: func(v ast.Value) any {
		return literalValue(v)
	},
})

func literalValue(v ast.Value) any {
	switch v := v.(type) {
	case *ast.StringValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.IntValue:
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	case *ast.FloatValue:
		f, _ := strconv.ParseFloat(v.Value, 64)
		return f
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, e := range v.Values {
			out[i] = literalValue(e)
		}
		return out
	case *ast.ObjectValue:
		out := map[string]any{}
		for _, f := range v.Fields {
			out[f.Name.Value] = literalValue(f.Value)
		}
		return out
	}
	return nil
}

// NewAuthUser returns a fresh AuthUser { id username email } type, the
// user type New uses when Options.UserType is nil. Each call is a type of
// its own: schemas that share none can be guarded apart (see
// directives.ErrSharedType).
func NewAuthUser() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "AuthUser",
		Description: "The authenticated user.",
		Fields: graphql.Fields{
			"id":       &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
			"username": &graphql.Field{Type: graphql.String},
			"email":    &graphql.Field{Type: graphql.String},
		},
	})
}

// The login providers of WPGraphQL Headless Login.
const (
	ProviderPassword  = "PASSWORD"
	ProviderSiteToken = "SITETOKEN"
	ProviderOAuth2    = "OAUTH2_GENERIC"
)

// LoginProviderEnum is WPGraphQL Headless Login's provider enum.
var LoginProviderEnum = graphql.NewEnum(graphql.EnumConfig{
	Name: "LoginProviderEnum",
	Values: graphql.EnumValueConfigMap{
		ProviderPassword:  &graphql.EnumValueConfig{Value: ProviderPassword, Description: "Username and password."},
		ProviderSiteToken: &graphql.EnumValueConfig{Value: ProviderSiteToken, Description: "Server-side login by identity, authorised by the site token header."},
		ProviderOAuth2:    &graphql.EnumValueConfig{Value: ProviderOAuth2, Description: "An OAuth2 authorization code."},
	},
})

// field builds the root field of op.
func (e *engine) field(op Operation) *graphql.Field {
	f := &graphql.Field{Resolve: e.resolver(op), Description: kindDescriptions[op.Kind]}
	if op.ReturnsUser {
		f.Type = e.opts.UserType
	} else {
		f.Type = e.payloadType(op)
	}
	if op.Relay {
		fields := e.inputFields(op.Args)
		fields["clientMutationId"] = &graphql.InputObjectFieldConfig{Type: graphql.String}
		input := graphql.NewInputObject(graphql.InputObjectConfig{Name: op.TypeName + "Input", Fields: fields})
		f.Args = graphql.FieldConfigArgument{"input": &graphql.ArgumentConfig{Type: graphql.NewNonNull(input)}}
	} else {
		f.Args = graphql.FieldConfigArgument{}
		for _, a := range op.Args {
			f.Args[a.Name] = &graphql.ArgumentConfig{Type: e.argType(a)}
		}
	}
	return f
}

var kindDescriptions = map[Kind]string{
	Login:             "Authenticate and obtain a JSON Web Token.",
	Verify:            "Verify a token and obtain its payload.",
	Refresh:           "Obtain a new token, from a refresh token or a still-valid token.",
	Revoke:            "Revoke a refresh token and its session, at once.",
	Logout:            "Revoke the current token and its session.",
	LogoutAll:         "Revoke every session of the current user.",
	RevokeUserSecret:  "Invalidate every token of a user.",
	RefreshUserSecret: "Invalidate every token of a user and obtain new ones.",
	LinkIdentity:      "Link an OAuth2 identity to a user.",
}

func (e *engine) payloadType(op Operation) *graphql.Object {
	fields := graphql.Fields{}
	for _, pf := range op.Fields {
		if e.hidden(pf.Result) {
			continue
		}
		f := e.payloadField(pf.Result)
		if pf.Required {
			f.Type = graphql.NewNonNull(f.Type)
		}
		fields[pf.Name] = f
	}
	name := op.TypeName
	if op.Relay {
		fields["clientMutationId"] = &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(*outcome).clientMutationID, nil
		}}
		name += "Payload"
	}
	return graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: fields})
}

func (e *engine) payloadField(r Result) *graphql.Field {
	str := func(get func(o *outcome) string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			if v := get(p.Source.(*outcome)); v != "" {
				return v, nil
			}
			return nil, nil
		}}
	}
	unix := func(typ graphql.Output, get func(o *outcome) int64) *graphql.Field {
		return &graphql.Field{Type: typ, Resolve: func(p graphql.ResolveParams) (any, error) {
			v := get(p.Source.(*outcome))
			if v == 0 {
				return nil, nil
			}
			if typ == graphql.String {
				return strconv.FormatInt(v, 10), nil
			}
			return v, nil
		}}
	}
	switch r {
	case ResultToken:
		return str(func(o *outcome) string { return access(o).Value })
	case ResultRefreshToken:
		return str(func(o *outcome) string {
			if o.session == nil {
				return ""
			}
			return o.session.RefreshToken
		})
	case ResultPayload:
		return &graphql.Field{Type: GenericScalar, Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(*outcome).payload, nil
		}}
	case ResultTokenExpiresAt, ResultTokenExpiration:
		typ := graphql.Output(graphql.Int)
		if r == ResultTokenExpiration {
			typ = graphql.String
		}
		return unix(typ, func(o *outcome) int64 {
			if a := access(o); a.Value != "" {
				return a.ExpiresAt.Unix()
			}
			return 0
		})
	case ResultTokenExpiresIn:
		return unix(graphql.Int, func(o *outcome) int64 {
			if a := access(o); a.Value != "" {
				return a.ExpiresIn()
			}
			return 0
		})
	case ResultRefreshExpiresAt, ResultRefreshExpiration:
		typ := graphql.Output(graphql.Int)
		if r == ResultRefreshExpiration {
			typ = graphql.String
		}
		return unix(typ, func(o *outcome) int64 {
			if o.session == nil || o.session.RefreshExpiresAt.IsZero() {
				return 0
			}
			return o.session.RefreshExpiresAt.Unix()
		})
	case ResultRevokedAt:
		return unix(graphql.Int, func(o *outcome) int64 {
			if o.revokedAt.IsZero() {
				return 0
			}
			return o.revokedAt.Unix()
		})
	case ResultSuccess:
		return &graphql.Field{Type: graphql.Boolean, Resolve: func(p graphql.ResolveParams) (any, error) {
			if o := p.Source.(*outcome); !o.noVerdict {
				return o.success, nil
			}
			return nil, nil
		}}
	case ResultDeleted:
		return &graphql.Field{Type: graphql.NewNonNull(graphql.Boolean), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(*outcome).deleted, nil
		}}
	case ResultUserSecret:
		return str(func(o *outcome) string { return o.userSecret })
	case ResultRevokedUserSecret:
		return str(func(o *outcome) string { return o.revokedUserSecret })
	case ResultUser:
		return &graphql.Field{Type: e.opts.UserType, Resolve: func(p graphql.ResolveParams) (any, error) {
			return e.resolveUser(p.Context, p.Source.(*outcome).user)
		}}
	}
	// Unreachable: New refuses unknown results (see knownResults).
	panic("mutations: unknown result " + string(r))
}

// knownResults are the results payload fields may carry.
var knownResults = map[Result]bool{
	ResultToken: true, ResultRefreshToken: true, ResultPayload: true,
	ResultTokenExpiresAt: true, ResultRefreshExpiresAt: true, ResultTokenExpiresIn: true,
	ResultTokenExpiration: true, ResultRefreshExpiration: true, ResultUser: true,
	ResultRevokedAt: true, ResultSuccess: true, ResultUserSecret: true, ResultRevokedUserSecret: true,
	ResultDeleted: true,
}

// access returns the access token of an outcome, or an empty token.
func access(o *outcome) *gqljwt.Token {
	if o.session == nil || o.session.Access == nil {
		return &emptyToken
	}
	return o.session.Access
}

func (e *engine) argType(a Arg) graphql.Input {
	var t graphql.Input
	switch a.Role {
	case ArgGroup:
		// Operations may share a group (WPGraphQL's oauthResponse); a
		// schema holds one type per name.
		obj, ok := e.inputs[a.TypeName]
		if !ok {
			obj = graphql.NewInputObject(graphql.InputObjectConfig{Name: a.TypeName, Fields: e.inputFields(a.Fields)})
			e.inputs[a.TypeName] = obj
		}
		t = obj
	case ArgProvider:
		t = LoginProviderEnum
	case ArgUserID:
		t = graphql.ID
	default:
		t = graphql.String
	}
	if a.Required && !e.nullable(a) {
		return graphql.NewNonNull(t)
	}
	return t
}

func (e *engine) inputFields(args []Arg) graphql.InputObjectConfigFieldMap {
	fields := graphql.InputObjectConfigFieldMap{}
	for _, a := range args {
		fields[a.Name] = &graphql.InputObjectFieldConfig{Type: e.argType(a)}
	}
	return fields
}

var emptyToken gqljwt.Token

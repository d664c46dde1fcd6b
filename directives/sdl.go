package directives

import (
	"errors"
	"fmt"

	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/location"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// ErrInvalidSDL: ParseSDL was given text that does not parse, or an @auth
// it cannot turn into a rule. The wrapping error gives the line.
var ErrInvalidSDL = errors.New("directives: invalid @auth SDL")

// ParseSDL reads the @auth directives of SDL text into a rule map for
// Apply, so that guards can be written where the schema is described:
//
//	type Query {
//	  drafts: [Post] @auth(requires: ["EDITOR", "ADMIN"])
//	}
//	type Invoice @auth(scopes: ["billing:read"], policy: "owner") { ... }
//
// @auth on a type gives the "Type.*" rule, on a field the "Type.field"
// rule; "extend type" counts as the type. The arguments mean:
//
//   - requires: any one of the roles (AnyRole); a single string is a list
//     of one, as GraphQL input coercion has it;
//   - scopes: all of the scopes (Scopes);
//   - policy: the rule registered under that name in policies, or, when
//     policies has no such entry, one of the built-in policies "public"
//     (Public) and "authenticated" (Authenticated).
//
// Several arguments combine with And, in the order requires, scopes,
// policy, whatever their order in the text; @auth without arguments is
// Authenticated().
//
// The SDL is parsed with graphql-go's own parser. Everything but @auth is
// ignored, a "directive @auth" declaration included. An unknown policy or
// argument, a value that is not a string list, an empty list, a second
// @auth for the same type or field, and @auth anywhere but on an object
// type or its fields (interfaces included: graphql-go never runs their
// resolvers) are errors wrapping ErrInvalidSDL with the line number; all
// of them are reported at once. Whether the types and fields exist is
// checked by Apply.
func ParseSDL(sdl string, policies map[string]Rule) (map[string]Rule, error) {
	src := source.NewSource(&source.Source{Body: []byte(sdl), Name: "SDL"})
	doc, err := parser.Parse(parser.ParseParams{Source: src})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSDL, err)
	}
	p := &sdlParser{src: src, policies: policies, rules: map[string]Rule{}, lines: map[string]int{}}
	for _, def := range doc.Definitions {
		p.definition(def)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.rules, nil
}

// builtinPolicies are the policies every SDL may name.
var builtinPolicies = map[string]Rule{
	"public":        Public(),
	"authenticated": Authenticated(),
}

type sdlParser struct {
	src      *source.Source
	policies map[string]Rule
	rules    map[string]Rule
	lines    map[string]int // rule key -> line of its @auth
	errs     []error
}

func (p *sdlParser) definition(def ast.Node) {
	switch d := def.(type) {
	case *ast.ObjectDefinition:
		p.object(d)
	case *ast.TypeExtensionDefinition:
		p.object(d.Definition)
	case *ast.InterfaceDefinition:
		p.refuse(d.Directives, "interface "+d.Name.Value)
		for _, f := range d.Fields {
			p.refuse(f.Directives, "interface field "+d.Name.Value+"."+f.Name.Value)
			p.refuseArgs(f.Arguments, d.Name.Value+"."+f.Name.Value)
		}
	case *ast.InputObjectDefinition:
		p.refuse(d.Directives, "input "+d.Name.Value)
		for _, f := range d.Fields {
			p.refuse(f.Directives, "input field "+d.Name.Value+"."+f.Name.Value)
		}
	case *ast.EnumDefinition:
		p.refuse(d.Directives, "enum "+d.Name.Value)
		for _, v := range d.Values {
			p.refuse(v.Directives, "enum value "+d.Name.Value+"."+v.Name.Value)
		}
	case *ast.UnionDefinition:
		p.refuse(d.Directives, "union "+d.Name.Value)
	case *ast.ScalarDefinition:
		p.refuse(d.Directives, "scalar "+d.Name.Value)
	case *ast.SchemaDefinition:
		p.refuse(d.Directives, "schema")
	case *ast.OperationDefinition, *ast.FragmentDefinition:
		// A query document given by mistake would otherwise yield no rules
		// and guard nothing.
		p.fail(def.GetLoc(), "SDL", "operations and fragments are not SDL")
	}
}

func (p *sdlParser) object(obj *ast.ObjectDefinition) {
	name := obj.Name.Value
	for _, d := range auths(obj.Directives) {
		p.add(name+".*", d)
	}
	for _, f := range obj.Fields {
		for _, d := range auths(f.Directives) {
			p.add(name+"."+f.Name.Value, d)
		}
		p.refuseArgs(f.Arguments, name+"."+f.Name.Value)
	}
}

func (p *sdlParser) add(key string, d *ast.Directive) {
	if line, dup := p.lines[key]; dup {
		p.fail(d.Loc, key, fmt.Sprintf("a second @auth (the first is at line %d)", line))
		return
	}
	p.lines[key] = p.line(d.Loc)
	if rule, ok := p.rule(key, d); ok {
		p.rules[key] = rule
	}
}

// rule turns one @auth into a Rule; ok is false after an error.
func (p *sdlParser) rule(key string, d *ast.Directive) (rule Rule, ok bool) {
	errs := len(p.errs)
	var requires, scopes, policy Rule
	seen := map[string]bool{}
	for _, arg := range d.Arguments {
		name := arg.Name.Value
		if seen[name] {
			p.fail(arg.Loc, key, "argument "+name+" given twice")
			continue
		}
		seen[name] = true
		switch name {
		case "requires":
			if roles := p.strings(key, arg); roles != nil {
				requires = AnyRole(roles...)
			}
		case "scopes":
			if names := p.strings(key, arg); names != nil {
				scopes = Scopes(names...)
			}
		case "policy":
			s, isString := arg.Value.(*ast.StringValue)
			switch {
			case !isString:
				p.fail(arg.Loc, key, "policy must be a string")
			case p.policy(s.Value) == nil:
				p.fail(arg.Loc, key, fmt.Sprintf("unknown policy %q", s.Value))
			default:
				policy = p.policy(s.Value)
			}
		default:
			p.fail(arg.Loc, key, "unknown argument "+name+" (want requires, scopes or policy)")
		}
	}
	if len(p.errs) > errs {
		return nil, false
	}
	var parts []Rule
	for _, r := range []Rule{requires, scopes, policy} {
		if r != nil {
			parts = append(parts, r)
		}
	}
	switch len(parts) {
	case 0:
		return Authenticated(), true
	case 1:
		return parts[0], true
	}
	return And(parts...), true
}

// strings reads a [String!] argument, a lone string being a list of one.
// It returns nil after an error.
func (p *sdlParser) strings(key string, arg *ast.Argument) []string {
	values := []ast.Value{arg.Value}
	if list, ok := arg.Value.(*ast.ListValue); ok {
		values = list.Values
	}
	if len(values) == 0 {
		p.fail(arg.Loc, key, arg.Name.Value+" is an empty list")
		return nil
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		s, ok := v.(*ast.StringValue)
		if !ok || s.Value == "" {
			p.fail(v.GetLoc(), key, arg.Name.Value+" must be a list of non-empty strings")
			return nil
		}
		out = append(out, s.Value)
	}
	return out
}

func (p *sdlParser) policy(name string) Rule {
	if r, ok := p.policies[name]; ok {
		return r
	}
	return builtinPolicies[name]
}

func (p *sdlParser) refuse(dirs []*ast.Directive, where string) {
	for _, d := range auths(dirs) {
		p.fail(d.Loc, where, "@auth is allowed only on object types and their fields")
	}
}

func (p *sdlParser) refuseArgs(args []*ast.InputValueDefinition, field string) {
	for _, a := range args {
		p.refuse(a.Directives, "argument "+a.Name.Value+" of "+field)
	}
}

func (p *sdlParser) fail(loc *ast.Location, where, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%w: line %d: %s: %s", ErrInvalidSDL, p.line(loc), where, msg))
}

func (p *sdlParser) line(loc *ast.Location) int {
	if loc == nil {
		return 0
	}
	return location.GetLocation(p.src, loc.Start).Line
}

func auths(dirs []*ast.Directive) []*ast.Directive {
	var out []*ast.Directive
	for _, d := range dirs {
		if d.Name != nil && d.Name.Value == Auth.Name {
			out = append(out, d)
		}
	}
	return out
}

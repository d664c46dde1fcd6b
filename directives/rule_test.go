package directives_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// ctxFor is the context a verifier leaves: the identity, or why there is
// none.
func ctxFor(id *gqljwt.Identity, why error) context.Context {
	return gqljwt.NewContext(context.Background(), nil, nil, id, why)
}

var (
	reader = &gqljwt.Identity{Subject: "u2"}
	editor = &gqljwt.Identity{Subject: "u3", Roles: []string{"EDITOR"}, Scopes: []string{"read"}}
	admin  = &gqljwt.Identity{Subject: "u4", Roles: []string{"ADMIN", "EDITOR"}, Scopes: []string{"read", "write"}}
)

// failing is a predicate whose store is down.
func failing(err error) directives.Rule {
	return directives.Predicate("failing", func(graphql.ResolveParams, *gqljwt.Identity) (bool, error) { return false, err })
}

func TestRules(t *testing.T) {
	type outcome struct {
		ok  bool
		err error
	}
	allow, deny := outcome{true, nil}, outcome{false, nil}
	failure := outcome{false, gqljwt.ErrUnavailable}
	d := directives.AnyRole("ADMIN")
	tests := []struct {
		rule                 directives.Rule
		anon, reader, editor outcome
		admin                outcome
	}{
		{directives.Public(), allow, allow, allow, allow},
		{directives.Authenticated(), deny, allow, allow, allow},
		{directives.AnyRole("EDITOR", "ADMIN"), deny, deny, allow, allow},
		{directives.AllRoles("EDITOR", "ADMIN"), deny, deny, deny, allow},
		{directives.Scopes("read"), deny, deny, allow, allow},
		{directives.Scopes("read", "write"), deny, deny, deny, allow},
		{owner, deny, deny, deny, deny},
		{directives.And(directives.Authenticated(), d), deny, deny, deny, allow},
		{directives.Chain(directives.Scopes("read"), directives.AnyRole("EDITOR")), deny, deny, allow, allow},
		{directives.Or(directives.AnyRole("EDITOR"), directives.Scopes("write")), deny, deny, allow, allow},
		{directives.Not(directives.Authenticated()), allow, deny, deny, deny},
		{directives.Not(d), allow, allow, allow, deny},
		{directives.And(directives.Authenticated(), directives.Not(d)), deny, allow, allow, deny},
		{directives.Not(directives.Not(directives.Authenticated())), deny, allow, allow, allow},
		// A failure is never an allow, but Or may still find one.
		{failing(gqljwt.ErrUnavailable), deny, failure, failure, failure},
		{directives.Not(failing(gqljwt.ErrUnavailable)), allow, failure, failure, failure},
		{directives.Or(failing(gqljwt.ErrUnavailable), d), deny, failure, failure, allow},
		{directives.Or(d, failing(gqljwt.ErrUnavailable)), deny, failure, failure, allow},
		{directives.And(d, failing(gqljwt.ErrUnavailable)), deny, deny, deny, failure},
		{directives.Memo(d), deny, deny, deny, allow},
	}
	for _, tt := range tests {
		name := fmt.Sprint(tt.rule)
		for i, id := range []*gqljwt.Identity{nil, reader, editor, admin} {
			want := []outcome{tt.anon, tt.reader, tt.editor, tt.admin}[i]
			ok, err := tt.rule.Check(graphql.ResolveParams{Context: context.Background()}, id)
			if ok != want.ok || err != want.err {
				t.Errorf("%s for caller %d = %v, %v; want %v, %v", name, i, ok, err, want.ok, want.err)
			}
		}
	}
}

func TestRuleStrings(t *testing.T) {
	r := directives.Or(
		directives.And(directives.Authenticated(), directives.AnyRole("A", "B"), directives.AllRoles("C")),
		directives.Chain(directives.Scopes("s1", "s2"), owner),
		directives.Not(directives.Public()),
		directives.Memo(directives.Authenticated()),
	)
	const want = "Or(And(Authenticated, AnyRole(A, B), AllRoles(C)), Chain(Scopes(s1, s2), Predicate(owner)), Not(Public), Memo(Authenticated))"
	if got := fmt.Sprint(r); got != want {
		t.Errorf("String() = %s\nwant %s", got, want)
	}
}

func TestConstructorsPanicOnNothing(t *testing.T) {
	for name, build := range map[string]func(){
		"AnyRole":   func() { directives.AnyRole() },
		"AllRoles":  func() { directives.AllRoles() },
		"Scopes":    func() { directives.Scopes() },
		"And":       func() { directives.And() },
		"Or":        func() { directives.Or() },
		"Chain":     func() { directives.Chain() },
		"Not nil":   func() { directives.Not(nil) },
		"And nil":   func() { directives.And(directives.Public(), nil) },
		"Memo nil":  func() { directives.Memo(nil) },
		"Guard nil": func() { directives.Guard(nil, nil) },
		"Predicate": func() { directives.Predicate("p", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			build()
		}()
	}
}

func TestConstructorsCopyTheirArguments(t *testing.T) {
	roles := []string{"ADMIN"}
	r := directives.AnyRole(roles...)
	roles[0] = "READER"
	if ok, _ := r.Check(graphql.ResolveParams{}, admin); !ok {
		t.Error("AnyRole changed with the caller's slice")
	}
}

func TestGuardErrors(t *testing.T) {
	byReason := map[gqljwt.Code]string{
		gqljwt.CodeUnauthenticated: "Log in first", gqljwt.CodeForbidden: "Not you", gqljwt.CodeTokenExpired: "Signature has expired",
	}
	resolved := errors.New("resolver ran")
	resolve := func(graphql.ResolveParams) (any, error) { return nil, resolved }
	tests := []struct {
		name string
		rule directives.Rule
		opts []directives.Option
		id   *gqljwt.Identity
		why  error
		want *gqljwt.Error
	}{
		{"no token", directives.Authenticated(), nil, nil, gqljwt.ErrNoToken,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized"}},
		{"no verifier", directives.Authenticated(), nil, nil, gqljwt.ErrUnauthenticated,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized"}},
		{"expired", directives.Authenticated(), nil, nil, gqljwt.ErrTokenExpired,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized", Reason: gqljwt.CodeTokenExpired}},
		{"invalid", directives.AnyRole("ADMIN"), nil, nil, gqljwt.ErrTokenInvalid,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized", Reason: gqljwt.CodeTokenInvalid}},
		{"revoked", directives.Not(directives.Public()), nil, nil, gqljwt.ErrTokenRevoked,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized", Reason: gqljwt.CodeTokenRevoked}},
		{"store down", directives.Authenticated(), nil, nil, gqljwt.ErrUnavailable,
			&gqljwt.Error{Code: gqljwt.CodeUnavailable, Message: "Authentication is temporarily unavailable"}},
		{"forbidden", directives.AnyRole("ADMIN"), nil, reader, nil,
			&gqljwt.Error{Code: gqljwt.CodeForbidden, Message: "You do not have permission to perform this action"}},
		{"Not denies a signed-in caller", directives.Not(directives.Authenticated()), nil, reader, nil,
			&gqljwt.Error{Code: gqljwt.CodeForbidden, Message: "You do not have permission to perform this action"}},
		{"messages", directives.AnyRole("ADMIN"), []directives.Option{directives.ForbiddenMessage("No."), directives.UnauthenticatedMessage("Log in.")}, reader, nil,
			&gqljwt.Error{Code: gqljwt.CodeForbidden, Message: "No."}},
		{"messages anonymous", directives.AnyRole("ADMIN"), []directives.Option{directives.ForbiddenMessage("No."), directives.UnauthenticatedMessage("Log in.")}, nil, gqljwt.ErrTokenExpired,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Log in.", Reason: gqljwt.CodeTokenExpired}},
		{"messages by reason", directives.Authenticated(), []directives.Option{directives.Messages(byReason)}, nil, gqljwt.ErrTokenExpired,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Signature has expired", Reason: gqljwt.CodeTokenExpired}},
		{"messages by reason, unlisted reason", directives.Authenticated(), []directives.Option{directives.Messages(byReason)}, nil, gqljwt.ErrTokenRevoked,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Log in first", Reason: gqljwt.CodeTokenRevoked}},
		{"messages by reason, no token", directives.Authenticated(), []directives.Option{directives.Messages(byReason)}, nil, gqljwt.ErrNoToken,
			&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Log in first"}},
		{"messages by reason, forbidden", directives.AnyRole("ADMIN"), []directives.Option{directives.Messages(byReason)}, reader, nil,
			&gqljwt.Error{Code: gqljwt.CodeForbidden, Message: "Not you"}},
		{"messages by reason, store down", directives.Authenticated(), []directives.Option{directives.Messages(byReason)}, nil, gqljwt.ErrUnavailable,
			&gqljwt.Error{Code: gqljwt.CodeUnavailable, Message: "Authentication is temporarily unavailable"}},
		{"predicate gqljwt error", failing(gqljwt.ErrUnavailable), nil, reader, nil, gqljwt.ErrUnavailable},
		{"predicate own message", failing(gqljwt.ErrForbidden.WithMessage("Not your post")), nil, reader, nil,
			&gqljwt.Error{Code: gqljwt.CodeForbidden, Message: "Not your post"}},
		{"predicate wrapped error", failing(fmt.Errorf("users: %w", gqljwt.ErrUnavailable)), nil, reader, nil, gqljwt.ErrUnavailable},
		{"predicate plain error", failing(errBoom), nil, reader, nil, gqljwt.ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := directives.Guard(tt.rule, resolve, tt.opts...)
			v, err := g(graphql.ResolveParams{Context: ctxFor(tt.id, tt.why)})
			if v != nil {
				t.Errorf("value %v, want nil", v)
			}
			// Unwrapped: graphql-go reads extensions by type assertion.
			e, ok := err.(*gqljwt.Error)
			if !ok {
				t.Fatalf("error %T %v, want *gqljwt.Error", err, err)
			}
			if e.Code != tt.want.Code || e.Message != tt.want.Message || e.Reason != tt.want.Reason {
				t.Errorf("got {%s %q %s}, want {%s %q %s}", e.Code, e.Message, e.Reason, tt.want.Code, tt.want.Message, tt.want.Reason)
			}
			if tt.why != nil && !errors.Is(err, tt.why) {
				t.Errorf("%v does not wrap the token error %v", err, tt.why)
			}
			if strings.Contains(e.Message, "boom") {
				t.Errorf("internal error text reached the client: %q", e.Message)
			}
		})
	}
	t.Run("plain error kept as cause", func(t *testing.T) {
		_, err := directives.Guard(failing(errBoom), resolve)(graphql.ResolveParams{Context: ctxFor(reader, nil)})
		if !errors.Is(err, errBoom) {
			t.Errorf("%v lost its cause", err)
		}
	})
	t.Run("allowed runs the resolver", func(t *testing.T) {
		_, err := directives.Guard(directives.Authenticated(), resolve)(graphql.ResolveParams{Context: ctxFor(reader, nil)})
		if err != resolved {
			t.Errorf("got %v, want the resolver's result", err)
		}
	})
	t.Run("nil context is anonymous", func(t *testing.T) {
		_, err := directives.Guard(directives.Authenticated(), resolve)(graphql.ResolveParams{})
		if gqljwt.CodeOf(err) != gqljwt.CodeUnauthenticated {
			t.Errorf("got %v, want UNAUTHENTICATED", err)
		}
	})
}

func TestGuardNilResolveIsDefault(t *testing.T) {
	g := directives.Guard(directives.Authenticated(), nil)
	p := graphql.ResolveParams{Context: ctxFor(reader, nil), Source: map[string]any{"title": "t"}, Info: graphql.ResolveInfo{FieldName: "title"}}
	if v, err := g(p); v != "t" || err != nil {
		t.Errorf("got %v, %v; want the default resolver's t", v, err)
	}
}

func TestGuardRunsRuleBeforeResolver(t *testing.T) {
	ran := false
	g := directives.Guard(directives.AnyRole("ADMIN"), func(graphql.ResolveParams) (any, error) { ran = true; return nil, nil })
	if _, err := g(graphql.ResolveParams{Context: ctxFor(reader, nil)}); err == nil || ran {
		t.Errorf("resolver ran (%v) for a denied caller, err %v", ran, err)
	}
}

func TestMemo(t *testing.T) {
	var calls atomic.Int64
	counting := directives.Predicate("counting", func(graphql.ResolveParams, *gqljwt.Identity) (bool, error) {
		calls.Add(1)
		return true, nil
	})
	memo := directives.Memo(counting)

	t.Run("without a store it evaluates", func(t *testing.T) {
		calls.Store(0)
		p := graphql.ResolveParams{Context: ctxFor(reader, nil)}
		for range 3 {
			memo.Check(p, reader)
		}
		if calls.Load() != 3 {
			t.Errorf("%d calls, want 3", calls.Load())
		}
	})
	t.Run("once per request, concurrently", func(t *testing.T) {
		calls.Store(0)
		p := graphql.ResolveParams{Context: directives.WithMemo(ctxFor(reader, nil))}
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if ok, err := memo.Check(p, reader); !ok || err != nil {
					t.Errorf("got %v, %v", ok, err)
				}
			})
		}
		wg.Wait()
		if calls.Load() != 1 {
			t.Errorf("%d calls, want 1", calls.Load())
		}
	})
	t.Run("per identity", func(t *testing.T) {
		calls.Store(0)
		p := graphql.ResolveParams{Context: directives.WithMemo(context.Background())}
		memo.Check(p, reader)
		memo.Check(p, admin)
		memo.Check(p, admin)
		if calls.Load() != 2 {
			t.Errorf("%d calls, want 2", calls.Load())
		}
	})
	t.Run("per request over HTTP", func(t *testing.T) {
		b := newBlog()
		schema := b.schema(t)
		if err := directives.Apply(&schema, map[string]directives.Rule{"Post.*": memo}); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, &schema, nil)
		calls.Store(0)
		assertJSON(t, e.do("reader", `{ posts { id title body } }`), `{"data": {"posts": [
			{"id": "p1", "title": "Hello", "body": "First post"}, {"id": "p2", "title": "Next", "body": "Second post"}]}}`)
		e.do("reader", `{ posts { id } }`)
		if calls.Load() != 2 {
			t.Errorf("%d calls for two requests of 6 and 2 guarded fields, want 2", calls.Load())
		}
	})
}

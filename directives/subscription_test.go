package directives_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
)

// tickSchema serves subscription { ticks }: Subscribe sends one event, 1,
// and counts its calls in subscribed; Resolve returns the event. The wrap
// functions, when not nil, replace the two resolvers, as a field written
// with Guard would.
func tickSchema(t *testing.T, wrapResolve, wrapSubscribe func(graphql.FieldResolveFn) graphql.FieldResolveFn) (graphql.Schema, *atomic.Int32) {
	t.Helper()
	subscribed := new(atomic.Int32)
	ticks := &graphql.Field{
		Type:    graphql.Int,
		Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil },
		Subscribe: func(graphql.ResolveParams) (any, error) {
			subscribed.Add(1)
			events := make(chan any, 1)
			events <- 1
			close(events)
			return events, nil
		},
	}
	if wrapResolve != nil {
		ticks.Resolve = wrapResolve(ticks.Resolve)
	}
	if wrapSubscribe != nil {
		ticks.Subscribe = wrapSubscribe(ticks.Subscribe)
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{"hello": &graphql.Field{Type: graphql.String, Resolve: constant("world")}}})
	sub := graphql.NewObject(graphql.ObjectConfig{Name: "Subscription", Fields: graphql.Fields{"ticks": ticks}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Subscription: sub})
	if err != nil {
		t.Fatal(err)
	}
	return schema, subscribed
}

// subscribe runs `subscription { ticks }` through graphql.Subscribe as the
// caller id (why: the verifier's reason when id is nil), formats every
// error with format and returns the results as {"results": [...]}.
func subscribe(t *testing.T, schema graphql.Schema, id *gqljwt.Identity, why error, format func(error) gqlerrors.FormattedError) []byte {
	t.Helper()
	if id == nil && why == nil {
		why = gqljwt.ErrNoToken
	}
	var results []*graphql.Result
	for res := range graphql.Subscribe(graphql.Params{Schema: schema, RequestString: `subscription { ticks }`, Context: ctxFor(id, why)}) {
		for i, e := range res.Errors {
			res.Errors[i] = format(e)
		}
		results = append(results, res)
	}
	out, err := json.Marshal(map[string]any{"results": results})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refusedAt is the error of a guard that refused ticks, as a query would
// report it.
func refusedAt(code gqljwt.Code, reason string) string {
	msg := gqljwt.ErrForbidden.Message
	if code == gqljwt.CodeUnauthenticated {
		msg = "Unauthorized"
	}
	return sprintf(`{"message": %q, "locations": [{"line": 1, "column": 16}], "path": ["ticks"], "extensions": {"code": %q%s}}`,
		msg, code, reason)
}

// TestSubscriptionDenialFormatted: graphql-go formats the error of a
// Subscribe without extensions, locations or path; FormatErrorFn puts them
// back before the hook sees the error, and also without a hook.
func TestSubscriptionDenialFormatted(t *testing.T) {
	schema, subscribed := tickSchema(t, nil, nil)
	err := directives.Apply(&schema, map[string]directives.Rule{"Query.hello": directives.Public(), "Subscription.ticks": directives.AnyRole("ADMIN")})
	if err != nil {
		t.Fatal(err)
	}
	hook := directives.FormatErrorFn(func(e *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError {
		seen := fmt.Sprintf("%v %v %v", f.Extensions["code"], f.Path, len(f.Locations))
		if f.Extensions == nil {
			f.Extensions = map[string]any{}
		}
		f.Extensions["hook"] = seen
		return f
	})
	tests := []struct {
		name   string
		id     *gqljwt.Identity
		why    error
		format func(error) gqlerrors.FormattedError
		want   string
	}{
		{"expired token, hook", nil, gqljwt.ErrTokenExpired, hook, `{"results": [{"data": null, "errors": [` +
			refusedAt(gqljwt.CodeUnauthenticated, `, "reason": "TOKEN_EXPIRED", "hook": "UNAUTHENTICATED [ticks] 1"`) + `]}]}`},
		{"expired token, no hook", nil, gqljwt.ErrTokenExpired, directives.FormatErrorFn(nil), `{"results": [{"data": null, "errors": [` +
			refusedAt(gqljwt.CodeUnauthenticated, `, "reason": "TOKEN_EXPIRED"`) + `]}]}`},
		{"forbidden", reader, nil, directives.FormatErrorFn(nil), `{"results": [{"data": null, "errors": [` +
			refusedAt(gqljwt.CodeForbidden, ``) + `]}]}`},
		{"allowed", admin, nil, hook, `{"results": [{"data": {"ticks": 1}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := subscribed.Load()
			assertJSON(t, subscribe(t, schema, tt.id, tt.why, tt.format), tt.want)
			if ran := subscribed.Load() - before; (ran == 1) != (tt.id == admin) {
				t.Errorf("Subscribe ran %d times", ran)
			}
		})
	}
}

// TestApplyGuardsSubscribeOfGuardedField: a field counts as guarded only
// when its Resolve and its Subscribe are, so a Guard on one of them no
// longer leaves the other open; Guard serves Subscribe as well.
func TestApplyGuardsSubscribeOfGuardedField(t *testing.T) {
	byHand := func(rule directives.Rule) func(graphql.FieldResolveFn) graphql.FieldResolveFn {
		return func(fn graphql.FieldResolveFn) graphql.FieldResolveFn { return directives.Guard(rule, fn) }
	}
	adminOnly := byHand(directives.AnyRole("ADMIN"))
	hello := map[string]directives.Rule{"Query.hello": directives.Public()}
	deny := []directives.Option{directives.DenyByDefault()}
	refused := func(code gqljwt.Code) string {
		return `{"results": [{"data": null, "errors": [` + refusedAt(code, ``) + `]}]}`
	}
	const ticked = `{"results": [{"data": {"ticks": 1}}]}`
	tests := []struct {
		name               string
		resolve, subscribe func(graphql.FieldResolveFn) graphql.FieldResolveFn
		rules              map[string]directives.Rule
		opts               []directives.Option
		id                 *gqljwt.Identity
		wantErr            string
		wantSubscribed     int32
		want               string
	}{
		{"Resolve by Guard: anonymous", adminOnly, nil, hello, nil, nil, "", 0, refused(gqljwt.CodeUnauthenticated)},
		{"Resolve by Guard: its rule", adminOnly, nil, hello, nil, editor, "", 0, refused(gqljwt.CodeForbidden)},
		{"Resolve by Guard: allowed", adminOnly, nil, hello, nil, admin, "", 1, ticked},
		{"Resolve by Guard, deny by default: its rule, not deny", adminOnly, nil, hello, deny, admin, "", 1, ticked},
		{"Resolve by Guard, Subscribe named", adminOnly, nil,
			map[string]directives.Rule{"Subscription.ticks": directives.Authenticated()}, nil, reader, "", 1,
			`{"results": [{"data": {"ticks": null}, "errors": [` + refusedAt(gqljwt.CodeForbidden, ``) + `]}]}`},
		{"Subscribe by Guard, deny by default: Resolve gets its rule", nil, byHand(directives.Authenticated()), hello, deny, reader, "", 1, ticked},
		{"both by Guard", adminOnly, adminOnly, hello, deny, nil, "", 0, refused(gqljwt.CodeUnauthenticated)},
		{"both by Guard: allowed", adminOnly, adminOnly, hello, deny, admin, "", 1, ticked},
		{"both by Guard: named", adminOnly, adminOnly,
			map[string]directives.Rule{"Subscription.ticks": directives.Public()}, nil, nil, "directives: already guarded: Subscription.ticks", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema, subscribed := tickSchema(t, tt.resolve, tt.subscribe)
			err := directives.Apply(&schema, tt.rules, tt.opts...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Apply: got %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, subscribe(t, schema, tt.id, nil, directives.FormatErrorFn(nil)), tt.want)
			if got := subscribed.Load(); got != tt.wantSubscribed {
				t.Errorf("Subscribe ran %d times, want %d", got, tt.wantSubscribed)
			}
		})
	}
}

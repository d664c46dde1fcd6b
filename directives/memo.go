package directives

import (
	"context"
	"net/http"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// Memo evaluates rule at most once per request and reuses the outcome for
// every other field it guards in that request: a list of a hundred guarded
// objects then costs one evaluation, not a hundred. It needs a per-request
// store, installed by WithMemo or Memoize; without one it evaluates rule
// every time.
//
// Memoize only rules whose outcome depends on the caller alone, not on the
// field's source or arguments: an ownership Predicate must not be wrapped,
// or the first object's answer would stand for all of them. Concurrent
// checks of one Memo in one request wait for a single evaluation.
func Memo(rule Rule) Rule {
	mustRules("Memo", []Rule{rule})
	return &memo{rule: rule}
}

type memo struct{ rule Rule }

func (m *memo) Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	store := memoStoreOf(p)
	if store == nil {
		return m.rule.Check(p, id)
	}
	return store.check(m, p, id)
}

func (m *memo) String() string { return "Memo(" + ruleString(m.rule) + ")" }

type memoKey struct{}

// memoStore holds the outcomes of one request. Entries are keyed by the
// identity too, so a store shared by mistake across callers cannot hand one
// caller's answer to another.
type memoStore struct {
	mu      sync.Mutex
	entries map[memoEntryKey]*memoEntry
	// byPath holds the identities of token arguments (TokenArgument) by
	// the response path of the field that had one.
	byPath map[*graphql.ResponsePath]*argIdentity
}

func memoStoreOf(p graphql.ResolveParams) *memoStore {
	if p.Context == nil {
		return nil
	}
	s, _ := p.Context.Value(memoKey{}).(*memoStore)
	return s
}

type memoEntryKey struct {
	rule *memo
	id   *gqljwt.Identity
}

type memoEntry struct {
	once sync.Once
	ok   bool
	err  error
}

func (s *memoStore) check(m *memo, p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	key := memoEntryKey{m, id}
	s.mu.Lock()
	e := s.entries[key]
	if e == nil {
		if s.entries == nil {
			s.entries = map[memoEntryKey]*memoEntry{}
		}
		e = &memoEntry{}
		s.entries[key] = e
	}
	s.mu.Unlock()
	// The evaluation runs outside the lock: a slow Predicate must not hold
	// up unrelated rules. A panicking rule leaves the entry denied.
	e.once.Do(func() { e.ok, e.err = m.rule.Check(p, id) })
	return e.ok, e.err
}

// WithMemo returns a child of ctx with an empty memo store for the rules
// wrapped by Memo. Use one per request: graphql.Params.Context, or through
// Memoize for an HTTP handler.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memoStore{})
}

// Memoize is middleware that gives every request its own memo store
// (WithMemo), for the GraphQL handler behind it.
func Memoize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithMemo(r.Context())))
	})
}

package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/gqldoc"
	"github.com/graphql-go/handler"
)

// Defaults of OperationLimits. The bounds follow graphql-armor's defaults
// except MaxDepth (armor: 6), raised so that Relay connections
// (edges { node { … } }, two levels each) fit; the cost budget still bounds
// what a deep query may select.
const (
	DefaultMaxTokens             = 1000
	DefaultMaxDepth              = 10
	DefaultMaxAliases            = 15
	DefaultMaxRootFields         = 20
	DefaultMaxDirectives         = 50
	DefaultMaxIntrospectionDepth = 2
	DefaultMaxCost               = 5000
	DefaultObjectCost            = 2
	DefaultScalarCost            = 1
	DefaultDepthCostFactor       = 1.5
	DefaultMaxAuthOperations     = 1
	DefaultMaxBatch              = 10
	// DefaultMaxRequestBytes bounds how much of a body Limits and Batch
	// read to find the document; MaxBodySize should bound it first.
	DefaultMaxRequestBytes = 1 << 20
)

// The extensions.code of each refusal by Limits and Batch.
const (
	CodeParseFailed            gqljwt.Code = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed       gqljwt.Code = "GRAPHQL_VALIDATION_FAILED"
	CodeMaxTokens              gqljwt.Code = "MAX_TOKENS_EXCEEDED"
	CodeMaxDepth               gqljwt.Code = "MAX_DEPTH_EXCEEDED"
	CodeMaxAliases             gqljwt.Code = "MAX_ALIASES_EXCEEDED"
	CodeMaxRootFields          gqljwt.Code = "MAX_ROOT_FIELDS_EXCEEDED"
	CodeMaxDirectives          gqljwt.Code = "MAX_DIRECTIVES_EXCEEDED"
	CodeMaxIntrospectionDepth  gqljwt.Code = "MAX_INTROSPECTION_DEPTH_EXCEEDED"
	CodeMaxCost                gqljwt.Code = "MAX_COST_EXCEEDED"
	CodeMaxBatch               gqljwt.Code = "MAX_BATCH_EXCEEDED"
	CodeAuthOperationsExceeded gqljwt.Code = "AUTH_OPERATION_LIMIT_EXCEEDED"
	CodeRequestTooLarge        gqljwt.Code = "REQUEST_TOO_LARGE"
	CodeMethodNotAllowed       gqljwt.Code = "METHOD_NOT_ALLOWED"
)

// OperationLimits bound what one GraphQL request may ask of the server.
// Limits checks them on the document before graphql-go parses, validates
// or executes it. A zero field takes its default; a negative one turns
// that bound off.
type OperationLimits struct {
	// MaxTokens bounds the lexical tokens of the document, punctuation
	// included (default 1000). It is checked while reading, so no bound
	// below costs more than this many tokens' work.
	MaxTokens int
	// MaxDepth bounds how deeply fields nest, fragments expanded and
	// introspection aside (default 10).
	MaxDepth int
	// MaxAliases bounds the aliases of one operation, fragments expanded:
	// a fragment spread twice counts its aliases twice (default 15).
	MaxAliases int
	// MaxRootFields bounds the fields at the root of one operation
	// (default 20).
	MaxRootFields int
	// MaxDirectives bounds the directives of one operation, fragments
	// expanded (default 50).
	MaxDirectives int
	// MaxIntrospectionDepth bounds how deeply the list fields of
	// introspection (fields, interfaces, possibleTypes, inputFields) nest
	// below __schema or __type (default 2, graphql-js's own bound; the
	// standard introspection query uses 1).
	MaxIntrospectionDepth int
	// MaxCost bounds an operation's cost (default 5000): a leaf field
	// costs ScalarCost (default 1), a field with selections ObjectCost
	// (default 2) plus DepthCostFactor (default 1.5) times what it
	// selects. Introspection is bounded by MaxIntrospectionDepth instead.
	MaxCost                                 int
	ObjectCost, ScalarCost, DepthCostFactor float64
	// AuthOperations names the root fields that are auth operations, by
	// "Type.field" ("Mutation.tokenAuth"), each with its class ("login").
	// mutations.Fragment.AuthOperations lists a preset's. A request (a
	// whole batch, with Batch) may run MaxAuthOperations of each class
	// (default 1), successes included, whatever the aliases: a login with
	// the right password costs a bcrypt check too.
	AuthOperations    map[string]string
	MaxAuthOperations int
	// MaxRequestBytes bounds the body read to find the document (default
	// 1 MiB); a longer one is refused with 413.
	MaxRequestBytes int64
}

// withDefaults fills zero fields and turns negative ones into "no bound".
func (l OperationLimits) withDefaults() OperationLimits {
	ints := []struct {
		v   *int
		def int
	}{
		{&l.MaxTokens, DefaultMaxTokens}, {&l.MaxDepth, DefaultMaxDepth}, {&l.MaxAliases, DefaultMaxAliases},
		{&l.MaxRootFields, DefaultMaxRootFields}, {&l.MaxDirectives, DefaultMaxDirectives},
		{&l.MaxIntrospectionDepth, DefaultMaxIntrospectionDepth}, {&l.MaxCost, DefaultMaxCost},
		{&l.MaxAuthOperations, DefaultMaxAuthOperations},
	}
	for _, f := range ints {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	floats := []struct {
		v   *float64
		def float64
	}{{&l.ObjectCost, DefaultObjectCost}, {&l.ScalarCost, DefaultScalarCost}, {&l.DepthCostFactor, DefaultDepthCostFactor}}
	for _, f := range floats {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	return l
}

func (l OperationLimits) docLimits() gqldoc.Limits {
	off := func(v int) int { return max(v, 0) }
	return gqldoc.Limits{
		MaxTokens: off(l.MaxTokens), MaxDepth: off(l.MaxDepth), MaxAliases: off(l.MaxAliases),
		MaxDirectives: off(l.MaxDirectives), MaxRootFields: off(l.MaxRootFields),
		MaxIntrospectionDepth: off(l.MaxIntrospectionDepth), MaxCost: off(l.MaxCost),
		ObjectCost: max(l.ObjectCost, 0), ScalarCost: max(l.ScalarCost, 0), DepthCostFactor: max(l.DepthCostFactor, 0),
	}
}

// Limits refuses GraphQL requests whose document crosses a bound of l,
// before graphql-go sees them, with a GraphQL error whose extensions carry
// the code, the bound's name (limit), its value (max) and what was found.
// It reads the document exactly where graphql-go's handler does (the
// ?query= parameter, then a JSON, application/graphql or form body), so no
// request reaches the handler unchecked.
//
// It also refuses, whatever the bounds, what graphql-go v0.8.1 cannot
// survive: a fragment that spreads itself, directly or through others,
// crashes its validation with a stack overflow that no recover catches.
// Refusals answer 200, as graphql-go's handler answers its own request
// errors (GraphQL over HTTP, application/json); GraphQLHTTP makes them 400
// for clients that accept application/graphql-response+json. A mutation or subscription
// sent with another method than POST answers 405, as GraphQL over HTTP
// asks: graphql-go's handler runs whatever ?query= holds.
//
// Limits panics when an AuthOperations key is not "Query.field",
// "Mutation.field" or "Subscription.field": a misspelt key would leave an
// operation unlimited.
func Limits(l OperationLimits) func(http.Handler) http.Handler {
	l = l.withDefaults()
	doc := l.docLimits()
	auth := authClasses(l.AuthOperations)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			query, err := documentOf(r, l.MaxRequestBytes)
			if err != nil {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, tooLarge(l.MaxRequestBytes))
				return
			}
			if query == "" {
				next.ServeHTTP(w, r)
				return
			}
			d, derr := gqldoc.Check(query, doc)
			if derr != nil {
				writeGraphQLError(w, http.StatusOK, describe(derr))
				return
			}
			status, refusal, refused := admit(r, d, auth, l)
			d.Release()
			if refused {
				if status == http.StatusMethodNotAllowed {
					w.Header().Set("Allow", http.MethodPost)
				}
				writeGraphQLError(w, status, refusal)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// admit decides what a well-formed document within the bounds may still
// be refused for: a change sent by GET, or auth operations over budget.
func admit(r *http.Request, d *gqldoc.Document, auth map[rootField]string, l OperationLimits) (int, limitError, bool) {
	if r.Method != http.MethodPost && (d.HasOperation("mutation") || d.HasOperation("subscription")) {
		// GraphQL over HTTP: a GET must not change anything. A link or
		// an image would otherwise run a mutation with whatever the
		// browser sends by itself.
		return http.StatusMethodNotAllowed, limitError{code: CodeMethodNotAllowed,
			message: "Mutations and subscriptions are accepted in POST requests only"}, true
	}
	if len(auth) > 0 && l.MaxAuthOperations > 0 {
		if le, refused := spendAuthBudget(r.Context(), d, auth, l); refused {
			return http.StatusOK, le, true
		}
	}
	return 0, limitError{}, false
}

// documentOf returns the GraphQL document graphql-go's handler will run
// for r, leaving r's body readable again. err is set when the body is over
// maxBytes.
func documentOf(r *http.Request, maxBytes int64) (string, error) {
	// handler.NewRequestOptions takes the URL's query first, for every
	// method.
	if q := r.URL.Query().Get("query"); q != "" {
		return q, nil
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return "", nil
	}
	body, err := readBody(r, maxBytes)
	if err != nil {
		return "", err
	}
	switch contentType(r) {
	case handler.ContentTypeGraphQL:
		return string(body), nil
	case handler.ContentTypeFormURLEncoded:
		// Rare, and form parsing has corners (media-type parameters,
		// malformed escapes): ask the handler's own code on a copy.
		c := r.Clone(r.Context())
		c.Body, c.Form, c.PostForm = io.NopCloser(bytes.NewReader(body)), nil, nil
		return handler.NewRequestOptions(c).Query, nil
	}
	// The handler's JSON path, for every other content type.
	return jsonQuery(body), nil
}

// contentType is the media type as graphql-go's handler compares it: the
// header up to its first ';', untrimmed.
func contentType(r *http.Request) string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return ct
}

var errBodyTooLarge = errors.New("request body too large")

// tooLarge is the refusal of a body over maxBytes.
func tooLarge(maxBytes int64) limitError {
	return limitError{code: CodeRequestTooLarge, limit: "MaxRequestBytes", max: int(maxBytes),
		message: fmt.Sprintf("The request body exceeds the limit of %d bytes (MaxRequestBytes)", maxBytes)}
}

// readBody reads r's body, at most maxBytes of it, and puts it back as a
// replayBody, which a later readBody (Batch's, then Limits') takes as it
// is instead of copying it again.
func readBody(r *http.Request, maxBytes int64) ([]byte, error) {
	if rb, ok := r.Body.(*replayBody); ok && rb.unread() {
		if int64(len(rb.b)) > maxBytes {
			return nil, errBodyTooLarge
		}
		return rb.b, nil
	}
	size := int64(512)
	if r.ContentLength > 0 {
		size = min(r.ContentLength, maxBytes) + 1
	}
	body, err := readAll(io.LimitReader(r.Body, maxBytes+1), int(size))
	r.Body.Close()
	if int64(len(body)) > maxBytes {
		return nil, errBodyTooLarge
	}
	if err != nil {
		// What was read goes on; the handler meets the same failure
		// reading it as it would have.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return body, nil
	}
	r.Body = newReplayBody(body)
	return body, nil
}

// readAll is io.ReadAll starting from a buffer of size bytes (the
// declared length, when there is one), so that a body of known length is
// read into one allocation.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// replayBody is a request body already read into memory.
type replayBody struct {
	b []byte
	r bytes.Reader
}

func newReplayBody(b []byte) *replayBody {
	rb := &replayBody{b: b}
	rb.r.Reset(b)
	return rb
}

func (rb *replayBody) Read(p []byte) (int, error) { return rb.r.Read(p) }
func (rb *replayBody) Close() error               { return nil }

// unread reports whether nobody has read from it yet.
func (rb *replayBody) unread() bool { return rb.r.Len() == len(rb.b) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// authBudget counts the auth operations of one request, shared by the
// items of a batch.
type authBudget struct {
	mu    sync.Mutex
	spent map[string]int
}

type authBudgetKey struct{}

func withAuthBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, authBudgetKey{}, &authBudget{spent: map[string]int{}})
}

// spendAuthBudget counts d's auth operations against the request's
// budget. An operation that would exceed it spends nothing.
func spendAuthBudget(ctx context.Context, d *gqldoc.Document, auth map[rootField]string, l OperationLimits) (limitError, bool) {
	var need map[string]int
	for op := range d.Operations() {
		var counts map[string]int // most requests have no auth operation
		complete := d.RootFieldCounts(op, rootFieldBudget(l), func(opType, field string) {
			if class, ok := auth[rootField{opType, field}]; ok {
				if counts == nil {
					counts = map[string]int{}
				}
				counts[class]++
			}
		})
		if !complete {
			return limitError{code: CodeMaxRootFields, message: "The operation selects too many root fields through its fragments (MaxRootFields)",
				limit: "MaxRootFields", max: l.MaxRootFields}, true
		}
		// Only one operation of a document runs: the largest count is
		// what this request may spend.
		for class, n := range counts {
			if need == nil {
				need = map[string]int{}
			}
			need[class] = max(need[class], n)
		}
	}
	if len(need) == 0 {
		return limitError{}, false
	}
	b, _ := ctx.Value(authBudgetKey{}).(*authBudget)
	if b == nil {
		b = &authBudget{spent: map[string]int{}}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for class, n := range need {
		if total := b.spent[class] + n; total > l.MaxAuthOperations {
			return limitError{code: CodeAuthOperationsExceeded,
				message: fmt.Sprintf("%d %s operations in one request exceed the limit of %d (MaxAuthOperations)", total, class, l.MaxAuthOperations),
				limit:   "MaxAuthOperations", max: l.MaxAuthOperations, found: total, class: class}, true
		}
	}
	for class, n := range need {
		b.spent[class] += n
	}
	return limitError{}, false
}

func rootFieldBudget(l OperationLimits) int {
	// Root fields are bounded before this runs; the walk may visit each
	// spread of a chain of fragments as well.
	if l.MaxRootFields > 0 {
		return l.MaxRootFields * 64
	}
	return 1 << 16
}

// rootField is a root field by operation type ("query", "mutation",
// "subscription") and name.
type rootField struct{ opType, name string }

func authClasses(ops map[string]string) map[rootField]string {
	out := make(map[rootField]string, len(ops))
	for key, class := range ops {
		typ, name, _ := strings.Cut(key, ".")
		opType := strings.ToLower(typ)
		if (typ != "Query" && typ != "Mutation" && typ != "Subscription") || name == "" || class == "" {
			panic(fmt.Sprintf("middleware: AuthOperations key %q (class %q) is not Query.field, Mutation.field or Subscription.field with a class", key, class))
		}
		out[rootField{opType, name}] = class
	}
	return out
}

// limitError is one refusal as a GraphQL error.
type limitError struct {
	code       gqljwt.Code
	message    string
	limit      string
	max, found int
	class      string
	locations  []gqldoc.Location
}

var limitNames = map[gqldoc.Limit]struct {
	code gqljwt.Code
	name string
	what string
}{
	gqldoc.LimitTokens:             {CodeMaxTokens, "MaxTokens", "The document has more tokens than the limit of %[2]d (%[3]s)"},
	gqldoc.LimitDepth:              {CodeMaxDepth, "MaxDepth", "Query depth %[1]d exceeds the limit of %[2]d (%[3]s)"},
	gqldoc.LimitNesting:            {CodeMaxDepth, "nesting", "The document nests deeper than %[2]d levels, which no request may"},
	gqldoc.LimitAliases:            {CodeMaxAliases, "MaxAliases", "%[1]d aliases exceed the limit of %[2]d (%[3]s)"},
	gqldoc.LimitDirectives:         {CodeMaxDirectives, "MaxDirectives", "%[1]d directives exceed the limit of %[2]d (%[3]s)"},
	gqldoc.LimitRootFields:         {CodeMaxRootFields, "MaxRootFields", "%[1]d root fields exceed the limit of %[2]d (%[3]s)"},
	gqldoc.LimitIntrospectionDepth: {CodeMaxIntrospectionDepth, "MaxIntrospectionDepth", "Introspection depth %[1]d exceeds the limit of %[2]d (%[3]s)"},
	gqldoc.LimitCost:               {CodeMaxCost, "MaxCost", "Query cost %[1]d exceeds the limit of %[2]d (%[3]s)"},
}

func describe(e *gqldoc.Error) limitError {
	switch e.Limit {
	case gqldoc.LimitSyntax:
		return limitError{code: CodeParseFailed, message: e.Message, locations: e.Locations}
	case gqldoc.LimitFragmentCycle, gqldoc.LimitFragmentName:
		return limitError{code: CodeValidationFailed, message: e.Message, locations: e.Locations}
	}
	n := limitNames[e.Limit]
	return limitError{code: n.code, message: fmt.Sprintf(n.what, e.Found, e.Max, n.name), limit: n.name,
		max: e.Max, found: e.Found, locations: e.Locations}
}

// errorEntryJSON is a GraphQL error with its members in the specification's
// order.
type errorEntryJSON struct {
	Message    string         `json:"message"`
	Locations  []locationJSON `json:"locations"`
	Extensions map[string]any `json:"extensions"`
}

type locationJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (e limitError) entry() errorEntryJSON {
	ext := map[string]any{"code": string(e.code)}
	if e.limit != "" {
		ext["limit"] = e.limit
		ext["max"] = e.max
		if e.found > 0 && e.code != CodeMaxTokens {
			ext["found"] = e.found
		}
	}
	if e.class != "" {
		ext["operation"] = e.class
	}
	locs := make([]locationJSON, 0, len(e.locations))
	for _, l := range e.locations {
		locs = append(locs, locationJSON{l.Line, l.Column})
	}
	if len(locs) == 0 {
		locs = append(locs, locationJSON{1, 1})
	}
	return errorEntryJSON{Message: e.message, Locations: locs, Extensions: ext}
}

// writeGraphQLError answers a request error: errors and no data, as the
// GraphQL specification asks of errors raised before execution.
func writeGraphQLError(w http.ResponseWriter, status int, e limitError) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []errorEntryJSON{e.entry()}})
}

package gqldoc

import (
	"math"
	"strconv"
	"strings"
)

// Limit names the bound an Error reports.
type Limit string

// The bounds Check enforces, and the two document errors it reports
// itself because graphql-go cannot be trusted with them.
const (
	LimitSyntax             Limit = "syntax"
	LimitFragmentCycle      Limit = "fragmentCycle"
	LimitFragmentName       Limit = "fragmentName" // two fragments of one name
	LimitNesting            Limit = "nesting"      // past MaxNesting
	LimitTokens             Limit = "tokens"
	LimitDepth              Limit = "depth"
	LimitAliases            Limit = "aliases"
	LimitDirectives         Limit = "directives"
	LimitRootFields         Limit = "rootFields"
	LimitIntrospectionDepth Limit = "introspectionDepth"
	LimitCost               Limit = "cost"
)

// Error is a document refused, with where and by how much.
type Error struct {
	Limit Limit
	// Found and Max are the measured value and the bound, for limits.
	Found, Max int
	// Message is set for syntax errors, fragment cycles and fragment
	// names.
	Message   string
	Locations []Location
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return string(e.Limit) + " " + strconv.Itoa(e.Found) + " exceeds " + strconv.Itoa(e.Max)
}

func syntaxError(loc Location, msg string) *Error {
	return &Error{Limit: LimitSyntax, Message: "Syntax Error: " + msg + ".", Locations: []Location{loc}}
}

// Limits are the bounds Check applies to each operation (and to each
// fragment no operation uses, since graphql-go validates those too). Zero
// means no bound.
type Limits struct {
	MaxTokens     int
	MaxDepth      int
	MaxAliases    int
	MaxDirectives int
	MaxRootFields int
	// MaxIntrospectionDepth bounds how deeply the list fields of
	// introspection (fields, interfaces, possibleTypes, inputFields) nest
	// below __schema or __type; graphql-js refuses 3, so 2 is its bound.
	MaxIntrospectionDepth int
	// MaxCost bounds the cost: a field costs ScalarCost, or ObjectCost
	// plus DepthCostFactor times the cost of its selections when it has
	// some (graphql-armor's formula). Introspection costs nothing here;
	// MaxIntrospectionDepth bounds it.
	MaxCost                                 int
	ObjectCost, ScalarCost, DepthCostFactor float64
}

// stats are the measures of one selection set, fragments expanded.
//
// It is small on purpose, being returned by value at every selection:
// counts are float32 (exact far beyond any bound, and saturating instead
// of overflowing when fragments multiply them), places are node indexes.
type stats struct {
	depth   int32
	deepest int32 // the node at the greatest depth
	// listDepth counts nested introspection list fields; introDepth is
	// the largest listDepth below an introspection root, introNode.
	listDepth, introDepth, introNode int32
	aliases, dirs, roots             float32
	cost                             float64
}

type fragState uint8

const (
	unvisited fragState = iota
	inProgress
	done
)

type analyzer struct {
	doc    *Document
	limits Limits
	// per definition index: memoised fragment stats
	state []fragState
	memo  []stats
	// stack holds the fragments being walked and the spreads that
	// entered them, to name a cycle's path.
	stack []spreadFrame
	err   *Error
}

type spreadFrame struct {
	def int
	loc Location
}

// Check parses src and measures it against l. On success the document is
// returned for RootFieldCounts.
func Check(src string, l Limits) (*Document, *Error) {
	doc, err := Parse(src, l.MaxTokens)
	if err != nil {
		return nil, err
	}
	a := &analyzer{doc: doc, limits: l}
	if err := a.run(); err != nil {
		doc.Release()
		return nil, err
	}
	return doc, nil
}

// run measures every operation and every fragment no operation reaches.
func (a *analyzer) run() *Error {
	doc := a.doc
	if frags := len(doc.defs) - doc.Operations(); frags > 0 {
		// Indexed by definition; operations never use theirs.
		a.state, a.memo = make([]fragState, len(doc.defs)), make([]stats, len(doc.defs))
	}
	if err := a.uniqueFragments(); err != nil {
		return err
	}
	for _, d := range doc.defs {
		if d.fragment {
			continue
		}
		var s stats
		a.set(d.first, &s)
		if a.err != nil {
			return a.err
		}
		s.dirs += float32(d.dirs)
		if err := a.check(&s, d.loc); err != nil {
			return err
		}
	}
	// Fragments no operation reached are validated all the same.
	for i, d := range doc.defs {
		if !d.fragment || a.state[i] != unvisited {
			continue
		}
		s := a.fragment(i, d.loc)
		if a.err != nil {
			return a.err
		}
		if err := a.check(s, d.loc); err != nil {
			return err
		}
	}
	return nil
}

func (a *analyzer) uniqueFragments() *Error {
	for i, d := range a.doc.defs {
		if !d.fragment {
			continue
		}
		for j := 0; j < i; j++ {
			if o := a.doc.defs[j]; o.fragment && o.name == d.name {
				return &Error{Limit: LimitFragmentName, Message: "There can be only one fragment named " + strconv.Quote(d.name) + ".", Locations: []Location{o.loc, d.loc}}
			}
		}
	}
	return nil
}

func (a *analyzer) check(s *stats, at Location) *Error {
	l := a.limits
	over := func(limit Limit, found float64, max int, loc Location) *Error {
		if max <= 0 || found <= float64(max) {
			return nil
		}
		return &Error{Limit: limit, Found: clampInt(found), Max: max, Locations: []Location{loc}}
	}
	if err := over(LimitDepth, float64(s.depth), l.MaxDepth, a.nodeLoc(s.deepest)); err != nil {
		return err
	}
	if err := over(LimitAliases, float64(s.aliases), l.MaxAliases, at); err != nil {
		return err
	}
	if err := over(LimitDirectives, float64(s.dirs), l.MaxDirectives, at); err != nil {
		return err
	}
	if err := over(LimitRootFields, float64(s.roots), l.MaxRootFields, at); err != nil {
		return err
	}
	if err := over(LimitIntrospectionDepth, float64(s.introDepth), l.MaxIntrospectionDepth, a.nodeLoc(s.introNode)); err != nil {
		return err
	}
	return over(LimitCost, math.Ceil(s.cost), l.MaxCost, at)
}

func (a *analyzer) nodeLoc(i int32) Location { return a.doc.loc(&a.doc.nodes[i]) }

func clampInt(f float64) int {
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}

// fragmentIndex returns the definition index of the fragment name, or -1.
func (d *Document) fragmentIndex(name string) int {
	for i, def := range d.defs {
		if def.fragment && def.name == name {
			return i
		}
	}
	return -1
}

// fragment returns the stats of fragment i, entered by a spread at loc.
func (a *analyzer) fragment(i int, loc Location) *stats {
	switch a.state[i] {
	case done:
		return &a.memo[i]
	case inProgress:
		a.cycle(i, loc)
		return &stats{}
	}
	a.state[i] = inProgress
	a.stack = append(a.stack, spreadFrame{def: i, loc: loc})
	s := &a.memo[i]
	a.set(a.doc.defs[i].first, s)
	s.dirs += float32(a.doc.defs[i].dirs)
	a.stack = a.stack[:len(a.stack)-1]
	a.state[i] = done
	return s
}

// cycle reports the spread at loc of fragment i, which is being walked:
// graphql-go's words for it, and the spreads along the cycle.
func (a *analyzer) cycle(i int, loc Location) {
	if a.err != nil {
		return
	}
	from := 0
	for k, f := range a.stack {
		if f.def == i {
			from = k
		}
	}
	var via []string
	var locs []Location
	for _, f := range a.stack[from+1:] {
		via = append(via, a.doc.defs[f.def].name)
		locs = append(locs, f.loc)
	}
	locs = append(locs, loc)
	msg := "Cannot spread fragment " + strconv.Quote(a.doc.defs[i].name) + " within itself"
	if len(via) > 0 {
		msg += " via " + strings.Join(via, ", ")
	}
	a.err = &Error{Limit: LimitFragmentCycle, Message: msg + ".", Locations: locs}
}

// introspectionLists are the fields whose nesting graphql-js's
// MaxIntrospectionDepthRule counts.
func introspectionList(name string) bool {
	switch name {
	case "fields", "interfaces", "possibleTypes", "inputFields":
		return true
	}
	return false
}

// set adds the measures of the selection set starting at first to s.
// Accumulating through a pointer, instead of returning stats at every
// selection, halves the walk's time.
func (a *analyzer) set(first int32, s *stats) {
	for i := first; i >= 0 && a.err == nil; i = a.doc.nodes[i].next {
		n := &a.doc.nodes[i]
		s.dirs += float32(n.dirs)
		switch n.kind {
		case nodeSpread:
			// An unknown fragment counts nothing; graphql-go refuses it.
			if f := a.doc.fragmentIndex(a.doc.name(n)); f >= 0 {
				s.merge(a.fragment(f, a.doc.loc(n)))
			}
		case nodeInline:
			a.set(n.first, s) // the same level: sums and maxima merge
		case nodeField:
			a.field(i, n, s)
		}
	}
}

// merge adds the measures of a sibling selection.
func (s *stats) merge(c *stats) {
	s.dirs += c.dirs
	s.aliases += c.aliases
	s.cost += c.cost
	s.roots += c.roots
	if c.depth > s.depth {
		s.depth, s.deepest = c.depth, c.deepest
	}
	s.listDepth = max(s.listDepth, c.listDepth)
	if c.introDepth > s.introDepth {
		s.introDepth, s.introNode = c.introDepth, c.introNode
	}
}

// field adds the measures of the field node i to its parent's s.
func (a *analyzer) field(i int32, n *node, s *stats) {
	var child stats
	a.set(n.first, &child)
	s.dirs += child.dirs
	s.aliases += child.aliases
	if n.alias {
		s.aliases++
	}
	s.roots++
	name := a.doc.name(n)
	listDepth := child.listDepth
	if introspectionList(name) {
		listDepth++
	}
	s.listDepth = max(s.listDepth, listDepth)
	introDepth, introNode := child.introDepth, child.introNode
	if name == "__schema" || name == "__type" {
		// Introspection is bounded by its own rule, not by depth and
		// cost: the standard introspection query is deep by design.
		if child.listDepth > introDepth {
			introDepth, introNode = child.listDepth, i
		}
		if introDepth > s.introDepth {
			s.introDepth, s.introNode = introDepth, introNode
		}
		return
	}
	if introDepth > s.introDepth {
		s.introDepth, s.introNode = introDepth, introNode
	}
	depth, deepest := 1+child.depth, child.deepest
	if child.depth == 0 {
		deepest = i
	}
	if depth > s.depth {
		s.depth, s.deepest = depth, deepest
	}
	if n.first < 0 {
		s.cost += a.limits.ScalarCost
	} else {
		s.cost += a.limits.ObjectCost + a.limits.DepthCostFactor*child.cost
	}
}

// HasOperation reports whether the document holds an operation of type
// opType ("query", "mutation" or "subscription").
func (d *Document) HasOperation(opType string) bool {
	for _, def := range d.defs {
		if !def.fragment && def.opType == opType {
			return true
		}
	}
	return false
}

// Operations is the number of operations in the document.
func (d *Document) Operations() int {
	n := 0
	for _, def := range d.defs {
		if !def.fragment {
			n++
		}
	}
	return n
}

// RootFieldCounts calls visit with the type and every root field name of
// the op-th operation (0-based) and how often the field is selected,
// fragments expanded. It gives up after budget selections and then
// returns false, so that a document of fragments spreading fragments
// cannot make it walk exponentially many.
func (d *Document) RootFieldCounts(op int, budget int, visit func(opType, field string)) bool {
	for _, def := range d.defs {
		if def.fragment {
			continue
		}
		if op > 0 {
			op--
			continue
		}
		return d.rootFields(def.opType, def.first, &budget, visit, 0)
	}
	return true
}

func (d *Document) rootFields(opType string, first int32, budget *int, visit func(string, string), depth int) bool {
	if depth > MaxNesting {
		return false
	}
	for i := first; i >= 0; i = d.nodes[i].next {
		*budget--
		if *budget < 0 {
			return false
		}
		n := &d.nodes[i]
		switch n.kind {
		case nodeField:
			visit(opType, d.name(n))
		case nodeInline:
			if !d.rootFields(opType, n.first, budget, visit, depth+1) {
				return false
			}
		case nodeSpread:
			if f := d.fragmentIndex(d.name(n)); f >= 0 && !d.rootFields(opType, d.defs[f].first, budget, visit, depth+1) {
				return false
			}
		}
	}
	return true
}

package gqldoc

import (
	"strconv"
	"sync"
)

// MaxNesting bounds how deeply selection sets, list and object values and
// list types may nest, whatever the configured limits: the reader recurses
// once per level, and this keeps its stack small on any input.
const MaxNesting = 1000

type nodeKind uint8

const (
	nodeField nodeKind = iota
	nodeSpread
	nodeInline
)

// node is one selection. Selection sets are linked lists through next, so
// that the document is one slice however it nests.
//
// It holds no pointers, so that a document is one block the garbage
// collector need not scan.
type node struct {
	kind  nodeKind
	alias bool
	dirs  int32
	// first is the first selection of the node's selection set, next its
	// sibling; -1 for none.
	first, next int32
	// the field's name or the spread fragment's name is src[nameFrom:nameTo]
	nameFrom, nameTo int32
	line, col        int32
}

// definition is an operation or a fragment.
type definition struct {
	fragment bool
	// opType is "query", "mutation" or "subscription".
	opType string
	name   string
	dirs   int32
	first  int32
	loc    Location
}

// Document is an executable GraphQL document reduced to its selections.
type Document struct {
	src   string
	nodes []node
	defs  []definition
}

var documents = sync.Pool{New: func() any { return &Document{nodes: make([]node, 0, 64)} }}

// Release hands d back for reuse; d must not be used afterwards.
func (d *Document) Release() {
	if cap(d.nodes) > 4096 {
		return // an outsized document is not worth keeping
	}
	d.src, d.nodes, d.defs = "", d.nodes[:0], d.defs[:0]
	documents.Put(d)
}

func (d *Document) name(n *node) string { return d.src[n.nameFrom:n.nameTo] }

func (d *Document) loc(n *node) Location { return Location{Line: int(n.line), Column: int(n.col)} }

type parser struct {
	lx      lexer
	doc     *Document
	nesting int
}

// Parse reads src as an executable document. It stops at the first syntax
// error, at token maxTokens+1 (0: no limit) and at MaxNesting.
func Parse(src string, maxTokens int) (*Document, *Error) {
	doc := documents.Get().(*Document)
	doc.src = src
	p := &parser{doc: doc}
	p.lx.init(src, maxTokens)
	p.advance()
	// An empty document is graphql-go's to refuse ("Must provide an
	// operation"), as it does.
	for p.lx.tok.kind != tokEOF && p.lx.err == nil {
		p.definition()
	}
	if p.lx.err != nil {
		doc.Release()
		return nil, p.lx.err
	}
	return doc, nil
}

func (p *parser) advance() { p.lx.next() }

func (p *parser) text() string { return p.lx.src[p.lx.tok.start:p.lx.tok.end] }

func (p *parser) at() Location { return Location{Line: int(p.lx.tok.line), Column: int(p.lx.tok.col)} }

// peek reports whether the current token is the punctuator starting with c
// ("..." for '.').
func (p *parser) peek(c byte) bool {
	return p.lx.tok.kind == tokPunct && p.lx.src[p.lx.tok.start] == c
}

func (p *parser) failAt(loc Location, msg string) {
	if p.lx.err == nil {
		p.lx.err = syntaxError(loc, msg)
	}
	p.lx.tok = token{kind: tokEOF, start: len(p.lx.src), end: len(p.lx.src)}
}

func (p *parser) describe() string {
	switch p.lx.tok.kind {
	case tokEOF:
		return "<EOF>"
	case tokPunct:
		return strconv.Quote(p.text())
	case tokName:
		return "Name " + strconv.Quote(p.text())
	case tokInt:
		return "Int " + strconv.Quote(p.text())
	case tokFloat:
		return "Float " + strconv.Quote(p.text())
	}
	return "String"
}

func (p *parser) unexpected() { p.failAt(p.at(), "Unexpected "+p.describe()) }

func (p *parser) expectPunct(c byte) bool {
	if p.peek(c) {
		p.advance()
		return true
	}
	if p.lx.err == nil {
		p.failAt(p.at(), "Expected "+strconv.Quote(string(c))+", found "+p.describe())
	}
	return false
}

func (p *parser) expectName() (string, bool) {
	if p.lx.tok.kind == tokName {
		name := p.text()
		p.advance()
		return name, true
	}
	if p.lx.err == nil {
		p.failAt(p.at(), "Expected Name, found "+p.describe())
	}
	return "", false
}

// enter counts one level of nesting; false past MaxNesting.
func (p *parser) enter() bool {
	p.nesting++
	if p.nesting > MaxNesting {
		if p.lx.err == nil {
			p.lx.err = &Error{Limit: LimitNesting, Found: p.nesting, Max: MaxNesting, Locations: []Location{p.at()}}
		}
		p.lx.tok = token{kind: tokEOF}
		return false
	}
	return true
}

func (p *parser) leave() { p.nesting-- }

func (p *parser) definition() {
	def := definition{loc: p.at(), opType: "query", first: -1}
	switch {
	case p.peek('{'):
	case p.lx.tok.kind == tokName:
		switch kw := p.text(); kw {
		case "query", "mutation", "subscription":
			def.opType = kw
			p.advance()
			if p.lx.tok.kind == tokName {
				def.name = p.text()
				p.advance()
			}
			if p.peek('(') {
				p.variableDefinitions()
			}
			def.dirs = p.directives()
		case "fragment":
			def.fragment = true
			p.advance()
			if p.lx.tok.kind == tokName && p.text() == "on" {
				p.unexpected()
				return
			}
			var ok bool
			if def.name, ok = p.expectName(); !ok {
				return
			}
			if p.lx.tok.kind != tokName || p.text() != "on" {
				p.failAt(p.at(), `Expected "on", found `+p.describe())
				return
			}
			p.advance()
			if _, ok := p.expectName(); !ok {
				return
			}
			def.dirs = p.directives()
		default:
			// Type system definitions are not executable; graphql-go
			// would refuse them in validation, after the rules that
			// this reader protects.
			p.unexpected()
			return
		}
	default:
		p.unexpected()
		return
	}
	def.first = p.selectionSet()
	p.doc.defs = append(p.doc.defs, def)
}

func (p *parser) variableDefinitions() {
	if !p.expectPunct('(') {
		return
	}
	for {
		if !p.expectPunct('$') {
			return
		}
		if _, ok := p.expectName(); !ok || !p.expectPunct(':') {
			return
		}
		p.typeRef()
		if p.peek('=') {
			p.advance()
			p.value()
		}
		p.directives()
		if p.peek(')') || p.lx.err != nil {
			break
		}
	}
	p.expectPunct(')')
}

func (p *parser) typeRef() {
	if p.peek('[') {
		if !p.enter() {
			return
		}
		p.advance()
		p.typeRef()
		p.expectPunct(']')
		p.leave()
	} else if _, ok := p.expectName(); !ok {
		return
	}
	if p.peek('!') {
		p.advance()
	}
}

// selectionSet reads "{ selection+ }" and returns its first selection.
func (p *parser) selectionSet() int32 {
	if !p.peek('{') {
		p.expectPunct('{')
		return -1
	}
	if !p.enter() {
		return -1
	}
	defer p.leave()
	p.advance()
	first, last := int32(-1), int32(-1)
	for {
		i := p.selection()
		if p.lx.err != nil {
			return -1
		}
		if last < 0 {
			first = i
		} else {
			p.doc.nodes[last].next = i
		}
		last = i
		if p.peek('}') {
			p.advance()
			return first
		}
	}
}

func (p *parser) selection() int32 {
	n := node{line: p.lx.tok.line, col: p.lx.tok.col, first: -1, next: -1}
	if p.peek('.') {
		p.advance()
		switch {
		case p.lx.tok.kind == tokName && p.text() == "on":
			p.advance()
			if _, ok := p.expectName(); !ok {
				return -1
			}
			n.kind = nodeInline
		case p.lx.tok.kind == tokName:
			n.kind, n.nameFrom, n.nameTo = nodeSpread, int32(p.lx.tok.start), int32(p.lx.tok.end)
			p.advance()
			n.dirs = p.directives()
			return p.add(n)
		default:
			n.kind = nodeInline
		}
		n.dirs = p.directives()
		n.first = p.selectionSet()
		return p.add(n)
	}
	n.kind = nodeField
	n.nameFrom, n.nameTo = int32(p.lx.tok.start), int32(p.lx.tok.end)
	if _, ok := p.expectName(); !ok {
		return -1
	}
	if p.peek(':') {
		p.advance()
		n.alias = true
		n.nameFrom, n.nameTo = int32(p.lx.tok.start), int32(p.lx.tok.end)
		if _, ok := p.expectName(); !ok {
			return -1
		}
	}
	if p.peek('(') {
		p.arguments()
	}
	n.dirs = p.directives()
	if p.peek('{') {
		n.first = p.selectionSet()
	}
	return p.add(n)
}

func (p *parser) add(n node) int32 {
	p.doc.nodes = append(p.doc.nodes, n)
	return int32(len(p.doc.nodes) - 1)
}

func (p *parser) arguments() {
	if !p.expectPunct('(') {
		return
	}
	for {
		if _, ok := p.expectName(); !ok || !p.expectPunct(':') {
			return
		}
		p.value()
		if p.peek(')') || p.lx.err != nil {
			break
		}
	}
	p.expectPunct(')')
}

func (p *parser) directives() int32 {
	var n int32
	for p.peek('@') {
		p.advance()
		if _, ok := p.expectName(); !ok {
			return n
		}
		if p.peek('(') {
			p.arguments()
		}
		n++
	}
	return n
}

func (p *parser) value() {
	switch {
	case p.peek('$'):
		p.advance()
		p.expectName()
	case p.lx.tok.kind == tokName || p.lx.tok.kind == tokInt || p.lx.tok.kind == tokFloat ||
		p.lx.tok.kind == tokString || p.lx.tok.kind == tokBlockString:
		p.advance()
	case p.peek('['):
		if !p.enter() {
			return
		}
		p.advance()
		for !p.peek(']') && p.lx.err == nil {
			if p.lx.tok.kind == tokEOF {
				p.unexpected()
				return
			}
			p.value()
		}
		p.advance()
		p.leave()
	case p.peek('{'):
		if !p.enter() {
			return
		}
		p.advance()
		for !p.peek('}') && p.lx.err == nil {
			if _, ok := p.expectName(); !ok || !p.expectPunct(':') {
				return
			}
			p.value()
		}
		p.advance()
		p.leave()
	default:
		p.unexpected()
	}
}

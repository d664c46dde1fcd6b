// Package gqldoc reads GraphQL executable documents just far enough to
// measure them: tokens, selection depth, aliases, directives, root fields,
// cost and fragment cycles. It exists because graphql-go parses and
// validates a document before anything can look at it, and some documents
// (a fragment that spreads itself, a selection nested thousands deep)
// exhaust it on the way. This reader is linear in the input, stops at the
// first bound crossed, allocates little, and never recurses deeper than its
// own nesting cap, so it can look at any input before graphql-go does.
package gqldoc

import "strconv"

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokPunct
	tokName
	tokInt
	tokFloat
	tokString
	tokBlockString
)

// token is one lexical token; its text is src[start:end].
type token struct {
	kind       tokenKind
	start, end int
	line, col  int32
}

// Location is a 1-based line and column, as GraphQL errors report them.
type Location struct {
	Line, Column int
}

// lexer turns a document into tokens on demand, counting them.
type lexer struct {
	src       string
	pos       int
	line      int
	lineStart int
	count     int
	maxTokens int // 0: no limit
	// err is the first error; once set, every further token is EOF.
	err *Error
	// tok is the current token; next replaces it. Writing it in place,
	// rather than returning a token, halves the lexer's time.
	tok token
}

func (l *lexer) init(src string, maxTokens int) {
	*l = lexer{src: src, line: 1, maxTokens: maxTokens}
	// A byte order mark is ignored, as the specification says.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.pos = 3
		l.lineStart = 3
	}
}

func (l *lexer) loc(pos int) Location {
	return Location{Line: l.line, Column: pos - l.lineStart + 1}
}

func (l *lexer) fail(pos int, msg string) {
	if l.err == nil {
		l.err = syntaxError(l.loc(pos), msg)
	}
	l.tok = token{kind: tokEOF, start: len(l.src), end: len(l.src)}
}

// next moves l.tok to the next token, tokEOF at the end or after an error.
func (l *lexer) next() {
	if l.err != nil {
		l.tok = token{kind: tokEOF, start: len(l.src), end: len(l.src)}
		return
	}
	if l.pos < len(l.src) && charClass[l.src[l.pos]]&classIgnored != 0 {
		l.skipIgnored()
	}
	if l.pos >= len(l.src) {
		l.tok = token{kind: tokEOF, start: l.pos, end: l.pos, line: int32(l.line), col: int32(l.pos - l.lineStart + 1)}
		return
	}
	l.count++
	if l.maxTokens > 0 && l.count > l.maxTokens {
		if l.err == nil {
			l.err = &Error{Limit: LimitTokens, Found: l.count, Max: l.maxTokens, Locations: []Location{l.loc(l.pos)}}
		}
		l.tok = token{kind: tokEOF, start: len(l.src), end: len(l.src)}
		return
	}
	start := l.pos
	t := &l.tok
	t.start, t.line, t.col = start, int32(l.line), int32(start-l.lineStart+1)
	c := l.src[start]
	switch {
	case c == '.':
		if len(l.src)-start >= 3 && l.src[start+1] == '.' && l.src[start+2] == '.' {
			l.pos += 3
			t.kind, t.end = tokPunct, l.pos
			return
		}
		l.fail(start, "Unexpected character \".\"")
	case isPunct(c):
		l.pos++
		t.kind, t.end = tokPunct, l.pos
	case isNameStart(c):
		src, p := l.src, start+1
		for p < len(src) && charClass[src[p]]&className != 0 {
			p++
		}
		l.pos = p
		t.kind, t.end = tokName, p
	case c == '-' || isDigit(c):
		l.number(t)
	case c == '"':
		if len(l.src)-start >= 3 && l.src[start+1] == '"' && l.src[start+2] == '"' {
			l.blockString(t)
		} else {
			l.stringValue(t)
		}
	default:
		l.fail(start, "Unexpected character "+strconv.Quote(string(rune(c))))
	}
}

func (l *lexer) skipIgnored() {
	src, p := l.src, l.pos
	for p < len(src) {
		switch c := src[p]; c {
		case ' ', '\t', ',':
			p++
		case '\n':
			p++
			l.line, l.lineStart = l.line+1, p
		case '\r':
			p++
			if p < len(src) && src[p] == '\n' {
				p++
			}
			l.line, l.lineStart = l.line+1, p
		case '#':
			for p < len(src) && src[p] != '\n' && src[p] != '\r' {
				p++
			}
		default:
			l.pos = p
			return
		}
	}
	l.pos = p
}

func (l *lexer) newLine() {
	l.line++
	l.lineStart = l.pos
}

func (l *lexer) number(t *token) {
	p := l.pos
	if l.src[p] == '-' {
		p++
	}
	digits := func() bool {
		from := p
		for p < len(l.src) && isDigit(l.src[p]) {
			p++
		}
		return p > from
	}
	if p < len(l.src) && l.src[p] == '0' {
		p++
		if p < len(l.src) && isDigit(l.src[p]) {
			l.fail(p, "Invalid number, unexpected digit after 0")
			return
		}
	} else if !digits() {
		l.fail(p, "Invalid number, expected digit")
		return
	}
	t.kind = tokInt
	if p < len(l.src) && l.src[p] == '.' {
		p++
		if !digits() {
			l.fail(p, "Invalid number, expected digit")
			return
		}
		t.kind = tokFloat
	}
	if p < len(l.src) && (l.src[p] == 'e' || l.src[p] == 'E') {
		p++
		if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
			p++
		}
		if !digits() {
			l.fail(p, "Invalid number, expected digit")
			return
		}
		t.kind = tokFloat
	}
	// A number runs straight into a name or a dot only by mistake
	// ("1.2.3", "12abc"): the specification refuses it.
	if p < len(l.src) && (l.src[p] == '.' || isNameStart(l.src[p])) {
		l.fail(p, "Invalid number, expected digit")
		return
	}
	l.pos = p
	t.end = p
}

func (l *lexer) stringValue(t *token) {
	p := l.pos + 1
	for p < len(l.src) {
		switch c := l.src[p]; {
		case c == '"':
			l.pos = p + 1
			t.kind, t.end = tokString, l.pos
			return
		case c == '\n' || c == '\r':
			l.fail(p, "Unterminated string")
			return
		case c == '\\':
			if p+1 >= len(l.src) {
				l.fail(p, "Unterminated string")
				return
			}
			switch l.src[p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p += 2
			case 'u':
				if p+6 > len(l.src) || !isHex4(l.src[p+2:p+6]) {
					l.fail(p, "Invalid Unicode escape sequence")
					return
				}
				p += 6
			default:
				l.fail(p, "Invalid character escape sequence")
				return
			}
		case c < 0x20 && c != '\t':
			l.fail(p, "Invalid character within String")
			return
		default:
			p++
		}
	}
	l.fail(p, "Unterminated string")
}

func (l *lexer) blockString(t *token) {
	p := l.pos + 3
	for p < len(l.src) {
		switch c := l.src[p]; {
		case c == '"' && len(l.src)-p >= 3 && l.src[p+1] == '"' && l.src[p+2] == '"':
			l.pos = p + 3
			t.kind, t.end = tokBlockString, l.pos
			return
		case c == '\\' && len(l.src)-p >= 4 && l.src[p+1:p+4] == `"""`:
			p += 4
		case c == '\n':
			p++
			l.pos = p
			l.newLine()
		case c == '\r':
			p++
			if p < len(l.src) && l.src[p] == '\n' {
				p++
			}
			l.pos = p
			l.newLine()
		case c < 0x20 && c != '\t':
			l.fail(p, "Invalid character within String")
			return
		default:
			p++
		}
	}
	l.fail(p, "Unterminated string")
}

const (
	classPunct = 1 << iota
	classNameStart
	className
	classIgnored // starts what skipIgnored skips
)

// charClass classifies bytes for the lexer's hot loops.
var charClass = func() (t [256]uint8) {
	for _, c := range []byte("!$&():=@[]{|}") {
		t[c] = classPunct
	}
	for _, c := range []byte(" \t\n\r,#") {
		t[c] = classIgnored
	}
	for c := 0; c < 256; c++ {
		switch {
		case c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
			t[c] = classNameStart | className
		case c >= '0' && c <= '9':
			t[c] = className
		}
	}
	return t
}()

func isPunct(c byte) bool { return charClass[c]&classPunct != 0 }

func isNameStart(c byte) bool { return charClass[c]&classNameStart != 0 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !isDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

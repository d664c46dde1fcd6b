package gqljwt

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Limits of the strict payload reading.
const (
	// maxNumericDate is 9999-12-31T23:59:59Z, the last second RFC 3339 can
	// write: a NumericDate past it is no date any clock of ours will reach,
	// and converting it to a time.Time would overflow long before int64.
	maxNumericDate = 253402300799
	// maxTokenVersion is the largest integer a float64 (the type jwx hands
	// us for "ver") holds exactly: past it two versions read as one.
	maxTokenVersion = 1<<53 - 1
	// maxJSONDepth bounds nesting: our payloads are one object with arrays
	// of strings; deep nesting only makes the recursion costly.
	maxJSONDepth = 16
	// sessionIDLength is the length of randomID(16), the only sid shape we
	// issue.
	sessionIDLength = 22
	// payloadStackBuffer is the buffer a payload of usual size is decoded
	// into (our access tokens carry 250 to 400 bytes of claims) without
	// growing. In verifySlow it is on the heap all the same: eachString
	// hands parts of it to a callback the compiler cannot see through
	// (go build -gcflags=-m: "moved to heap: stack"), one 1 KiB
	// allocation a full verification.
	payloadStackBuffer = 1024
)

// strictPayload reads the payload segment of a compact token (already
// checked by wellFormed) to the letter of RFC 7519 and RFC 8259, and
// reports whether it is a payload gqljwt could have issued.
//
// jwx is lenient where the RFCs are not, and each leniency lets a token
// mean something other than what its signer wrote or what another reader
// of the same bytes would see: it reads NumericDates written as strings,
// stops reading at the end of the first JSON object (so trailing bytes,
// or a second object, pass unseen), keeps the last of two members with
// one name, and treats a payload that is itself a JWS as a nested token.
// The check runs before any key is used, on the decoded bytes, and costs
// one pass over them:
//
//   - the payload is exactly one JSON object, nothing but whitespace
//     after it, nested at most maxJSONDepth deep, strings valid UTF-8
//     with no lone surrogate escapes (RFC 8259 §8, RFC 7493);
//   - no object, at any depth, names a member twice (RFC 7519 §4:
//     "MUST either reject");
//   - exp, iat, nbf and origIat, when present, are NumericDates written
//     as non-negative integers (no fraction, exponent or sign) up to
//     maxNumericDate; ver is a non-negative integer up to
//     maxTokenVersion; null is none of these;
//   - sub, jti, iss and typ, when present, are strings, aud a string or
//     an array of strings;
//   - sid is present and has the shape of the session IDs we issue
//     (randomID(16): 22 canonical base64url characters): a token without
//     it could not be refused by ending its session.
//
// Member names are compared after unescaping, as jwx compares them, so
// "s\u0069d" is sid for these checks too.
func strictPayload(seg string) bool {
	var stack [payloadStackBuffer]byte
	_, ok := readPayload(stack[:], seg, nil, nil)
	return ok
}

// readPayload is strictPayload's reading, which also collects the claims
// gqljwt reads into c (when not nil) in the same pass: one reading of the
// payload decides both whether it is one we could have issued and what it
// says. It decodes seg into stack when it fits and returns the decoded
// payload, to which c's spans point.
func readPayload(stack []byte, seg string, c *payloadClaims, names *claimNames) ([]byte, bool) {
	var buf []byte
	if n := len(seg) * 3 / 4; n <= len(stack) {
		buf = stack[:n]
	} else {
		buf = make([]byte, n)
	}
	decodeCanonical(buf, seg)
	p := payloadScanner{b: buf, c: c, names: names}
	p.space()
	if !p.object(0, true) {
		return nil, false
	}
	p.space()
	return buf, p.i == len(p.b) && p.sid
}

// claimNames are the configurable names of the claims gqljwt reads
// (Config.UsernameClaim, RolesClaim, ScopeClaim, ScopeArrayClaim).
type claimNames struct {
	username, roles, scope, scopeArray string
}

// valueSpan locates the JSON text of a member's value in the decoded
// payload; end is 0 when the member is absent (a value is never empty).
type valueSpan struct{ start, end int }

func (v valueSpan) present() bool { return v.end > 0 }

// payloadClaims is what readPayload keeps of a payload: the numeric claims
// as numbers, the others as the place of their value, read after the
// grammar is known to be valid.
type payloadClaims struct {
	exp, iat, nbf, orig int64
	ver                 uint64
	hasExp, hasIat      bool
	hasNbf              bool
	sub, jti, iss, typ  valueSpan
	sid, aud            valueSpan
	username, roles     valueSpan
	scope, scopeArray   valueSpan
}

// decodeCanonical decodes seg, which wellFormed accepted (base64url
// characters only, canonical length and bits), into dst, of length
// len(seg)*3/4. A table walk: it cannot fail, and the library decoder
// would need seg copied to a []byte first.
func decodeCanonical(dst []byte, seg string) {
	for len(seg) >= 4 && len(dst) >= 3 {
		x := uint32(base64URLBits[seg[0]])<<18 | uint32(base64URLBits[seg[1]])<<12 |
			uint32(base64URLBits[seg[2]])<<6 | uint32(base64URLBits[seg[3]])
		dst[0], dst[1], dst[2] = byte(x>>16), byte(x>>8), byte(x)
		seg, dst = seg[4:], dst[3:]
	}
	switch {
	case len(seg) == 2 && len(dst) == 1:
		dst[0] = base64URLBits[seg[0]]<<2 | base64URLBits[seg[1]]>>4
	case len(seg) == 3 && len(dst) == 2:
		dst[0] = base64URLBits[seg[0]]<<2 | base64URLBits[seg[1]]>>4
		dst[1] = base64URLBits[seg[1]]<<4 | base64URLBits[seg[2]]>>2
	}
}

// base64URLBits is base64URLValue as unsigned bytes (0 for characters
// outside the alphabet, which wellFormed has refused already).
var base64URLBits = func() (t [256]byte) {
	for i, v := range base64URLValue {
		if v >= 0 {
			t[i] = byte(v)
		}
	}
	return t
}()

// jsonPlain marks the bytes a JSON string may hold as they are: not the
// quote, the backslash, control characters or non-ASCII bytes (which need
// the UTF-8 check).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// payloadScanner is a validating JSON reader over b; i is the position.
type payloadScanner struct {
	b   []byte
	i   int
	sid bool // a well-shaped sid was seen at the top level
	// c, when not nil, collects the top-level claims gqljwt reads, names
	// the configurable ones.
	c     *payloadClaims
	names *claimNames
}

func (p *payloadScanner) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next consumes c, after optional whitespace.
func (p *payloadScanner) next(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads an object starting at p.i. At the top level the members
// gqljwt reads are type-checked too.
func (p *payloadScanner) object(depth int, top bool) bool {
	if depth >= maxJSONDepth || !p.next('{') {
		return false
	}
	var names nameSet
	if p.next('}') {
		return true
	}
	for {
		p.space()
		start := p.i + 1
		raw, escaped, ok := p.str()
		if !ok {
			return false
		}
		name := span{start: start, end: start + len(raw), esc: -1}
		if escaped {
			names.esc = append(names.esc, unescape(raw))
			name.esc = len(names.esc) - 1
		}
		if !names.add(p.b, name) || !p.next(':') {
			return false
		}
		p.space()
		if top {
			ok = p.member(names.text(p.b, name), depth)
		} else {
			ok = p.value(depth + 1)
		}
		if !ok {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// member reads the value of the top-level member name, with the check
// its name calls for.
func (p *payloadScanner) member(name []byte, depth int) bool {
	start := p.i
	var at *valueSpan // where c keeps the value's place
	ok := false
	switch string(name) {
	case "exp", "iat", "nbf", claimOriginalIssuedAt:
		v, good := p.integer()
		ok = good && v <= maxNumericDate
		if ok && p.c != nil {
			p.c.setDate(string(name), int64(v))
		}
		return ok
	case claimTokenVersion:
		v, good := p.integer()
		if p.c != nil {
			p.c.ver = v
		}
		return good && v <= maxTokenVersion
	case "sub", "jti", "iss", claimTokenType:
		_, _, ok = p.str()
		if p.c != nil {
			at = p.c.registered(string(name))
		}
	case "aud":
		if p.i < len(p.b) && p.b[p.i] == '"' {
			_, _, ok = p.str()
		} else {
			ok = p.stringArray()
		}
		if p.c != nil {
			at = &p.c.aud
		}
	case claimSessionID:
		raw, escaped, good := p.str()
		if !good || escaped || !isSessionID(raw) {
			return false
		}
		p.sid = true
		if p.c != nil {
			p.c.sid = valueSpan{start, p.i}
		}
		return true
	default:
		ok = p.value(depth + 1)
		if ok && p.c != nil {
			p.c.private(name, p.names, valueSpan{start, p.i})
		}
		return ok
	}
	if ok && at != nil {
		*at = valueSpan{start, p.i}
	}
	return ok
}

// setDate records the NumericDate claim name.
func (c *payloadClaims) setDate(name string, v int64) {
	switch name {
	case "exp":
		c.exp, c.hasExp = v, true
	case "iat":
		c.iat, c.hasIat = v, true
	case "nbf":
		c.nbf, c.hasNbf = v, true
	default:
		c.orig = v
	}
}

// registered returns where the string claim name is kept.
func (c *payloadClaims) registered(name string) *valueSpan {
	switch name {
	case "sub":
		return &c.sub
	case "jti":
		return &c.jti
	case "iss":
		return &c.iss
	default:
		return &c.typ
	}
}

// private records v for each configurable claim called name (two options
// may name one claim).
func (c *payloadClaims) private(name []byte, names *claimNames, v valueSpan) {
	if names == nil {
		return
	}
	for _, m := range [...]struct {
		name string
		dst  *valueSpan
	}{{names.username, &c.username}, {names.roles, &c.roles}, {names.scope, &c.scope}, {names.scopeArray, &c.scopeArray}} {
		if string(name) == m.name {
			*m.dst = v
		}
	}
}

// isSessionID reports whether s has the shape of randomID(16).
func isSessionID(s []byte) bool {
	if len(s) != sessionIDLength {
		return false
	}
	for _, c := range s {
		if base64URLValue[c] < 0 {
			return false
		}
	}
	return canonicalSegment(string(s))
}

// stringArray reads an array whose elements are all strings.
func (p *payloadScanner) stringArray() bool {
	if !p.next('[') {
		return false
	}
	if p.next(']') {
		return true
	}
	for {
		p.space()
		if _, _, ok := p.str(); !ok {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next(']')
	}
}

// value reads any JSON value at p.i.
func (p *payloadScanner) value(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth, false)
	case c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		p.i++
		if p.next(']') {
			return true
		}
		for {
			p.space()
			if !p.value(depth + 1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next(']')
		}
	case c == '"':
		_, _, ok := p.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				return true
			}
		}
		return false
	}
}

// number reads a JSON number (RFC 8259 §6). One out of float64's range
// (1e400) is refused: JSON decoders, jwx's among them, fail on it, so
// Identity.JWT and Claims could not read the token.
func (p *payloadScanner) number() bool {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	if !p.digits(true) {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits(false) {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits(false) {
			return false
		}
	}
	if p.i-start > 300 || bytes.ContainsAny(p.b[start:p.i], "eE") {
		// 300 digits reach past float64's range without an exponent.
		_, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		return err == nil
	}
	return true
}

// digits reads one or more digits; intPart refuses a leading zero
// followed by more digits, which JSON forbids.
func (p *payloadScanner) digits(intPart bool) bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - start
	return n > 0 && !(intPart && n > 1 && p.b[start] == '0')
}

// integer reads a number that must be written as a non-negative integer,
// and returns its value. Fractions, exponents and signs are refused even
// when the value is whole: gqljwt never writes them, and each is one more
// spelling of one date.
func (p *payloadScanner) integer() (uint64, bool) {
	start := p.i
	var v uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if p.i-start >= 16 { // past every limit, and before v overflows
			return 0, false
		}
		v = v*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	n := p.i - start
	if n == 0 || n > 1 && p.b[start] == '0' {
		return 0, false
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

// str reads a string at p.i, returning its raw contents (between the
// quotes) and whether they hold escapes. Control characters, invalid
// escapes, lone surrogates and invalid UTF-8 are refused.
func (p *payloadScanner) str() (raw []byte, escaped, ok bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, false
	}
	p.i++
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		if jsonPlain[p.b[p.i]] {
			p.i++
			continue
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			raw = p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(raw) {
				return nil, false, false
			}
			return raw, escaped, true
		case c < 0x20:
			return nil, false, false
		case c >= 0x80:
			ascii = false
			p.i++
		case c == '\\':
			escaped = true
			n, good := escapeLen(p.b[p.i:])
			if !good {
				return nil, false, false
			}
			p.i += n
		default:
			p.i++
		}
	}
	return nil, false, false
}

// escapeLen returns the length of the escape sequence at the start of s
// (which begins with a backslash); a high surrogate counts together with
// the low surrogate that must follow it.
func escapeLen(s []byte) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		r, ok := hex4(s[2:])
		switch {
		case !ok:
			return 0, false
		case r >= 0xdc00 && r <= 0xdfff:
			return 0, false // a low surrogate without its high one
		case r >= 0xd800 && r <= 0xdbff:
			if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
				return 0, false
			}
			lo, ok := hex4(s[8:])
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return 0, false
			}
			return 12, true
		}
		return 6, true
	}
	return 0, false
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// unescape decodes the contents of a string that str accepted. Only
// member names with escapes come here, which gqljwt never writes: the
// allocation is off the usual path.
func unescape(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'u':
			r, _ := hex4(raw[i+2:])
			i += 6
			if r >= 0xd800 && r <= 0xdbff {
				lo, _ := hex4(raw[i+2:])
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default: // '"', '\\', '/'
			c = raw[i+1]
		}
		out = append(out, c)
		i += 2
	}
	return out
}

// span locates a member name in the payload, or, for a name that had
// escapes, its unescaped copy in nameSet.esc. Names are kept as positions,
// not slices of the payload, so that the payload buffer can stay on the
// caller's stack.
type span struct {
	start, end int
	esc        int // index in nameSet.esc; -1: the name is b[start:end]
}

// nameSet holds the member names of one object. Objects of our payloads
// have a dozen members, compared pairwise in place; a larger one moves to a
// map, so a hostile payload cannot make the check quadratic.
type nameSet struct {
	small [16]span
	n     int
	// seen has a bit for each (length, last byte) class of the names
	// held: a name whose bit is clear is new without any comparison,
	// which is every name of the payloads we issue but one or two.
	seen uint64
	esc  [][]byte
	big  map[string]struct{}
}

func (s *nameSet) text(b []byte, sp span) []byte {
	if sp.esc >= 0 {
		return s.esc[sp.esc]
	}
	return b[sp.start:sp.end]
}

// add records the name at sp of payload b, reporting false when it was
// already there.
func (s *nameSet) add(b []byte, sp span) bool {
	name := s.text(b, sp)
	if s.big != nil {
		if _, dup := s.big[string(name)]; dup {
			return false
		}
		s.big[string(name)] = struct{}{}
		return true
	}
	h := uint(len(name)) * 7
	if len(name) > 0 {
		h += uint(name[len(name)-1])
	}
	bit := uint64(1) << (h & 63)
	if s.seen&bit != 0 {
		for _, have := range s.small[:s.n] {
			if bytes.Equal(s.text(b, have), name) {
				return false
			}
		}
	}
	s.seen |= bit
	if s.n < len(s.small) {
		s.small[s.n] = sp
		s.n++
		return true
	}
	s.big = make(map[string]struct{}, 2*len(s.small))
	for _, have := range s.small {
		s.big[string(s.text(b, have))] = struct{}{}
	}
	s.big[string(name)] = struct{}{}
	return true
}

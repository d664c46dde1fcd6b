package gqljwt

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"
)

// parseJOSEHeader reads "alg" and "kid" from a decoded JOSE header. Headers
// are tiny flat objects, so a hand scan handles the usual shape without the
// cost of encoding/json on every new token; anything unusual (escapes,
// non-string values, whitespace) goes to a full JSON parser instead. A
// header naming any member twice, or carrying a member of refusedHeader,
// is refused: we will not guess which duplicate a peer would use.
func parseJOSEHeader(h []byte) (alg, kid []byte, ok bool) {
	if alg, kid, ok, simple := scanFlatHeader(h); simple {
		return alg, kid, ok
	}
	// The full parser: a token walk, so that duplicate members are seen
	// (encoding/json would silently keep the last one). encoding/json also
	// reads invalid UTF-8 as U+FFFD instead of refusing it, which RFC 7515
	// (§4: a header is UTF-8 JSON) and RFC 8259 §8.1 ask for.
	if !utf8.Valid(h) {
		return nil, nil, false
	}
	// A copy keeps h (a stack buffer of the caller) from escaping to the
	// heap through the decoder on the common path above.
	dec := json.NewDecoder(bytes.NewReader(bytes.Clone(h)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	seen := map[string]bool{}
	var a, k string
	for dec.More() {
		t, err := dec.Token()
		name, isString := t.(string)
		if err != nil || !isString || seen[name] {
			return nil, nil, false
		}
		seen[name] = true
		if refusedHeader(name) {
			return nil, nil, false
		}
		var dst *string
		switch name {
		case "alg":
			dst = &a
		case "kid":
			dst = &k
		default:
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil, nil, false
			}
			continue
		}
		if dec.Decode(dst) != nil {
			return nil, nil, false
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') || !seen["alg"] {
		return nil, nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, false // trailing data
	}
	return []byte(a), []byte(k), true
}

// scanFlatHeader parses {"k":"v",...} with plain string keys and values,
// returning alg and kid as slices of h (no allocation on the usual path).
// simple is false when the input is outside that shape (escapes, bytes
// outside ASCII, over eight members) and needs the full parser. Duplicate
// members are refused.
func scanFlatHeader(h []byte) (alg, kid []byte, ok, simple bool) {
	i := 0
	next := func(want byte) bool {
		if i < len(h) && h[i] == want {
			i++
			return true
		}
		return false
	}
	str := func() ([]byte, bool) {
		if !next('"') {
			return nil, false
		}
		start := i
		for i < len(h) {
			c := h[i]
			if c == '"' {
				s := h[start:i]
				i++
				return s, true
			}
			if c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false
			}
			i++
		}
		return nil, false
	}
	if !next('{') {
		return nil, nil, false, false
	}
	var (
		keys    [8][]byte // headers have a handful of members
		nkeys   int
		seenAlg bool
	)
	for {
		key, good := str()
		if !good || !next(':') {
			return nil, nil, false, false
		}
		val, good := str()
		if !good {
			return nil, nil, false, false
		}
		if nkeys == len(keys) {
			return nil, nil, false, false
		}
		for _, k := range keys[:nkeys] {
			if bytes.Equal(k, key) {
				return nil, nil, false, true
			}
		}
		keys[nkeys] = key
		nkeys++
		switch string(key) {
		case "alg":
			seenAlg, alg = true, val
		case "kid":
			kid = val
		default:
			if refusedHeader(string(key)) {
				return nil, nil, false, true
			}
		}
		if next(',') {
			continue
		}
		if next('}') && i == len(h) {
			return alg, kid, seenAlg, true
		}
		return nil, nil, false, false
	}
}

// refusedHeader reports whether a header member makes the token one we
// refuse, whatever its value. We write none of them, and each asks the
// reader to do something we do not do:
//   - crit: critical extensions, of which we support none (RFC 7515
//     §4.1.11 requires refusing what is not understood);
//   - b64: an unencoded payload (RFC 7797), only meaningful with crit;
//   - cty: a payload of another type, "JWT" announcing a nested token
//     (RFC 7519 §5.2), which jwx would unwrap and verify with our key;
//   - jwk, jku, x5u, x5c: a key, or where to fetch one, chosen by the
//     sender. Keys come from our configuration only (RFC 8725 §3.10).
func refusedHeader(name string) bool {
	switch name {
	case "crit", "b64", "cty", "jwk", "jku", "x5u", "x5c":
		return true
	}
	return false
}

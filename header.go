package gqljwt

import "encoding/json"

// parseJOSEHeader reads "alg" and "kid" from a decoded JOSE header. Headers
// are tiny flat objects, so a hand scan handles the usual shape without the
// cost of encoding/json on every new token; anything unusual (escapes,
// non-string values, whitespace) goes to encoding/json instead. A header
// naming alg or kid twice, or carrying "crit", is refused: we support no
// critical extensions and will not guess which duplicate a peer would use.
func parseJOSEHeader(h []byte) (alg, kid []byte, ok bool) {
	if alg, kid, ok, simple := scanFlatHeader(h); simple {
		return alg, kid, ok
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(h, &fields); err != nil {
		return nil, nil, false
	}
	if _, crit := fields["crit"]; crit {
		return nil, nil, false
	}
	var a, k string
	if raw, found := fields["alg"]; !found || json.Unmarshal(raw, &a) != nil {
		return nil, nil, false
	}
	if raw, found := fields["kid"]; found && json.Unmarshal(raw, &k) != nil {
		return nil, nil, false
	}
	return []byte(a), []byte(k), true
}

// scanFlatHeader parses {"k":"v",...} with plain string keys and values,
// returning alg and kid as slices of h (no allocation on the usual path).
// simple is false when the input is outside that shape and needs a full
// JSON parser. encoding/json keeps the last of duplicate keys, so the scan
// refuses duplicates outright rather than pick one.
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
			if c == '\\' || c < 0x20 {
				return nil, false
			}
			i++
		}
		return nil, false
	}
	if !next('{') {
		return nil, nil, false, false
	}
	var seenAlg, seenKid bool
	for {
		key, good := str()
		if !good || !next(':') {
			return nil, nil, false, false
		}
		val, good := str()
		if !good {
			return nil, nil, false, false
		}
		switch string(key) {
		case "alg":
			if seenAlg {
				return nil, nil, false, true
			}
			seenAlg, alg = true, val
		case "kid":
			if seenKid {
				return nil, nil, false, true
			}
			seenKid, kid = true, val
		case "crit":
			return nil, nil, false, true
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

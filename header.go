package gqljwt

import "encoding/json"

// parseJOSEHeader reads "alg" and "kid" from a decoded JOSE header. Headers
// are tiny flat objects, so a hand scan handles the usual shape without the
// cost of encoding/json on every new token; anything unusual (escapes,
// non-string values, whitespace) goes to encoding/json instead. A header
// naming alg or kid twice, or carrying "crit", is refused: we support no
// critical extensions and will not guess which duplicate a peer would use.
func parseJOSEHeader(h []byte) (alg, kid string, ok bool) {
	if alg, kid, ok, simple := scanFlatHeader(h); simple {
		return alg, kid, ok
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(h, &fields); err != nil {
		return "", "", false
	}
	if _, crit := fields["crit"]; crit {
		return "", "", false
	}
	if raw, found := fields["alg"]; !found || json.Unmarshal(raw, &alg) != nil {
		return "", "", false
	}
	if raw, found := fields["kid"]; found && json.Unmarshal(raw, &kid) != nil {
		return "", "", false
	}
	return alg, kid, true
}

// scanFlatHeader parses {"k":"v",...} with plain string keys and values.
// simple is false when the input is outside that shape and needs a full
// JSON parser. encoding/json keeps the last of duplicate keys, so the scan
// refuses duplicates outright rather than pick one.
func scanFlatHeader(h []byte) (alg, kid string, ok, simple bool) {
	i := 0
	next := func(want byte) bool {
		if i < len(h) && h[i] == want {
			i++
			return true
		}
		return false
	}
	str := func() (string, bool) {
		if !next('"') {
			return "", false
		}
		start := i
		for i < len(h) {
			c := h[i]
			if c == '"' {
				s := string(h[start:i])
				i++
				return s, true
			}
			if c == '\\' || c < 0x20 {
				return "", false
			}
			i++
		}
		return "", false
	}
	if !next('{') {
		return "", "", false, false
	}
	var seenAlg, seenKid bool
	for {
		key, good := str()
		if !good || !next(':') {
			return "", "", false, false
		}
		val, good := str()
		if !good {
			return "", "", false, false
		}
		switch key {
		case "alg":
			if seenAlg {
				return "", "", false, true
			}
			seenAlg, alg = true, val
		case "kid":
			if seenKid {
				return "", "", false, true
			}
			seenKid, kid = true, val
		case "crit":
			return "", "", false, true
		}
		if next(',') {
			continue
		}
		if next('}') && i == len(h) {
			return alg, kid, seenAlg, true
		}
		return "", "", false, false
	}
}

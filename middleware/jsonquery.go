package middleware

import (
	"encoding/json"
	"strings"
)

// jsonQuery returns the "query" member of a JSON request body exactly as
// graphql-go's handler reads it: json.Unmarshal into a struct whose field
// is tagged "query", which matches member names case-insensitively, lets
// the last match win and leaves the field empty when the body is not valid
// JSON.
//
// encoding/json costs more than every limit together on a typical request,
// so the common shape (ASCII member names, the query a string of ASCII
// with simple escapes) is read by a scan of its own; anything else goes to
// json.Unmarshal. The scan may accept a body json.Unmarshal refuses (it
// does not validate what it skips); then the handler runs no document at
// all, and checking one is merely strict. FuzzLimitsReadWhatTheHandlerRuns
// holds the two to the same answer.
func jsonQuery(body []byte) string {
	if q, ok := scanJSONQuery(body); ok {
		return q
	}
	var opts struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(body, &opts)
	return opts.Query
}

func scanJSONQuery(b []byte) (string, bool) {
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", false
	}
	i = skipJSONSpace(b, i+1)
	query := ""
	if i < len(b) && b[i] == '}' {
		return "", trailingJSONSpace(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		keyFrom := i + 1
		i = keyFrom
		for i < len(b) && b[i] != '"' {
			if c := b[i]; c == '\\' || c < 0x20 || c >= 0x80 {
				return "", false // escaped or non-ASCII names fold in ways left to encoding/json
			}
			i++
		}
		if i >= len(b) {
			return "", false
		}
		key := b[keyFrom:i]
		i = skipJSONSpace(b, i+1)
		if i >= len(b) || b[i] != ':' {
			return "", false
		}
		i = skipJSONSpace(b, i+1)
		if asciiEqualFold(key, "query") {
			var q string
			var ok bool
			if q, i, ok = scanJSONString(b, i); !ok {
				return "", false
			}
			query = q
		} else {
			var ok bool
			if i, ok = skipJSONValue(b, i); !ok {
				return "", false
			}
		}
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			return "", false
		}
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
		case '}':
			if !trailingJSONSpace(b, i+1) {
				return "", false
			}
			return query, true
		default:
			return "", false
		}
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func trailingJSONSpace(b []byte, i int) bool { return skipJSONSpace(b, i) == len(b) }

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// scanJSONString reads the string at b[i]: only ASCII and the escapes
// that map to one ASCII byte; anything else is left to encoding/json.
func scanJSONString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	i++
	from := i
	for i < len(b) && b[i] != '"' && b[i] != '\\' {
		if b[i] < 0x20 || b[i] >= 0x80 {
			return "", i, false
		}
		i++
	}
	if i < len(b) && b[i] == '"' {
		return string(b[from:i]), i + 1, true
	}
	// One allocation: the builder's buffer becomes the string.
	var out strings.Builder
	out.Grow(len(b) - from)
	out.Write(b[from:i])
	for i < len(b) {
		// Copy the run up to the next quote or escape at once.
		run := i
		for run < len(b) && b[run] != '"' && b[run] != '\\' && b[run] >= 0x20 && b[run] < 0x80 {
			run++
		}
		out.Write(b[i:run])
		if i = run; i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return out.String(), i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return "", i, false
			}
			switch b[i+1] {
			case '"', '\\', '/':
				out.WriteByte(b[i+1])
			case 'n':
				out.WriteByte('\n')
			case 't':
				out.WriteByte('\t')
			case 'r':
				out.WriteByte('\r')
			case 'b':
				out.WriteByte('\b')
			case 'f':
				out.WriteByte('\f')
			default:
				return "", i, false // \u: surrogates and replacement characters
			}
			i += 2
		case c < 0x20 || c >= 0x80:
			return "", i, false
		default:
			out.WriteByte(c)
			i++
		}
	}
	return "", i, false
}

// skipJSONValue skips the value at b[i]. It trusts the value's shape:
// what it cannot skip sends the body to encoding/json.
func skipJSONValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return i, false
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			if depth < 0 {
				return i, false
			}
			i++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i, true
			}
			i++
		default:
			// numbers, true, false, null
			for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' && b[i] != ':' {
				if b[i] == '"' || b[i] == '{' || b[i] == '[' {
					return i, false
				}
				i++
			}
		}
		if depth == 0 {
			return i, true
		}
	}
	return i, depth == 0
}

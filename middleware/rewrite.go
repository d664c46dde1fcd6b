package middleware

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"sort"
	"strconv"
)

// Rewrite lets fn reshape every JSON response body of the handlers behind
// it (an envelope, extra error members: what an API's documented bodies
// need and graphql-go's handler cannot produce). Other responses, such as
// GraphiQL's HTML, pass unchanged. What fn leaves alone keeps its exact
// bytes (numbers, strings with "<" or "&" that encoding/json would escape)
// and, in application data, its members' order. The members of the
// response itself and of its errors take the order GraphQL responses are
// documented in (ok, errors, data; message, locations, path, extensions),
// which is what API documentation shows; members fn adds elsewhere go
// after the others.
func Rewrite(fn func(body map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bw := &bufferedWriter{ResponseWriter: w}
			next.ServeHTTP(bw, r)
			status := bw.status
			if status == 0 {
				status = http.StatusOK
			}
			out := bw.buf.Bytes()
			if isJSON(w.Header().Get("Content-Type")) {
				if reshaped, ok := rewriteJSON(out, fn); ok {
					out = reshaped
				}
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.WriteHeader(status)
			_, _ = w.Write(out)
		})
	}
}

func rewriteJSON(raw []byte, fn func(map[string]any)) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, false
	}
	fn(body)
	var out bytes.Buffer
	if err := encodeLike(&out, bytes.TrimSpace(raw), body, protocolObject); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// shape says how encodeLike orders an object's members: protocolObject
// for the response and its errors (documented order), dataObject for
// everything else (the order it came in).
type shape int

const (
	dataObject shape = iota
	protocolObject
)

// childShape is the shape of the objects in member key of an object of
// shape parent: errors and their locations are protocol, the rest data.
func childShape(parent shape, key string) shape {
	if parent == protocolObject && (key == "errors" || key == "locations") {
		return protocolObject
	}
	return dataObject
}

// encodeLike writes v, which fn made out of the JSON text orig, reusing
// orig's bytes wherever v still holds what orig says.
func encodeLike(buf *bytes.Buffer, orig []byte, v any, sh shape) error {
	switch v := v.(type) {
	case map[string]any:
		keys, vals, ok := objectMembers(orig)
		if !ok {
			return encodeOrdered(buf, v)
		}
		kept := keys[:0:0]
		for _, k := range keys {
			if _, ok := v[k]; ok {
				kept = append(kept, k)
			}
		}
		var added []string
		for k := range v {
			if _, old := vals[k]; !old {
				added = append(added, k)
			}
		}
		sort.Slice(added, func(i, j int) bool { return less(added[i], added[j]) })
		order := append(kept, added...)
		if sh == protocolObject {
			sort.SliceStable(order, func(i, j int) bool { return rank(order[i]) < rank(order[j]) })
		}
		buf.WriteByte('{')
		for i, k := range order {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			var err error
			if o, old := vals[k]; old {
				err = encodeLike(buf, o, v[k], childShape(sh, k))
			} else {
				err = encodeOrdered(buf, v[k])
			}
			if err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case []any:
		elems, ok := arrayElements(orig)
		if !ok || len(elems) != len(v) {
			return encodeOrdered(buf, v)
		}
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			// The elements of errors and locations are protocol objects.
			if err := encodeLike(buf, elems[i], e, sh); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(orig))
	dec.UseNumber()
	var was any
	if dec.Decode(&was) == nil && scalarEqual(was, v) {
		buf.Write(orig)
		return nil
	}
	return encodeOrdered(buf, v)
}

func scalarEqual(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string, bool, json.Number:
		return a == b
	}
	return false
}

// objectMembers splits the JSON object orig into its member names, in
// order, and their values' bytes.
func objectMembers(orig []byte) ([]string, map[string][]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(orig))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	var keys []string
	vals := map[string][]byte{}
	for dec.More() {
		t, err := dec.Token()
		k, ok := t.(string)
		if err != nil || !ok {
			return nil, nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = raw
	}
	return keys, vals, true
}

func arrayElements(orig []byte) ([][]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(orig))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, false
	}
	var out [][]byte
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		out = append(out, raw)
	}
	return out, true
}

// memberRank orders the members a rewrite adds the way the specification
// (and the API documentation clients compare with) shows them; other
// members follow in alphabetical order.
var memberRank = map[string]int{
	"ok": 1, "errors": 2, "data": 3,
	"message": 4, "locations": 5, "line": 6, "column": 7, "path": 8, "extensions": 9,
}

func less(a, b string) bool {
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

// encodeOrdered writes a value fn made up, with object members in
// memberRank order and no HTML escaping.
func encodeOrdered(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := encodeOrdered(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeOrdered(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	_ = encodeOrdered(buf, s)
}

func rank(key string) int {
	if r, ok := memberRank[key]; ok {
		return r
	}
	return len(memberRank) + 1
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || mt == "application/graphql-response+json")
}

// bufferedWriter holds the body until the handler is done, so that it can
// be rewritten as a whole; headers go straight to the real writer.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.buf.Write(p)
}

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
// GraphiQL's HTML, pass unchanged. Numbers keep their exact text, and
// members keep the order GraphQL responses are documented in (ok, errors,
// data; message, locations, path, extensions).
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
	if err := encodeOrdered(&out, body); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// memberRank orders the members of GraphQL response objects the way the
// specification (and the API documentation clients compare with) shows
// them; other members follow in alphabetical order.
var memberRank = map[string]int{
	"ok": 1, "errors": 2, "data": 3,
	"message": 4, "locations": 5, "line": 6, "column": 7, "path": 8, "extensions": 9,
}

// encodeOrdered writes v as JSON with object members in memberRank order.
func encodeOrdered(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, rj := rank(keys[i]), rank(keys[j])
			if ri != rj {
				return ri < rj
			}
			return keys[i] < keys[j]
		})
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			name, _ := json.Marshal(k)
			buf.Write(name)
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
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
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

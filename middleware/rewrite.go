package middleware

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
)

// Rewrite lets fn reshape every JSON response body of the handlers behind
// it (an envelope, extra error members: what an API's documented bodies
// need and graphql-go's handler cannot produce). Other responses, such as
// GraphiQL's HTML, pass unchanged. Numbers keep their exact text.
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
	out, err := json.Marshal(body)
	if err != nil {
		return nil, false
	}
	return out, true
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

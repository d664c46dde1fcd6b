package middleware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Batch serves batched GraphQL requests, a JSON array of request objects
// in one application/json POST, as Apollo's BatchHttpLink sends them: each
// is run by next in order, as a request of its own, and the answers come
// back as one array in the same order. graphql-go's handler knows no batches. A batch
// longer than maxItems (0: DefaultMaxBatch; negative: batches are refused) is
// refused whole with MAX_BATCH_EXCEEDED.
//
// The items of a batch share one auth-operation budget (see
// OperationLimits.AuthOperations): a batch of ten logins is ten logins in
// one request. Mount Batch outside Limits and any Rewrite, so that each
// item is checked and shaped like a request of its own.
func Batch(maxItems int) func(http.Handler) http.Handler {
	if maxItems == 0 {
		maxItems = DefaultMaxBatch
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.Body == nil || r.URL.Query().Get("query") != "" {
				// Not a batch: the handler takes ?query= before any body.
				next.ServeHTTP(w, r)
				return
			}
			if !isJSONRequest(r.Header.Get("Content-Type")) {
				// Only JSON is a batch: an item is run as JSON, and a
				// text/plain body run as JSON would slip past what refuses
				// the bodies a page of another site can send (GraphQLHTTP).
				next.ServeHTTP(w, r)
				return
			}
			body, err := readBody(r, DefaultMaxRequestBytes)
			if err != nil {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, tooLarge(DefaultMaxRequestBytes))
				return
			}
			var items []json.RawMessage
			if !startsArray(body) || json.Unmarshal(body, &items) != nil {
				next.ServeHTTP(w, r)
				return
			}
			switch {
			case maxItems < 0 || len(items) > maxItems:
				writeGraphQLError(w, http.StatusOK, limitError{code: CodeMaxBatch,
					message: fmt.Sprintf("A batch of %d operations exceeds the limit of %d (MaxBatch)", len(items), maxItems),
					limit:   "MaxBatch", max: maxItems, found: len(items)})
				return
			case len(items) == 0:
				writeGraphQLError(w, http.StatusOK, limitError{code: CodeParseFailed, message: "The batch is empty"})
				return
			}
			ctx := withAuthBudget(r.Context())
			var out bytes.Buffer
			out.WriteByte('[')
			for i, item := range items {
				if i > 0 {
					out.WriteByte(',')
				}
				sub := r.Clone(ctx)
				sub.Body = newReplayBody(item)
				sub.ContentLength = int64(len(item))
				sub.Header.Set("Content-Type", "application/json")
				// An item answers JSON, never the GraphiQL page.
				sub.Header.Set("Accept", "application/json")
				rec := &batchItemWriter{header: w.Header()}
				next.ServeHTTP(rec, sub)
				if !json.Valid(rec.body.Bytes()) {
					rec.body.Reset()
					_ = json.NewEncoder(&rec.body).Encode(map[string]any{"errors": []any{map[string]any{
						"message": "The operation did not answer JSON", "extensions": map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}})
				}
				out.Write(bytes.TrimSpace(rec.body.Bytes()))
			}
			out.WriteByte(']')
			h := w.Header()
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(out.Len()))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(out.Bytes())
		})
	}
}

func startsArray(body []byte) bool {
	t := bytes.TrimLeft(body, " \t\r\n")
	return len(t) > 0 && t[0] == '['
}

// batchItemWriter keeps an item's body; its headers (tokens in headers,
// cookies) go to the batch's response, which is what a client reads.
type batchItemWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (b *batchItemWriter) Header() http.Header         { return b.header }
func (b *batchItemWriter) WriteHeader(int)             {}
func (b *batchItemWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

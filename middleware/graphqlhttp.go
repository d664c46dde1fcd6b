package middleware

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gqljwt/gqljwt"
)

// CodeUnsupportedMediaType is the extensions.code of a POST that
// GraphQLHTTP refuses for its Content-Type.
const CodeUnsupportedMediaType gqljwt.Code = "UNSUPPORTED_MEDIA_TYPE"

// GraphQLResponseMediaType is the media type of GraphQL over HTTP, which
// GraphQLHTTP answers to clients that accept it.
const GraphQLResponseMediaType = "application/graphql-response+json"

// GraphQLHTTP applies the GraphQL over HTTP specification (GraphQL
// Foundation) to the handlers behind it, where graphql-go's handler does
// not:
//
//   - A POST must be application/json (charset, if any, utf-8); any other
//     Content-Type, a missing one included, is refused with 415 and
//     UNSUPPORTED_MEDIA_TYPE. text/plain, form and multipart bodies and a
//     POST without Content-Type are what a page of another site can send
//     without a CORS preflight, carrying the visitor's cookies: refusing
//     them is half of a CSRF defence. application/graphql, which the
//     specification no longer defines, is refused too.
//   - A client whose Accept lists application/graphql-response+json
//     (with a q no lower than application/json's) gets it, with the
//     specification's status codes: 400 for a request error (a response
//     without data, or with data null and no error on a field: the
//     document did not parse or validate, its variables did not coerce,
//     or a bound of Limits refused it), 200 once execution began, whatever
//     its field errors (UNAUTHENTICATED, FORBIDDEN included). Statuses
//     other than 200 (405, 413, 401) are kept.
//   - Other clients keep application/json and 200, as graphql-go answers
//     and as clients written before the specification expect.
//
// Mutations sent by GET are refused by Limits (405, Allow: POST), which
// reads the document. Mount GraphQLHTTP inside Batch (a batch's items are
// application/json and answer it) and outside Limits, whose refusals it
// gives their status.
func GraphQLHTTP() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := next
			if r.Method == http.MethodPost && !isJSONRequest(r.Header.Get("Content-Type")) {
				h = unsupportedMediaType
			}
			if !acceptsGraphQLResponse(r.Header.Values("Accept")) {
				h.ServeHTTP(w, r)
				return
			}
			bw := &bufferedWriter{ResponseWriter: w}
			h.ServeHTTP(bw, r)
			status := bw.status
			if status == 0 {
				status = http.StatusOK
			}
			if isJSON(w.Header().Get("Content-Type")) {
				w.Header().Set("Content-Type", GraphQLResponseMediaType+"; charset=utf-8")
				if status == http.StatusOK && isRequestError(bw.buf.Bytes()) {
					status = http.StatusBadRequest
				}
			}
			w.Header().Set("Content-Length", strconv.Itoa(bw.buf.Len()))
			w.WriteHeader(status)
			_, _ = w.Write(bw.buf.Bytes())
		})
	}
}

var unsupportedMediaType = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	writeGraphQLError(w, http.StatusUnsupportedMediaType, limitError{code: CodeUnsupportedMediaType,
		message: "A GraphQL POST must have Content-Type: application/json"})
})

// isJSONRequest reports whether a POST's Content-Type is application/json
// in UTF-8, the one request encoding the specification requires.
func isJSONRequest(contentType string) bool {
	switch contentType {
	case "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8":
		return true // what clients send, without mime's allocations
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// acceptsGraphQLResponse reports whether the Accept header prefers
// application/graphql-response+json: it is listed with a q above zero and
// not below application/json's. Wildcards do not count: a client that
// accepts anything is served application/json, as the specification asks
// for */* and for no Accept at all.
func acceptsGraphQLResponse(accept []string) bool {
	listed := false
	for _, header := range accept {
		listed = listed || strings.Contains(strings.ToLower(header), "graphql-response")
	}
	if !listed {
		return false // most requests: no parsing
	}
	qGraphQL, qJSON := 0.0, 0.0
	for _, header := range accept {
		for _, mediaRange := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(mediaRange)
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			switch mt {
			case GraphQLResponseMediaType:
				qGraphQL = max(qGraphQL, q)
			case "application/json":
				qJSON = max(qJSON, q)
			}
		}
	}
	return qGraphQL > 0 && qGraphQL >= qJSON
}

// isRequestError reports whether a GraphQL response is that of a request
// that never executed: errors, and no data, or data null with no error on
// a field (graphql-go writes "data": null for parse and validation errors;
// an error that nulls the whole data during execution has a path).
func isRequestError(body []byte) bool {
	if !bytes.Contains(body, []byte(`"errors"`)) {
		return false // most responses: no decoding
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Path json.RawMessage `json:"path"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &resp) != nil || len(resp.Errors) == 0 {
		return false
	}
	if resp.Data != nil && string(resp.Data) != "null" {
		return false
	}
	for _, e := range resp.Errors {
		if len(e.Path) > 0 && string(e.Path) != "null" {
			return false
		}
	}
	return true
}

// Package canonb64 decodes canonical unpadded base64url only, so that one
// value has one spelling (one cache entry, one store key): the encoding
// refuses stray trailing bits, as base64.Encoding.Strict does, and the
// line breaks (\r, \n) encoding/base64 silently skips.
package canonb64

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
)

var (
	strict       = base64.RawURLEncoding.Strict()
	errLineBreak = errors.New("base64url: a line break")
)

// Decode is base64.RawURLEncoding.Strict().Decode, refusing line breaks.
func Decode(dst, src []byte) (int, error) {
	if bytes.ContainsAny(src, "\r\n") {
		return 0, errLineBreak
	}
	return strict.Decode(dst, src)
}

// DecodeString is base64.RawURLEncoding.Strict().DecodeString, refusing
// line breaks.
func DecodeString(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errLineBreak
	}
	return strict.DecodeString(s)
}

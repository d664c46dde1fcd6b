package exposeheader

import (
	"net/http"
	"reflect"
	"testing"
)

func TestAdd(t *testing.T) {
	for _, tc := range []struct {
		have []string
		name string
		want []string
	}{
		{nil, "Authorization", []string{"Authorization"}},
		{[]string{"Authorization"}, "Authorization", []string{"Authorization"}},
		{[]string{"X-Request-Id, authorization"}, "Authorization", []string{"X-Request-Id, authorization"}},
		{[]string{"Authorization"}, "X-WPGraphQL-Login-Token", []string{"Authorization", "X-WPGraphQL-Login-Token"}},
		{[]string{"X-Authorization"}, "Authorization", []string{"X-Authorization", "Authorization"}},
	} {
		h := http.Header{}
		for _, v := range tc.have {
			h.Add("Access-Control-Expose-Headers", v)
		}
		Add(h, tc.name)
		if got := h.Values("Access-Control-Expose-Headers"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q + %s: %q, want %q", tc.have, tc.name, got, tc.want)
		}
	}
}

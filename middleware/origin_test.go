package middleware

import (
	"net/url"
	"testing"
)

// TestCanonicalOrigin: what CORS and CSRF make of an origin, as a listed
// one (exact) and as a Referer.
func TestCanonicalOrigin(t *testing.T) {
	for _, tc := range []struct {
		in, exact, referer string // "" for refused
	}{
		{"https://app.example", "https://app.example", "https://app.example"},
		{"HTTPS://App.Example:8443", "https://app.example:8443", "https://app.example:8443"},
		{"https://app.example:443", "https://app.example", "https://app.example"},
		{"http://app.example:80", "http://app.example", "http://app.example"},
		{"http://app.example:443", "http://app.example:443", "http://app.example:443"},
		{"https://app.example:080", "https://app.example:80", "https://app.example:80"},
		{"http://[::1]:3000", "http://[::1]:3000", "http://[::1]:3000"},
		{"http://[::1]:80", "http://[::1]", "http://[::1]"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://app.example/", "", "https://app.example"},
		{"https://app.example/page?q=1#top", "", "https://app.example"},
		{"https://app.example?", "", "https://app.example"},
		{"https://app.example#", "", "https://app.example"},
		{"https://u@app.example", "", ""},
		{"https://u:p@app.example/", "", ""},
		{"null", "", ""},
		{"", "", ""},
		{"*", "", ""},
		{"https://*.example", "", ""},
		{"https://app example", "", ""},
		{"https://app%20example", "", ""},
		{"https://[fe80::1%25eth0]", "", ""},
		{"ftp://app.example", "", ""},
		{"app.example", "", ""},
		{"https:app.example", "", ""},
		{"https://", "", ""},
		{"https://:443", "", ""},
		{"https://app.example:0", "", ""},
		{"https://app.example:65536", "", ""},
	} {
		for _, c := range []struct {
			exact bool
			want  string
		}{{true, tc.exact}, {false, tc.referer}} {
			got, ok := canonicalOrigin(tc.in, c.exact)
			if got != c.want || ok != (c.want != "") {
				t.Errorf("canonicalOrigin(%q, %v) = %q, %v; want %q", tc.in, c.exact, got, ok, c.want)
			}
		}
	}
}

// FuzzCanonicalOrigin: canonicalOrigin never panics, and what it returns
// is an exact origin that it returns unchanged and that url.Parse reads
// back as the same scheme and host.
func FuzzCanonicalOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example", "HTTP://A.example:80", "http://[::1]:3000", "https://app.example/p?q#f",
		"https://u@app.example", "null", "https://app.example:0443", "http://%41", "https://[fe80::1%25eth0]:8"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, exact bool) {
		out, ok := canonicalOrigin(in, exact)
		if !ok {
			if out != "" {
				t.Fatalf("canonicalOrigin(%q, %v) refused it but returned %q", in, exact, out)
			}
			return
		}
		if again, ok := canonicalOrigin(out, true); !ok || again != out {
			t.Fatalf("canonicalOrigin(%q, %v) = %q, which gives %q, %v", in, exact, out, again, ok)
		}
		p, err := url.Parse(out)
		if err != nil || p.Scheme+"://"+p.Host != out {
			t.Fatalf("canonicalOrigin(%q, %v) = %q, which parses back as %+v, %v", in, exact, out, p, err)
		}
	})
}

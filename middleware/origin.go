package middleware

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// canonicalOrigin returns the origin u names as scheme://host[:port], in
// lower case and without the scheme's default port, and whether it names
// one. CORS and CSRF compare origins only in this form, so that a list
// written "https://App.Example:443" matches the "https://app.example" a
// browser sends, and both refuse the same things.
//
// With exact, u must be an origin and nothing more, as configured lists
// are: a path (a trailing slash included), a query or a fragment is
// refused, since a browser's Origin never has one and a list entry with
// one would match nothing. Without it, u may be any URL (a Referer) and is
// cut down to its origin. Either way userinfo, a scheme other than http
// and https, a host of characters no browser sends (a wildcard, a space, a
// zone) and "null", the opaque origin of sandboxed frames, name no origin
// anybody could allow.
func canonicalOrigin(u string, exact bool) (string, bool) {
	if len(u) > 2048 {
		return "", false
	}
	p, err := url.Parse(u)
	if err != nil || p.Opaque != "" || p.User != nil {
		return "", false
	}
	scheme, defaultPort := strings.ToLower(p.Scheme), ""
	switch scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return "", false
	}
	if exact {
		// url.Parse drops an empty query or fragment ("https://a?"):
		// look at what came after the host instead.
		_, rest, _ := strings.Cut(u, "://")
		if strings.ContainsAny(rest, "/?#") {
			return "", false
		}
	}
	host := strings.ToLower(p.Hostname())
	if !validHost(host) {
		return "", false
	}
	if strings.Contains(host, ":") {
		// Only a bracketed IPv6 address has a colon in its host: url.Parse
		// also takes "http://::" and leaves a host ":" that names nothing.
		addr, err := netip.ParseAddr(host)
		if err != nil || !addr.Is6() || addr.Zone() != "" || !strings.HasPrefix(p.Host, "[") {
			return "", false
		}
		host = "[" + addr.String() + "]"
	}
	if port := p.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", false
		}
		if port = strconv.Itoa(n); port != defaultPort {
			host += ":" + port
		}
	}
	return scheme + "://" + host, true
}

// validHost reports whether h, in lower case and an IPv6 literal without
// its brackets, is a host a browser could name in an Origin: a name or
// IPv4 address of letters, digits, '-', '.' and '_', or an IPv6 address of
// hex digits, ':' and '.'.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	ipv6 := strings.Contains(h, ":")
	for _, c := range []byte(h) {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', c == '.':
		case c == ':' && ipv6:
		case ('g' <= c && c <= 'z' || c == '-' || c == '_') && !ipv6:
		default:
			return false
		}
	}
	return true
}

package canonb64

import "testing"

func TestDecodeString(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"aGk", "hi", true},
		{"aG\nk", "", false},
		{"aG\r\nk", "", false},
		{"aGl", "", false}, // stray trailing bits
		{"aGk=", "", false},
	} {
		got, err := DecodeString(c.in)
		if (err == nil) != c.ok || string(got) != c.want {
			t.Errorf("DecodeString(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
		var buf [8]byte
		n, err := Decode(buf[:], []byte(c.in))
		if (err == nil) != c.ok || string(buf[:n]) != c.want {
			t.Errorf("Decode(%q) = %q, %v; want %q, ok %v", c.in, buf[:n], err, c.want, c.ok)
		}
	}
}

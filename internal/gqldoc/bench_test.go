package gqldoc

import "testing"

const typical = `query Feed($first: Int = 10) {
  viewer { id username email roles }
  posts(first: $first) {
    id title body createdAt
    author { id username }
    tags
    comments { id body author { id username } }
  }
  latest: drafts { id title }
}`

func BenchmarkCheck(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		d, err := Check(typical, strict)
		if err != nil {
			b.Fatal(err)
		}
		d.Release()
	}
}

func BenchmarkLex(b *testing.B) {
	b.ReportAllocs()
	var l lexer
	for range b.N {
		l.init(typical, 0)
		for l.next(); l.tok.kind != tokEOF; l.next() {
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		d, err := Parse(typical, 0)
		if err != nil {
			b.Fatal(err)
		}
		d.Release()
	}
}

func BenchmarkScanFloor(b *testing.B) {
	n := 0
	for range b.N {
		for i := 0; i < len(typical); i++ {
			if charClass[typical[i]]&className != 0 {
				n++
			}
		}
	}
	_ = n
}

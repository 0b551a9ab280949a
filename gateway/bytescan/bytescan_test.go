package bytescan

import (
	"bytes"
	"strings"
	"testing"
)

func TestIndexEither(t *testing.T) {
	for n := 0; n <= 40; n++ {
		base := bytes.Repeat([]byte{'a', 0x80, 0xff, ' ', '"' + 1, '\n' + 1, 0x7f, '\\' - 1}, 6)[:n]
		if got := IndexEither(base, '\n', '\\'); got != -1 {
			t.Fatalf("IndexEither(%q) = %d, want -1", base, got)
		}
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{'\n', '\\'} {
				b := bytes.Clone(base)
				b[pos] = c
				if got := IndexEither(b, '\n', '\\'); got != pos {
					t.Fatalf("IndexEither(%q) = %d, want %d", b, got, pos)
				}
				b2 := bytes.Clone(b)
				if pos+3 < n {
					b2[pos+3] = '\n' // a later match must not win
				}
				if got := IndexEither(b2, '\n', '\\'); got != pos {
					t.Fatalf("IndexEither(%q) = %d, want %d", b2, got, pos)
				}
			}
		}
	}
}

func TestPlainRun(t *testing.T) {
	for n := 0; n <= 24; n++ {
		plain := bytes.Repeat([]byte{0x7f, 0x80, 0xff, ' ', '#', '[', ']', '~'}, 3)[:n]
		if got, want := PlainRun(plain, 0), n-n%8; got != want {
			t.Fatalf("PlainRun(%q) = %d, want %d", plain, got, want)
		}
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{'"', '\\', 0x00, 0x1f, '\n'} {
				b := bytes.Clone(plain)
				b[pos] = c
				// It stops at the start of the word holding pos, or where
				// less than a word is left.
				want := pos - pos%8
				if want+8 > n {
					want = n - n%8
				}
				if got := PlainRun(b, 0); got != want {
					t.Fatalf("PlainRun(%q) = %d, want %d (special at %d)", b, got, want, pos)
				}
			}
		}
	}
}

func FuzzIndexEither(f *testing.F) {
	f.Add([]byte("hello\\nworld\"!"), byte('"'), byte('\\'))
	f.Fuzz(func(t *testing.T, b []byte, x, y byte) {
		want := bytes.IndexAny(b, string([]byte{x})+string([]byte{y}))
		if x >= 0x80 || y >= 0x80 { // IndexAny works on UTF-8 runes
			want = -1
			for i, c := range b {
				if c == x || c == y {
					want = i
					break
				}
			}
		}
		if got := IndexEither(b, x, y); got != want {
			t.Fatalf("IndexEither(%q, %q, %q) = %d, want %d", b, x, y, got, want)
		}
	})
}

// BenchmarkIndexEither walks a long string with an escape every 60
// bytes, as a coding agent's prompt is.
func BenchmarkIndexEither(b *testing.B) {
	text := []byte(strings.Repeat(strings.Repeat("x", 60)+`\n`, 3000) + `"`)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		for i := 0; ; {
			j := IndexEither(text[i:], '"', '\\')
			if text[i+j] == '"' {
				break
			}
			i += j + 2
		}
	}
}

// Package bytescan finds the bytes that matter in JSON and SSE text a word
// (eight bytes) at a time. The gateway scans every request and answer for
// a handful of delimiters; a byte loop runs at under 1 GB/s, and
// searching for one delimiter with bytes.IndexByte before checking for
// another rescans the same text once per match (quadratic on a long
// string full of escapes). These stay linear and several times faster.
package bytescan

import "encoding/binary"

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasByte reports whether a byte of w equals c's repeated value: a zero
// byte in w^c. The borrow trick can misfire only above a byte that truly
// matches, so as an "any" test it is exact.
func hasByte(w, c uint64) uint64 {
	x := w ^ c
	return (x - ones) &^ x & highs
}

// IndexEither returns the index of the first x or y in b, or -1.
func IndexEither(b []byte, x, y byte) int {
	cx, cy := ones*uint64(x), ones*uint64(y)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if hasByte(w, cx)|hasByte(w, cy) != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] == x || b[i] == y {
			return i
		}
	}
	return -1
}

// PlainRun returns the first index from i at which an eight-byte word of
// b holds a quote, a backslash or a control character, or where fewer
// than eight bytes remain: the caller's byte loop takes it from there.
// JSON string contents are skipped a word at a time this way.
func PlainRun(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte below 0x20 borrows when 0x20 is subtracted from it.
		if hasByte(w, ones*'"')|hasByte(w, ones*'\\')|(w-ones*0x20)&^w&highs != 0 {
			return i
		}
	}
	return i
}

package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// The row log (rowlog.go) stores each request row, and the response it
// created, as one record:
//
//	uvarint  payload length
//	uint32   CRC-32C of the payload, little-endian
//	payload: uvarint count, then that many values (the requests
//	         columns); uvarint count, then the response_owners columns
//	         (count 0: none)
//
// A value is a tag byte and its bytes: nil; false; true; an int64 as a
// zigzag varint; a float64 as 8 bytes; a string or []byte as a uvarint
// length and the bytes. These are every type newItem puts in a row.
// The length and checksum make a record cut short by a crash, or
// garbled on disk, fail to decode rather than decode as something else.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagBytes
)

// maxRecord bounds one record's payload: a row is a few hundred bytes,
// so a length past this is a garbled header, not a row to allocate for.
const maxRecord = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTruncated is a record cut short: the end of a log the process was
// killed while writing (or a write that failed part way).
var errTruncated = errors.New("record cut short")

// appendRecord appends the record of one request row (and its created
// response's row, or nil) to b. It reserves the header's room first and
// fills it in after, so encoding allocates nothing once b has grown.
func appendRecord(b []byte, req, owner []any) ([]byte, error) {
	start := len(b)
	// The length's varint is written after the payload is known; reserve
	// the most it can take and move the payload back if it took less.
	b = append(b, make([]byte, binary.MaxVarintLen32+4)...)
	body := len(b)
	var err error
	for _, vals := range [][]any{req, owner} {
		b = binary.AppendUvarint(b, uint64(len(vals)))
		for _, v := range vals {
			if b, err = appendValue(b, v); err != nil {
				return b[:start], err
			}
		}
	}
	n := len(b) - body
	if n > maxRecord {
		return b[:start], fmt.Errorf("row log: record of %d bytes exceeds %d", n, maxRecord)
	}
	sum := crc32.Checksum(b[body:], castagnoli)
	var head [binary.MaxVarintLen32 + 4]byte
	h := binary.AppendUvarint(head[:0], uint64(n))
	h = binary.LittleEndian.AppendUint32(h, sum)
	at := start + len(h)
	copy(b[start:], h)
	copy(b[at:], b[body:])
	return b[:at+n], nil
}

// appendValue appends one column value.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, tagNil), nil
	case bool:
		if v {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt), v), nil
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(v)), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(v)), nil
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(v)))
		return append(b, v...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(v)))
		return append(b, v...), nil
	default:
		return b, fmt.Errorf("row log: cannot store a %T", v)
	}
}

// decodeRecord decodes the record at the start of b, returning its
// request row, its owner row (nil if none) and the bytes it took. It
// returns errTruncated when b ends inside the record, and another error
// when the record is garbled.
func decodeRecord(b []byte) (req, owner []any, n int, err error) {
	size, k := binary.Uvarint(b)
	switch {
	case k == 0:
		return nil, nil, 0, errTruncated
	case k < 0 || size > maxRecord:
		return nil, nil, 0, errors.New("row log: bad record length")
	}
	if uint64(len(b)-k) < 4+size {
		return nil, nil, 0, errTruncated
	}
	sum := binary.LittleEndian.Uint32(b[k:])
	payload := b[k+4 : k+4+int(size)]
	if crc32.Checksum(payload, castagnoli) != sum {
		return nil, nil, 0, errors.New("row log: record checksum mismatch")
	}
	d := decoder{b: payload}
	req = d.values()
	owner = d.values()
	switch {
	case d.err != nil:
		return nil, nil, 0, d.err
	case len(d.b) != 0:
		return nil, nil, 0, errors.New("row log: trailing bytes in record")
	case len(req) == 0:
		return nil, nil, 0, errors.New("row log: record without a row")
	}
	if len(owner) == 0 {
		owner = nil
	}
	return req, owner, k + 4 + int(size), nil
}

// decoder reads a payload's values; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New("row log: bad " + what)
	}
	d.b = nil
}

func (d *decoder) uvarint(what string) uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[k:]
	return v
}

// values reads a count and that many values.
func (d *decoder) values() []any {
	n := d.uvarint("value count")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) { // every value takes at least its tag byte
		d.fail("value count")
		return nil
	}
	vals := make([]any, 0, n)
	for range n {
		vals = append(vals, d.value())
		if d.err != nil {
			return nil
		}
	}
	return vals
}

func (d *decoder) value() any {
	if len(d.b) == 0 {
		d.fail("value")
		return nil
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		v, k := binary.Varint(d.b)
		if k <= 0 {
			d.fail("integer")
			return nil
		}
		d.b = d.b[k:]
		return v
	case tagFloat:
		if len(d.b) < 8 {
			d.fail("float")
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return v
	case tagString, tagBytes:
		n := d.uvarint("length")
		if d.err != nil || n > uint64(len(d.b)) {
			d.fail("length")
			return nil
		}
		s := d.b[:n]
		d.b = d.b[n:]
		if tag == tagString {
			return string(s)
		}
		return append([]byte(nil), s...)
	default:
		d.fail("value tag")
		return nil
	}
}

package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"
	"time"
)

// fullRecord is record(i) with every optional field set, so that every
// type newItem puts in a row goes through the codec.
func fullRecord(i int) *Record {
	r := record(i)
	r.Tags = []string{"tag:ci", "tag:prod"}
	r.Error = "upstream said \"no\"\n"
	r.UserAgent = "claude-cli/2.0 (ünïcode)"
	r.Interrupted = true
	r.Unpriced = "web_search"
	r.Path = "/v1/messages"
	r.LocalUser = "bob"
	r.CreatedResponse = "resp_0123"
	r.ResponseContext = 4096
	return r
}

// normalized is vals as decodeRecord returns them: every integer an int64.
func normalized(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		if n, ok := v.(int); ok {
			v = int64(n)
		}
		out[i] = v
	}
	return out
}

func TestRowRecordRoundTrip(t *testing.T) {
	l := &Ledger{now: nowFunc, db: conn{d: sqliteDialect}}
	for _, r := range []*Record{record(1), fullRecord(2), {ID: "x", CostKnown: false}} {
		it, err := l.newItem(r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := appendRecord([]byte("prefix"), it.req, it.owner)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("appendRecord overwrote what b held")
		}
		req, owner, n, err := decodeRecord(b[len("prefix"):])
		if err != nil {
			t.Fatalf("%s: decode: %v", r.ID, err)
		}
		if n != len(b)-len("prefix") {
			t.Errorf("%s: decoded %d of %d bytes", r.ID, n, len(b)-len("prefix"))
		}
		if !reflect.DeepEqual(req, normalized(it.req)) {
			t.Errorf("%s: request row\n got %#v\nwant %#v", r.ID, req, normalized(it.req))
		}
		if want := it.owner; (want == nil) != (owner == nil) || (want != nil && !reflect.DeepEqual(owner, normalized(want))) {
			t.Errorf("%s: owner row\n got %#v\nwant %#v", r.ID, owner, want)
		}
	}
}

func nowFunc() time.Time { return baseTime }

// A record cut anywhere, or with any byte changed, never decodes as a
// row: a crash's torn tail and a garbled disk stop the replay there.
func TestDecodeRecordCutOrGarbled(t *testing.T) {
	l := &Ledger{now: nowFunc, db: conn{d: sqliteDialect}}
	it, err := l.newItem(fullRecord(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := appendRecord(nil, it.req, it.owner)
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(b) {
		if _, _, _, err := decodeRecord(b[:cut]); !errors.Is(err, errTruncated) {
			t.Errorf("cut at %d of %d: %v, want errTruncated", cut, len(b), err)
		}
	}
	for i := range b {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			g := bytes.Clone(b)
			g[i] ^= flip
			if req, _, _, err := decodeRecord(g); err == nil {
				t.Errorf("byte %d ^ %#x decoded as a row: %v", i, flip, req)
			}
		}
	}
	if _, err := appendRecord(nil, []any{struct{}{}}, nil); err == nil {
		t.Error("appendRecord took a value it cannot store")
	}
}

// Encoding a row allocates nothing once the buffer has grown: it runs
// on the writer for every request.
func TestAppendRecordAllocations(t *testing.T) {
	l := &Ledger{now: nowFunc, db: conn{d: sqliteDialect}}
	it, err := l.newItem(fullRecord(1))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() {
		buf, _ = appendRecord(buf[:0], it.req, it.owner)
	}); n != 0 {
		t.Errorf("appendRecord: %v allocations, want 0", n)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	l := &Ledger{now: nowFunc, db: conn{d: sqliteDialect}}
	for _, r := range []*Record{record(1), fullRecord(2)} {
		it, _ := l.newItem(r)
		b, _ := appendRecord(nil, it.req, it.owner)
		f.Add(b)
	}
	f.Add([]byte{0x05, 0, 0, 0, 0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
		// And b as a payload under a valid header, which the checksum
		// would otherwise keep the fuzzer from reaching.
		framed := binary.AppendUvarint(nil, uint64(len(b)))
		framed = binary.LittleEndian.AppendUint32(framed, crc32.Checksum(b, castagnoli))
		checkDecode(t, append(framed, b...))
	})
}

// checkDecode decodes b and, if it is a record, checks that its values
// encode, and decode again, to the same values (varints have more than
// one spelling, so not to the same bytes).
func checkDecode(t *testing.T, b []byte) {
	req, owner, n, err := decodeRecord(b)
	if err != nil {
		return
	}
	if n <= 0 || n > len(b) || len(req) == 0 {
		t.Fatalf("decoded %d of %d bytes, %d values", n, len(b), len(req))
	}
	again, err := appendRecord(nil, req, owner)
	if err != nil {
		t.Fatalf("decoded values do not encode: %v", err)
	}
	req2, owner2, n2, err := decodeRecord(again)
	if err != nil || n2 != len(again) || !reflect.DeepEqual(req, req2) || !reflect.DeepEqual(owner, owner2) {
		t.Fatalf("round trip: %v, %d of %d bytes\n%#v %#v\n%#v %#v", err, n2, len(again), req, owner, req2, owner2)
	}
}

package export

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zstd"
)

func sampleRecords() []Record {
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	return []Record{
		{ID: "req-1", Ver: Version, Timestamp: at, Identity: Identity{LoginName: "alice@example.com", StableNodeID: "nA"},
			Model: "gpt-4o", APIType: "oai_completions", Usage: Usage{InputTokens: 10, OutputTokens: 5},
			EstimatedCost: &Cost{Nanodollars: 1500, Dollars: 0.0000015}, DurationMS: 900, StatusCode: 200,
			SessionID: "s", Path: "/v1/chat/completions", CaptureID: "req-1",
			Capture: &Capture{RequestHeaders: http.Header{"Content-Type": {"application/json"}, "B": {"1", "2"}},
				RequestBody: []byte(`{"model":"gpt-4o"}`), ResponseBody: []byte("data: {}\n\n")}},
		{ID: "req-2", Ver: Version, Timestamp: at.Add(time.Second), Identity: Identity{LoginName: "tagged-devices",
			Tags: []string{"tag:a", "tag:b"}}, StatusCode: 502, Error: "upstream refused"},
	}
}

func encodeAll(t *testing.T, recs []Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Records() != len(recs) {
		t.Errorf("Records() = %d, want %d", w.Records(), len(recs))
	}
	return buf.Bytes()
}

func TestObjectRoundTrip(t *testing.T) {
	recs := sampleRecords()
	obj := encodeAll(t, recs)
	got, err := ReadAll(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, recs)
	}
	// The same records always make the same bytes, so a retried upload
	// replaces an object with its twin.
	if again := encodeAll(t, recs); !bytes.Equal(again, obj) {
		t.Error("encoding is not deterministic")
	}
	if _, err := ReadAll(bytes.NewReader(obj[:len(obj)/2])); err == nil {
		t.Error("a cut object decoded without error")
	}
}

// A reader with nothing but a zstd and a CBOR library sees the spec's
// keys, a tagged timestamp and bodies as byte strings.
func TestObjectReadsWithoutThisPackage(t *testing.T) {
	obj := encodeAll(t, sampleRecords())
	zr, err := zstd.NewReader(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	dec := cbor.NewDecoder(bytes.NewReader(plain))
	var first map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range first {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"api_type", "capture", "capture_id", "duration_ms", "estimated_cost", "id", "identity",
		"model", "path", "session_id", "status_code", "timestamp", "usage", "ver"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if first["ver"] != uint64(2) {
		t.Errorf("ver = %#v", first["ver"])
	}
	if ts, ok := first["timestamp"].(time.Time); !ok || !ts.Equal(time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)) {
		t.Errorf("timestamp = %#v, want a tagged time with nanoseconds", first["timestamp"])
	}
	capture := first["capture"].(map[any]any)
	if b, ok := capture["request_body"].([]byte); !ok || string(b) != `{"model":"gpt-4o"}` {
		t.Errorf("request_body = %#v", capture["request_body"])
	}
	cost := first["estimated_cost"].(map[any]any)
	if cost["nanodollars"] != uint64(1500) || cost["dollars"] != 0.0000015 {
		t.Errorf("estimated_cost = %#v", cost)
	}
	var second map[string]any
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	if _, ok := second["estimated_cost"]; ok {
		t.Error("an unknown cost is in the record")
	}
	if err := dec.Decode(&second); err != io.EOF {
		t.Errorf("after two records: %v, want EOF", err)
	}
}

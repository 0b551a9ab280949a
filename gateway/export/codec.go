package export

import (
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zstd"
)

// encMode encodes records deterministically (sorted keys, shortest
// forms), so the same rows always make the same bytes: a retried upload
// replaces an object with an identical one. Timestamps are RFC 3339 text
// with nanoseconds (tag 0), which every CBOR library reads as a time.
var encMode = func() cbor.EncMode {
	opts := cbor.CoreDetEncOptions()
	opts.Time = cbor.TimeRFC3339NanoUTC
	opts.TimeTag = cbor.EncTagRequired
	m, err := opts.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// decMode bounds what a decoded record may hold; the limits are far
// above what the gateway writes (a capture body is at most 1 MiB).
var decMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{MaxArrayElements: 1 << 20, MaxMapPairs: 1 << 20}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// Writer writes an export object: a zstd stream of CBOR records, one
// after the other (a CBOR sequence, RFC 8742).
type Writer struct {
	zw  *zstd.Encoder
	enc *cbor.Encoder
	n   int
}

// NewWriter starts an object on w. Close must be called to end it.
func NewWriter(w io.Writer) (*Writer, error) {
	// One goroutine: an export runs in the background of a gateway whose
	// requests matter more, and its output is the same either way.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, fmt.Errorf("export object: %w", err)
	}
	return &Writer{zw: zw, enc: encMode.NewEncoder(zw)}, nil
}

// Write appends r.
func (w *Writer) Write(r *Record) error {
	if err := w.enc.Encode(r); err != nil {
		return fmt.Errorf("export object: record %s: %w", r.ID, err)
	}
	w.n++
	return nil
}

// Records returns how many records were written.
func (w *Writer) Records() int { return w.n }

// Close ends the zstd stream. It does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("export object: %w", err)
	}
	return nil
}

// Reader reads the records of an export object.
type Reader struct {
	zr  *zstd.Decoder
	dec *cbor.Decoder
}

// NewReader reads the object in r.
func NewReader(r io.Reader) (*Reader, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("export object: %w", err)
	}
	return &Reader{zr: zr, dec: decMode.NewDecoder(zr)}, nil
}

// Next returns the next record, or io.EOF after the last.
func (r *Reader) Next() (*Record, error) {
	var rec Record
	if err := r.dec.Decode(&rec); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("export object: record: %w", err)
	}
	return &rec, nil
}

// Close releases the decompressor.
func (r *Reader) Close() { r.zr.Close() }

// ReadAll returns every record of the object in r.
func ReadAll(r io.Reader) ([]Record, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	var out []Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, *rec)
	}
}

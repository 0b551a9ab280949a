package ledger

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestCapturedAnswers(t *testing.T) {
	l, _ := openTest(t, Options{})
	big := bytes.Repeat([]byte(`data: {"type":"content_block_delta"}`+"\n\n"), 200) // stored compressed
	for i := 1; i <= 5; i++ {
		r := record(i)
		switch i {
		case 2:
			r.Principal, r.LoginName = "bob@example.com", "bob@example.com"
			r.Capture = &Capture{ResponseBody: []byte(`{"b":2}`)}
		case 3:
			r.Capture = &Capture{ResponseBody: big, Truncated: true}
		case 4:
			r.Capture = &Capture{RequestBody: []byte(`{}`)} // no answer captured
		}
		mustCommit(t, l, r)
	}
	type row struct {
		ID, Principal string
		Captured      bool
		Answer        string
		Truncated     bool
	}
	read := func(q CapturedAnswerQuery) []row {
		t.Helper()
		var out []row
		err := l.CapturedAnswers(context.Background(), q, func(a CapturedAnswer) error {
			if a.Model != "claude-sonnet-4-6" || a.API != "anthropic_messages" || a.Status != 200 || a.Time.Location() != time.UTC {
				t.Errorf("%s: row %+v", a.ID, a)
			}
			out = append(out, row{a.ID, a.Principal, a.Captured, string(a.Answer), a.Truncated})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	alice := "alice@example.com"
	tests := []struct {
		name string
		q    CapturedAnswerQuery
		want []row
	}{
		{"everyone, newest first", CapturedAnswerQuery{}, []row{
			{"req-000005", alice, false, "", false},
			{"req-000004", alice, true, "", false},
			{"req-000003", alice, true, string(big), true},
			{"req-000002", "bob@example.com", true, `{"b":2}`, false},
			{"req-000001", alice, false, "", false},
		}},
		{"one principal, limited", CapturedAnswerQuery{Principal: alice, Limit: 2}, []row{
			{"req-000005", alice, false, "", false},
			{"req-000004", alice, true, "", false},
		}},
		{"time range", CapturedAnswerQuery{From: baseTime.Add(2 * time.Second), To: baseTime.Add(4 * time.Second)}, []row{
			{"req-000003", alice, true, string(big), true},
			{"req-000002", "bob@example.com", true, `{"b":2}`, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := read(tt.q); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCapturedAnswersStopsAtError(t *testing.T) {
	l, _ := openTest(t, Options{})
	for i := 1; i <= 3; i++ {
		mustCommit(t, l, record(i))
	}
	stop := errors.New("enough")
	n := 0
	err := l.CapturedAnswers(context.Background(), CapturedAnswerQuery{}, func(CapturedAnswer) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d rows, want %v after 1", err, n, stop)
	}
}

package ui

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// A shared device's request shows, to an admin, which local user sent
// it, in the logs and on the request's page (escaped like any text).
func TestSharedDeviceLocalUserShown(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	at := testNow.Add(-time.Minute)
	id := at.Format("20060102150405") + "-lab"
	rec := &ledger.Record{ID: id, Time: at, Tags: []string{"tag:lab"}, Principal: "tag:lab", LocalUser: "jörg<b>",
		NodeName: "lab-unplug", Provider: "openai", Model: "gpt-4o-mini", API: config.OpenAIChat, Status: 200}
	if err := f.l.Commit(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	status, body := f.get(t, "alice", "/ui/logs")
	if status != 200 {
		t.Fatalf("logs: status %d", status)
	}
	want(t, body, []string{"tag:lab <span", "(jörg&lt;b&gt;)"}, []string{"jörg<b>"})

	status, body = f.get(t, "alice", "/ui/logs/"+url.PathEscape(id)+"?t="+url.QueryEscape(at.Format(time.RFC3339Nano)))
	if status != 200 {
		t.Fatalf("detail: status %d", status)
	}
	want(t, body, []string{"<dt>Local user</dt><dd>jörg&lt;b&gt;", "billed to the caller"}, []string{"jörg<b>"})

	// Other rows say nothing of a local user.
	_, body = f.get(t, "alice", "/ui/logs/"+url.PathEscape(f.ids["bob-1"])+"?t="+url.QueryEscape(idTime(t, f.ids["bob-1"])))
	want(t, body, nil, []string{"Local user"})
}

func idTime(t *testing.T, id string) string {
	at, err := time.ParseInLocation("20060102150405", id[:14], time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return at.Format(time.RFC3339Nano)
}

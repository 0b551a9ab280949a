package ui

import (
	"context"
	"errors"

	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Every Source and Store method is required, so these fakes say what
// they lack rather than leaving it out.

// Notices: the plain fake source has none (noticeSource has some).
func (f *fakeSource) Notices() []string { return nil }

// CapturedAnswers: plainStore hides the ledger's query, as a store of the
// gateway without it would.
func (plainStore) CapturedAnswers(context.Context, ledger.CapturedAnswerQuery, func(ledger.CapturedAnswer) error) error {
	return errors.ErrUnsupported
}

// CapturedAnswers: manyStore is read through Requests and Capture.
func (*manyStore) CapturedAnswers(context.Context, ledger.CapturedAnswerQuery, func(ledger.CapturedAnswer) error) error {
	return errors.ErrUnsupported
}

var (
	_ Source = (*fakeSource)(nil)
	_ Source = (*liveQuotaSource)(nil)
	_ Source = noticeSource{}
	_ Store  = plainStore{}
	_ Store  = (*manyStore)(nil)
	_ Store  = (*ledger.Ledger)(nil)
)

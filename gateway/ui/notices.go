package ui

// NoticeSource is a Source that has gateway-wide notices: warnings about
// the gateway itself (its tailnet device's name taken, its node key about
// to expire) that every page shows in a banner, since whoever looks at
// the dashboard may be the one who can fix them, or the one left without
// the gateway when nobody does. It is optional: a Source without it has
// nothing to say.
type NoticeSource interface {
	Notices() []string
}

// notices are the source's current notices, if it has any.
func (h *Handler) notices() []string {
	if ns, ok := h.src.(NoticeSource); ok {
		return ns.Notices()
	}
	return nil
}

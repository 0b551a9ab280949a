package ui

// notices are the source's current gateway-wide notices (Source.Notices).
func (h *Handler) notices() []string { return h.src.Notices() }

package gateway

import "net/http"

// uiRoutes mounts the dashboard under /ui/.
func (s *Server) uiRoutes(mux *http.ServeMux) {}

package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"

	"github.com/tsplug/ts-plug/gateway/apis"
	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/grants"
)

// CSRFHeader must accompany every config API mutation. A cross-site page
// cannot add a custom header without a CORS preflight, and the gateway
// answers no preflight for these paths; the dashboard's script sends it.
const CSRFHeader = "X-Aperture-CSRF"

// maxConfigBytes bounds a config sent to the API.
const maxConfigBytes = 4 << 20

// configRoutes registers the admin config API (GET/PUT /api/config,
// POST /api/config/validate) and the later aliases some clients use.
func (s *Server) configRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/config", s.api(s.serveGetConfig))
	mux.HandleFunc("GET /aperture/config", s.api(s.serveGetConfig))
	mux.HandleFunc("PUT /api/config", s.api(s.servePutConfig))
	mux.HandleFunc("POST /api/config/validate", s.api(s.serveValidateConfig))
	mux.HandleFunc("POST /aperture/config:validate", s.api(s.serveValidateConfig))
}

// diagJSON is one validation message as the API returns it.
type diagJSON struct {
	Severity string `json:"severity"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

func diagsJSON(ds []config.Diagnostic) []diagJSON {
	out := make([]diagJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, diagJSON{Severity: d.Severity.String(), Line: d.Line, Column: d.Column, Path: d.Path, Message: d.Message})
	}
	return out
}

// configRequest is the body of PUT /api/config and of validation.
type configRequest struct {
	Config string `json:"config"`
	Hash   string `json:"hash"`
}

// apiAdmin resolves an admin caller; what names the refused action.
func (s *Server) apiAdmin(r *http.Request, what string) (*caller, error) {
	c, err := s.apiCaller(r)
	if err != nil {
		return nil, err
	}
	if !c.isAdmin() {
		return nil, clientErr(http.StatusForbidden, apis.KindPermissionDenied, c.notAdmin(what))
	}
	return c, nil
}

var (
	errNotJSON      = clientErr(http.StatusUnsupportedMediaType, apis.KindInvalidRequest, "send Content-Type: application/json")
	errNoCSRFHeader = clientErr(http.StatusForbidden, apis.KindPermissionDenied, "send the "+CSRFHeader+": 1 header with changes")
	errCrossSite    = clientErr(http.StatusForbidden, apis.KindPermissionDenied, "changes are accepted from the gateway's own pages only")
)

// checkMutation refuses changes (config saves, quota refills) a browser
// could be tricked into making: they must be JSON, carry CSRFHeader and, when a browser says
// where they come from, come from the gateway's own pages (whatever CORS
// grants allow elsewhere).
func checkMutation(r *http.Request) error {
	switch {
	case !isJSON(r):
		return errNotJSON
	case r.Header.Get(CSRFHeader) == "":
		return errNoCSRFHeader
	case r.Header.Get("Origin") != "" && !sameHost(r.Header.Get("Origin"), r):
		return errCrossSite
	}
	return nil
}

// readConfigRequest decodes the body. The decoder's error describes the
// client's own body (a byte offset, a type), so it is said.
func readConfigRequest(w http.ResponseWriter, r *http.Request) (configRequest, error) {
	var req configRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxConfigBytes)).Decode(&req); err != nil {
		return req, clientErr(http.StatusBadRequest, apis.KindInvalidRequest, `body must be {"config": TEXT, "hash": HASH}: `+err.Error())
	}
	return req, nil
}

// serveGetConfig returns the running config text, secrets masked, and the
// hash a save must send back.
func (s *Server) serveGetConfig(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.apiAdmin(r, "the config API"); err != nil {
		return err
	}
	_, src := s.Config()
	masked, err := config.MaskSecrets(src)
	if err != nil {
		return fmt.Errorf("masking the running config: %w", err)
	}
	out := map[string]any{
		"config": string(masked), "exists": len(src) > 0, "hash": config.Hash(src),
		"path": s.opts.ConfigPath, "writable": s.opts.ConfigPath != "",
	}
	s.addShared(r.Context(), out, src)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// configCheck is a proposed config after unmasking and validation.
type configCheck struct {
	src   []byte // with stored secrets put back
	cfg   *config.Config
	diags []config.Diagnostic // every problem; a save needs no error among them
}

// errors counts the diagnostics that stop a save; the rest are warnings,
// shown and saved (as the gateway loads a file with warnings, and as
// `aperture validate` passes it).
func (c configCheck) errors() int {
	n := 0
	for _, d := range c.diags {
		if d.Severity == config.Error {
			n++
		}
	}
	return n
}

// summary is what a validation or a save answers with: whether it can be
// saved, how many errors and warnings, and each diagnostic.
func (c configCheck) summary() map[string]any {
	errs := c.errors()
	return map[string]any{"valid": errs == 0, "errors": errs, "warnings": len(c.diags) - errs, "diagnostics": diagsJSON(c.diags)}
}

// checkConfig validates text as a save would: masked secrets are restored from
// the running config (where they still go to the same server), env:/file:
// references the host's admin did not allow are refused before anything
// is read, and an empty config or one that would take the saver's admin
// role away is refused. Errors stop a save; warnings (a provider without
// its key among them, KeyDiagnostics) are reported and saved.
func (s *Server) checkConfig(c *caller, text string) configCheck {
	_, cur := s.Config()
	src, diags := config.UnmaskSecrets([]byte(text), cur, routesTo)
	out := configCheck{src: src}
	if len(bytes.TrimSpace(src)) == 0 {
		out.diags = append(diags, config.Diagnostic{Severity: config.Error, Message: "the config is empty"})
		return out
	}
	// Parsing reads every env:/file: reference, so the ones the host's
	// admin did not allow are refused first; then nothing is parsed, as
	// even a "not found" would tell the saver about the host.
	if refused := s.checkSecretRefs(src); len(refused) > 0 {
		out.diags = append(diags, refused...)
		sort.SliceStable(out.diags, func(i, j int) bool { return out.diags[i].Line < out.diags[j].Line })
		return out
	}
	diags = append(diags, s.sharedDiagnostics(src)...)
	var cfg *config.Config
	var pdiags []config.Diagnostic
	if s.opts.ConfigPath != "" {
		cfg, pdiags, _ = config.ParseFile(s.opts.ConfigPath, src)
	} else {
		cfg, pdiags, _ = config.Parse(src)
	}
	diags = append(diags, pdiags...)
	if cfg != nil {
		diags = KeyDiagnostics(cfg, src, diags)
		diags = append(diags, s.quotaEffects(cfg)...)
	}
	if cfg != nil && grants.Evaluate(cfg, c.id).Role() != grants.Admin {
		diags = append(diags, config.Diagnostic{Severity: config.Error, Path: "grants",
			Message: fmt.Sprintf("this change would remove your own admin role (%s); keep a grant giving you role admin", c.id.Principal())})
	}
	if cfg == nil && !config.HasErrors(diags) {
		diags = append(diags, config.Diagnostic{Severity: config.Error, Message: "the config does not load"})
	}
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].Line < diags[j].Line })
	out.cfg, out.diags = cfg, diags
	return out
}

// quotaEffects warns, before a save, of the spending-limit balances the
// new definitions would drop (a bucket renamed or removed) or cut.
func (s *Server) quotaEffects(cfg *config.Config) []config.Diagnostic {
	if s.opts.Quotas == nil {
		return nil
	}
	var out []config.Diagnostic
	for _, msg := range s.opts.Quotas.ChangeEffects(cfg.Quotas) {
		out = append(out, config.Diagnostic{Severity: config.Warning, Path: "quotas", Message: msg})
	}
	return out
}

// serveValidateConfig reports what a save of the text would say. The
// diagnostics are the admin's own config's, meant to be read.
func (s *Server) serveValidateConfig(w http.ResponseWriter, r *http.Request) error {
	c, err := s.apiAdmin(r, "the config API")
	if err != nil {
		return err
	}
	if err := checkMutation(r); err != nil {
		return err
	}
	req, err := readConfigRequest(w, r)
	if err != nil {
		return err
	}
	res := s.checkConfig(c, req.Config)
	writeJSON(w, http.StatusOK, res.summary())
	return nil
}

var errNoConfigFile = clientErr(http.StatusNotImplemented, apis.KindInvalidRequest,
	"this gateway was started without a config file it can write; edit the config where it came from")

// servePutConfig saves a config: only when it was edited from the running
// one (hash), has no error (warnings are saved, and listed in the
// answer), and keeps the saver an admin. The
// file is replaced atomically and the config applied at once; the file
// watcher then finds the same text and does nothing.
func (s *Server) servePutConfig(w http.ResponseWriter, r *http.Request) error {
	c, err := s.apiAdmin(r, "the config API")
	if err != nil {
		return err
	}
	if err := checkMutation(r); err != nil {
		return err
	}
	if s.opts.ConfigPath == "" {
		return errNoConfigFile
	}
	req, err := readConfigRequest(w, r)
	if err != nil {
		return err
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	_, cur := s.Config()
	if cur := config.Hash(cur); req.Hash != cur {
		writeJSON(w, http.StatusConflict, map[string]any{
			"error": map[string]string{"type": string(apis.KindInvalidRequest),
				"message": "the config was changed since you loaded it; reload it, reapply your edits and save again"},
			"hash": cur,
		})
		return nil
	}
	res := s.checkConfig(c, req.Config)
	if errs := res.errors(); errs > 0 {
		out := res.summary()
		out["error"] = map[string]string{"type": string(apis.KindInvalidRequest),
			"message": fmt.Sprintf("not saved: %d error(s) must be fixed first (warnings alone do not stop a save)", errs)}
		writeJSON(w, http.StatusUnprocessableEntity, out)
		return nil
	}
	if s.opts.ConfigSync != nil {
		// Once the shared version commits, the other replicas apply it:
		// what could still fail here must fail before (pricing is all
		// SetConfig can refuse), and the file, a copy of the database's
		// version, may fail after without leaving this replica behind.
		if _, err := resolverFor(res.cfg); err != nil {
			return fmt.Errorf("config save by %s: pricing: %w", c.id.Principal(), err)
		}
	}
	shared, err := s.saveShared(r.Context(), res.src, c.id.Principal())
	if err != nil {
		return err
	}
	if s.opts.ConfigSync != nil {
		if err := s.SetConfig(res.cfg, res.src); err != nil {
			s.metrics.configReload("api", false)
			return fmt.Errorf("config save by %s: saved as shared version %d, but applying it here: %w", c.id.Principal(), shared.Seq, err)
		}
		s.writeSharedFile(shared.Seq, res.src)
	} else {
		if err := writeFileAtomic(s.opts.ConfigPath, res.src); err != nil {
			return fmt.Errorf("config save by %s: writing the config file: %w", c.id.Principal(), err)
		}
		if err := s.SetConfig(res.cfg, res.src); err != nil {
			s.metrics.configReload("api", false)
			return fmt.Errorf("config save by %s: saved to the file, but applying it: %w", c.id.Principal(), err)
		}
	}
	s.metrics.configReload("api", true)
	hash := config.Hash(res.src)
	if err := s.opts.Ledger.RecordConfig(r.Context(), hash, c.id.Principal(), string(res.src)); err != nil {
		s.opts.Logf("config history: %v", err)
	}
	s.opts.Logf("config saved to %s by %s (hash %.12s, %d warnings)", s.opts.ConfigPath, c.id.Principal(), hash, len(res.diags))
	out := res.summary()
	out["success"], out["hash"] = true, hash
	if v, ok := s.sharedVersion(res.src); ok {
		out["version"] = v
		s.opts.Logf("config saved as shared version %d", shared.Seq)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, synced, then renamed over it, so a crash leaves the old file
// or the new one, never half of one. The file is readable by its owner
// only, since it may hold provider keys.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

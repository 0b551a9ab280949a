# ts-plug: ts-unplug, aperture and ts-plug.
# `make demo` runs the whole product offline; `make test` runs every test.

export GOTOOLCHAIN := local
GO      ?= go
# SYSTEM_PREFIX is the default PREFIX; tests point it somewhere unwritable.
SYSTEM_PREFIX ?= /usr/local
PREFIX  ?= $(SYSTEM_PREFIX)
BINDIR  := $(DESTDIR)$(PREFIX)/bin
BUILD   := build
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BINARIES := ts-unplug aperture ts-plug

.PHONY: all $(BINARIES) install uninstall test test-short demo bench lint clean dist FORCE

all: $(BINARIES)

# Pure Go (CGO_ENABLED=0), as the release binaries: static, nothing to
# install beside them, and no libc pages in the gateway's memory.
ts-unplug aperture ts-plug:
	@if [ -d ./cmd/$@ ]; then \
		echo "building $(BUILD)/$@ ($(VERSION))"; \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD)/$@ ./cmd/$@; \
	else echo "$@: not written yet (skipped)"; fi

# `make install` puts the built binaries in $(PREFIX)/bin when this user
# can write it (root, or `sudo make install`); without sudo, and without
# PREFIX given, it installs into the user's own bin directory instead
# (Go's, when on PATH, else ~/.local/bin) and says where: scripts/install.sh.
# Never install into /bin because PREFIX was set empty.
install uninstall:
	@if [ -z "$(PREFIX)" ] || [ "$(PREFIX)" = "/" ]; then echo "$@: refusing PREFIX='$(PREFIX)'; use e.g. PREFIX=/usr/local" >&2; exit 2; fi
	@BUILD='$(BUILD)' BINARIES='$(BINARIES)' BINDIR='$(BINDIR)' GO='$(GO)' \
		BINDIR_CHOSEN=$(if $(filter file,$(origin PREFIX)),$(if $(DESTDIR),1,0),1) \
		sh scripts/install.sh $@

# Release binaries: every command for every platform in DIST_PLATFORMS,
# as build/dist/<command>-<os>-<arch>[.exe], and their SHA256SUMS. Pure Go
# (CGO_ENABLED=0; the SQLite driver is modernc's), so one machine builds
# them all. `make dist DIST_PLATFORMS=linux/arm64` builds one platform;
# -j builds in parallel. The first cross build of a platform compiles
# tailscale.com for it: minutes.
DIST           := $(BUILD)/dist
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
SHA256SUM      ?= $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo 'shasum -a 256')
dist_file = $(DIST)/$(1)-$(subst /,-,$(2))$(if $(filter windows/%,$(2)),.exe)
DIST_FILES := $(foreach p,$(DIST_PLATFORMS),$(foreach b,$(BINARIES),$(call dist_file,$(b),$(p))))

# dist_rule builds command $(1) for platform $(2) ("os/arch"). FORCE: go
# build decides what is stale, from its own cache.
define dist_rule
$(call dist_file,$(1),$(2)): FORCE
	@mkdir -p $(DIST)
	CGO_ENABLED=0 GOOS=$(word 1,$(subst /, ,$(2))) GOARCH=$(word 2,$(subst /, ,$(2))) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$@ ./cmd/$(1)
endef
$(foreach p,$(DIST_PLATFORMS),$(foreach b,$(BINARIES),$(eval $(call dist_rule,$(b),$(p)))))

dist: $(DIST_FILES)
	cd $(DIST) && $(SHA256SUM) $(notdir $(DIST_FILES)) > SHA256SUMS
	@echo "$(DIST): $(words $(DIST_FILES)) binaries ($(VERSION)) and SHA256SUMS"

FORCE:

# Every benchmark runs once too, so one that no longer works fails here
# rather than in the next `make bench`. The ledger's tests run a second
# time on PostgreSQL (internal/pgtest starts Debian's server; without it
# they skip, or fail under CI=true).
test:
	$(GO) test -count=1 -timeout 15m ./...
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...
	APERTURE_TEST_DATABASE=postgres $(GO) test -count=1 ./gateway/ledger/

test-short:
	$(GO) test -short ./...

# Built, then run directly (not `go run`, which turns the demo's clean
# exit on Ctrl-C into status 1).
demo:
	@echo "building the demo (the first build compiles tailscale.com: a minute or two)..."
	@$(GO) build -o $(BUILD)/demo ./internal/demo
	@$(BUILD)/demo $(DEMO_ARGS)

bench:
	$(GO) run ./internal/bench -command '$(strip make bench $(BENCH_ARGS))' $(BENCH_ARGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# The SQLite writer calls libc, whose size_t is 32 bits on 32-bit
	@# platforms: it must build there too.
	GOARCH=386 $(GO) build -o /dev/null ./gateway/ledger/

clean:
	rm -rf $(BUILD)

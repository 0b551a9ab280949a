#!/bin/sh
# install.sh: `make install` and `make uninstall`.
#
#   install.sh install|uninstall
#
# Environment (set by the Makefile):
#   BUILD          where `make` built the binaries (build/)
#   BINARIES       the commands (ts-unplug aperture ts-plug)
#   BINDIR         the system directory ($(DESTDIR)$(PREFIX)/bin)
#   BINDIR_CHOSEN  1 when PREFIX or DESTDIR was given: BINDIR or nothing
#   GO             the go command, to find its bin directory
#
# Without PREFIX, a user who cannot write BINDIR (the seed's `make install`
# without sudo) gets the binaries in a directory of their own instead of
# "Permission denied": Go's bin directory when it is on PATH (where
# `go install` puts them too), else ~/.local/bin, saying where and whether
# it is on PATH.
set -eu

mode=${1:-install}

# writable DIR: DIR exists (or can be made) and this user may write it.
writable() {
	mkdir -p "$1" 2>/dev/null && [ -w "$1" ] && [ -d "$1" ]
}

# on_path DIR: DIR is an entry of $PATH.
on_path() {
	case ":${PATH:-}:" in *":$1:"*) return 0 ;; esac
	return 1
}

# go_bin: where `go install` puts commands ($GOBIN, else $GOPATH/bin).
go_bin() {
	d=$(${GO:-go} env GOBIN 2>/dev/null || true)
	if [ -z "$d" ]; then
		p=$(${GO:-go} env GOPATH 2>/dev/null || true)
		p=${p%%:*}
		[ -n "$p" ] && d="$p/bin"
	fi
	printf '%s' "$d"
}

# user_bindir: the user's own directory for commands.
user_bindir() {
	gb=$(go_bin)
	if [ -n "$gb" ] && on_path "$gb"; then printf '%s' "$gb"; return; fi
	printf '%s' "${HOME:?HOME is not set}/.local/bin"
}

# target_dir: where install puts (and uninstall looks for) the binaries.
target_dir() {
	if [ "${BINDIR_CHOSEN:-0}" = 1 ] || writable "$BINDIR"; then
		printf '%s' "$BINDIR"
	else
		user_bindir
	fi
}

built=""
for b in $BINARIES; do
	[ -x "$BUILD/$b" ] && built="$built $b"
done

dir=$(target_dir)
case $mode in
install)
	if [ -z "$built" ]; then
		echo "install: nothing built yet; run 'make ts-unplug' (or 'make all') first" >&2
		exit 2
	fi
	if ! writable "$dir"; then
		echo "install: cannot write $dir; run 'sudo make install', or pick a directory you own: make install PREFIX=\$HOME/.local" >&2
		exit 1
	fi
	for b in $built; do
		install -m 0755 "$BUILD/$b" "$dir/$b"
		echo "installed $dir/$b"
	done
	if [ "$dir" != "$BINDIR" ]; then
		echo "($BINDIR is not writable by $(id -un 2>/dev/null || echo you), so the binaries went to $dir; 'sudo make install' puts them in $BINDIR)"
	fi
	if ! on_path "$dir"; then
		echo "note: $dir is not on your PATH; add it, e.g.: export PATH=\"$dir:\$PATH\" (in ~/.profile), or run $dir/$(echo $built | cut -d' ' -f1)"
	fi
	;;
uninstall)
	for b in $BINARIES; do
		if [ -e "$dir/$b" ]; then rm -f "$dir/$b" && echo "removed $dir/$b"; fi
	done
	;;
*)
	echo "usage: install.sh install|uninstall" >&2
	exit 2
	;;
esac

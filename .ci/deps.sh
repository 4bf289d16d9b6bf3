#!/usr/bin/env bash
# make deps: install what hvsim builds against, idempotently.
#
# System packages come from Debian by name.  Unicorn must be >= 2.1 (the virtual-TLB API,
# uc_ctl_tlb_mode + UC_HOOK_TLB_FILL); bookworm ships 2.0.1, so where the system's Unicorn is older
# we download Debian trixie's libunicorn2t64 + libunicorn-dev with apt's own tools, using a private
# state directory (the system's apt sources are never touched), and unpack them into PREFIX.
# The mirror URI is taken from the system's own apt configuration; none is written here.
set -euo pipefail

PREFIX=${1:?usage: deps.sh PREFIX}
PKGS=(pkg-config libcapstone-dev libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core xvfb check libzstd-dev libedit-dev libjansson-dev libpng-dev zlib1g-dev
	qemu-system-x86) # qemu: tests boot hv under it too (tests/hv/test_qemu.c)
UNICORN_MIN=2.1
SUITE=trixie

say() { printf 'deps: %s\n' "$*" >&2; }

missing_pkgs() {
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		say "need root to run: $*"
		say "run it yourself, then run 'make deps' again"
		exit 1
	fi
}

install_system_packages() {
	local need
	need=$(missing_pkgs | tr '\n' ' ')
	[ -z "$need" ] && return 0
	say "installing Debian packages: $need"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need; then
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
	fi
}

# The first Debian mirror URI in the system's apt configuration (deb822 or one-line format).
system_debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
	done | head -n 1
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' "$f"
	done | head -n 1
}

# The system's own Unicorn only: a PKG_CONFIG_PATH pointing at PREFIX must not count.
system_unicorn_ok() {
	env -u PKG_CONFIG_PATH pkg-config --atleast-version="$UNICORN_MIN" unicorn 2>/dev/null
}

local_unicorn_ok() {
	PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --atleast-version="$UNICORN_MIN" unicorn 2>/dev/null \
		&& [ -e "$PREFIX/lib/libunicorn.so.2" ]
}

fetch_trixie_unicorn() {
	local uri state debs
	uri=$(system_debian_uri | head -n 1)
	[ -n "$uri" ] || { say "no Debian mirror found in /etc/apt; cannot fetch Unicorn >= $UNICORN_MIN"; exit 1; }
	state=$(mktemp -d)
	trap 'rm -rf "$state"' RETURN
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc/apt.conf.d" "$state/etc/preferences.d"
	printf 'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$uri" "$SUITE" >"$state/etc/sources.list"
	local opts=(-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=/dev/null"
		-o "Dir::Cache=$state/cache" -o "Dir::Etc::SourceList=$state/etc/sources.list"
		-o "Dir::Etc::SourceParts=$state/etc/none" -o "Dir::Etc::Parts=$state/etc/apt.conf.d"
		-o "Dir::Etc::Preferences=$state/etc/none" -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
		-o "APT::Architecture=amd64" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
	say "fetching Debian $SUITE's Unicorn into $PREFIX (system apt sources untouched)"
	apt-get "${opts[@]}" -qq update
	(cd "$state" && apt-get "${opts[@]}" -qq download libunicorn2t64 libunicorn-dev)
	rm -rf "$PREFIX.tmp"
	mkdir -p "$PREFIX.tmp"
	for debs in "$state"/*.deb; do dpkg-deb -x "$debs" "$PREFIX.tmp"; done
	relocate "$PREFIX.tmp"
	rm -rf "$PREFIX"
	mv "$PREFIX.tmp" "$PREFIX"
}

# Flatten usr/lib/x86_64-linux-gnu into PREFIX/{lib,include} and point the .pc file at PREFIX.
relocate() {
	local root=$1 abs
	mkdir -p "$root/lib" "$root/include"
	cp -a "$root"/usr/lib/x86_64-linux-gnu/. "$root/lib/"
	cp -a "$root"/usr/include/. "$root/include/"
	rm -rf "$root/usr"
	abs=$(cd "$(dirname "$PREFIX")" && pwd)/$(basename "$PREFIX")
	sed -i -e '/^prefix=/d' -e "1i prefix=$abs" -e "s|^libdir=.*|libdir=\${prefix}/lib|" \
		-e "s|^includedir=.*|includedir=\${prefix}/include|" "$root/lib/pkgconfig/unicorn.pc"
	[ -e "$root/lib/libunicorn.so" ] || ln -s libunicorn.so.2 "$root/lib/libunicorn.so"
}

install_system_packages
if system_unicorn_ok; then
	say "system Unicorn $(env -u PKG_CONFIG_PATH pkg-config --modversion unicorn) is new enough"
	rm -rf "$PREFIX"
elif local_unicorn_ok; then
	:
else
	fetch_trixie_unicorn
	local_unicorn_ok || { say "unpacked Unicorn in $PREFIX is unusable"; exit 1; }
	say "Unicorn $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --modversion unicorn) in $PREFIX"
fi

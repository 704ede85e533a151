# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the host scripts. Sourced, not run.

UTRACE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UTRACE_CACHE=${UTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/utrace-rs}
export UTRACE_ROOT UTRACE_CACHE

log() { printf '[utrace] %s\n' "$*" >&2; }
die() { printf '[utrace] error: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true if version A >= version B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# The unpacked kernel source directory (linux-source-X.Y) inside the cache.
kernel_src_dir() {
	local d
	d=$(ls -d "$UTRACE_CACHE"/src/linux-source-* 2>/dev/null | head -n1)
	[ -n "$d" ] || die "kernel source not fetched yet; run scripts/setup-host"
	echo "$d"
}

# The kernel build tree to build modules against: $KDIR if set (any Rust-enabled, built tree),
# else the cached test kernel, built on first use.
kdir_or_build() {
	if [ -n "${KDIR:-}" ]; then
		[ -f "$KDIR/Module.symvers" ] || die "KDIR=$KDIR is not a built kernel tree (no Module.symvers)"
		[ -f "$KDIR/rust/libkernel.rmeta" ] || die "KDIR=$KDIR has no Rust metadata (rust/libkernel.rmeta); it needs CONFIG_RUST=y and a full build"
		echo "$KDIR"
	else
		"$UTRACE_ROOT/scripts/build-kernel" | tail -n 1
	fi
}

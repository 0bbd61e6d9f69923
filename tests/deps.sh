#!/bin/sh
# Install the Debian packages whose pkg-config module is missing, and only
# those.  Usage: deps.sh MODULE... -- PACKAGE...   (same order, one each)
# Extra packages that tests need but pkg-config cannot see are listed in
# LH_EXTRA_DEPS as "command:package" pairs.
set -u
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

mods=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do mods="$mods $1"; shift; done
[ $# -gt 0 ] && shift

missing=""
if ! command -v "$PKG_CONFIG" >/dev/null 2>&1; then
    missing="pkg-config"
fi
for m in $mods; do
    pkg=$1; shift
    if ! "$PKG_CONFIG" --exists "$m" 2>/dev/null; then
        missing="$missing $pkg"
    fi
done
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
for pair in ${LH_EXTRA_DEPS:-}; do
    cmd=${pair%%:*}
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done

[ -z "$missing" ] && exit 0

echo "deps: installing missing packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: not root and no sudo: install them with apt-get and retry" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: no apt-get here: install the equivalents by hand" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "deps: apt-get install$missing failed" >&2
    exit 1
}
echo "deps: installed$missing"

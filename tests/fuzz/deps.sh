#!/bin/sh
# Make sure clang can build a libFuzzer target (-fsanitize=fuzzer with
# ASan and UBSan); install the clang runtime package when it cannot.
# Usage: deps.sh CC BUILD_DIR      (clang itself: tests/deps.sh)
set -u
cc=$1 build=$2
mkdir -p "$build"
probe=$build/probe.c
cat >"$probe" <<'SRC'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{ (void)d; (void)n; return 0; }
SRC
works() {
    "$cc" -fsanitize=fuzzer,address,undefined -o "$build/probe" "$probe" \
        >/dev/null 2>&1
}
works && exit 0

# Debian's clang-N finds libFuzzer in libclang-rt-N-dev.
major=$("$cc" -dumpversion 2>/dev/null | cut -d. -f1)
pkg=libclang-rt-${major:-14}-dev
echo "fuzz deps: $cc cannot link -fsanitize=fuzzer; installing $pkg"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "fuzz deps: not root and no sudo: install $pkg and retry" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "fuzz deps: no apt-get here: install the clang runtime" \
        "(libFuzzer) by hand" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq &&
    $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null || {
    echo "fuzz deps: apt-get install $pkg failed" >&2
    exit 1
}
works || { echo "fuzz deps: $cc still cannot link libFuzzer" >&2; exit 1; }
echo "fuzz deps: installed $pkg"

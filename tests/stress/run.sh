#!/bin/sh
# Run the libcurl out-of-memory reproducers of tests/stress/ against a
# local test server (127.0.0.1 only) and say whether this libcurl still
# has each bug, that is whether the workaround beside it is still needed.
# Usage: run.sh BUILD_DIR   (the programs are BUILD_DIR/stress/*; make
# stress-bins builds them)
#
# Counted (the closing "N passed, N failed", as tests/run.sh expects):
# each program's control run (no failure injected) ends cleanly with the
# transfer done, and the multi-handle renewal that lib/http.c does finishes
# the transfer whichever allocation fails.  Not counted: whether the bug
# itself still shows.  A reproducer that reproduces is not a passing test,
# and one that stops reproducing is news (a libcurl upgrade fixed it), not
# a failure: it prints a NOTE naming the workaround that may go.
set -u
build=${1:-build}
bin=$build/stress
passed=0 failed=0
tmp=$(mktemp -d) || exit 1
server=

cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

for p in curl_reset_oom curl_sockhash_oom; do
    if [ ! -x "$bin/$p" ]; then
        fail "$p: expected $bin/$p (make stress-bins), not built"
        finish
    fi
done

echo '{"/": {"body": "hello"}}' >"$tmp/routes.json"
python3 tests/server/lhserver.py --routes "$tmp/routes.json" \
    --port-file "$tmp/port" --max-seconds 300 >/dev/null &
server=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ ! -s "$tmp/port" ]; then
    fail "lhserver: expected its port file within 20 s"
    finish
fi
url=http://127.0.0.1:$(cat "$tmp/port")/
version=$(curl-config --version 2>/dev/null ||
    pkg-config --modversion libcurl 2>/dev/null)
echo "# $version, server at $url"

# curl_easy_reset: the bug is a recv() into a 1-byte block, which valgrind
# sees every time; without valgrind only a crash shows it, when there is
# one.
vg=
command -v valgrind >/dev/null &&
    vg="valgrind --quiet --error-exitcode=99"
# shellcheck disable=SC2086
$vg "$bin/curl_reset_oom" "$url" 0 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^$url: 0 No error" "$tmp/out"; then
    pass "curl_reset_oom: control run, no failure injected: clean"
else
    fail "curl_reset_oom: control run: expected exit 0 and \"$url: 0 No error\", got exit $rc: $(tail -n 3 "$tmp/out")"
fi
# shellcheck disable=SC2086
$vg "$bin/curl_reset_oom" "$url" 1 >"$tmp/out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    echo "# curl_reset_oom: bug still present (exit $rc${vg:+, valgrind: $(grep -c 'unaddressable\|Invalid' "$tmp/out") findings}):"
    echo "#   lib/check.c's fresh easy handle per request is still needed"
elif [ -n "$vg" ]; then
    echo "# NOTE curl_reset_oom: NOT reproduced with $version under valgrind:"
    echo "#   lib/check.c could go back to curl_easy_reset; see tests/stress/curl_reset_oom.c"
else
    echo "# curl_reset_oom: not seen without valgrind (install it to know)"
fi

# The socket hash: the bug is a SIGFPE (exit 136) for some N; the
# workaround ("renew", what lib/http.c does) must finish for every N.
"$bin/curl_sockhash_oom" "$url" 0 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^done: No error" "$tmp/out"; then
    pass "curl_sockhash_oom: control run, no failure injected: clean"
else
    fail "curl_sockhash_oom: control run: expected exit 0 and \"done: No error\", got exit $rc: $(tail -n 3 "$tmp/out")"
fi
bad= crashed=
for n in $(seq 1 80); do
    "$bin/curl_sockhash_oom" "$url" "$n" renew >"$tmp/out" 2>&1 ||
        bad="$bad N=$n:$?"
    "$bin/curl_sockhash_oom" "$url" "$n" >"$tmp/out" 2>&1
    rc=$?
    [ $rc -eq 136 ] && crashed="$crashed $n"
done 2>/dev/null
if [ -z "$bad" ]; then
    pass "curl_sockhash_oom: renewing the multi handle finishes, N=1..80"
else
    fail "curl_sockhash_oom renew: expected exit 0 for every N, got$bad"
fi
if [ -n "$crashed" ]; then
    echo "# curl_sockhash_oom: bug still present (SIGFPE at N =$crashed):"
    echo "#   lib/http.c's renewal of the multi handle is still needed"
else
    echo "# NOTE curl_sockhash_oom: NOT reproduced with $version for N=1..80:"
    echo "#   lib/http.c's multi-handle renewal may be unnecessary; see tests/stress/curl_sockhash_oom.c"
fi
finish

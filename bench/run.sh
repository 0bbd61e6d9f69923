#!/bin/sh
# make bench: install what the benchmark needs and is missing (nginx, curl,
# wrk, openssl, python3, xmllint, jq), then run bench/bench.py under a
# deadline.
# Usage: run.sh BUILD   (make bench has built the daemon and BUILD/bench/lhb-*)
# The runner stops its servers and the daemon itself; should it be killed,
# the trap stops them by the process ids it left in BUILD/bench/*.pids.
set -u
build=${1:-build}
out=$build/bench
mkdir -p "$out"
# nginx lives in /usr/sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
export PATH

LH_EXTRA_DEPS="nginx:nginx curl:curl wrk:wrk openssl:openssl \
    python3:python3 xmllint:libxml2-utils jq:jq" sh tests/deps.sh -- || exit 1

stop_leftovers() {
    for f in "$out"/nginx.pids "$out"/delayserver.pids \
            "$out"/linkhealthd.pids; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .pids)
        for pid in $(cat "$f"); do
            # Only a process that is still ours (not a reused pid).
            if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
                    grep -q "$name"; then
                kill -KILL "$pid" 2>/dev/null
            fi
        done
        rm -f "$f"
    done
}
stop_leftovers
trap stop_leftovers EXIT
trap 'exit 130' INT TERM HUP

# BENCH_MILLION=1 adds the 1,000,000-URL runs: about 10 more minutes.
if [ "${BENCH_MILLION:-0}" = 1 ]; then
    deadline=${BENCH_DEADLINE:-1200}
else
    deadline=${BENCH_DEADLINE:-560}
fi
timeout -k 10 $((deadline + 20)) \
    python3 bench/bench.py --build "$build" --deadline "$deadline"

#!/bin/sh
# Run every test, each its own process with a deadline, and add up their
# closing "N passed, N failed" lines into one.
# Usage: run.sh BUILD_DIR [valgrind]   (valgrind: the unit tests under
# $LH_WRAPPER, then tests/valgrind/ instead of tests/integration/)
set -u
build=${1:-build}
mode=${2:-}
export LH_BUILD=$build
deadline=${LH_TEST_DEADLINE:-300}
passed=0 failed=0 broken=""

run_one() {
    name=$1; shift
    log=$build/tests/log/$name.log
    mkdir -p "$build/tests/log"
    echo "== $name"
    timeout -k 5 "$deadline" "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        [ $rc -eq 124 ] && echo "   $name: timed out after ${deadline}s"
        broken="$broken $name"
        failed=$((failed + 1))
        return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "   $name: exit status $rc"
        broken="$broken $name"
        failed=$((failed + 1))
    fi
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    if [ "$mode" = valgrind ]; then
        # shellcheck disable=SC2086
        run_one "$(basename "$t")" ${LH_WRAPPER:-} "$t"
    else
        run_one "$(basename "$t")" "$t"
    fi
done
suites=tests/integration
[ "$mode" = valgrind ] && suites=tests/valgrind
# The test server's own tests, so a broken server cannot pass for a
# working daemon.
[ "$mode" = valgrind ] ||
    run_one lhserver_selftest python3 tests/server/selftest.py
# The libcurl reproducers: our workarounds hold, and whether this libcurl
# still needs them (printed, not counted).
[ "$mode" = valgrind ] ||
    run_one stress sh tests/stress/run.sh "$build"
for t in $suites/test_*.py; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t" .py)" python3 "$t"
done

[ -n "$broken" ] && echo "broken or failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

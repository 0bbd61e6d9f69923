#!/bin/sh
# Run every test, each its own process with a deadline, and add up their
# closing "N passed, N failed" lines into one.  Usage: run.sh BUILD_DIR
set -u
build=${1:-build}
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
    run_one "$(basename "$t")" "$t"
done
for t in tests/integration/test_*.py; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t" .py)" python3 "$t"
done

[ -n "$broken" ] && echo "broken or failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

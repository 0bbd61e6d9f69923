#!/bin/sh
# Run libFuzzer targets one after another, each for a bounded time, on a
# working copy of its seed corpus (the repository's corpus is only read),
# and print each one's final stats line.
# Usage: run.sh FUZZ_BUILD_DIR SECONDS TARGET...
# A crash, leak or timeout leaves its input in FUZZ_BUILD_DIR/artifacts/
# and makes the run fail.
set -u
build=$1 secs=$2
shift 2
here=$(dirname "$0")
failed=""

# Longest input per target: directories and status files are bigger than
# configuration files.
max_len() {
    case $1 in
    fuzz_config) echo 16384 ;;
    *) echo 65536 ;;
    esac
}

for t in "$@"; do
    work=$build/corpus/$t
    log=$build/log/$t.log
    mkdir -p "$work" "$build/log" "$build/artifacts"
    cp "$here/corpus/$t"/* "$work"/
    dict=""
    [ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
    echo "== $t: ${secs}s"
    # shellcheck disable=SC2086
    timeout -k 10 $((secs + 120)) "$build/$t" -max_total_time="$secs" \
        -rss_limit_mb=2048 -max_len="$(max_len "$t")" -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
        $dict "$work" >"$log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        tail -n 60 "$log"
        echo "   $t: FAILED (exit $rc); the log is $log, the input in" \
            "$build/artifacts/"
        failed="$failed $t"
        continue
    fi
    # The last status line ("#N DONE cov: ... ft: ..."), then the counts.
    grep -E '^#[0-9]+' "$log" | tail -n 1
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" |
        tr '\n' ' '
    echo
done

[ -n "$failed" ] && { echo "fuzz: failed:$failed"; exit 1; }
echo "fuzz: $# targets ran ${secs}s each, nothing found"

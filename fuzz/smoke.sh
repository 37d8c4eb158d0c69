#!/bin/sh
# A bounded fuzzing smoke run for CI: every fuzz target for SECONDS seconds
# (default 60) on one core, starting from the seed corpora (built by
# seed.sh when fuzz/corpus is missing). Fails on any crash, hang (10 s per
# input) or allocation over 2 GB; the failing input is kept under
# fuzz/artifacts/TARGET/.
#
#     fuzz/smoke.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); works on the stable
# toolchain through RUSTC_BOOTSTRAP=1.
set -eu
cd "$(dirname "$0")"
seconds=${1:-60}
targets="parse_and_evaluate depfile build_log deps_log status_format"
if [ ! -d corpus ]; then
    (cd .. && cargo build --quiet)
    ./seed.sh
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "== $target: $seconds s"
    status=0
    cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|SUMMARY)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "smoke.sh: $target failed (status $status); the input is under fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
echo "smoke.sh: no failure in $seconds s per target"

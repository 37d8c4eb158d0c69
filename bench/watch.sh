#!/usr/bin/env bash
# Watch mode benchmark: builds n2ref in release mode and runs
# bench/watch_bench.rs (10,000 watched directories, 100 edits by default).
# Usage: bench/watch.sh [DIRS] [EDITS]. Linux only. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin n2ref --example watch_bench
echo "machine: $(nproc) CPUs, $(uname -sr); n2ref git $(git rev-parse --short HEAD)"
ulimit -n 65536 2>/dev/null || true
target/release/examples/watch_bench "$@"

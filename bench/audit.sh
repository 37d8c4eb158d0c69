#!/usr/bin/env bash
# Overhead of `n2ref audit` against a normal build of a real C project:
# Google's brotli 1.1.0 (32 C files: three static libraries and the `brotli`
# tool), configured by CMake (bench/audit/CMakeLists.txt) for Ninja, Release.
#
# Usage: bench/audit.sh BROTLI_DIR [RUNS]
#   BROTLI_DIR is the unpacked Brotli 1.1.0 sdist (the directory holding c/),
#   e.g. from `pip download --no-binary :all: --no-deps brotli==1.1.0` (pip
#   needs setuptools and wheel installed to prepare its metadata).
# Prints a Markdown section for bench/RESULTS.md. Each run builds from clean:
#   ninja -j1          `ninja -t clean && ninja -j1` (the audit also runs -j1)
#   ninja              `ninja -t clean && ninja` (default -j)
#   audit --once       `n2ref audit --once` (one traced build from clean)
#   audit              `n2ref audit` (traced build, then an untraced one)
set -euo pipefail
export LC_ALL=C
src=$(cd "$1" && pwd -P)
runs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd -P)
n2ref=${N2REF:-$here/../target/release/n2ref}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$src" "$work/src"
cp "$here/audit/CMakeLists.txt" "$work/src/"
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cd "$work/build"

# time_it NAME COMMAND...: wall, user+sys seconds of one run, appended to $work/NAME
time_it() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>&1 || true
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/t" >>"$work/$name"
}
for _ in $(seq "$runs"); do
  ninja -t clean >/dev/null; time_it ninja-j1 ninja -j1
  ninja -t clean >/dev/null; time_it ninja ninja
  time_it audit-once "$n2ref" audit --once
  time_it audit "$n2ref" audit
done
"$n2ref" audit --once >"$work/findings.txt" 2>/dev/null || true

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wall() { cut -d' ' -f1 "$work/$1" | median; }
cpu() { cut -d' ' -f2 "$work/$1" | median; }
base_wall=$(wall ninja-j1)
base_cpu=$(cpu ninja-j1)

echo "## $(date -u '+%Y-%m-%d %H:%M') UTC: n2ref audit overhead"
echo
echo "- machine: $(nproc) CPUs (\`nproc\`), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
echo "- versions: ninja $(ninja --version); $("$n2ref" --version) (git $(git -C "$here" rev-parse --short HEAD)); $(cmake --version | head -1); $(strace -V | head -1); $(cc --version | head -1)"
echo "- project: brotli 1.1.0 (bench/audit/CMakeLists.txt, Release), $(ninja -t commands all | wc -l) commands"
echo "- command: \`bench/audit.sh BROTLI_DIR $runs\` (median of $runs run(s); each from clean)"
echo "- findings of the audit: $(tail -n1 "$work/findings.txt")"
echo
echo "| measurement | wall | wall / ninja -j1 | user+sys CPU | CPU / ninja -j1 |"
echo "|---|---|---|---|---|"
for m in ninja-j1 ninja audit-once audit; do
  w=$(wall $m)
  c=$(cpu $m)
  printf '| `%s` | %.1f s | %.2f | %.1f s | %.2f |\n' "$m" "$w" \
    "$(echo "$w / $base_wall" | bc -l)" "$c" "$(echo "$c / $base_cpu" | bc -l)"
done

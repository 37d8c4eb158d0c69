#!/usr/bin/env bash
# Compare the executor of n2ref with real ninja on a generated, Chromium-
# shaped tree whose commands only touch their outputs: full build (wall time
# is scheduling overhead: stat, logs, process spawning, status lines; the
# tool's own CPU time, without its commands', is reported too), null
# build (everything up to date), and peak memory of both. See bench/README.md.
#
# usage: bench/build.sh [--write]
#   --write   append the results as a dated section to bench/RESULTS.md
#
# environment overrides (defaults in brackets):
#   NINJA [ninja]        the reference ninja binary
#   N2REF [built here]   a prebuilt n2ref binary; skips `cargo build --release`
#   TARGETS [2000] SEED [1]   tree for the null build (gen_manifest.py)
#   FULL_TARGETS [150]   tree for the full build (each run spawns one process
#                        per command: 2000 targets is 93,140 commands)
#   RUNS [10] FULL_RUNS [10]   runs of each tool (in alternation) for the
#                        null / full builds
#   JOBS [default]       -j for the full build (default: ninja's default)
#   FULL_TMPFS [/dev/shm]   the full build runs on a copy of its tree here
#                        (empty: in bench/out). Creating thousands of files
#                        right after deleting them makes a disk file system
#                        search for free inodes, which costs both tools
#                        seconds at random; in memory the time left is
#                        spawning commands and scheduling them
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WRITE=0
for arg in "$@"; do
  case "$arg" in
    --write) WRITE=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
NINJA=${NINJA:-ninja}
TARGETS=${TARGETS:-2000}
FULL_TARGETS=${FULL_TARGETS:-150}
SEED=${SEED:-1}
RUNS=${RUNS:-10}
FULL_RUNS=${FULL_RUNS:-10}
FULL_TMPFS=${FULL_TMPFS-/dev/shm}
JOBS=${JOBS:-}
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit "${2:-1}"; }

[ -x /usr/bin/time ] || die "GNU time is required (apt-get install time)"
NINJA=$(command -v "$NINJA") || die "ninja not found (set NINJA=/path/to/ninja)"
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }
if ! is_elf "$NINJA"; then
  REAL=$(pyenv which "$(basename "$NINJA")" 2>/dev/null || true)
  [ -n "$REAL" ] && is_elf "$REAL" && NINJA=$REAL
fi
if [ -z "${N2REF:-}" ]; then
  say "building n2ref (cargo build --release)"
  (cd "$ROOT" && cargo build --release --bin n2ref) >&2
  N2REF=$ROOT/target/release/n2ref
fi

# tree NAME TARGETS: a --touch-commands tree with sources; prints its build dir.
tree() {
  local src=$HERE/out/$1 build=$HERE/out/$1/out/Release
  local want="targets=$2 seed=$SEED gen=$(sha256sum "$HERE/gen_manifest.py" | cut -c1-12)"
  if ! grep -q "^$want .* touch=1\$" "$build/.gen_manifest" 2>/dev/null; then
    say "generating $src ($2 targets, touch commands)"
    rm -rf "$src"
    python3 "$HERE/gen_manifest.py" --out "$build" --targets "$2" --seed "$SEED" \
      --sources --touch-commands >&2
  fi
  echo "$build"
}
# clean_tree DIR: removes every output and both logs (ninja's own -t clean).
clean_tree() { "$NINJA" -C "$1" -t clean >/dev/null; rm -f "$1/.ninja_log" "$1/.ninja_deps"; }
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$HERE/out/rss.txt" || true; tail -1 "$HERE/out/rss.txt"; }
mkdir -p "$HERE/out"
J=${JOBS:+-j $JOBS}

# --- full build ------------------------------------------------------------
FULL=$(tree touch-full "$FULL_TARGETS")
FULL_WHERE="bench/out"
if [ -n "$FULL_TMPFS" ] && [ -d "$FULL_TMPFS" ] && [ -w "$FULL_TMPFS" ]; then
  copy="$FULL_TMPFS/n2ref-bench-touch-full"
  say "copying the full-build tree to $copy"
  rm -rf "$copy"; cp -a "$HERE/out/touch-full" "$copy"
  FULL="$copy/out/Release"
  FULL_WHERE="$(df --output=fstype "$FULL_TMPFS" | tail -1) at $FULL_TMPFS"
fi
NCMDS=$("$NINJA" -C "$FULL" -t commands all | wc -l)
say "full build: $NCMDS commands in $FULL"
# Both must build the same files; check once before timing.
clean_tree "$FULL"; "$NINJA" -C "$FULL" $J >/dev/null
"$NINJA" -C "$FULL" -n | grep -q 'no work to do' || die "ninja left work after a build"
clean_tree "$FULL"; "$N2REF" build -C "$FULL" $J >/dev/null
"$NINJA" -C "$FULL" -n | grep -q 'no work to do' ||
  die "after n2ref's build, ninja -n still has work: n2ref built something else" 4
# In alternation, not hyperfine: its runs of one tool all come first, and
# the tree drifts from run to run (see bench/alternate.py).
python3 "$HERE/alternate.py" "$FULL_RUNS" \
  "'$NINJA' -C '$FULL' -t clean >/dev/null; rm -f '$FULL/.ninja_log' '$FULL/.ninja_deps'" \
  "$HERE/out/full.json" \
  "ninja='$NINJA' -C '$FULL' $J" "n2ref='$N2REF' build -C '$FULL' $J" >&2
clean_tree "$FULL"; FULL_RSS_NINJA=$(rss "$NINJA" -C "$FULL" $J)
clean_tree "$FULL"; FULL_RSS_N2REF=$(rss "$N2REF" build -C "$FULL" $J)

# --- null build --------------------------------------------------------------
NULL=$(tree touch "$TARGETS")
NNULL=$("$NINJA" -C "$NULL" -t commands all | wc -l)
say "null build: $NNULL commands in $NULL"
if ! "$NINJA" -C "$NULL" -n | grep -q 'no work to do'; then
  say "building $NULL once with ninja (this takes minutes)"
  "$NINJA" -C "$NULL" >/dev/null
fi
"$N2REF" build -C "$NULL" | grep -q 'no work to do' ||
  die "n2ref does not find ninja's build of $NULL up to date" 4
"$N2REF" build -C "$NULL" >/dev/null  # warm the page cache
python3 "$HERE/alternate.py" "$RUNS" true "$HERE/out/null.json" \
  "ninja='$NINJA' -C '$NULL'" "n2ref='$N2REF' build -C '$NULL'" >&2
NULL_RSS_NINJA=$(rss "$NINJA" -C "$NULL")
NULL_RSS_N2REF=$(rss "$N2REF" build -C "$NULL")

# --- report ----------------------------------------------------------------
python3 - "$HERE/out/full.json" "$HERE/out/null.json" \
  "$FULL_RSS_NINJA" "$FULL_RSS_N2REF" "$NULL_RSS_NINJA" "$NULL_RSS_N2REF" \
  "$NCMDS" "$NNULL" >"$HERE/out/table.md" <<'PY'
import json, sys
full, null = (json.load(open(p))["results"] for p in sys.argv[1:3])
frn, frt, nrn, nrt = (int(x) / 1024 for x in sys.argv[3:7])
ncmds, nnull = sys.argv[7:9]
def row(name, results, rn, rt):
    r = {x["command"]: x for x in results}
    n, t = r["ninja"], r["n2ref"]
    return (f"| {name} | {n['median']:.3f} s ± {n['stddev'] or 0:.3f} | "
            f"{t['median']:.3f} s ± {t['stddev'] or 0:.3f} | {t['median'] / n['median']:.2f} | "
            f"{rn:.1f} MiB | {rt:.1f} MiB | {rt / rn:.2f} |")
print("| measurement | ninja median | n2ref median | time n2ref/ninja | ninja max RSS | n2ref max RSS | RSS n2ref/ninja |")
print("|---|---|---|---|---|---|---|")
print(row(f"full build, {int(ncmds):,} `touch` commands", full, frn, frt))
print(row(f"null build, {int(nnull):,} commands up to date", null, nrn, nrt))
def own_row(name, results):
    r = {x["command"]: x for x in results}
    n, t = r["ninja"], r["n2ref"]
    if not (n.get("self_cpu") and t.get("self_cpu")):
        return
    # Rounds pair one run of each tool: the median of the pairs' ratios
    # is less sensitive to the machine's drift than the ratio of medians.
    pairs = sorted(b / a for a, b in zip(n["self_cpu"], t["self_cpu"]) if a > 0)
    paired = pairs[len(pairs) // 2] if pairs else float("nan")
    print(f"| {name} | {n['self_cpu_median']:.2f} s | {t['self_cpu_median']:.2f} s | "
          f"{t['self_cpu_median'] / n['self_cpu_median']:.2f} (paired {paired:.2f}) | | | |")
own_row("full build, the tool's own CPU time (scheduling overhead, commands excluded)", full)
own_row("null build, the tool's own CPU time", null)
PY
table=$(cat "$HERE/out/table.md")
jobs_text=${JOBS:-the default number of}
section="## $(date -u '+%Y-%m-%d %H:%M') UTC — executor

- machine: $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)
- versions: $("$NINJA" --version | sed 's/^/ninja /'); $("$N2REF" --version | head -1) (git $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo +dirty))
- trees: \`gen_manifest.py --touch-commands --sources --seed $SEED\`, \`--targets $FULL_TARGETS\` for the full build, \`--targets $TARGETS\` for the null build; full builds with $jobs_text jobs, from a tree cleaned by \`ninja -t clean\` with no logs
- full-build tree on: $FULL_WHERE; null-build tree in bench/out
- runs: $FULL_RUNS (full) and $RUNS (null) of each tool, in alternation (bench/alternate.py), medians; RSS: one run under \`/usr/bin/time -f %M\`

$table"
printf '%s\n' "$section"
if [ "$WRITE" = 1 ]; then
  printf '\n%s\n' "$section" >>"$HERE/RESULTS.md"
  say "appended to bench/RESULTS.md"
fi

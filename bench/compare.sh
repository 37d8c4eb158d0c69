#!/usr/bin/env bash
# Compare manifest loading of n2ref against real ninja on a generated,
# Chromium-sized checkout: source files in BENCH_OUT, the build tree in
# BENCH_OUT/out/Release.  See bench/README.md for the methodology.
#
# usage: bench/compare.sh [--write] [--ninja-only] [--regen]
#   --write       append the results as a dated section to bench/RESULTS.md
#   --ninja-only  measure ninja alone (baseline; n2ref is neither built nor run)
#   --regen       regenerate the tree even if it exists with the same parameters
#
# environment overrides (defaults in brackets):
#   NINJA [ninja]         the reference ninja binary
#   N2REF [built here]    a prebuilt n2ref binary; skips `cargo build --release`
#   TARGETS [2000] SEED [1]   generator parameters
#   BENCH_OUT [bench/out/chromium]   the generated source root; the build
#                         directory is BENCH_OUT/out/Release (gen_manifest.py
#                         --out BENCH_OUT/out/Release --sources)
#   RUNS [10] WARMUP [3]  hyperfine runs / warmup runs per command
#   RSS_RUNS [3]          runs per command under /usr/bin/time for max RSS
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WRITE=0 NINJA_ONLY=0 REGEN=0
for arg in "$@"; do
  case "$arg" in
    --write) WRITE=1 ;;
    --ninja-only) NINJA_ONLY=1 ;;
    --regen) REGEN=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "compare.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

NINJA=${NINJA:-ninja}
TARGETS=${TARGETS:-2000}
SEED=${SEED:-1}
OUT=${BENCH_OUT:-$HERE/out/chromium}
BUILD=$OUT/out/Release   # ../../x from here is $OUT/x
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-3}

# Reads lines on stdin; prints "<line count> <sha256>".
hash_lines() {
  python3 -c '
import hashlib, sys
h = hashlib.sha256(); n = 0
for line in sys.stdin.buffer:
    h.update(line); n += 1
print(n, h.hexdigest())'
}
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'compare.sh: error: %s\n' "$*" >&2; exit "${2:-1}"; }

# --- tools ---------------------------------------------------------------
apt_install() {
  say "installing $1 with apt-get"
  apt-get install -y "$1" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y "$1" >/dev/null; } ||
    die "could not install $1; install it and rerun"
}
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
command -v python3 >/dev/null || die "python3 is required"
command -v "$NINJA" >/dev/null || die "ninja not found (set NINJA=/path/to/ninja)"
NINJA=$(command -v "$NINJA")
# pip's ninja is reached through a pyenv shim (bash scripts that end in an
# exec); ~0.1 s of wrapper start-up per run would pollute the timings, so
# resolve it to the ELF binary.
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }
if ! is_elf "$NINJA"; then
  REAL=$(pyenv which "$(basename "$NINJA")" 2>/dev/null || true)
  if [ -n "$REAL" ] && is_elf "$REAL"; then
    say "using $REAL instead of the wrapper $NINJA"; NINJA=$REAL
  else
    say "warning: $NINJA is not an ELF binary; its wrapper's start-up is timed too"
  fi
fi

# --- the build tree ------------------------------------------------------
# Both stamps must match: the build directory's .gen_manifest (parameters,
# generator version, and sources=N with N > 0, i.e. written with --sources)
# and the source root's .gen_sources (same run, same build_dir).  A tree in
# another layout (the old flat one in $OUT, or one without sources) has no
# such pair and is regenerated.
GEN=$(sha256sum "$HERE/gen_manifest.py" | cut -c1-12)
STAMP="targets=$TARGETS seed=$SEED gen=$GEN sources=[1-9][0-9]*"
stamps_ok() {
  grep -q "^$STAMP files=" "$BUILD/.gen_manifest" 2>/dev/null &&
    grep -q "^$STAMP build_dir=out/Release\$" "$OUT/.gen_sources" 2>/dev/null
}
if [ "$REGEN" = 1 ] || ! stamps_ok; then
  if [ -L "$OUT" ]; then
    # e.g. a link to another worktree's tree: drop the link, not its target.
    say "removing the symbolic link $OUT -> $(readlink "$OUT")"
    rm -f "$OUT"
  fi
  say "generating the tree: sources in $OUT, build directory $BUILD (targets=$TARGETS seed=$SEED)"
  python3 "$HERE/gen_manifest.py" --out "$BUILD" --targets "$TARGETS" --seed "$SEED" \
    --sources >&2
  stamps_ok || die "the generated tree's stamps do not match what compare.sh expects"
fi
# -L: count through symbolic links too (a linked $OUT or build directory).
NFILES=$(find -L "$BUILD" -type f -name '*.ninja' | wc -l)
NBYTES=$(find -L "$BUILD" -type f -name '*.ninja' -print0 | du -cbL --files0-from=- | tail -1 | cut -f1)
# Source files: everything in $OUT outside the build directory, minus the stamp.
NSRC=$(find -L "$OUT" -path "$BUILD" -prune -o -type f ! -name .gen_sources -print | wc -l)
[ "$NFILES" -gt 0 ] || die "no .ninja files found in $BUILD"
say "tree: $NFILES .ninja files, $NBYTES bytes; $NSRC source files"

# Warm the page cache and record ninja's view of the tree; the hash is used
# to check that n2ref prints exactly the same commands.
say "ninja -t commands all (reference output)"
SCRATCH=$HERE/out
mkdir -p "$SCRATCH"
"$NINJA" -C "$BUILD" -t commands all | hash_lines >"$SCRATCH/ninja.sum" ||
  die "ninja failed to load the generated tree"
read -r NCMDS NINJA_SUM <"$SCRATCH/ninja.sum"
say "ninja prints $NCMDS commands"
[ "$NCMDS" -ge 85000 ] || say "warning: fewer than 85,000 commands (is TARGETS small?)"

# --- n2ref -----------------------------------------------------------------
N2REF_VERSION="n2ref not run (--ninja-only)"
if [ "$NINJA_ONLY" = 0 ]; then
  if [ -z "${N2REF:-}" ]; then
    say "building n2ref (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin n2ref) >&2 ||
      die "cargo build --release failed"
    TDIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    N2REF=$TDIR/release/n2ref
  fi
  [ -x "$N2REF" ] || die "n2ref binary not found at $N2REF"
  N2REF_VERSION=$("$N2REF" --version 2>/dev/null | head -1 || echo unknown)

  # Preflight: both n2ref commands must work and agree with ninja before
  # their timings mean anything.
  say "preflight: n2ref build -C $BUILD -t commands all"
  ERR=$SCRATCH/n2ref.stderr
  set +e
  "$N2REF" build -C "$BUILD" -t commands all 2>"$ERR" | hash_lines >"$SCRATCH/n2ref.sum"
  RC=${PIPESTATUS[0]}
  set -e
  read -r N2_NCMDS N2_SUM <"$SCRATCH/n2ref.sum"
  if [ "$RC" != 0 ]; then
    echo "compare.sh: n2ref is not ready for this benchmark:" >&2
    echo "  \`$N2REF build -C $BUILD -t commands all\` exited with status $RC; its stderr:" >&2
    head -5 "$ERR" | sed 's/^/    /' >&2
    echo "  (use --ninja-only to measure the ninja baseline alone)" >&2
    rm -f "$ERR"; exit 3
  fi
  if [ "$N2_SUM" != "$NINJA_SUM" ]; then
    echo "compare.sh: n2ref's \`-t commands all\` output differs from ninja's" >&2
    echo "  ninja: $NCMDS lines, sha256 $NINJA_SUM" >&2
    echo "  n2ref: $N2_NCMDS lines, sha256 $N2_SUM" >&2
    echo "  (diff them with: diff <($NINJA -C $BUILD -t commands all) <($N2REF build -C $BUILD -t commands all))" >&2
    rm -f "$ERR"; exit 4
  fi
  say "preflight: (cd $BUILD && n2ref check build.ninja)"
  DIAG=$SCRATCH/n2ref.check
  if ! (cd "$BUILD" && "$N2REF" check build.ninja) >"$DIAG" 2>"$ERR"; then
    echo "compare.sh: n2ref is not ready for this benchmark:" >&2
    echo "  \`n2ref check build.ninja\` (in $BUILD) failed; its stderr:" >&2
    head -5 "$ERR" | sed 's/^/    /' >&2
    rm -f "$ERR"; exit 3
  fi
  # What check reports is part of what the load row times; the sources exist,
  # so there should be no missing-input warnings (N2R0014).
  NDIAG=$(grep -c '^\(warning\|error\)\[' "$DIAG" || true)
  NMISSING=$(grep -c '^warning\[N2R0014\]' "$DIAG" || true)
  say "n2ref check reports $NDIAG diagnostics, $NMISSING of them missing inputs"
  [ "$NMISSING" = 0 ] ||
    say "warning: missing inputs although the sources were generated (first: $(grep -m1 -A1 '^warning\[N2R0014\]' "$DIAG" | tail -1))"
  rm -f "$ERR"
fi

# --- timing ------------------------------------------------------------------
# Commands are run by hyperfine through a shell, which it calibrates away.
# The load-only pair runs inside the build directory: ninja resolves
# subninja paths against the working directory, and `n2ref check build.ninja`
# from inside $BUILD is what `n2ref check $BUILD/build.ninja` means whichever
# way n2ref resolves them.
q() { printf '%q' "$1"; }
NAMES=("ninja commands" "ninja load")
DIRS=("" "$BUILD")
CMDS=("$(q "$NINJA") -C $(q "$BUILD") -t commands all"
      "$(q "$NINJA") -t rules")
if [ "$NINJA_ONLY" = 0 ]; then
  NAMES+=("n2ref commands" "n2ref load")
  DIRS+=("" "$BUILD")
  CMDS+=("$(q "$N2REF") build -C $(q "$BUILD") -t commands all"
         "$(q "$N2REF") check build.ninja")
fi
HF_ARGS=(--warmup "$WARMUP" --runs "$RUNS" --export-json "$SCRATCH/hyperfine.json")
for i in "${!CMDS[@]}"; do
  if [ -n "${DIRS[$i]}" ]; then c="cd $(q "${DIRS[$i]}") && ${CMDS[$i]}"; else c=${CMDS[$i]}; fi
  HF_ARGS+=(-n "${NAMES[$i]}" "$c")
done
say "hyperfine (${#CMDS[@]} commands, warmup $WARMUP, runs $RUNS)"
hyperfine "${HF_ARGS[@]}" >&2

say "max RSS (/usr/bin/time -f %M, $RSS_RUNS runs each)"
# /usr/bin/time runs the binary itself (no shell in between), so %M is the
# peak resident set of ninja / n2ref.
RSS_FILE=$SCRATCH/rss.txt
: >"$RSS_FILE"
for i in "${!CMDS[@]}"; do
  max=0
  for _ in $(seq "$RSS_RUNS"); do
    (cd "${DIRS[$i]:-.}" && eval "/usr/bin/time -f %M -o $(q "$SCRATCH/rss.one") ${CMDS[$i]}") \
      >/dev/null 2>&1 || die "'${CMDS[$i]}' failed while measuring RSS"
    kb=$(tail -1 "$SCRATCH/rss.one")
    [ "$kb" -gt "$max" ] && max=$kb
  done
  printf '%s\t%s\n' "${NAMES[$i]}" "$max" >>"$RSS_FILE"
done
rm -f "$SCRATCH/rss.one"

# --- report --------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
GIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo "+dirty" || true)
export CPU MEM GIT DIRTY NFILES NBYTES NCMDS NSRC TARGETS SEED RUNS WARMUP RSS_RUNS N2REF_VERSION
export NINJA_VERSION="$("$NINJA" --version)"
export HF_VERSION="$(hyperfine --version)"
export RUSTC_VERSION="$(rustc --version 2>/dev/null || echo n/a)"
export KERNEL="$(uname -sr)" NPROC="$(nproc)"
REPORT=$(python3 - "$SCRATCH/hyperfine.json" "$RSS_FILE" <<'EOF'
import datetime, json, os, sys
hf = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip())
e = os.environ
def t(name):
    r = hf.get(name)
    return "%.3f s ± %.3f" % (r["median"], r["stddev"] or 0) if r else "n/a"
def m(name):
    return "%.1f MiB" % (int(rss[name]) / 1024) if name in rss else "n/a"
def ratio(a, b, table):
    if a not in table or b not in table: return "n/a"
    x = table[a]["median"] if table is hf else int(table[a])
    y = table[b]["median"] if table is hf else int(table[b])
    return "%.2f" % (x / y)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
out = []
out.append("## %s" % now)
out.append("")
out.append("- machine: %s CPUs (`nproc`), %s, %s RAM, %s" % (e["NPROC"], e["CPU"], e["MEM"], e["KERNEL"]))
out.append("- versions: ninja %s; %s (git %s%s); %s; %s" % (
    e["NINJA_VERSION"], e["N2REF_VERSION"], e["GIT"], e["DIRTY"], e["RUSTC_VERSION"], e["HF_VERSION"]))
out.append("- tree: `gen_manifest.py --targets %s --seed %s --sources` (build directory `out/Release`): "
           "%s .ninja files, %.1f MB, %s commands; %s source files" % (
    e["TARGETS"], e["SEED"], format(int(e["NFILES"]), ","), int(e["NBYTES"]) / 1e6,
    format(int(e["NCMDS"]), ","), format(int(e["NSRC"]), ",")))
out.append("- hyperfine: %s warmup + %s runs per command (median ± stddev); RSS: max of %s runs of `/usr/bin/time -f %%M`" % (
    e["WARMUP"], e["RUNS"], e["RSS_RUNS"]))
out.append("")
out.append("| measurement | ninja median | n2ref median | time n2ref/ninja | ninja max RSS | n2ref max RSS | RSS n2ref/ninja |")
out.append("|---|---|---|---|---|---|---|")
out.append("| `-t commands all` (load + evaluate every command) | %s | %s | %s | %s | %s | %s |" % (
    t("ninja commands"), t("n2ref commands"), ratio("n2ref commands", "ninja commands", hf),
    m("ninja commands"), m("n2ref commands"), ratio("n2ref commands", "ninja commands", rss)))
out.append("| load only (`ninja -t rules` vs `n2ref check`) | %s | %s | %s | %s | %s | %s |" % (
    t("ninja load"), t("n2ref load"), ratio("n2ref load", "ninja load", hf),
    m("ninja load"), m("n2ref load"), ratio("n2ref load", "ninja load", rss)))
print("\n".join(out))
EOF
)
echo
echo "$REPORT"
if [ "$WRITE" = 1 ]; then
  RES=$HERE/RESULTS.md
  if [ ! -f "$RES" ]; then
    printf '# Manifest loading: n2ref vs ninja\n\nProduced by `bench/compare.sh --write`; see bench/README.md for the method.\nNewest results last.\n' >"$RES"
  fi
  printf '\n%s\n' "$REPORT" >>"$RES"
  say "appended to $RES"
fi

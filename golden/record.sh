#!/usr/bin/env bash
# Records the golden suite: for every sample project under golden/projects/
# and every generator (CMake "Ninja", CMake "Ninja Multi-Config", Meson), this
# generates a build directory, copies the generated manifests into
# golden/cases/<project>-<generator>/ with machine-specific absolute paths
# replaced by fixed placeholders, and records what real ninja 1.13 prints for
# the load-only commands listed in the case's commands.txt.
#
# Hand-written cases (golden/cases/hand-*/) keep their own build.ninja and
# commands.txt; this script only re-records their expected/ outputs.
#
# Usage: bash golden/record.sh            (re-records everything)
#        bash golden/record.sh CASE...    (re-records the named cases only;
#                                          generated cases are regenerated)
set -euo pipefail
export LC_ALL=C TERM=dumb
unset NINJA_STATUS

here=$(cd "$(dirname "$0")" && pwd -P)
projects=$here/projects
cases=$here/cases

# --- tools -----------------------------------------------------------------

need() { # need TOOL PIP-SPEC VERSION-PATTERN
  if ! command -v "$1" >/dev/null 2>&1 || ! "$1" --version 2>/dev/null | grep -Eq "$3"; then
    echo "record.sh: installing $2 with pip" >&2
    python3 -m pip install --quiet "$2"
    hash -r
  fi
}
need ninja 'ninja==1.13.*' '^1\.13\.'
need cmake 'cmake>=3.28' 'cmake version'
need meson 'meson>=1.0' '^[0-9]'

ninja_version=$(ninja --version)
cmake_version=$(cmake --version | sed -n '1s/^cmake version //p')
meson_version=$(meson --version)
echo "record.sh: ninja $ninja_version, cmake $cmake_version, meson $meson_version" >&2

# --- helpers ---------------------------------------------------------------

# normalise FILE SRC BUILD: replaces absolute, machine-specific paths.
normalise() {
  python3 "$here/scenario.py" normalise "$1" "$2" "$3"
}

# The manifests a build dir's build.ninja loads, transitively (as relative paths).
manifests() {
  local dir=$1
  python3 - "$dir" <<'PY'
import os, re, sys
root = sys.argv[1]
# Multi-config generators also write build-<Config>.ninja next to build.ninja.
todo = ['build.ninja'] + sorted(f for f in os.listdir(root) if re.fullmatch(r'build-.+\.ninja', f))
seen = []
while todo:
    name = todo.pop(0)
    if name in seen:
        continue
    seen.append(name)
    text = open(os.path.join(root, name), 'rb').read().decode('utf-8', 'replace')
    for m in re.finditer(r'^(?:include|subninja)[ \t]+(\S+)', text, re.M):
        todo.append(m.group(1))
print('\n'.join(seen))
PY
}

# record CASE_DIR: runs ninja on every line of commands.txt in a scratch copy
# of the case and stores NAME.stdout, NAME.stderr and NAME.exit in expected/.
record() {
  local case=$1 scratch n=0
  scratch=$(mktemp -d)
  scratch=$(cd "$scratch" && pwd -P)
  cp -R "$case/." "$scratch/"
  rm -rf "$scratch/expected" "$scratch/commands.txt"
  rm -rf "$case/expected"
  mkdir -p "$case/expected"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    n=$((n + 1))
    local name
    name=$(printf '%02d' "$n")
    local status=0
    # shellcheck disable=SC2086 # the line is a list of words
    (cd "$scratch" && ninja $line </dev/null >"$case/expected/$name.stdout" \
      2>"$case/expected/$name.stderr") || status=$?
    echo "$status" >"$case/expected/$name.exit"
    python3 - "$case/expected/$name.stdout" "$scratch" <<'PY'
import sys
f, cwd = sys.argv[1:]
data = open(f, 'rb').read().replace(cwd.encode(), b'@CWD@')
open(f, 'wb').write(data)
PY
  done <"$case/commands.txt"
  rm -rf "$scratch"
  echo "record.sh: $(basename "$case"): $n commands" >&2
}

# Targets to query, found in the recorded manifests so that the list follows
# each generator's naming: the project's main executable, its first static
# and shared library, a generated header, and a name that does not exist.
query_targets() {
  local dir=$1 exe=$2
  echo "$exe"
  (cd "$dir" && ninja -t targets all) | sed 's/: .*//' | grep -E '(^|/)lib[^/:]*\.a$' | head -n1
  (cd "$dir" && ninja -t targets all) | sed 's/: .*//' | grep -E '(^|/)lib[^/:]*\.so$' | head -n1
  (cd "$dir" && ninja -t targets all) | sed 's/: .*//' |
    grep -E '(gen|version)\.h$' | head -n1 || true
}

# generate PROJECT GENERATOR: writes golden/cases/PROJECT-GENERATOR/.
generate() {
  local project=$1 gen=$2 exe=$3 tmp case
  tmp=$(mktemp -d)
  tmp=$(cd "$tmp" && pwd -P)
  python3 "$here/scenario.py" generate "$project" "$gen" "$tmp"
  case=$cases/$project-$gen
  rm -rf "$case"
  mkdir -p "$case"
  local m
  while IFS= read -r m; do
    mkdir -p "$case/$(dirname "$m")"
    cp "$tmp/build/$m" "$case/$m"
    normalise "$case/$m" "$tmp/src" "$tmp/build"
    if grep -q -e "$tmp" -e "$HOME" "$case/$m"; then
      echo "record.sh: $case/$m still mentions $tmp or $HOME" >&2
      exit 1
    fi
  done < <(manifests "$tmp/build")
  rm -rf "$tmp"

  {
    echo "# Recorded with ninja $ninja_version from the $gen manifests of golden/projects/$project"
    echo "# (cmake $cmake_version, meson $meson_version). One ninja command line per line."
    local targets
    mapfile -t targets < <(query_targets "$case" "$exe")
    echo "-t commands"
    echo "-t commands $exe"
    echo "-t commands -s ${targets[1]}"
    echo "-t targets"
    echo "-t targets all"
    echo "-t targets depth 2"
    echo "-t targets rule"
    echo "-t rules"
    echo "-t rules -d"
    echo "-t compdb"
    echo "-t inputs"
    echo "-t inputs $exe"
    echo "-t inputs --dependency-order ${targets[2]}"
    echo "-t multi-inputs"
    local t
    while IFS= read -r t; do
      [ -n "$t" ] && echo "-t query $t"
    done < <(printf '%s\n' "${targets[@]}")
    echo "-t query no-such-target"
    echo "-t commands no-such-target"
    if [ "$gen" = cmake-multi ]; then
      echo "-f build-Release.ninja -t commands"
      echo "-f build-Debug.ninja -t targets all"
      echo "-f build-RelWithDebInfo.ninja -t compdb"
    fi
  } >"$case/commands.txt"
  record "$case"
  record_build "$case" "$project"
}

# record_build CASE_DIR PROJECT: writes the case's build.txt (a real build on
# a fresh tree) and records ninja's outputs for it in expected-build/.
record_build() {
  local case=$1 project=$2 touch
  case $project in
    calc) touch=../src/core/calc.h ;;
    shapes) touch=../src/src/geom/shapes.h ;;
    *) touch=../src/src/main.cpp ;;
  esac
  cat >"$case/build.txt" <<STEPS
# A real build on a fresh tree (see golden/scenario.py): what would run, a
# -j1 build, the deps it recorded, then nothing left to do; then a touched
# file and what it rebuilds. 'other' steps are run by the other
# implementation when the test has one.
ninja -n -v
ninja -j1 -v
ninja -t deps
other -n
touch $touch
ninja -j1 -v
other -n
STEPS
  rm -rf "$case/expected-build"
  python3 "$here/scenario.py" run --impl ninja "$case" "$case/expected-build"
  echo "record.sh: $(basename "$case"): build scenario recorded" >&2
}

# --- main ------------------------------------------------------------------

# project:main executable
all_projects="demo:app calc:calc shapes:shapes-app"
generators="cmake-ninja cmake-multi meson"

mkdir -p "$cases"
if [ $# -eq 0 ]; then
  for p in $all_projects; do
    for g in $generators; do
      generate "${p%%:*}" "$g" "${p#*:}"
    done
  done
  for c in "$cases"/hand-*/; do
    [ -d "$c" ] && record "${c%/}"
  done
else
  for name in "$@"; do
    name=$(basename "$name")
    done_one=
    for p in $all_projects; do
      for g in $generators; do
        if [ "$name" = "${p%%:*}-$g" ]; then
          generate "${p%%:*}" "$g" "${p#*:}"
          done_one=1
        fi
      done
    done
    if [ -z "$done_one" ]; then
      [ -f "$cases/$name/commands.txt" ] || { echo "record.sh: no case $name" >&2; exit 1; }
      record "$cases/$name"
    fi
  done
fi

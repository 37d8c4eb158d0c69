#!/bin/sh
# Builds the seed corpora for every fuzz target under fuzz/corpus/<target>/
# (git-ignored) from conformance/ and golden/. Run from anywhere:
#
#     fuzz/seed.sh              # uses target/debug/n2ref (cargo build first)
#     N2REF=path/to/n2ref fuzz/seed.sh
#
# * parse_and_evaluate: every manifest in conformance/ and golden/.
# * depfile: every non-manifest input file of the depfile conformance cases,
#   plus the depfiles gcc/g++ (when installed) write for the sources of
#   golden/projects (`-MM -MG`, so generated headers need not exist).
# * build_log, deps_log: every .ninja_log/.ninja_deps in conformance/, plus
#   the logs a build writes in a copy of each build/, logs/ and depfile/
#   conformance case, built once with n2ref and once with real ninja (when
#   `ninja` is on PATH).
# * status_format: ninja's default NINJA_STATUS and every one the conformance
#   cases and tests set, each behind a few counter prefixes (7 bytes: see
#   fuzz_targets/status_format.rs): everyday counts, all zero, an ETA of over
#   an hour, and extremes (i64::MIN/MAX, NaN, infinities).
#
# Each file is named by the hash of its contents, so reruns add nothing new.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
n2ref=${N2REF:-$root/target/debug/n2ref}
corpus=$fuzz/corpus
mkdir -p "$corpus/parse_and_evaluate" "$corpus/depfile" "$corpus/build_log" "$corpus/deps_log" \
    "$corpus/status_format"

# add TARGET FILE: copy FILE into TARGET's corpus under its content hash.
add() {
    [ -s "$2" ] || return 0
    cp "$2" "$corpus/$1/$(sha1sum < "$2" | cut -c1-16)"
}

find "$root/conformance" "$root/golden" -name '*.ninja' -type f | while read -r f; do
    add parse_and_evaluate "$f"
done

find "$root/conformance/cases/depfile" -path '*/files/*' -type f ! -name '*.ninja' |
    while read -r f; do add depfile "$f"; done
if command -v gcc >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    find "$root/golden/projects" \( -name '*.c' -o -name '*.cpp' \) -type f | while read -r src; do
        dir=$(dirname "$src")
        case $src in *.c) cc=gcc ;; *) cc=g++ ;; esac
        # Include every directory of the project so most headers resolve.
        incs=$(find "$(echo "$src" | sed 's|\(golden/projects/[^/]*\)/.*|\1|')" -type d | sed 's/^/-I/')
        # shellcheck disable=SC2086
        $cc -MM -MG $incs -MQ "obj dir/$(basename "$src").o" "$src" > "$tmp/d" 2>/dev/null &&
            add depfile "$tmp/d" || true
        # shellcheck disable=SC2086
        $cc -M -MG -MP $incs "$src" > "$tmp/d" 2>/dev/null && add depfile "$tmp/d" || true
    done
    rm -rf "$tmp"
fi

find "$root/conformance" -name .ninja_log -type f | while read -r f; do add build_log "$f"; done
find "$root/conformance" -name .ninja_deps -type f | while read -r f; do add deps_log "$f"; done
# build_with IMPL...: build a copy of each case with IMPL and keep its logs.
build_with() {
    for case in "$root"/conformance/cases/build/* "$root"/conformance/cases/logs/* \
        "$root"/conformance/cases/depfile/*; do
        [ -d "$case/files" ] || continue
        tmp=$(mktemp -d)
        cp -R "$case/files/." "$tmp/"
        (cd "$tmp" && LC_ALL=C TERM=dumb timeout 20 "$@" -k 0 >/dev/null 2>&1 </dev/null &&
            LC_ALL=C TERM=dumb timeout 20 "$@" -k 0 >/dev/null 2>&1 </dev/null) || true
        find "$tmp" -name .ninja_log -type f | while read -r f; do add build_log "$f"; done
        find "$tmp" -name .ninja_deps -type f | while read -r f; do add deps_log "$f"; done
        rm -rf "$tmp"
    done
}
if [ -x "$n2ref" ]; then
    build_with "$n2ref" build
else
    echo "seed.sh: $n2ref not found (cargo build first); skipping n2ref-written logs" >&2
fi
if command -v ninja >/dev/null 2>&1; then
    build_with ninja
else
    echo "seed.sh: ninja not on PATH; skipping ninja-written logs" >&2
fi

tmp=$(mktemp)
{
    printf '[%%f/%%t] \n\n'
    grep -rhoE "NINJA_STATUS='[^']*'" "$root/conformance/cases" |
        sed -E "s/^NINJA_STATUS='(.*)'\$/\\1/"
    grep -hoE 'let status = "[^"]*"' "$root"/tests/*.rs | sed -E 's/^let status = "(.*)"$/\\1/'
} | sort -u | while IFS= read -r format; do
    for counters in '\003\002\012\001\100\000\000' '\000\000\000\000\000\000\000' \
        '\005\007\003\002\346\024\002' '\341\342\000\340\342\311\312' \
        '\342\341\341\342\341\313\314'; do
        # shellcheck disable=SC2059
        printf "$counters%s" "$format" > "$tmp"
        add status_format "$tmp"
    done
done
rm -f "$tmp"

for t in parse_and_evaluate depfile build_log deps_log status_format; do
    printf '%s: %s files, %s bytes\n' "$t" "$(ls "$corpus/$t" | wc -l)" \
        "$(cat "$corpus/$t"/* 2>/dev/null | wc -c)"
done

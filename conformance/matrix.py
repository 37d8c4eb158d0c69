#!/usr/bin/env python3
"""Run the conformance suite against every ninja version and n2ref, and
write conformance/MATRIX.md (pass counts per category and implementation).

Usage: conformance/matrix.py [--n2ref PATH] [--check] [--write]

Real ninja 1.10, 1.11 and 1.13 come from PyPI wheels, each installed once
into a virtual environment under $N2REF_NINJA_VENVS (default
~/.cache/n2ref-ninja). ninja 1.12 has no wheel on PyPI: it comes from
Debian's archive instead (trixie's `ninja-build` 1.12.1 package, with the
C and C++ runtime packages it needs, unpacked under the same cache and run
through their dynamic loader, so nothing is installed on the system). Set
$NINJA_1_12 to use another ninja 1.12 binary.

--write rewrites MATRIX.md; --check fails (exit 1) if MATRIX.md differs from
what the suite gives now, or if any implementation fails a case that
applies to it (known divergences excepted).
"""
import argparse
import io
import json
import lzma
import os
import re
import stat
import subprocess
import sys
import tarfile
import urllib.request
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX = os.path.join(ROOT, "conformance", "MATRIX.md")
PYPI_VERSIONS = ["1.10", "1.11", "1.13"]


def ninja_from_pypi(version: str) -> str:
    base = os.environ.get("N2REF_NINJA_VENVS", os.path.expanduser("~/.cache/n2ref-ninja"))
    env_dir = os.path.join(base, version)
    ninja = os.path.join(env_dir, "bin", "ninja")
    if not os.path.exists(ninja):
        venv.create(env_dir, with_pip=True, clear=True)
        subprocess.run([os.path.join(env_dir, "bin", "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"ninja=={version}.*"], check=True)
    return ninja


DEBIAN = "http://deb.debian.org/debian"
# ninja 1.12 and the runtime it was linked against (newer than bookworm's).
DEBIAN_PACKAGES = ["ninja-build", "libc6", "libstdc++6", "libgcc-s1"]


def deb_members(data: bytes) -> dict:
    """The members of a .deb (an `ar` archive) by name."""
    assert data.startswith(b"!<arch>\n"), "not a .deb"
    members, pos = {}, 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        members[name] = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
    return members


def ninja_1_12_from_debian() -> str:
    """A runnable ninja 1.12 from Debian trixie's packages (see the docstring)."""
    base = os.environ.get("N2REF_NINJA_VENVS", os.path.expanduser("~/.cache/n2ref-ninja"))
    root = os.path.join(base, "1.12-debian")
    wrapper = os.path.join(root, "ninja")
    if os.path.exists(wrapper):
        return wrapper
    index = urllib.request.urlopen(f"{DEBIAN}/dists/trixie/main/binary-amd64/Packages.xz",
                                   timeout=120).read()
    files = {}
    for stanza in lzma.decompress(index).decode("utf-8", "replace").split("\n\n"):
        name = re.search(r"^Package: (\S+)$", stanza, re.M)
        filename = re.search(r"^Filename: (\S+)$", stanza, re.M)
        if name and filename and name.group(1) in DEBIAN_PACKAGES:
            files[name.group(1)] = filename.group(1)
    missing = [p for p in DEBIAN_PACKAGES if p not in files]
    if missing:
        sys.exit(f"matrix: Debian trixie has no {', '.join(missing)}")
    if "_1.12." not in files["ninja-build"]:
        sys.exit(f"matrix: Debian trixie's ninja is {files['ninja-build']}, not 1.12")
    tree = os.path.join(root, "tree")
    for package in DEBIAN_PACKAGES:
        deb = urllib.request.urlopen(f"{DEBIAN}/{files[package]}", timeout=300).read()
        members = deb_members(deb)
        data = next(v for k, v in members.items() if k.startswith("data.tar"))
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tree, filter="tar")
    libs = os.path.join(tree, "usr", "lib", "x86_64-linux-gnu")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n# ninja 1.12 from Debian trixie, run with its own C/C++ runtime.\n"
                f'exec "{libs}/ld-linux-x86-64.so.2" --library-path "{libs}" '
                f'"{tree}/usr/bin/ninja" "$@"\n')
    os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    version = subprocess.run([wrapper, "--version"], capture_output=True, text=True).stdout
    if not version.startswith("1.12."):
        os.remove(wrapper)
        sys.exit(f"matrix: the ninja unpacked from Debian says {version!r}, not 1.12")
    return wrapper


def run_suite(n2ref: str, impl: str) -> dict:
    proc = subprocess.run([n2ref, "conformance", "--impl", impl, "--format", "json"],
                          cwd=ROOT, capture_output=True)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"matrix: the runner gave no JSON for {impl}:\n{proc.stderr.decode(errors='replace')}")


def cell(counts: dict) -> str:
    applicable = counts["passed"] + counts["failed"] + counts["known"] + counts.get("fixed", 0)
    if applicable == 0:
        return "–"
    text = f"{counts['passed'] + counts.get('fixed', 0)}/{applicable}"
    if counts["known"]:
        text += f" ({counts['known']} known)"
    if counts["failed"]:
        text += f" **{counts['failed']} failed**"
    return text


def render(columns: list) -> str:
    categories = sorted({c for _, result in columns for c in result["categories"]})
    lines = [
        "# Conformance matrix",
        "",
        "Generated by `conformance/matrix.py --write`; CI fails when it is stale.",
        "Each cell: cases passed / cases that apply to that implementation (a case",
        "applies when its `since`/`until` range contains the version and its `impls`",
        "list, if any, names the implementation); `known` counts the divergences",
        "listed in `conformance/known/<impl>.toml`. ninja 1.10, 1.11 and 1.13 are",
        "PyPI's wheels; ninja 1.12, which has none, is Debian trixie's package.",
        "",
        "| category | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for category in categories:
        row = [cell(result["categories"].get(category, {"passed": 0, "failed": 0, "known": 0}))
               for _, result in columns]
        lines.append(f"| {category} | " + " | ".join(row) + " |")
    totals = [cell(result["summary"]) for _, result in columns]
    lines.append("| **all** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n2ref", default=os.path.join(ROOT, "target", "release", "n2ref"))
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    impls = [(f"ninja {v}", ninja_from_pypi(v)) for v in PYPI_VERSIONS]
    impls.insert(2, ("ninja 1.12", os.environ.get("NINJA_1_12") or ninja_1_12_from_debian()))
    impls.append(("n2ref", f"{os.path.abspath(args.n2ref)} build"))
    columns = []
    failed = []
    for name, impl in impls:
        result = run_suite(args.n2ref, impl)
        columns.append((name, result))
        if result["summary"]["failed"]:
            bad = [c["id"] for c in result["cases"] if c["status"] == "fail"]
            failed.append(f"{name}: {', '.join(bad)}")
        print(f"{name}: {result['summary']}", file=sys.stderr)
    text = render(columns)
    if args.write:
        with open(MATRIX, "w", encoding="utf-8") as f:
            f.write(text)
    if failed:
        sys.exit("matrix: cases fail on the versions they claim:\n  " + "\n  ".join(failed))
    if args.check:
        current = open(MATRIX, encoding="utf-8").read() if os.path.exists(MATRIX) else ""
        if current != text:
            sys.exit("matrix: conformance/MATRIX.md is stale; run conformance/matrix.py --write")
    if not args.write and not args.check:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

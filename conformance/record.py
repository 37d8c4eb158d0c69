#!/usr/bin/env python3
"""Record a conformance case's expected outputs from a reference ninja.

Usage: conformance/record.py [--ninja CMD] CASE_DIR...

For each case directory, copies its files/ into a fresh temporary directory,
runs the case's `command` there through `sh -c` with $NINJA set to CMD
(default: `ninja`), normalises the output as conformance/FORMAT.md describes,
and writes `stdout`, `stderr` and the `exit = N` line of case.toml.
Review the recorded files before committing them: they become the contract.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

PROGRAM_PREFIX = re.compile(rb"^(ninja|samu|n2|n2ref): ", re.MULTILINE)


def normalise(data: bytes, tmp: str) -> bytes:
    data = data.replace(os.path.realpath(tmp).encode(), b"@TMP@")
    data = data.replace(tmp.encode(), b"@TMP@")
    return PROGRAM_PREFIX.sub(b"ninja: ", data)


def shared_lib_dir(case_dir: str) -> str:
    """conformance/lib, found as the sibling of the `cases` directory above
    case_dir (as the runner sets it: `<cases dir>/../lib`)."""
    d = os.path.abspath(case_dir)
    while os.path.basename(d) != "cases" and os.path.dirname(d) != d:
        d = os.path.dirname(d)
    return os.path.join(os.path.dirname(d), "lib")


def record(case_dir: str, ninja: str) -> int:
    with open(os.path.join(case_dir, "case.toml"), "rb") as f:
        meta = tomllib.load(f)
    with tempfile.TemporaryDirectory(prefix="n2ref-case-") as tmp:
        files = os.path.join(case_dir, "files")
        if os.path.isdir(files):
            shutil.copytree(files, tmp, dirs_exist_ok=True, symlinks=True)
        env = dict(os.environ, NINJA=ninja, LC_ALL="C", TERM="dumb",
                   CONFORMANCE_LIB=shared_lib_dir(case_dir))
        # As the runner: no status format, color or jobserver from outside.
        for var in ("NINJA_STATUS", "CLICOLOR_FORCE", "MAKEFLAGS", "MFLAGS"):
            env.pop(var, None)
        proc = subprocess.run(["sh", "-c", meta["command"]], cwd=tmp, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        stdout, stderr = normalise(proc.stdout, tmp), normalise(proc.stderr, tmp)
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        with open(os.path.join(case_dir, name), "wb") as f:
            f.write(data)
    path = os.path.join(case_dir, "case.toml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    line = f"exit = {proc.returncode}"
    if re.search(r"(?m)^exit\s*=.*$", text):
        text = re.sub(r"(?m)^exit\s*=.*$", line, text)
    else:
        text = text.rstrip("\n") + "\n" + line + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ninja", default="ninja")
    parser.add_argument("cases", nargs="+")
    args = parser.parse_args()
    for case in args.cases:
        code = record(case.rstrip("/"), args.ninja)
        print(f"{case}: exit {code}", file=sys.stderr)


if __name__ == "__main__":
    main()

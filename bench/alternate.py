#!/usr/bin/env python3
"""Times commands run in alternation, with a preparation before each run.

usage: alternate.py RUNS PREPARE OUT.json NAME=COMMAND...

Each round runs every command once, in an order that rotates from round to
round, each after PREPARE (a shell command, not timed). Alternating keeps a
slow drift of the machine (caches, the file system's state after thousands
of deletions) from favouring whichever tool hyperfine would run last. The
JSON has hyperfine's shape (`results`: `command`, `times`, `median`,
`stddev`, `user`, `system`), so the same report reads both.
"""
import json
import os
import statistics
import subprocess
import sys
import time


def timed(command):
    start = time.perf_counter()
    proc = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"alternate.py: '{command}' failed")
    return wall, usage.ru_utime, usage.ru_stime


def main():
    runs, prepare, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    commands = [arg.split("=", 1) for arg in sys.argv[4:]]
    samples = {name: [] for name, _ in commands}
    for round_ in range(runs):
        k = round_ % len(commands)
        for name, command in commands[k:] + commands[:k]:
            subprocess.run(prepare, shell=True, check=True)
            samples[name].append(timed(command))
    results = []
    for name, _ in commands:
        s = samples[name]
        walls = [w for w, _, _ in s]
        results.append({
            "command": name,
            "times": walls,
            "median": statistics.median(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0,
            "user": statistics.mean(u for _, u, _ in s),
            "system": statistics.mean(t for _, _, t in s),
        })
    with open(out, "w") as f:
        json.dump({"results": results}, f, indent=1)
    for r in results:
        print(f"{r['command']}: median {r['median']:.3f} s, runs "
              + ", ".join(f"{t:.2f}" for t in r["times"]), file=sys.stderr)


main()

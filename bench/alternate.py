#!/usr/bin/env python3
"""Times commands run in alternation, with a preparation before each run.

usage: alternate.py RUNS PREPARE OUT.json NAME=COMMAND...

Each round runs every command once, in an order that rotates from round to
round, each after PREPARE (a shell command, not timed). Alternating keeps a
slow drift of the machine (caches, the file system's state after thousands
of deletions) from favouring whichever tool hyperfine would run last. The
JSON has hyperfine's shape (`results`: `command`, `times`, `median`,
`stddev`, `user`, `system`), so the same report reads both.

COMMAND is split as a shell would (shlex) and run without a shell, so that
the process timed is the tool itself. Besides wall time and the CPU time of
the whole process tree (`user`, `system`, as hyperfine), each run records
`self_cpu`: the CPU time (user + system) of the tool's own process, without
the commands it ran. For a build of commands that only touch their outputs
this is the scheduling overhead proper: it is read from /proc/PID/stat
while the finished tool is still a zombie (waitid with WNOWAIT), in clock
ticks (10 ms on Linux); elsewhere it is left out.
"""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def own_cpu(pid):
    """User + system seconds of `pid` alone (not its children), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(command):
    start = time.perf_counter()
    proc = subprocess.Popen(shlex.split(command), stdout=subprocess.DEVNULL)
    own = None
    if hasattr(os, "waitid"):
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        own = own_cpu(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"alternate.py: '{command}' failed")
    return wall, usage.ru_utime, usage.ru_stime, own


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
        walls = [w for w, _, _, _ in s]
        own = [o for _, _, _, o in s if o is not None]
        results.append({
            "command": name,
            "times": walls,
            "median": statistics.median(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0,
            "user": statistics.mean(u for _, u, _, _ in s),
            "system": statistics.mean(t for _, _, t, _ in s),
            "self_cpu": own,
            "self_cpu_median": statistics.median(own) if own else None,
        })
    with open(out, "w") as f:
        json.dump({"results": results}, f, indent=1)
    for r in results:
        print(f"{r['command']}: median {r['median']:.3f} s, runs "
              + ", ".join(f"{t:.2f}" for t in r["times"]), file=sys.stderr)
        if r["self_cpu"]:
            print(f"{r['command']}: own CPU median {r['self_cpu_median']:.2f} s, runs "
                  + ", ".join(f"{t:.2f}" for t in r["self_cpu"]), file=sys.stderr)


main()

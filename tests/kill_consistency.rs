//! Crash consistency (issue 7): a generated project of 266 steps (depfiles
//! with and without `deps = gcc`, `restat` steps, a `generator` rule that
//! rewrites `build.ninja`) is changed and rebuilt over and over, and each
//! rebuild is killed with SIGKILL at a seeded random moment. After each
//! kill, the next `n2ref build` must finish and leave exactly the files the
//! project's commands define for the current sources (computed by a model
//! of the commands, checked against a real clean build at the start and at
//! the end), and a further build must do nothing.
//!
//! Two ways to kill: the whole process group (n2ref and its running
//! commands, like a crash of the session), or n2ref alone (its commands run
//! to their end as orphans). Some runs start with logs padded with
//! duplicate records so that they begin by recompacting them, and some are
//! killed within a few milliseconds, while the logs are loaded or
//! rewritten.
//!
//! `cargo test` runs 12 iterations. For the full run:
//!
//! ```sh
//! N2REF_KILL_ITERATIONS=150 cargo test --release --test kill_consistency -- --nocapture
//! ```
//!
//! `N2REF_KILL_SEED` picks another seed; a failure names its seed and
//! iteration, so it reproduces.

// Unix only: the harness kills with SIGKILL and uses process groups.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SOURCES: usize = 120;
const HEADERS: usize = 8;
const GROUP: usize = 10;

/// The generator: prints `build.ninja` for the flags in `config`.
const GEN_SH: &str = r#"#!/bin/sh
# Prints the manifest; the flags come from the file `config`.
printf 'flags = %s\n' "$(cat config)"
cat <<'EOF'
rule regen
  command = sh gen.sh > build.ninja.tmp && mv build.ninja.tmp build.ninja
  generator = 1
build build.ninja: regen gen.sh config
rule cc
  command = printf '%s: %s %s\n' $out $in "$hdrs" > $out.d && cat $in $hdrs > $out && echo '$flags' >> $out
  depfile = $out.d
  deps = gcc
rule ccd
  command = printf '%s: %s %s\n' $out $in "$hdrs" > $out.d && cat $in $hdrs > $out && echo '$flags' >> $out
  depfile = $out.d
rule sig
  command = head -n 1 $in > $out.tmp && if cmp -s $out.tmp $out; then rm $out.tmp; else mv $out.tmp $out; fi
  restat = 1
rule cat
  command = cat $in > $out
EOF
i=0
while [ $i -lt 120 ]; do
  if [ $((i % 2)) -eq 0 ]; then r=cc; else r=ccd; fi
  printf 'build o%d.o: %s s%d.c\n  hdrs = h%d.h h%d.h\n' $i $r $i $((i % 8)) $(((i * 3 + 1) % 8))
  printf 'build s%d.sig: sig o%d.o\n' $i $i
  i=$((i + 1))
done
g=0
all=
objs_all=
while [ $g -lt 12 ]; do
  sigs=
  objs=
  j=0
  while [ $j -lt 10 ]; do
    k=$((g * 10 + j))
    sigs="$sigs s$k.sig"
    objs="$objs o$k.o"
    j=$((j + 1))
  done
  printf 'build libsig%d: cat%s\nbuild libobj%d: cat%s\n' $g "$sigs" $g "$objs"
  all="$all libsig$g"
  objs_all="$objs_all libobj$g"
  g=$((g + 1))
done
printf 'build app: cat%s%s\ndefault app\n' "$all" "$objs_all"
"#;

/// The sources of the project: what the model needs.
#[derive(Clone)]
struct World {
    sources: Vec<String>,
    headers: Vec<String>,
    flags: String,
}

impl World {
    fn initial() -> World {
        World {
            sources: (0..SOURCES).map(|i| format!("src {i} rev 0\n")).collect(),
            headers: (0..HEADERS)
                .map(|k| format!("header {k} rev 0\n"))
                .collect(),
            flags: "v0".into(),
        }
    }

    /// Writes every source file (and `gen.sh`, `config`) into `dir`.
    fn write_all(&self, dir: &Path) {
        std::fs::write(dir.join("gen.sh"), GEN_SH).unwrap();
        std::fs::write(dir.join("config"), format!("{}\n", self.flags)).unwrap();
        for (i, s) in self.sources.iter().enumerate() {
            std::fs::write(dir.join(format!("s{i}.c")), s).unwrap();
        }
        for (k, h) in self.headers.iter().enumerate() {
            std::fs::write(dir.join(format!("h{k}.h")), h).unwrap();
        }
    }

    /// The files a build of this world leaves (besides the sources and
    /// `build.ninja`), by the commands' definitions.
    fn outputs(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut objects = Vec::new();
        let mut sigs = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            let object = format!(
                "{src}{}{}{}\n",
                self.headers[i % 8],
                self.headers[(i * 3 + 1) % 8],
                self.flags
            );
            let sig = format!("{}\n", object.lines().next().unwrap());
            out.insert(format!("o{i}.o"), object.clone().into_bytes());
            out.insert(format!("s{i}.sig"), sig.clone().into_bytes());
            objects.push(object);
            sigs.push(sig);
        }
        let mut app_sigs = String::new();
        let mut app_objs = String::new();
        for g in 0..SOURCES / GROUP {
            let libsig: String = sigs[g * GROUP..(g + 1) * GROUP].concat();
            let libobj: String = objects[g * GROUP..(g + 1) * GROUP].concat();
            app_sigs.push_str(&libsig);
            app_objs.push_str(&libobj);
            out.insert(format!("libsig{g}"), libsig.into_bytes());
            out.insert(format!("libobj{g}"), libobj.into_bytes());
        }
        out.insert("app".into(), format!("{app_sigs}{app_objs}").into_bytes());
        out
    }
}

/// The outputs in `dir`: every file but sources, logs, depfiles and
/// temporary files.
fn outputs_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let skip = name.starts_with(".ninja")
            || name.ends_with(".d")
            || name.ends_with(".tmp")
            || name.ends_with(".c")
            || name.ends_with(".h")
            || ["gen.sh", "config", "build.ninja"].contains(&name.as_str());
        if !skip && entry.metadata().unwrap().is_file() {
            files.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// What `sh gen.sh` prints for the world in `dir`.
fn generated_manifest(dir: &Path) -> Vec<u8> {
    let out = Command::new("sh")
        .arg("gen.sh")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn n2ref(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_n2ref"));
    cmd.args(["build", "-j4"])
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .env_remove("NINJA_STATUS")
        .stdin(Stdio::null());
    cmd
}

/// Builds to the end; returns stdout.
fn build(dir: &Path, label: &str) -> String {
    let out = n2ref(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{label}: build failed:\n{stdout}{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "{label}: n2ref panicked:\n{stderr}"
    );
    stdout
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Processes of process group `pgid` that are not zombies.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ..."; comm may hold spaces.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            members.push(pid);
        }
    }
    members
}

fn wait_for_group(pgid: u32, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !group_members(pgid).is_empty() {
        assert!(Instant::now() < deadline, "{label}: commands did not end");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Appends copies of the logs' records so that the next build starts by
/// recompacting both ([log.build.recompact.auto], [log.deps.recompact]).
fn pad_logs(dir: &Path) {
    let log_path = dir.join(".ninja_log");
    if let Ok(log) = std::fs::read(&log_path) {
        let body_at = log.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut padded = log.clone();
        for _ in 0..4 {
            padded.extend_from_slice(&log[body_at..]);
        }
        std::fs::write(&log_path, padded).unwrap();
    }
    let deps_path = dir.join(".ninja_deps");
    if let Ok(deps) = std::fs::read(&deps_path) {
        let mut records = Vec::new();
        let mut at = 16;
        while at + 4 <= deps.len() {
            let word = u32::from_le_bytes(deps[at..at + 4].try_into().unwrap());
            let end = at + 4 + (word & 0x7fff_ffff) as usize;
            if end > deps.len() {
                break;
            }
            if word & 0x8000_0000 != 0 {
                records.extend_from_slice(&deps[at..end]);
            }
            at = end;
        }
        let mut padded = deps[..at].to_vec();
        for _ in 0..17 {
            padded.extend_from_slice(&records);
        }
        std::fs::write(&deps_path, padded).unwrap();
    }
}

#[derive(Default, Debug)]
struct Stats {
    iterations: usize,
    killed: usize,
    finished_before_kill: usize,
    group_kills: usize,
    early_kills: usize,
    padded: usize,
    regenerations: usize,
    commands_before_kill: usize,
    commands_after_kill: usize,
}

fn count_commands(stdout: &str) -> usize {
    stdout.lines().filter(|l| l.starts_with('[')).count()
}

fn run_harness(seed: u64, iterations: usize) -> Stats {
    let mut rng = Rng(seed | 1);
    let mut stats = Stats::default();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut world = World::initial();
    world.write_all(dir);
    std::fs::write(dir.join("build.ninja"), generated_manifest(dir)).unwrap();

    // A clean build, timed, and the model checked against it.
    let start = Instant::now();
    build(dir, "clean build");
    let full = start.elapsed();
    assert_eq!(
        outputs_in(dir),
        world.outputs(),
        "the model differs from a clean build"
    );
    assert_eq!(build(dir, "no-op"), "ninja: no work to do.\n");

    for iteration in 0..iterations {
        let label = format!("seed {seed:#x} iteration {iteration}");
        // File times have the kernel's tick as resolution: let it pass so
        // that every change is newer than every output.
        std::thread::sleep(Duration::from_millis(12));
        for _ in 0..1 + rng.below(2) {
            let k = rng.below(HEADERS);
            world.headers[k] = format!("header {k} rev {iteration}\n");
        }
        for _ in 0..rng.below(9) {
            let i = rng.below(SOURCES);
            if rng.chance(50) {
                // A new first line: the restat step's output changes.
                world.sources[i] = format!("src {i} rev {iteration}\n");
            } else {
                // A new body line: the restat step leaves its output alone.
                world.sources[i].push_str(&format!("body {iteration}\n"));
            }
        }
        if rng.chance(15) {
            world.flags = format!("v{iteration}");
            stats.regenerations += 1;
        }
        world.write_all_changed(dir);
        if rng.chance(25) {
            pad_logs(dir);
            stats.padded += 1;
        }

        let delay = if rng.chance(10) {
            stats.early_kills += 1;
            Duration::from_micros(rng.below(5000) as u64)
        } else {
            full.mul_f64(rng.below(1000) as f64 / 1000.0 * 0.6)
        };
        let group_kill = rng.chance(50);
        let mut child = n2ref(dir)
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pgid = child.id();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        if finished {
            stats.finished_before_kill += 1;
        } else if group_kill {
            stats.group_kills += 1;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
        } else {
            let _ = child.kill();
        }
        let out = child.wait_with_output().unwrap();
        wait_for_group(pgid, &label);
        if !finished {
            stats.killed += 1;
        }
        let before = String::from_utf8_lossy(&out.stdout);
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{label}: n2ref panicked"
        );
        stats.commands_before_kill += count_commands(&before);

        let after = build(dir, &format!("{label}: build after the kill"));
        stats.commands_after_kill += count_commands(&after);
        assert_eq!(
            std::fs::read(dir.join("build.ninja")).unwrap(),
            generated_manifest(dir),
            "{label}: build.ninja not regenerated"
        );
        let got = outputs_in(dir);
        let expected = world.outputs();
        if got != expected {
            let wrong: Vec<_> = expected
                .keys()
                .filter(|k| got.get(*k) != expected.get(*k))
                .collect();
            panic!(
                "{label}: after the kill ({}), wrong or missing outputs {wrong:?}\nkilled build:\n{before}\nnext build:\n{after}",
                if group_kill { "group" } else { "n2ref only" }
            );
        }
        assert_eq!(
            build(dir, &format!("{label}: third build")),
            "ninja: no work to do.\n",
            "{label}: the build after the recovering one is not a no-op"
        );
        stats.iterations += 1;
    }

    // The same sources built from scratch give the same files.
    let clean = tempfile::tempdir().unwrap();
    world.write_all(clean.path());
    std::fs::write(
        clean.path().join("build.ninja"),
        generated_manifest(clean.path()),
    )
    .unwrap();
    build(clean.path(), "final clean build");
    assert_eq!(
        outputs_in(clean.path()),
        outputs_in(dir),
        "the tree differs from a clean build's"
    );
    stats
}

impl World {
    /// Writes the files whose contents changed.
    fn write_all_changed(&self, dir: &Path) {
        let write = |name: String, data: &str| {
            let path = dir.join(name);
            if std::fs::read(&path).ok().as_deref() != Some(data.as_bytes()) {
                std::fs::write(&path, data).unwrap();
            }
        };
        write("config".into(), &format!("{}\n", self.flags));
        for (i, s) in self.sources.iter().enumerate() {
            write(format!("s{i}.c"), s);
        }
        for (k, h) in self.headers.iter().enumerate() {
            write(format!("h{k}.h"), h);
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map_or(default, |v| {
        let v = v.trim();
        match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        }
        .unwrap_or_else(|_| panic!("{name}: not a number: {v}"))
    })
}

#[test]
fn killed_builds_recover() {
    let iterations = env_number("N2REF_KILL_ITERATIONS", 12) as usize;
    let seed = env_number("N2REF_KILL_SEED", 0x6b69_6c6c_0007);
    let stats = run_harness(seed, iterations);
    eprintln!("kill consistency, seed {seed:#x}: {stats:?}");
    assert_eq!(stats.iterations, iterations);
}

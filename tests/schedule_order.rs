//! Differential test of the order in which edges start and finish
//! (spec/build.md, `build.order.*`): random manifests are built by real
//! ninja 1.13 and by n2ref, and their outputs must be byte-identical.
//!
//! Each case is a seeded random manifest (edges with explicit, implicit
//! and order-only inputs, phony edges with and without inputs, pools of
//! depth 1-3, the console pool, shared inputs, validations, `default`)
//! and runs, in a fresh directory per implementation:
//!
//! 1. `-n` from scratch (every edge dirty);
//! 2. a real `-j1` build (`touch $out`; some cases have failing edges and
//!    a `-k` budget);
//! 3. after a successful build, a source made newer and an output
//!    removed, `-n` again (some wanted edges are now up to date, some
//!    inputs come from the deps log), then the same for real with `-j1`
//!    (`restat` edges leave their outputs alone and clean what follows).
//!
//! Needs ninja 1.13 on PATH; otherwise it prints `SKIPPED: ...` and
//! passes, unless `N2REF_REQUIRE_NINJA` is set. `N2REF_ORDER_CASES` sets
//! the number of cases (default 200), `N2REF_ORDER_SEED` the first seed.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

const SOURCES: usize = 4;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        // xorshift64*
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

/// One random case: the manifest, the command-line targets, the `-k`
/// budget of the real build, and what to disturb before the rebuild.
struct Case {
    manifest: String,
    targets: Vec<String>,
    k: usize,
    fails: bool,
    outputs: Vec<String>,
}

fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let n = 3 + rng.below(22);
    let fails = rng.chance(25);
    let mut m = String::from("rule r\n  command = touch $out\n");
    m += "rule f\n  command = touch $out && false\n";
    // A rule whose depfile names one more input (`$dep`), kept in the
    // deps log, and one that leaves an existing output alone (`restat`).
    m += "rule d\n  command = touch $out && printf '%s: %s\\n' $out $dep > $out.d\n";
    m += "  depfile = $out.d\n  deps = gcc\n";
    m += "rule s\n  command = [ -e $out ] || touch $out\n  restat = 1\n";
    let mut depths = [1; 3];
    for (i, d) in depths.iter_mut().enumerate() {
        *d = 1 + rng.below(3);
        let _ = write!(m, "pool p{i}\n  depth = {d}\n");
    }
    // Names a later edge may read: sources and earlier outputs.
    let mut names: Vec<String> = (0..SOURCES).map(|s| format!("s{s}")).collect();
    let mut outputs = Vec::new();
    for i in 0..n {
        let phony = rng.chance(20);
        let out = format!("o{i}");
        let mut outs = out.clone();
        if !phony && rng.chance(15) {
            let _ = write!(outs, " | o{i}x");
        }
        let mut lists: [Vec<String>; 3] = Default::default();
        let inputs = if phony && rng.chance(40) {
            0
        } else {
            rng.below(5)
        };
        for _ in 0..inputs {
            // Favour recent outputs, so chains grow long.
            let pick = if rng.chance(50) && names.len() > SOURCES {
                names.len() - 1 - rng.below((names.len() - SOURCES).min(4))
            } else {
                rng.below(names.len())
            };
            let kind = match rng.below(10) {
                0..=5 => 0,
                6..=7 => 1,
                _ => 2,
            };
            lists[kind].push(names[pick].clone());
        }
        let rule = if phony {
            "phony"
        } else if fails && rng.chance(12) {
            "f"
        } else {
            match rng.below(10) {
                0 => "d",
                1 => "s",
                _ => "r",
            }
        };
        let _ = write!(m, "build {outs}: {rule} {}", lists[0].join(" "));
        if !lists[1].is_empty() {
            let _ = write!(m, " | {}", lists[1].join(" "));
        }
        if !lists[2].is_empty() {
            let _ = write!(m, " || {}", lists[2].join(" "));
        }
        if i > 0 && rng.chance(5) {
            let _ = write!(m, " |@ o{}", rng.below(i));
        }
        m.push('\n');
        if rule == "d" {
            let _ = writeln!(m, "  dep = {}", names[rng.below(names.len())]);
        }
        if !phony {
            match rng.below(10) {
                0..=1 => m += "  pool = console\n",
                2..=5 => {
                    let _ = writeln!(m, "  pool = p{}", rng.below(3));
                }
                _ => {}
            }
        }
        if !phony {
            outputs.push(out.clone());
        }
        names.push(out);
        if outs.contains('|') {
            names.push(format!("o{i}x"));
        }
    }
    let mut targets = Vec::new();
    match rng.below(3) {
        0 => {}
        1 => {
            let _ = writeln!(m, "default o{} o{}", rng.below(n), rng.below(n));
        }
        _ => {
            for _ in 0..1 + rng.below(3) {
                targets.push(format!("o{}", rng.below(n)));
            }
        }
    }
    Case {
        manifest: m,
        targets,
        k: rng.below(3),
        fails,
        outputs,
    }
}

/// How one implementation is invoked.
#[derive(Clone, Copy)]
enum Tool {
    Ninja,
    N2ref,
}

fn run(tool: Tool, dir: &Path, args: &[&str]) -> String {
    let mut cmd = match tool {
        Tool::Ninja => Command::new("ninja"),
        Tool::N2ref => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_n2ref"));
            c.arg("build");
            c
        }
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .env_remove("NINJA_STATUS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the build tool");
    let mut text = String::new();
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let _ = writeln!(text, "--- {name}");
        for line in String::from_utf8_lossy(bytes).lines() {
            let line = line
                .strip_prefix("n2ref: ")
                .map_or(line.to_string(), |rest| format!("ninja: {rest}"));
            text += &line;
            text.push('\n');
        }
    }
    let _ = writeln!(text, "--- exit {:?}", out.status.code());
    text
}

/// Runs every step of a case with `tool` in a fresh directory; returns the
/// transcript.
fn transcript(case: &Case, tool: Tool, seed: u64) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("build.ninja"), &case.manifest).unwrap();
    for s in 0..SOURCES {
        std::fs::write(d.join(format!("s{s}")), "").unwrap();
    }
    let targets: Vec<&str> = case.targets.iter().map(String::as_str).collect();
    let mut text = String::new();
    let mut args = vec!["-n"];
    args.extend(&targets);
    text += &run(tool, d, &args);
    let k = case.k.to_string();
    let mut args = vec!["-j1", "-k", &k];
    args.extend(&targets);
    let real = run(tool, d, &args);
    let succeeded = real.ends_with("--- exit Some(0)\n");
    text += &real;
    if succeeded && !case.fails {
        // Disturb the built tree: a newer source, a missing output.
        let mut rng = Rng::new(seed ^ 0x5eed);
        let future = SystemTime::now() + Duration::from_secs(100);
        let source = d.join(format!("s{}", rng.below(SOURCES)));
        let f = std::fs::File::options().write(true).open(source).unwrap();
        f.set_modified(future).unwrap();
        if !case.outputs.is_empty() && rng.chance(60) {
            let out = &case.outputs[rng.below(case.outputs.len())];
            let _ = std::fs::remove_file(d.join(out));
        }
        let mut args = vec!["-n"];
        args.extend(&targets);
        text += &run(tool, d, &args);
        // The same for real: restat edges now clean what is downstream.
        let mut args = vec!["-j1"];
        args.extend(&targets);
        text += &run(tool, d, &args);
    }
    text
}

fn real_ninja() -> bool {
    common::ninja_on_path("start order compared with ninja")
}

/// Runs one case; `Err` holds a report of the first difference.
fn check(seed: u64) -> Result<(), String> {
    let case = generate(seed);
    let ninja = transcript(&case, Tool::Ninja, seed);
    let n2ref = transcript(&case, Tool::N2ref, seed);
    if ninja == n2ref {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(&ninja, &n2ref)
        .unified_diff()
        .header("ninja", "n2ref")
        .to_string();
    Err(format!(
        "seed {seed}: outputs differ\n--- manifest\n{}targets: {:?}, -k {}\n{diff}",
        case.manifest, case.targets, case.k
    ))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn start_order_matches_ninja() {
    if !real_ninja() {
        return;
    }
    let cases = env_u64("N2REF_ORDER_CASES", 200);
    let first = env_u64("N2REF_ORDER_SEED", 1);
    let threads = 4;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut failed = Vec::new();
                    let mut seed = first + t;
                    while seed < first + cases {
                        if let Err(report) = check(seed) {
                            failed.push(report);
                        }
                        seed += threads;
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ; the first:\n{}",
        failures.len(),
        failures.first().map_or("", String::as_str)
    );
}

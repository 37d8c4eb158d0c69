//! Interoperation of n2ref's `.ninja_log` / `.ninja_deps` code with real
//! ninja 1.13 (spec/logs.md): logs written by a real build are read back by
//! n2ref, and logs written by n2ref are accepted by real ninja.
//!
//! Needs `ninja` (1.13) on PATH; otherwise every test prints
//! `SKIPPED: real ninja not found` and passes.
//!
//! Unix only: the builds run shell command lines (printf, cat, &&).
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use n2ref::build_log::{self, BuildLog, LogEntry};
use n2ref::deps_log::{self, DepsLog, FileAction};
use n2ref::hash::command_hash;

const MANIFEST: &str = "rule cc
  command = printf '%s: %s h.h\\n' $out $in > $out.d && cat $in > $out
  depfile = $out.d
  deps = gcc
build out.o: cc in.c
build b.o: cc in.c
";

/// Whether a ninja 1.13 is on PATH.
fn real_ninja() -> bool {
    common::ninja_on_path("log interoperability with ninja")
}

fn ninja(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("ninja")
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("NINJA_STATUS")
        .output()
        .expect("run ninja");
    assert!(
        out.status.success(),
        "ninja {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The evaluated command of the edge producing `output`, from `-t commands`.
fn command_of(dir: &Path, output: &str) -> Vec<u8> {
    let out = ninja(dir, &["-t", "commands", "-s", output]);
    let mut text = out.stdout;
    assert_eq!(text.pop(), Some(b'\n'));
    text
}

fn mtime_ns(path: &Path) -> i64 {
    let t = std::fs::metadata(path).unwrap().modified().unwrap();
    t.duration_since(UNIX_EPOCH).unwrap().as_nanos() as i64
}

fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("build.ninja"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("in.c"), "int x;\n").unwrap();
    std::fs::write(dir.path().join("h.h"), "int y;\n").unwrap();
    dir
}

#[test]
fn reads_logs_written_by_real_ninja() {
    if !real_ninja() {
        return;
    }
    let dir = setup();
    let d = dir.path();
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    ninja(d, &[]);

    let (log, warning) = BuildLog::load(&d.join(build_log::FILE_NAME)).unwrap();
    assert_eq!(warning, None);
    let log = log.expect("ninja wrote .ninja_log");
    assert_eq!(log.entries.len(), 2);
    assert!(!log.needs_recompaction);
    for output in ["out.o", "b.o"] {
        let entry = log.lookup(output.as_bytes()).expect(output);
        let command = command_of(d, output);
        assert_eq!(
            entry.command_hash,
            command_hash(&command),
            "hash of {}",
            String::from_utf8_lossy(&command)
        );
        assert!(entry.start_ms <= entry.end_ms);
        // The recorded mtime is the command's start time ([log.build.mtime]).
        assert!(entry.mtime >= before - 2_000_000_000, "{entry:?}");
        assert!(entry.mtime <= mtime_ns(&d.join(output)), "{entry:?}");
    }

    let result = DepsLog::load(&d.join(deps_log::FILE_NAME))
        .unwrap()
        .expect("ninja wrote .ninja_deps");
    assert_eq!(result.warning, None);
    assert_eq!(result.action, FileAction::Keep);
    for output in ["out.o", "b.o"] {
        assert_eq!(
            result.log.input_paths(output.as_bytes()),
            Some(vec![&b"in.c"[..], b"h.h"]),
            "{output}"
        );
        assert_eq!(
            result.log.get(output.as_bytes()).unwrap().mtime,
            mtime_ns(&d.join(output))
        );
    }
}

#[test]
fn real_ninja_reads_logs_written_by_n2ref() {
    if !real_ninja() {
        return;
    }
    let dir = setup();
    let d = dir.path();
    for input in ["in.c", "h.h"] {
        set_mtime(&d.join(input), 1_000_000);
    }
    let mut deps = DepsLog::default();
    let mut deps_bytes = Vec::new();
    for output in ["out.o", "b.o"] {
        let path = d.join(output);
        std::fs::write(&path, "int x;\n").unwrap();
        set_mtime(&path, 2_000_000);
        let mtime = mtime_ns(&path);
        deps_bytes.extend(
            deps.record(output.as_bytes(), mtime, &[b"in.c", b"h.h"])
                .unwrap(),
        );
        let entry = LogEntry {
            start_ms: 1,
            end_ms: 2,
            mtime,
            command_hash: command_hash(&command_of(d, output)),
        };
        build_log::append_entry(&d.join(build_log::FILE_NAME), output.as_bytes(), &entry).unwrap();
    }
    deps_log::append(&d.join(deps_log::FILE_NAME), &deps_bytes).unwrap();

    let shown = ninja(d, &["-t", "deps", "out.o"]);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout),
        "out.o: #deps 2, deps mtime 2000000000000000 (VALID)\n    in.c\n    h.h\n\n"
    );
    let dry = ninja(d, &["-n", "-d", "explain"]);
    assert_eq!(
        String::from_utf8_lossy(&dry.stdout),
        "ninja: no work to do.\n",
        "stderr: {}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        dry.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );

    // Touching a discovered dependency (known only from our deps log) makes
    // both outputs dirty.
    set_mtime(&d.join("h.h"), 3_000_000);
    let dry = ninja(d, &["-n"]);
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("[2/2]"), "{text}");

    // A compacted rewrite by n2ref is accepted too.
    set_mtime(&d.join("h.h"), 1_000_000);
    let path = d.join(build_log::FILE_NAME);
    let (log, _) = BuildLog::load(&path).unwrap();
    log.unwrap().write_compacted(&path, |_| false).unwrap();
    let dry = ninja(d, &["-n"]);
    assert_eq!(
        String::from_utf8_lossy(&dry.stdout),
        "ninja: no work to do.\n"
    );
}

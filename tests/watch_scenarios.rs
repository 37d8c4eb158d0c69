//! Watch mode scenarios (spec/watch.md): each starts a real
//! `n2ref build --watch --watch-events FILE` in a temporary directory,
//! changes files the way people and editors do, and waits on the JSON
//! events (never on sleeps alone) to assert exactly which steps ran.
//!
//! The rules' commands are POSIX shell, so the scenarios run on Unix.
//!
//! Unix only: the builds run shell command lines (cat, echo, sed).
//!
//! Each scenario runs with the platform's default backend; on Linux, where
//! that is inotify called directly, `notify_backend::*` runs each again
//! with the portable `notify` backend (`N2REF_WATCH_BACKEND=notify`), the
//! one macOS and Windows use.
#![cfg(unix)]

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

thread_local! {
    /// The backend this test's sessions use (`N2REF_WATCH_BACKEND`);
    /// `None`: the default.
    static BACKEND: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// How long any one expected event may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A `cc`-like rule: copies its input, records its output in `ran.txt`,
/// and writes a depfile listing the `#include LINE`s of its input.
const PRELUDE: &str = "\
rule cc
  command = cat $in > $out && echo $out >> ran.txt && printf '%s: %s %s\\n' $out $in \"$$(sed -n 's/^#include //p' $in | tr '\\n' ' ')\" > $out.d
  depfile = $out.d
rule slow
  command = sleep 0.6 && cat $in > $out && echo $out >> ran.txt
";

/// One running watch session.
struct Session {
    dir: tempfile::TempDir,
    child: Child,
    events: PathBuf,
    /// Events read so far.
    seen: Vec<Value>,
    /// Bytes of the events file consumed.
    consumed: usize,
}

impl Session {
    /// Writes `manifest` (after the prelude) and `files`, then starts
    /// `n2ref build --watch` with `args`.
    fn start(manifest: &str, files: &[(&str, &str)], args: &[&str]) -> Session {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("build.ninja"),
            format!("{PRELUDE}{manifest}"),
        )
        .unwrap();
        for (path, text) in files {
            write(&dir.path().join(path), text);
        }
        let events = dir.path().join("events.jsonl");
        let mut command = Command::new(env!("CARGO_BIN_EXE_n2ref"));
        match BACKEND.get() {
            Some(backend) => command.env("N2REF_WATCH_BACKEND", backend),
            None => command.env_remove("N2REF_WATCH_BACKEND"),
        };
        let child = command
            .args(["build", "--watch", "--watch-events"])
            .arg(&events)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Session {
            dir,
            child,
            events,
            seen: Vec::new(),
            consumed: 0,
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn write(&self, p: &str, text: &str) {
        write(&self.path(p), text);
    }

    /// Reads events until one satisfies `want`; returns the events read
    /// in the meantime, that one included.
    fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let mut batch = Vec::new();
        loop {
            let text = fs::read(&self.events).unwrap_or_default();
            while let Some(end) = text[self.consumed..].iter().position(|&b| b == b'\n') {
                let line = &text[self.consumed..self.consumed + end];
                self.consumed += end + 1;
                let event: Value = serde_json::from_slice(line).unwrap();
                self.seen.push(event.clone());
                batch.push(event.clone());
                if want(&event) {
                    return batch;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "n2ref exited ({status}) waiting for {what}; events: {:#?}",
                    self.seen
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; events: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for build `n` to end and the watches after it to be in place;
    /// returns the `build_end` event and all events of the wait.
    fn build(&mut self, n: u64) -> (Value, Vec<Value>) {
        let events = self.until(&format!("build {n} to end"), |e| {
            e["event"] == "build_end" && e["build"] == n
        });
        let end = events.last().unwrap().clone();
        let mut all = events;
        all.extend(self.until("watches after the build", |e| e["event"] == "watching"));
        (end, all)
    }

    /// The steps `ran.txt` lists since the last call (and empties it).
    fn ran(&self) -> Vec<String> {
        let path = self.path("ran.txt");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let _ = fs::remove_file(&path);
        text.lines().map(str::to_string).collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

fn steps(end: &Value) -> Vec<String> {
    let mut steps: Vec<String> = end["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    steps.sort();
    steps
}

fn changes(events: &[Value]) -> Vec<String> {
    let mut paths: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "changes")
        .flat_map(|e| e["paths"].as_array().unwrap().clone())
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const TWO: &str = "\
build out/a.o: cc src/a.c
build out/b.o: cc src/b.c
";

fn two() -> Session {
    let mut s = Session::start(TWO, &[("src/a.c", "a\n"), ("src/b.c", "b\n")], &[]);
    let (end, _) = s.build(1);
    assert_eq!(end["result"], "succeeded");
    assert_eq!(steps(&end), ["out/a.o", "out/b.o"]);
    assert_eq!(sorted(s.ran()), ["out/a.o", "out/b.o"]);
    s
}

/// Edits `src/b.c` and waits for the build it starts: a barrier showing
/// that whatever came before it started no build of its own.
fn barrier(s: &mut Session, n: u64) {
    std::thread::sleep(Duration::from_millis(150));
    s.write("src/b.c", &format!("b {n}\n"));
    let (end, events) = s.build(n);
    assert_eq!(changes(&events), ["src/b.c"], "{events:#?}");
    assert_eq!(steps(&end), ["out/b.o"]);
    assert_eq!(s.ran(), ["out/b.o"]);
}

#[test]
fn edit_a_source() {
    let mut s = two();
    s.write("src/a.c", "a2\n");
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["src/a.c"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
}

#[test]
fn touch_without_change_starts_no_build() {
    let mut s = two();
    let a = fs::File::options()
        .write(true)
        .open(s.path("src/a.c"))
        .unwrap();
    let mtime = a.metadata().unwrap().modified().unwrap();
    a.set_modified(mtime).unwrap();
    drop(a);
    // Opening and reading are not changes either.
    let _ = fs::read(s.path("src/a.c")).unwrap();
    barrier(&mut s, 2);
}

#[test]
fn atomic_save_by_rename() {
    let mut s = two();
    s.write("src/.a.c.tmp1234", "a2\n");
    fs::rename(s.path("src/.a.c.tmp1234"), s.path("src/a.c")).unwrap();
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["src/a.c"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
}

#[test]
fn vim_save_sequence() {
    let mut s = two();
    // vim: swap file, write test file, backup by rename, write, drop backup.
    s.write("src/.a.c.swp", "swap");
    s.write("src/4913", "");
    fs::remove_file(s.path("src/4913")).unwrap();
    fs::rename(s.path("src/a.c"), s.path("src/a.c~")).unwrap();
    s.write("src/a.c", "a2\n");
    fs::remove_file(s.path("src/a.c~")).unwrap();
    s.write("src/.a.c.swp", "swap2");
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["src/a.c"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
    // Editing the swap file again starts nothing.
    s.write("src/.a.c.swp", "swap3");
    fs::remove_file(s.path("src/.a.c.swp")).unwrap();
    barrier(&mut s, 3);
}

#[test]
fn header_found_through_a_depfile_then_edited() {
    let mut s = two();
    s.write("inc/new.h", "h1\n");
    s.write("src/a.c", "a2\n#include inc/new.h\n");
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["src/a.c"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
    // inc/ is watched now, through out/a.o.d.
    s.write("inc/new.h", "h2\n");
    let (end, events) = s.build(3);
    assert_eq!(changes(&events), ["inc/new.h"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
}

#[test]
fn header_in_the_deps_log_is_watched() {
    let manifest = "\
rule ccd
  command = cat $in > $out && echo $out >> ran.txt && printf '%s: %s inc/h.h\\n' $out $in > $out.d
  depfile = $out.d
  deps = gcc
build out/a.o: ccd src/a.c
build out/b.o: cc src/b.c
";
    let files = [("src/a.c", "a\n"), ("src/b.c", "b\n"), ("inc/h.h", "h\n")];
    let mut s = Session::start(manifest, &files, &[]);
    let (end, _) = s.build(1);
    assert_eq!(steps(&end), ["out/a.o", "out/b.o"]);
    assert!(
        !s.path("out/a.o.d").exists(),
        "deps = gcc removes the depfile"
    );
    s.ran();
    s.write("inc/h.h", "h2\n");
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["inc/h.h"]);
    assert_eq!(steps(&end), ["out/a.o"]);
    assert_eq!(s.ran(), ["out/a.o"]);
}

#[test]
fn mkdir_p_of_a_new_nested_source_dir() {
    let manifest = "build out/n.o: cc src/new/deep/n.c\n";
    let mut s = Session::start(manifest, &[], &[]);
    let (end, _) = s.build(1);
    assert_eq!(end["result"], "failed");
    assert_eq!(steps(&end), Vec::<String>::new());
    s.write("src/new/deep/n.c", "n\n");
    let (end, events) = s.build(2);
    assert!(
        changes(&events).contains(&"src/new/deep/n.c".to_string()),
        "{events:#?}"
    );
    assert_eq!(end["result"], "succeeded");
    assert_eq!(steps(&end), ["out/n.o"]);
    assert_eq!(s.ran(), ["out/n.o"]);
    s.write("src/new/deep/n.c", "n2\n");
    let (end, events) = s.build(3);
    assert_eq!(changes(&events), ["src/new/deep/n.c"]);
    assert_eq!(steps(&end), ["out/n.o"]);
}

#[test]
fn editing_the_manifest_adds_a_target() {
    let mut s = two();
    s.write("src/c.c", "c\n");
    let manifest = format!("{PRELUDE}{TWO}build out/c.o: cc src/c.c\n");
    s.write("build.ninja", &manifest);
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["build.ninja"]);
    assert_eq!(steps(&end), ["out/c.o"]);
    assert_eq!(s.ran(), ["out/c.o"]);
    // The new source is watched.
    s.write("src/c.c", "c2\n");
    let (end, _) = s.build(3);
    assert_eq!(steps(&end), ["out/c.o"]);
}

#[test]
fn deleting_and_recreating_a_watched_dir() {
    let manifest = format!("{TWO}build out/s.o: cc sub/s.c\n");
    let files = [("src/a.c", "a\n"), ("src/b.c", "b\n"), ("sub/s.c", "s\n")];
    let mut s = Session::start(&manifest, &files, &[]);
    s.build(1);
    s.ran();
    fs::remove_dir_all(s.path("sub")).unwrap();
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["sub/s.c"]);
    assert_eq!(end["result"], "failed", "sub/s.c is missing");
    s.write("sub/s.c", "s2\n");
    let (end, events) = s.build(3);
    assert!(
        changes(&events).contains(&"sub/s.c".to_string()),
        "{events:#?}"
    );
    assert_eq!(steps(&end), ["out/s.o"]);
    assert_eq!(s.ran(), ["out/s.o"]);
    // The new directory is watched.
    s.write("sub/s.c", "s3\n");
    let (end, _) = s.build(4);
    assert_eq!(steps(&end), ["out/s.o"]);
}

#[test]
fn a_rule_writing_into_the_source_tree_does_not_loop() {
    let manifest = format!(
        "{TWO}rule gen\n  command = cat $in > $out && echo $out >> ran.txt\n\
         build src/gen.c: gen src/gen.in\nbuild out/gen.o: cc src/gen.c\n"
    );
    let files = [
        ("src/a.c", "a\n"),
        ("src/b.c", "b\n"),
        ("src/gen.in", "g\n"),
    ];
    let mut s = Session::start(&manifest, &files, &[]);
    s.build(1);
    s.ran();
    s.write("src/gen.in", "g2\n");
    let (end, events) = s.build(2);
    assert_eq!(changes(&events), ["src/gen.in"]);
    assert_eq!(steps(&end), ["out/gen.o", "src/gen.c"]);
    s.ran();
    // Writing src/gen.c and out/gen.o.d started nothing: the next build is
    // the barrier's.
    barrier(&mut s, 3);
}

const SLOW: &str = "\
build out/s1: slow src/a.c
build out/s2: slow src/a.c
build out/b.o: cc src/b.c
";

fn slow(args: &[&str]) -> Session {
    let files = [("src/a.c", "a\n"), ("src/b.c", "b\n")];
    let mut all = vec!["-j1"];
    all.extend(args);
    let mut s = Session::start(SLOW, &files, &all);
    s.build(1);
    s.ran();
    s.write("src/a.c", "a2\n");
    s.until("build 2 to start", |e| {
        e["event"] == "build_start" && e["build"] == 2
    });
    std::thread::sleep(Duration::from_millis(100));
    s.write("src/b.c", "b2\n");
    s
}

#[test]
fn a_change_during_a_build_rebuilds_after_it() {
    let mut s = slow(&[]);
    let (end, _) = s.build(2);
    assert_eq!(end["result"], "succeeded");
    assert_eq!(steps(&end), ["out/s1", "out/s2"]);
    let (end, _) = s.build(3);
    assert_eq!(steps(&end), ["out/b.o"]);
    assert_eq!(sorted(s.ran()), ["out/b.o", "out/s1", "out/s2"]);
}

#[test]
fn a_change_during_a_build_restarts_it() {
    let mut s = slow(&["--watch-restart"]);
    let (end, _) = s.build(2);
    assert_eq!(end["result"], "interrupted");
    // The step running when the change came (out/s1, sleeping) was
    // stopped, so it is not a finished step; the other never started.
    assert_eq!(steps(&end), Vec::<String>::new(), "{end}");
    let (end, _) = s.build(3);
    assert_eq!(end["result"], "succeeded");
    assert_eq!(steps(&end), ["out/b.o", "out/s1", "out/s2"]);
}

#[test]
fn a_burst_of_writes_builds_once() {
    let mut manifest = String::new();
    let mut files = Vec::new();
    for i in 0..10 {
        manifest.push_str(&format!("build out/{i}.o: cc src/{i}.c\n"));
        files.push((format!("src/{i}.c"), format!("{i}\n")));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut s = Session::start(&manifest, &files, &["--debounce", "100"]);
    s.build(1);
    s.ran();
    for n in 0..1000 {
        s.write(&format!("src/{}.c", n % 10), &format!("{n}\n"));
        if n % 50 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let (end, events) = s.build(2);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "build_start")
            .count(),
        1
    );
    let want: Vec<String> = (0..10).map(|i| format!("out/{i}.o")).collect();
    assert_eq!(steps(&end), sorted(want.clone()));
    assert_eq!(sorted(s.ran()), sorted(want));
    // And nothing after it.
    std::thread::sleep(Duration::from_millis(250));
    assert!(
        !fs::read_to_string(&s.events)
            .unwrap()
            .contains("\"build\":3"),
        "{:#?}",
        s.seen
    );
}

/// Every scenario again with the `notify` backend (on Linux the default is
/// inotify called directly; see the module's comment).
#[cfg(target_os = "linux")]
mod notify_backend {
    macro_rules! with_notify {
        ($($name:ident),* $(,)?) => {
            $(
                #[test]
                fn $name() {
                    super::BACKEND.set(Some("notify"));
                    super::$name();
                }
            )*
        };
    }

    with_notify!(
        edit_a_source,
        touch_without_change_starts_no_build,
        atomic_save_by_rename,
        vim_save_sequence,
        header_found_through_a_depfile_then_edited,
        header_in_the_deps_log_is_watched,
        mkdir_p_of_a_new_nested_source_dir,
        editing_the_manifest_adds_a_target,
        deleting_and_recreating_a_watched_dir,
        a_rule_writing_into_the_source_tree_does_not_loop,
        a_change_during_a_build_rebuilds_after_it,
        a_change_during_a_build_restarts_it,
        a_burst_of_writes_builds_once,
    );
}

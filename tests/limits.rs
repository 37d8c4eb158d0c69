//! Resource limits (issue 7): `n2ref build` under a small descriptor limit,
//! with an edge of 100,000 inputs, with 4,000-byte paths, with a command
//! printing 100 MB, with outputs on a read-only file system and on a full
//! disk. Each must end in a clear message (a `FAILED:` command, `ninja:
//! error:` or `ninja: build stopped:`), never a panic or a hang; the logs
//! must load afterwards, and once the limit is lifted the next build must
//! finish the work and the one after must do nothing.
//!
//! The read-only and full-disk scenarios mount a tmpfs in a private mount
//! namespace (`unshare --user --map-root-user --mount`), since the tests
//! run as root, which ignores file permissions. Where `unshare` cannot do
//! that, they print `skipping: ...` and pass. Where real ninja 1.13 is on
//! PATH, some scenarios also run it to check the comparison in
//! fuzz/README.md ("Limits"); without it they print `SKIPPED: ...` (and
//! fail when N2REF_REQUIRE_NINJA is set).
//!
//! Unix only: `ulimit`, `unshare`, tmpfs and shell command lines.
#![cfg(unix)]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use n2ref::build_log::{self, BuildLog};
use n2ref::deps_log::{self, DepsLog};

fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

const N2REF: &str = env!("CARGO_BIN_EXE_n2ref");

/// The real ninja 1.13 to compare with, if any.
fn real_ninja() -> Option<PathBuf> {
    common::real_ninja("comparison with ninja; only n2ref was checked")
}

/// What a run gave.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// No panic, no Rust backtrace.
    fn assert_no_panic(&self, what: &str) {
        let all = format!("{}{}", self.out(), self.stderr);
        assert!(
            !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
            "{what}: n2ref panicked:\n{}",
            tail(&all)
        );
    }
}

/// The end of a long text, for assertion messages.
fn tail(text: &str) -> String {
    let start = text.len().saturating_sub(3000);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_string()
}

/// Runs `sh -c SCRIPT` in `dir` with `$N` set to `n2ref build` and `$NINJA`
/// to real ninja (if any), the build environment of the conformance suite,
/// stdout and stderr in files; fails the test if it runs longer than
/// `limit` (a hang).
fn sh(dir: &Path, script: &str, limit: Duration) -> Run {
    let out_path = dir.join("..").join(format!(
        "{}.stdout",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let stdout = std::fs::File::create(&out_path).unwrap();
    let stderr_path = out_path.with_extension("stderr");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("N", format!("{N2REF} build"))
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .env_remove("NINJA_STATUS")
        .env_remove("MAKEFLAGS")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            // SAFETY: plain system call on the group the child leads.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            panic!(
                "hang: `{script}` still ran after {limit:?}\nstdout: {}",
                tail(&String::from_utf8_lossy(
                    &std::fs::read(&out_path).unwrap_or_default()
                ))
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = std::fs::read(&out_path).unwrap();
    let stderr = String::from_utf8_lossy(&std::fs::read(&stderr_path).unwrap()).into_owned();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&stderr_path);
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

use std::os::unix::process::CommandExt;

/// Loads the logs in `dir` as a build would; fails on an error. Returns
/// the outputs the build log knows, sorted, and the deps log (if any).
fn load_logs(dir: &Path) -> (Vec<String>, Option<DepsLog>) {
    let (log, _warning) = BuildLog::load(&dir.join(build_log::FILE_NAME))
        .unwrap_or_else(|e| panic!("{}: .ninja_log does not load: {e}", dir.display()));
    let mut outputs: Vec<String> = log
        .map(|l| {
            l.entries
                .keys()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect()
        })
        .unwrap_or_default();
    outputs.sort();
    let deps = DepsLog::load(&dir.join(deps_log::FILE_NAME))
        .unwrap_or_else(|e| panic!("{}: .ninja_deps does not load: {e}", dir.display()))
        .map(|r| r.log);
    (outputs, deps)
}

/// `n2ref build ARGS` in `dir`, with normal limits.
fn n2ref(dir: &Path, args: &str) -> Run {
    let run = sh(dir, &format!("exec $N {args}"), Duration::from_secs(60));
    run.assert_no_panic(args);
    run
}

fn assert_no_op(dir: &Path, args: &str) {
    let run = n2ref(dir, args);
    assert_eq!(
        (run.code, run.out()),
        (0, "ninja: no work to do.\n".to_string()),
        "{}: the build after the fault should do nothing; stderr: {}",
        dir.display(),
        run.stderr
    );
}

/// Whether a private mount namespace with a tmpfs can be made here.
fn unshare_works(base: &Path) -> bool {
    let probe = base.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let ok = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs -o size=64k tmpfs probe && mount -o remount,ro probe")
        .current_dir(base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        say(
            "skipping: `unshare --user --map-root-user --mount` cannot mount a tmpfs here; \
             the read-only and full-disk scenarios need it",
        );
    }
    ok
}

/// Runs `script` with `sh -e` in a private mount namespace, in `dir`;
/// steps save what they need to check into files (the namespace's mounts
/// are gone afterwards).
fn in_namespace(dir: &Path, script: &str) -> Run {
    sh(
        dir,
        &format!(
            "exec unshare --user --map-root-user --mount sh -e -c '{}'",
            script.replace('\'', r"'\''")
        ),
        Duration::from_secs(60),
    )
}

/// A step of a namespace script: runs COMMAND in a subshell with its stdout, stderr and
/// exit status saved as `r/NAME.out`, `r/NAME.err`, `r/NAME.rc`.
fn step(name: &str, command: &str) -> String {
    format!(
        "( {command} ) > r/{name}.out 2> r/{name}.err && echo 0 > r/{name}.rc || echo $? > r/{name}.rc\n"
    )
}

/// A saved step.
fn saved(dir: &Path, name: &str) -> Run {
    let read = |ext: &str| std::fs::read(dir.join("r").join(format!("{name}.{ext}")));
    let code = String::from_utf8(read("rc").unwrap_or_else(|_| panic!("step {name} did not run")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let run = Run {
        code,
        stdout: read("out").unwrap(),
        stderr: String::from_utf8_lossy(&read("err").unwrap()).into_owned(),
    };
    run.assert_no_panic(name);
    run
}

/// n2ref's and ninja's saved steps printed the same and ended the same.
fn same_steps(n2ref_dir: &Path, ninja_dir: &Path, steps: &[&str]) {
    for name in steps {
        let (ours, theirs) = (saved(n2ref_dir, name), saved(ninja_dir, name));
        assert_eq!(
            (ours.code, ours.out(), &ours.stderr),
            (theirs.code, theirs.out(), &theirs.stderr),
            "step {name}: n2ref (left) and ninja 1.13 (right) differ"
        );
    }
}

// ---------------------------------------------------------------------------
// 1. A descriptor limit below what -j needs.

/// 200 small steps.
fn many_steps() -> String {
    let mut m = String::from("rule r\n  command = sleep 0.05; echo $out > $out\n");
    for i in 0..200 {
        m.push_str(&format!("build o{i}: r\n"));
    }
    m
}

fn count_outputs(dir: &Path) -> usize {
    (0..200)
        .filter(|i| {
            std::fs::read(dir.join(format!("o{i}")))
                .is_ok_and(|c| c == format!("o{i}\n").as_bytes())
        })
        .count()
}

#[test]
fn descriptor_limit_with_many_jobs() {
    let base = tempfile::tempdir().unwrap();
    // (ulimit -n, -j): the first is the issue's scenario (enough for 50
    // commands at once); the second needs n2ref to run fewer commands at
    // once (spec: [build.process.fd-limit]), where ninja stops with
    // `ninja: fatal: pipe: Too many open files`.
    for (limit, jobs) in [(64, 50), (24, 40)] {
        let dir = base.path().join(format!("n{limit}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("build.ninja"), many_steps()).unwrap();
        let run = sh(
            &dir,
            &format!("ulimit -n {limit}; exec $N -j{jobs}"),
            Duration::from_secs(30),
        );
        run.assert_no_panic("ulimit");
        assert_eq!(
            run.code,
            0,
            "ulimit -n {limit}, -j{jobs}: {}\n{}",
            tail(&run.out()),
            run.stderr
        );
        assert_eq!(count_outputs(&dir), 200);
        let (logged, _) = load_logs(&dir);
        assert_eq!(logged.len(), 200);
        assert_no_op(&dir, "");
    }

    // So few descriptors that the shell itself cannot redirect: the
    // commands fail with their own message, the build stops cleanly, and
    // the next build (normal limits) does the rest.
    let dir = base.path().join("n10");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("build.ninja"), many_steps()).unwrap();
    let run = sh(&dir, "ulimit -n 10; exec $N -j50", Duration::from_secs(30));
    run.assert_no_panic("ulimit 10");
    assert_ne!(run.code, 0);
    assert!(
        run.out().contains("FAILED: ") && run.out().contains("ninja: build stopped: "),
        "{}",
        tail(&run.out())
    );
    load_logs(&dir);
    let run = n2ref(&dir, "-j50");
    assert_eq!(run.code, 0, "{}", tail(&run.out()));
    assert_eq!(count_outputs(&dir), 200);
    assert_no_op(&dir, "");

    if let Some(ninja) = real_ninja() {
        let dir = base.path().join("ninja");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("build.ninja"), many_steps()).unwrap();
        let run = sh(
            &dir,
            &format!("ulimit -n 24; exec {} -j40", ninja.display()),
            Duration::from_secs(30),
        );
        // ninja 1.13 gives up; its running commands are left to finish.
        assert_eq!(run.code, 1, "{}", run.out());
        assert!(
            run.stderr
                .contains("ninja: fatal: pipe: Too many open files"),
            "{}",
            run.stderr
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

// ---------------------------------------------------------------------------
// 2. An edge with 100,000 inputs.

const INPUTS: usize = 100_000;

/// A temp dir on a tmpfs when there is one: creating 100,000 files takes
/// 20 s on this machine's disk, 2 s on `/dev/shm`.
fn fast_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("n2ref-limits")
        .tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

/// A build directory with 100,000 empty files `d/in000000`...; their names.
fn hundred_thousand_files(base: &Path) -> (PathBuf, Vec<String>) {
    let dir = base.join("w");
    std::fs::create_dir_all(dir.join("d")).unwrap();
    let mut names = Vec::with_capacity(INPUTS);
    for i in 0..INPUTS {
        let name = format!("d/in{i:06}");
        std::fs::File::create(dir.join(&name)).unwrap();
        names.push(name);
    }
    (dir, names)
}

/// The outline both 100,000-input tests share: in `dir` (made by
/// [`hundred_thousand_files`], manifest written), the first build runs the
/// one step (status line `line`) and logs `target`; the next build is a
/// no-op; a change to the last input reruns the step, and then nothing is
/// left to do. The work is linear in the number of inputs: quadratic work
/// would turn each of these builds into minutes.
fn build_change_rebuild(dir: &Path, target: &str, line: &str) {
    let run = n2ref(dir, "");
    assert_eq!(
        (run.code, run.out()),
        (0, line.to_string()),
        "{}",
        run.stderr
    );
    assert_eq!(load_logs(dir).0, [target]);
    assert_no_op(dir, "");
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.join("d/in099999"), "x").unwrap();
    assert_eq!(n2ref(dir, "").out(), line);
    assert_no_op(dir, "");
}

/// `n2ref ARGS` in `dir` succeeds and prints `lines` lines.
fn assert_line_count(dir: &Path, args: &str, lines: usize) {
    let run = n2ref(dir, args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.out().lines().count(), lines, "{}", tail(&run.out()));
}

#[test]
fn edge_with_100000_inputs() {
    let base = fast_tempdir();
    let (dir, names) = hundred_thousand_files(base.path());
    // The command line would exceed the system's limit for one argument
    // (128 KiB), so the inputs go through a response file.
    std::fs::write(
        dir.join("build.ninja"),
        format!(
            "rule r\n  command = wc -w < $out.rsp > $out\n  rspfile = $out.rsp\n  \
             rspfile_content = $in\n  description = R $out\nbuild out: r {}\n",
            names.join(" ")
        ),
    )
    .unwrap();
    build_change_rebuild(&dir, "out", "[1/1] R out\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("out")).unwrap().trim(),
        "100000"
    );
    assert_eq!(n2ref(&dir, "-t commands").out(), "wc -w < out.rsp > out\n");
    // `out:`, `  input: r`, the inputs, `  outputs:`.
    assert_line_count(&dir, "-t query out", INPUTS + 3);
}

/// The same number of inputs discovered through a depfile: a 400 KB deps
/// record, read back on every build; the change to an input is known only
/// from the deps log.
#[test]
fn depfile_with_100000_inputs() {
    let base = fast_tempdir();
    let (dir, _) = hundred_thousand_files(base.path());
    std::fs::write(
        dir.join("build.ninja"),
        "rule d\n  command = (printf '%s: ' $out; for f in d/*; do printf '%s ' $$f; done) > $out.d \
         && touch $out\n  description = D $out\n  depfile = $out.d\n  deps = gcc\n\
         build dep: d\n",
    )
    .unwrap();
    build_change_rebuild(&dir, "dep", "[1/1] D dep\n");
    let deps = load_logs(&dir).1.expect("deps log");
    assert_eq!(deps.input_paths(b"dep").map(|v| v.len()), Some(INPUTS));
    // `dep: #deps 100000, deps mtime ...`, the inputs, a blank line.
    assert_line_count(&dir, "-t deps dep", INPUTS + 2);
}

/// A command line longer than the system takes for one argument (128
/// KiB): the command fails to start, which fails it (ninja 1.13 stops:
/// `ninja: fatal: posix_spawn: Argument list too long`); spec:
/// [build.process.fd-limit].
#[test]
fn command_line_too_long() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("w");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(
        d.join("build.ninja"),
        format!(
            "rule w\n  command = true {} && touch $out\n  description = W $out\nbuild out: w\n\
             rule t\n  command = touch $out\n  description = W $out\nbuild ok: t\n",
            "x".repeat(200_000)
        ),
    )
    .unwrap();
    let run = n2ref(&d, "-j1 out");
    assert_eq!(run.code, 127);
    assert_eq!(
        run.out(),
        "[1/1] W out\nFAILED: [code=127] out \n".to_string()
            + &format!("true {} && touch out\n", "x".repeat(200_000))
            + "posix_spawn: Argument list too long (os error 7)\n\
               ninja: build stopped: subcommand failed.\n"
    );
    assert_eq!(load_logs(&d).0, Vec::<String>::new());
    let run = n2ref(&d, "ok");
    assert_eq!(run.out(), "[1/1] W ok\n");
    if let Some(ninja) = real_ninja() {
        let run = sh(
            &d,
            &format!("exec {} out", ninja.display()),
            Duration::from_secs(30),
        );
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            "ninja: fatal: posix_spawn: Argument list too long\n"
        );
    }
}

/// More discovered inputs than a deps record can hold (131,068): the
/// build stops with ninja's message, and the output is not taken as up to
/// date afterwards (spec: [build.log.write-error]).
#[test]
fn deps_record_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("w");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(
        d.join("build.ninja"),
        "rule w\n  command = (printf 'out: '; seq -s ' ' -f 'i%g' 1 140000) > out.d && touch out\n  \
         depfile = out.d\n  deps = gcc\nbuild out: w\n",
    )
    .unwrap();
    for _ in 0..2 {
        let run = n2ref(&d, "");
        assert_eq!(run.code, 1);
        assert!(
            run.out().ends_with(
                "ninja: build stopped: Error writing to deps log: Numerical result out of range.\n"
            ),
            "{}",
            run.out()
        );
        assert_eq!(load_logs(&d).0, ["out"]);
    }
}

// ---------------------------------------------------------------------------
// 3. Long paths.

#[test]
fn four_thousand_byte_paths() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("w");
    std::fs::create_dir(&dir).unwrap();
    let component = "c".repeat(199);
    // 20 components: a 4,003-byte output path, under PATH_MAX (4096).
    let deep = vec![component.as_str(); 20].join("/");
    let out = format!("{deep}/out");
    assert!(out.len() > 4000 && out.len() < 4096);
    std::fs::write(
        dir.join("build.ninja"),
        format!("rule w\n  command = printf x > $out\n  description = W\nbuild {out}: w\n"),
    )
    .unwrap();
    let run = n2ref(&dir, "");
    assert_eq!(
        (run.code, run.out()),
        (0, "[1/1] W\n".into()),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(dir.join(&out)).unwrap(), b"x");
    assert_eq!(load_logs(&dir).0, vec![out]);
    assert_no_op(&dir, "");

    // 22 components: 4,403 bytes, longer than PATH_MAX. The scan cannot
    // stat the output: the build stops before running anything, with
    // ninja's message (spec: [build.scan.stat-error]).
    let too_long = format!("{}/out", vec![component.as_str(); 22].join("/"));
    std::fs::write(
        dir.join("long.ninja"),
        format!("rule w\n  command = printf x > $out\n  description = W\nbuild {too_long}: w\n"),
    )
    .unwrap();
    let logs_before = load_logs(&dir);
    for _ in 0..2 {
        let run = n2ref(&dir, "-f long.ninja");
        assert_eq!(run.code, 1, "{}", run.out());
        assert_eq!(
            run.stderr,
            format!("ninja: error: stat({too_long}): File name too long\n")
        );
        assert!(!run.out().contains("FAILED"), "{}", run.out());
        assert_eq!(load_logs(&dir), logs_before);
    }
    if let Some(ninja) = real_ninja() {
        let run = sh(
            &dir,
            &format!("exec {} -f long.ninja", ninja.display()),
            Duration::from_secs(30),
        );
        assert_eq!(run.code, 1);
        assert!(
            run.stderr.starts_with("ninja: error: stat(")
                && run.stderr.ends_with("): File name too long\n"),
            "{}",
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------
// 4. A command printing 100 MB.

/// Counts the bytes of `byte` in a file, and its length.
fn count_byte(path: &Path, byte: u8) -> (u64, u64) {
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut count, mut len) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return (count, len);
        }
        len += n as u64;
        count += buf[..n].iter().filter(|&&b| b == byte).count() as u64;
    }
}

#[test]
fn command_printing_100_megabytes() {
    const SIZE: u64 = 100_000_000;
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("w");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("build.ninja"),
        format!(
            "rule big\n  command = head -c {SIZE} /dev/zero | tr '\\0' y; touch $out\n  \
             description = BIG\nbuild out: big\n"
        ),
    )
    .unwrap();
    // Through a file, not the test's memory; /usr/bin/time gives the
    // peak RSS when it is installed.
    let time = Path::new("/usr/bin/time").exists();
    let wrap = |cmd: &str| {
        if time {
            format!("/usr/bin/time -f 'rss=%MKB' -o ../rss {cmd} > ../big.out")
        } else {
            format!("{cmd} > ../big.out")
        }
    };
    let run = sh(&dir, &wrap("$N"), Duration::from_secs(60));
    run.assert_no_panic("100 MB");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let big = base.path().join("big.out");
    let (ys, len) = count_byte(&big, b'y');
    assert_eq!(ys, SIZE, "every byte of the output passed through");
    // The status line, the output, and a newline ending it.
    assert_eq!(len, SIZE + "[1/1] BIG\n".len() as u64 + 1);
    assert_eq!(load_logs(&dir).0, ["out"]);
    if time {
        say(&format!(
            "n2ref, 100 MB of output: {}",
            std::fs::read_to_string(base.path().join("rss"))
                .unwrap()
                .trim()
        ));
    }
    assert_no_op(&dir, "");
    if let Some(ninja) = real_ninja() {
        std::fs::remove_file(dir.join("out")).unwrap();
        let run = sh(
            &dir,
            &wrap(&ninja.display().to_string()),
            Duration::from_secs(60),
        );
        assert_eq!(run.code, 0);
        assert_eq!(count_byte(&big, b'y'), (SIZE, len), "ninja prints the same");
        if time {
            say(&format!(
                "ninja 1.13, 100 MB of output: {}",
                std::fs::read_to_string(base.path().join("rss"))
                    .unwrap()
                    .trim()
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Outputs on a read-only file system.

#[test]
fn outputs_in_a_read_only_directory() {
    let base = tempfile::tempdir().unwrap();
    if !unshare_works(base.path()) {
        return;
    }
    let mut script = String::from("mount -t tmpfs -o size=64k tmpfs ro\nmount -o remount,ro ro\n");
    script.push_str(&step("first", "$N -k 0 -j1"));
    script.push_str(&step("second", "$N -k 0 -j1"));
    let setup = |dir: &Path| {
        std::fs::create_dir_all(dir.join("ro")).unwrap();
        std::fs::create_dir_all(dir.join("r")).unwrap();
        std::fs::write(
            dir.join("build.ninja"),
            "rule w\n  command = printf x > $out\nbuild ok1: w\nbuild ro/out: w\nbuild ok2: w\n",
        )
        .unwrap();
    };
    let dir = base.path().join("w");
    setup(&dir);
    let run = in_namespace(&dir, &script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    if let Some(ninja) = real_ninja() {
        let ninja_dir = base.path().join("ninja");
        setup(&ninja_dir);
        let run = in_namespace(&ninja_dir, &format!("N={}\n{script}", ninja.display()));
        assert_eq!(run.code, 0, "{}", run.stderr);
        same_steps(&dir, &ninja_dir, &["first", "second"]);
    }
    let first = saved(&dir, "first");
    // The shell's status (2) is the build's (spec: [build.fail.exit]).
    assert_eq!(first.code, 2);
    assert_eq!(
        first.out(),
        "[1/3] printf x > ok1\n\
         [2/3] printf x > ro/out\n\
         FAILED: [code=2] ro/out \n\
         printf x > ro/out\n\
         /bin/sh: 1: cannot create ro/out: Read-only file system\n\
         [3/3] printf x > ok2\n\
         ninja: build stopped: cannot make progress due to previous errors.\n"
    );
    let second = saved(&dir, "second");
    assert_eq!(second.code, 2);
    assert!(
        second
            .out()
            .starts_with("[1/1] printf x > ro/out\nFAILED: "),
        "{}",
        second.out()
    );
    assert_eq!(std::fs::read(dir.join("ok1")).unwrap(), b"x");
    assert_eq!(std::fs::read(dir.join("ok2")).unwrap(), b"x");
    assert_eq!(load_logs(&dir).0, ["ok1", "ok2"]);
    // Outside the namespace `ro` is an ordinary directory again.
    let run = n2ref(&dir, "");
    assert_eq!(run.out(), "[1/1] printf x > ro/out\n");
    assert_no_op(&dir, "");
}

// ---------------------------------------------------------------------------
// 6. A full disk.

/// The full-disk manifest: `big` cannot fit; `fill` and `dep` succeed but,
/// while the file `full` exists, leave the disk full, so that the logs
/// cannot be written after them.
const FULL_DISK: &str = "\
rule w
  command = printf x > $out
rule big
  command = head -c 400000 /dev/zero > $out
rule fill
  command = printf y > $out; test ! -e full || cat /dev/zero > filler 2>/dev/null; true
rule dep
  command = printf '%s: in\\n' $out > $out.d; printf z > $out; test ! -e full || cat /dev/zero > filler 2>/dev/null; true
  depfile = $out.d
  deps = gcc
build ok1: w
build big: big
build ok2: w
build fill: fill
build dep: dep in
";

#[test]
fn full_disk() {
    let base = tempfile::tempdir().unwrap();
    if !unshare_works(base.path()) {
        return;
    }
    // Everything happens on the tmpfs `b`; logs are copied out after each
    // step, and the disk is "freed" by growing the tmpfs.
    let copy = |name: &str| {
        format!(
            "mkdir -p r/{name}.logs; cp b/.ninja_log b/.ninja_deps r/{name}.logs/ 2>/dev/null || true\n"
        )
    };
    let mut script = String::from(
        "mount -t tmpfs -o size=256k tmpfs b\ncp manifest b/build.ninja\nprintf i > b/in\n",
    );
    // (a) a command whose output does not fit fails, the others build.
    script.push_str(&step("a", "cd b && $N -k 0 -j1 ok1 big ok2"));
    script.push_str(&copy("a"));
    script.push_str("mount -o remount,size=2m b\n");
    script.push_str(&step("a2", "cd b && $N -j1 ok1 big ok2"));
    script.push_str(&copy("a2"));
    script.push_str(&step("a3", "cd b && $N -j1 ok1 big ok2"));
    // (b) the build log cannot be written after `fill`: its first record
    // needs a new page.
    script.push_str("rm -f b/filler b/.ninja_log b/big\n");
    script.push_str("mount -o remount,size=256k b\n");
    script.push_str("touch b/full\n");
    script.push_str(&step("b", "cd b && $N fill"));
    script.push_str(&copy("b"));
    script.push_str("rm -f b/filler b/full\nmount -o remount,size=2m b\n");
    script.push_str(&step("b2", "cd b && $N -d explain fill"));
    script.push_str("rm -f b/filler\n");
    script.push_str(&step("b3", "cd b && $N fill"));
    // (c) the deps log cannot be created after `dep` (the build log has
    // room left in its page).
    script.push_str("rm -f b/filler\nmount -o remount,size=256k b\n");
    script.push_str("touch b/full\n");
    // (`-d keepdepfile`: removing the depfile would free a page.)
    script.push_str(&step("c", "cd b && $N -d keepdepfile dep"));
    script.push_str(&copy("c"));
    script.push_str("rm -f b/filler b/full\nmount -o remount,size=2m b\n");
    script.push_str(&step("c2", "cd b && $N -d explain dep"));
    script.push_str("rm -f b/filler\n");
    script.push_str(&step("c3", "cd b && $N dep"));
    script.push_str(&copy("c3"));
    let setup = |dir: &Path| {
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::create_dir_all(dir.join("r")).unwrap();
        std::fs::write(dir.join("manifest"), FULL_DISK).unwrap();
    };
    let dir = base.path().join("w");
    setup(&dir);
    let run = in_namespace(&dir, &script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    if let Some(ninja) = real_ninja() {
        let ninja_dir = base.path().join("ninja");
        setup(&ninja_dir);
        let run = in_namespace(&ninja_dir, &format!("N={}\n{script}", ninja.display()));
        assert_eq!(run.code, 0, "{}", run.stderr);
        same_steps(
            &dir,
            &ninja_dir,
            &["a", "a2", "a3", "b", "b2", "b3", "c", "c2", "c3"],
        );
    }

    let a = saved(&dir, "a");
    assert_eq!(a.code, 1);
    assert_eq!(
        a.out(),
        "[1/3] printf x > ok1\n\
         [2/3] head -c 400000 /dev/zero > big\n\
         FAILED: [code=1] big \n\
         head -c 400000 /dev/zero > big\n\
         head: error writing 'standard output': No space left on device\n\
         [3/3] printf x > ok2\n\
         FAILED: [code=1] ok2 \n\
         printf x > ok2\n\
         /bin/sh: 1: printf: printf: I/O error\n\
         ninja: build stopped: cannot make progress due to previous errors.\n"
    );
    // The partial `big` left no room for `ok2` (as with ninja).
    assert_eq!(load_logs(&dir.join("r/a.logs")).0, ["ok1"]);
    let a2 = saved(&dir, "a2");
    assert_eq!(a2.code, 0);
    let mut lines: Vec<String> = a2.out().lines().map(|l| l[6..].to_string()).collect();
    lines.sort();
    assert_eq!(lines, ["head -c 400000 /dev/zero > big", "printf x > ok2"]);
    assert_eq!(load_logs(&dir.join("r/a2.logs")).0, ["big", "ok1", "ok2"]);
    assert_eq!(saved(&dir, "a3").out(), "ninja: no work to do.\n");

    let b = saved(&dir, "b");
    assert_eq!(b.code, 1);
    assert_eq!(
        b.out(),
        "[1/1] printf y > fill; test ! -e full || cat /dev/zero > filler 2>/dev/null; true\n\
         ninja: build stopped: Error writing to build log: No space left on device.\n"
    );
    assert_eq!(load_logs(&dir.join("r/b.logs")).0, Vec::<String>::new());
    // Not up to date: its record was lost.
    let b2 = saved(&dir, "b2");
    assert_eq!(b2.code, 0, "{}", b2.out());
    assert_eq!(
        b2.stderr,
        "ninja explain: command line not found in log for fill\n"
    );
    assert_eq!(saved(&dir, "b3").out(), "ninja: no work to do.\n");

    let c = saved(&dir, "c");
    assert_eq!(c.code, 1);
    assert_eq!(
        c.out(),
        "[1/1] printf '%s: in\\n' dep > dep.d; printf z > dep; test ! -e full || cat /dev/zero > filler 2>/dev/null; true\n\
         ninja: build stopped: Error writing to deps log: No space left on device.\n"
    );
    let (logged, deps) = load_logs(&dir.join("r/c.logs"));
    assert!(logged.contains(&"dep".to_string()));
    assert!(deps.is_none_or(|d| d.input_paths(b"dep").is_none()));
    let c2 = saved(&dir, "c2");
    assert_eq!(c2.code, 0, "{}", c2.out());
    assert!(
        c2.stderr
            .contains("ninja explain: deps for 'dep' are missing\n"),
        "{}",
        c2.stderr
    );
    assert_eq!(saved(&dir, "c3").out(), "ninja: no work to do.\n");
    let (_, deps) = load_logs(&dir.join("r/c3.logs"));
    assert_eq!(
        deps.expect("deps log").input_paths(b"dep"),
        Some(vec![&b"in"[..]])
    );
}

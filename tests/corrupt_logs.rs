//! Corrupted `.ninja_log` / `.ninja_deps` files (issue 7, spec/logs.md).
//!
//! A small project is built once; its logs are then truncated at every
//! offset, have seeded random bytes flipped, get wrong version headers or
//! are replaced by logs other ninja versions wrote. For each corrupted state
//! `n2ref build` must not panic, must print at most ninja's warnings, and
//! must leave the tree exactly as a clean build does, after which a second
//! build does nothing. Each state is checked twice: with the world as it was
//! built ("same") and after a change only the logs reveal ("changed": a
//! header that only the deps log names is edited and a command is changed,
//! which only the build log's hash shows). When real ninja 1.13 is on PATH
//! (or at `/root/.pyenv/versions/3.11.7/bin/ninja`), it builds an identical
//! copy of each state and n2ref's stdout and stderr must equal ninja's;
//! otherwise the comparison is skipped with a visible message (an error when
//! `N2REF_REQUIRE_NINJA=1`).
//!
//! Random byte flips can turn one valid record into another valid one (the
//! formats have no checksum over their contents), e.g. an input id of the
//! deps log into the id of another file. Such a flip can hide a change from
//! ninja too, so for flips the tree is compared with real ninja's result
//! rather than with a clean build; without real ninja, only the absence of
//! a panic, a finished build and a no-op second build are required.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use n2ref::deps_log::{DepsLog, FileAction};

/// Whether to run every check (`N2REF_CORRUPT_FULL=1`): every offset in
/// both worlds for the logs of both builders, more random flips, and every
/// second build compared with ninja's. The default run checks every third
/// offset of n2ref's logs and every 13th of ninja's, each in one world
/// (alternating), and fewer flips.
fn full() -> bool {
    std::env::var_os("N2REF_CORRUPT_FULL").is_some_and(|v| v == "1")
}

const MANIFEST: &str = "rule cc
  command = printf '%s: %s h.h\\n' $out $in > $out.d && cat $in h.h > $out
  depfile = $out.d
  deps = gcc
rule link
  command = cat $in > $out
build a.o: cc a.c
build b.o: cc b.c
build app: link a.o b.o
";

/// The same project with the link command changed.
fn changed_manifest() -> String {
    MANIFEST.replace(
        "cat $in > $out\n",
        "cat $in > $out && echo linked >> $out\n",
    )
}

/// Files in a directory (flat): name → (contents, mtime).
type Files = BTreeMap<String, (Vec<u8>, SystemTime)>;

fn read_files(dir: &Path) -> Files {
    let mut files = Files::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_file() {
            files.insert(
                entry.file_name().into_string().unwrap(),
                (
                    std::fs::read(entry.path()).unwrap(),
                    meta.modified().unwrap(),
                ),
            );
        }
    }
    files
}

fn write_files(dir: &Path, files: &Files) {
    for (name, (data, mtime)) in files {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        set_mtime(&path, *mtime);
    }
}

fn set_mtime(path: &Path, mtime: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// What a build leaves that matters to the user: every file but the logs,
/// the lock file and depfiles, by contents.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    read_files(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with(".ninja") && !name.ends_with(".d"))
        .map(|(name, (data, _))| (name, data))
        .collect()
}

fn run(program: &Path, pre: &[&str], dir: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(pre)
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .env_remove("NINJA_STATUS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run build tool")
}

fn n2ref(dir: &Path, args: &[&str]) -> Output {
    run(
        Path::new(env!("CARGO_BIN_EXE_n2ref")),
        &["build"],
        dir,
        args,
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn real_ninja() -> Option<PathBuf> {
    common::real_ninja("comparison with ninja")
}

/// A tiny deterministic generator (xorshift64*), so failures reproduce.
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
}

/// The project built once (by n2ref or by ninja) and the trees a clean
/// build gives for each world.
struct Fixture {
    /// The sources and outputs after the first build, logs included.
    built: Files,
    /// What a clean build of the same world leaves.
    clean_same: BTreeMap<String, Vec<u8>>,
    /// What a clean build of the changed world leaves.
    clean_changed: BTreeMap<String, Vec<u8>>,
    /// An mtime newer than anything in `built` and older than now.
    later: SystemTime,
    ninja: Option<PathBuf>,
}

fn sources(dir: &Path) {
    std::fs::write(dir.join("build.ninja"), MANIFEST).unwrap();
    std::fs::write(dir.join("a.c"), "a\n").unwrap();
    std::fs::write(dir.join("b.c"), "b\n").unwrap();
    std::fs::write(dir.join("h.h"), "h\n").unwrap();
}

/// Changes the world in a way only the logs reveal.
fn change_world(dir: &Path, later: SystemTime) {
    std::fs::write(dir.join("build.ninja"), changed_manifest()).unwrap();
    let header = dir.join("h.h");
    std::fs::write(&header, "h changed\n").unwrap();
    set_mtime(&header, later);
}

impl Fixture {
    /// Builds the project with `builder` (n2ref when `None`).
    fn new(builder: Option<&Path>) -> Fixture {
        let ninja = real_ninja();
        let dir = tempfile::tempdir().unwrap();
        sources(dir.path());
        let out = match builder {
            Some(ninja) => run(ninja, &[], dir.path(), &[]),
            None => n2ref(dir.path(), &[]),
        };
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut built = read_files(dir.path());
        assert!(built.contains_key(".ninja_log") && built.contains_key(".ninja_deps"));
        // Move sources and outputs 100 s into the past (keeping their order
        // and the logs' contents), so that a change can be made at a time
        // between them and now.
        for (_, mtime) in built.values_mut() {
            *mtime -= Duration::from_secs(100);
        }
        let newest = built.values().map(|(_, t)| *t).max().unwrap();
        let later = newest + Duration::from_secs(10);

        let clean_same = tree(dir.path());
        let clean = tempfile::tempdir().unwrap();
        sources(clean.path());
        change_world(clean.path(), later);
        let out = n2ref(clean.path(), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let clean_changed = tree(clean.path());
        assert_ne!(clean_same, clean_changed);
        Fixture {
            built,
            clean_same,
            clean_changed,
            later,
            ninja,
        }
    }

    fn log(&self, name: &str) -> &[u8] {
        &self.built[name].0
    }

    /// A directory holding the built project with `.ninja_log` and
    /// `.ninja_deps` replaced (`None`: the file is removed).
    fn state(&self, log: Option<&[u8]>, deps: Option<&[u8]>, changed: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), &self.built);
        for (name, data) in [(".ninja_log", log), (".ninja_deps", deps)] {
            let path = dir.path().join(name);
            match data {
                Some(data) => std::fs::write(&path, data).unwrap(),
                None => std::fs::remove_file(&path).unwrap(),
            }
        }
        if changed {
            change_world(dir.path(), self.later);
        }
        dir
    }

    /// Builds the state with the given logs in both worlds and checks what
    /// the module comment promises. `exact`: the tree must equal a clean
    /// build's (false for random flips, see the module comment).
    fn check(&self, label: &str, log: Option<&[u8]>, deps: Option<&[u8]>, exact: bool) -> Outcome {
        self.check_in(label, log, deps, exact, &[false, true])
    }

    /// [`Fixture::check`] in the given worlds (`true`: changed).
    fn check_in(
        &self,
        label: &str,
        log: Option<&[u8]>,
        deps: Option<&[u8]>,
        exact: bool,
        worlds: &[bool],
    ) -> Outcome {
        let mut outcome = Outcome::default();
        for &changed in worlds {
            let label = format!("{label} ({})", if changed { "changed" } else { "same" });
            let dir = self.state(log, deps, changed);
            let first = n2ref(dir.path(), &["-j1"]);
            if !first.status.success() && !exact {
                // A flip can make a valid record name the output itself as
                // an input: ninja fails with `dependency cycle` on every run
                // ([log.deps.cycle]). A clear error, as ninja's.
                self.check_failure(&label, &first, log, deps, changed);
                outcome.failed = true;
                continue;
            }
            let first_tree = tree(dir.path());
            let clean = if changed {
                &self.clean_changed
            } else {
                &self.clean_same
            };
            let second = n2ref(dir.path(), &["-j1"]);
            for (n, out) in [(1, &first), (2, &second)] {
                let stderr = text(&out.stderr);
                assert!(
                    out.status.success(),
                    "{label}: n2ref build {n} failed:\n{}{stderr}",
                    text(&out.stdout)
                );
                assert!(
                    stderr.lines().all(|l| l.starts_with("ninja: warning: ")),
                    "{label}: unexpected stderr in build {n}:\n{stderr}"
                );
            }
            outcome.stale |= &first_tree != clean;
            if exact {
                assert_eq!(
                    &first_tree, clean,
                    "{label}: tree differs from a clean build's"
                );
                assert_eq!(
                    &tree(dir.path()),
                    clean,
                    "{label}: second build changed the tree"
                );
            }
            // The second build does nothing, unless the corruption is still
            // there and it says so (ninja keeps an invalid deps record in the
            // file, see [log.deps.recovery]).
            let repeats = text(&second.stdout) != "ninja: no work to do.\n";
            assert!(
                !repeats || !second.stderr.is_empty(),
                "{label}: second build not a no-op and silent:\n{}",
                text(&second.stdout)
            );
            // The warnings depend on the logs only, not on the world.
            if changed && worlds.len() > 1 {
                assert_eq!(outcome.warnings, text(&first.stderr), "{label}: warnings");
            }
            outcome.warnings = text(&first.stderr);
            if changed {
                outcome.repeats_changed = repeats;
            } else {
                outcome.repeats = repeats;
            }

            let Some(ninja) = &self.ninja else {
                continue;
            };
            let reference = self.state(log, deps, changed);
            let expected = run(ninja, &[], reference.path(), &["-j1"]);
            if expected.status.code().is_none() {
                // ninja 1.13 aborts or crashes on some records
                // ([log.deps.recovery.crash]).
                outcome.ninja_crashed = true;
                continue;
            }
            assert_eq!(
                (text(&first.stdout), text(&first.stderr)),
                (text(&expected.stdout), text(&expected.stderr)),
                "{label}: n2ref's output (left) differs from ninja's (right)"
            );
            assert_eq!(
                first_tree,
                tree(reference.path()),
                "{label}: tree differs from ninja's"
            );
            let torn_log = log.is_some_and(|l| l.last().is_some_and(|b| *b != b'\n'));
            let partial_word = deps.is_some_and(|d| {
                let read = DepsLog::parse(d);
                read.warning.is_none() && read.action != FileAction::Keep
            });
            if torn_log || partial_word || (!repeats && !full()) {
                // n2ref ends a torn last line of the build log before
                // appending, and drops a partial size word from the deps
                // log; ninja appends after them ([log.build.append.newline],
                // [log.deps.partial-word]). A second n2ref build that did
                // nothing is compared with ninja's only in the full run.
                continue;
            }
            let expected = run(ninja, &[], reference.path(), &["-j1"]);
            assert_eq!(
                (text(&second.stdout), text(&second.stderr)),
                (text(&expected.stdout), text(&expected.stderr)),
                "{label}: n2ref's second build (left) differs from ninja's (right)"
            );
        }
        outcome
    }
}

impl Fixture {
    /// A first build that failed: a clear error, the same in the next run,
    /// and the same as ninja's.
    fn check_failure(
        &self,
        label: &str,
        first: &Output,
        log: Option<&[u8]>,
        deps: Option<&[u8]>,
        changed: bool,
    ) {
        let stderr = text(&first.stderr);
        assert!(
            stderr
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("ninja: error: "))
                && stderr.lines().all(|l| l.starts_with("ninja: ")),
            "{label}: n2ref failed without a clear error:\n{stderr}"
        );
        if let Some(ninja) = &self.ninja {
            let reference = self.state(log, deps, changed);
            let expected = run(ninja, &[], reference.path(), &["-j1"]);
            if expected.status.code().is_none() {
                // ninja crashed ([log.deps.recovery.crash]).
                return;
            }
            assert_eq!(
                (first.status.code(), text(&first.stdout), stderr),
                (
                    expected.status.code(),
                    text(&expected.stdout),
                    text(&expected.stderr)
                ),
                "{label}: n2ref's failure (left) differs from ninja's (right)"
            );
        }
    }
}

/// What one corrupted state did.
#[derive(Default, Debug)]
struct Outcome {
    /// n2ref's stderr in the first build (the same in both worlds).
    warnings: String,
    /// Whether the second build of the unchanged world did work again
    /// (false when that world was not checked).
    repeats: bool,
    /// ... of the changed world.
    repeats_changed: bool,
    /// Whether real ninja aborted on the state (in either world).
    ninja_crashed: bool,
    /// Whether the first build left a tree other than a clean build's (only
    /// allowed for random flips, and then only as ninja does).
    stale: bool,
    /// Whether the build failed with an error (only allowed for random
    /// flips, and then only as ninja does).
    failed: bool,
}

/// Counts outcomes for the summary a test prints (`--nocapture`).
#[derive(Default)]
struct Tally {
    states: usize,
    warned: usize,
    repeats: usize,
    ninja_crashed: usize,
    stale: usize,
    failed: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        self.states += 1;
        self.warned += usize::from(!outcome.warnings.is_empty());
        self.repeats += usize::from(outcome.repeats || outcome.repeats_changed);
        self.ninja_crashed += usize::from(outcome.ninja_crashed);
        self.stale += usize::from(outcome.stale);
        self.failed += usize::from(outcome.failed);
    }

    fn print(&self, what: &str) {
        eprintln!(
            "{what}: {} states, {} warned, {} rebuilt again in the next build (with a warning), \
             {} left a stale output, {} failed with an error, {} aborted real ninja",
            self.states, self.warned, self.repeats, self.stale, self.failed, self.ninja_crashed
        );
    }
}

/// Every prefix of the build log and of the deps log (the other log left
/// intact): information is only lost, so every build must end exactly as a
/// clean build does.
/// The worlds to check the `n`th state in: both in the full run, otherwise
/// one, alternating.
fn worlds(n: usize) -> &'static [bool] {
    match (full(), n % 2) {
        (true, _) => &[false, true],
        (false, 0) => &[false],
        (false, _) => &[true],
    }
}

fn truncation_at_every_offset(fixture: &Fixture, what: &str, stride: usize) {
    let stride = if full() { 1 } else { stride };
    let log = fixture.log(".ninja_log");
    let deps = fixture.log(".ninja_deps");
    let mut tally = Tally::default();
    let header_len = log.iter().position(|b| *b == b'\n').unwrap();
    for cut in (0..=log.len()).filter(|c| c % stride == 0 || *c == log.len()) {
        let outcome = fixture.check_in(
            &format!(".ninja_log cut at {cut}"),
            Some(&log[..cut]),
            Some(deps),
            true,
            worlds(cut / stride),
        );
        tally.add(&outcome);
        // [log.build.version]: a first line without a version is too old;
        // an empty file is an empty log.
        let too_old = (1..header_len).contains(&cut);
        assert_eq!(
            outcome.warnings,
            if too_old {
                "ninja: warning: build log version is too old; starting over\n"
            } else {
                ""
            },
            ".ninja_log cut at {cut}"
        );
        // Even a header without its newline: n2ref ends it before appending
        // ([log.build.append.newline]).
        assert!(!outcome.repeats, ".ninja_log cut at {cut}");
    }
    tally.print(&format!("{what}: .ninja_log truncated at every offset"));

    // Where each record of the deps log ends.
    let mut ends = vec![16];
    while *ends.last().unwrap() < deps.len() {
        let at = *ends.last().unwrap();
        let size = u32::from_le_bytes(deps[at..at + 4].try_into().unwrap()) & 0x7fff_ffff;
        ends.push(at + 4 + size as usize);
    }
    let mut tally = Tally::default();
    for cut in (0..=deps.len()).filter(|c| c % stride == 0 || *c == deps.len()) {
        let outcome = fixture.check_in(
            &format!(".ninja_deps cut at {cut}"),
            Some(log),
            Some(&deps[..cut]),
            true,
            worlds(cut / stride),
        );
        tally.add(&outcome);
        // ninja's messages ([log.deps.version], [log.deps.recovery]): a cut
        // in the header, or inside a record past its size word.
        let silent = ends.iter().any(|end| (*end..end + 4).contains(&cut));
        let expected = if cut < 16 {
            "ninja: warning: bad deps log signature or version; starting over\n"
        } else if silent {
            ""
        } else {
            "ninja: warning: premature end of file; recovering\n"
        };
        assert_eq!(outcome.warnings, expected, ".ninja_deps cut at {cut}");
        assert!(!outcome.repeats, ".ninja_deps cut at {cut}");
    }
    tally.print(&format!("{what}: .ninja_deps truncated at every offset"));
}

#[test]
fn truncated_logs_written_by_n2ref() {
    truncation_at_every_offset(&Fixture::new(None), "written by n2ref", 3);
}

#[test]
fn truncated_logs_written_by_ninja() {
    let Some(ninja) = real_ninja() else {
        return;
    };
    truncation_at_every_offset(&Fixture::new(Some(&ninja)), "written by ninja", 13);
}

/// Seeded random byte flips (1 to 3 bytes) in each log.
#[test]
fn random_byte_flips() {
    let fixture = Fixture::new(None);
    let mut rng = Rng(0x6e32_7265_665f_0007);
    for name in [".ninja_log", ".ninja_deps"] {
        let mut tally = Tally::default();
        for iteration in 0..if full() { 100 } else { FLIPS } {
            let mut data = fixture.log(name).to_vec();
            let mut flipped = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(data.len());
                data[at] ^= 1 << rng.below(8);
                flipped.push(at);
            }
            let (log, deps) = if name == ".ninja_log" {
                (&data[..], fixture.log(".ninja_deps"))
            } else {
                (fixture.log(".ninja_log"), &data[..])
            };
            let outcome = fixture.check(
                &format!("{name} flip #{iteration} at {flipped:?}"),
                Some(log),
                Some(deps),
                false,
            );
            tally.add(&outcome);
        }
        tally.print(&format!("{name}: random flips"));
    }
}

/// Random flips per log in `random_byte_flips` (100 in the full run).
const FLIPS: usize = 12;

/// Wrong or foreign version headers: the log is discarded with ninja's
/// warning and everything is rebuilt.
#[test]
fn wrong_version_headers() {
    let fixture = Fixture::new(None);
    let log = fixture.log(".ninja_log");
    let deps = fixture.log(".ninja_deps");
    let body = &log[log.iter().position(|b| *b == b'\n').unwrap() + 1..];
    let too_old = "ninja: warning: build log version is too old; starting over\n";
    let too_new = "ninja: warning: build log version is too new; starting over\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("v6", [&b"# ninja log v6\n"[..], body].concat(), too_old),
        ("v5", [&b"# ninja log v5\n"[..], body].concat(), too_old),
        ("v0", [&b"# ninja log v0\n"[..], body].concat(), too_old),
        ("v-7", [&b"# ninja log v-7\n"[..], body].concat(), too_old),
        ("v8", [&b"# ninja log v8\n"[..], body].concat(), too_new),
        (
            "v2^31",
            [&b"# ninja log v2147483648\n"[..], body].concat(),
            too_old,
        ),
        ("no header", body.to_vec(), too_old),
        ("blank first line", [&b"\n"[..], body].concat(), too_old),
        ("only a header", b"# ninja log v7\n".to_vec(), ""),
        ("header without newline", b"# ninja log v7".to_vec(), ""),
        (
            "odd spacing",
            [&b"#ninja   log\tv 7\n"[..], body].concat(),
            "",
        ),
        (
            "crlf header",
            [&b"# ninja log v7\r\n"[..], body].concat(),
            "",
        ),
    ];
    for (n, (label, data, warning)) in cases.iter().enumerate() {
        let label = format!(".ninja_log {label}");
        let got = fixture.check_in(&label, Some(data), Some(deps), true, worlds(n));
        assert_eq!(&got.warnings, warning, "{label}");
    }

    let records = &deps[16..];
    let bad = "ninja: warning: bad deps log signature or version; starting over\n";
    let version = |v: u32| [&deps[..12], &v.to_le_bytes()[..], records].concat();
    let mut wrong_signature = deps.to_vec();
    wrong_signature[2] = b'N';
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("v3", version(3), bad),
        ("v5", version(5), bad),
        ("v0", version(0), bad),
        ("v4 big-endian", version(4u32.swap_bytes()), bad),
        (
            "v1",
            version(1),
            "ninja: warning: deps log version change; rebuilding\n",
        ),
        ("wrong signature", wrong_signature, bad),
        ("signature only", deps[..12].to_vec(), bad),
        ("header only", deps[..16].to_vec(), ""),
        ("empty", Vec::new(), bad),
    ];
    for (n, (label, data, warning)) in cases.iter().enumerate() {
        let label = format!(".ninja_deps {label}");
        let got = fixture.check_in(&label, Some(log), Some(data), true, worlds(n));
        assert_eq!(&got.warnings, warning, "{label}");
    }
    // Missing logs: everything is rebuilt, silently.
    assert_eq!(fixture.check("no logs", None, None, true).warnings, "");
}

/// The logs ninja 1.10, 1.11 and 1.12 wrote for this project (recorded
/// once; their hashes are MurmurHash64A, their mtimes from the recording
/// machine). The build logs are v5/v6 and are discarded as too old; the
/// deps logs are v4, as 1.13's, and are used.
#[test]
fn logs_from_other_ninja_versions() {
    let fixture = Fixture::new(None);
    let deps_112: &[u8] = b"# ninjadeps\x0a\x04\x00\x00\x00\
        \x08\x00\x00\x00a.o\x00\xff\xff\xff\xff\
        \x08\x00\x00\x00a.c\x00\xfe\xff\xff\xff\
        \x08\x00\x00\x00h.h\x00\xfd\xff\xff\xff\
        \x14\x00\x00\x80\x00\x00\x00\x00\x7f\x10uy\xb1p\xeb\x18\x01\x00\x00\x00\x02\x00\x00\x00\
        \x08\x00\x00\x00b.o\x00\xfc\xff\xff\xff\
        \x08\x00\x00\x00b.c\x00\xfb\xff\xff\xff\
        \x14\x00\x00\x80\x03\x00\x00\x00\xbc\x14Ty\xb1p\xeb\x18\x04\x00\x00\x00\x02\x00\x00\x00";
    let log_111: &[u8] = b"# ninja log v5\n\
        4\t10\t1795652783939787240\tb.o\t20b04043a909ef96\n\
        0\t15\t1795652783934328945\ta.o\t1db9b8447f826167\n\
        15\t28\t1795652783954328946\tapp\tf401c44957110752\n";
    let log_112: &[u8] = b"# ninja log v6\n\
        0\t5\t1795652783978517543\ta.o\t1db9b8447f826167\n\
        1\t6\t1795652783982399396\tb.o\t20b04043a909ef96\n\
        6\t8\t1795652783987192478\tapp\tf401c44957110752\n";
    let too_old = "ninja: warning: build log version is too old; starting over\n";
    for (label, log, warning) in [
        ("1.11 log", log_111, too_old),
        ("1.12 log", log_112, too_old),
    ] {
        let got = fixture.check(label, Some(log), Some(fixture.log(".ninja_deps")), true);
        assert_eq!(got.warnings, warning, "{label}");
    }
    // A v4 deps log recorded earlier than this build's outputs: stale, so
    // the objects are rebuilt, without a warning.
    let got = fixture.check(
        "1.12 deps",
        Some(fixture.log(".ninja_log")),
        Some(deps_112),
        true,
    );
    assert_eq!(got.warnings, "", "1.12 deps");
}

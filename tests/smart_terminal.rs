//! The status output on a smart terminal (spec/build.md,
//! [build.status.smart-terminal] and the rules after it), compared byte
//! for byte with real ninja 1.13: both run with stdout (and stderr) on a
//! pseudo-terminal of a fixed size, made by a small python3 script.
//!
//! Needs `ninja` 1.13 and `python3` on PATH; otherwise every test prints
//! `SKIPPED: ...` and passes, unless N2REF_REQUIRE_NINJA is set.
//!
//! Unix only: the pseudo-terminal is made with python3's `pty` module.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

/// The script that runs `sh -c CMD` on a pseudo-terminal (see its docstring);
/// the smart-terminal conformance cases use it too.
fn on_tty_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/lib/on_tty.py")
}

/// Whether ninja 1.13 and python3 are there; when they are not, says so
/// (and fails if N2REF_REQUIRE_NINJA is set).
fn tools_present() -> bool {
    let ninja = common::ninja_on_path("terminal output compared with ninja");
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        common::skip("terminal output compared with ninja", "python3");
    }
    ninja && python
}

/// One scenario: a manifest, shell commands run on the terminal before
/// (`setup`, not compared) and the ninja command line, in a fresh
/// directory.
struct Scenario<'a> {
    manifest: &'a [u8],
    args: &'a str,
    cols: u16,
    env: &'a [(&'a str, &'a str)],
    setup: &'a str,
    with_stderr: bool,
}

impl Default for Scenario<'_> {
    fn default() -> Self {
        Scenario {
            manifest: b"",
            args: "-j1",
            cols: 80,
            env: &[("TERM", "xterm")],
            setup: "",
            with_stderr: false,
        }
    }
}

/// What `ninja` printed on the terminal, and its exit status.
fn run_on_tty(dir: &Path, ninja: &str, s: &Scenario) -> (Vec<u8>, Option<i32>) {
    std::fs::write(dir.join("build.ninja"), s.manifest).unwrap();
    if !s.setup.is_empty() {
        let setup = Command::new("sh")
            .args(["-c", s.setup])
            .current_dir(dir)
            .env("NINJA", ninja)
            .output()
            .unwrap();
        assert!(setup.status.success(), "setup failed: {setup:?}");
    }
    let mut cmd = Command::new("python3");
    cmd.arg(on_tty_script());
    if s.with_stderr {
        cmd.arg("--stderr");
    }
    cmd.arg(s.cols.to_string())
        .arg(format!("{ninja} {}", s.args))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("NINJA_STATUS")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM");
    for (k, v) in s.env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    (out.stdout, out.status.code())
}

/// Replaces what lies between `<` and `>` (times and rates in these
/// tests' status formats) with `T`.
fn normalise_times(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut inside = false;
    for &b in bytes {
        match (inside, b) {
            (false, b'<') => {
                inside = true;
                out.extend_from_slice(b"<T");
            }
            (true, b'>') => {
                inside = false;
                out.push(b'>');
            }
            (true, _) => {}
            (false, _) => out.push(b),
        }
    }
    out
}

/// Runs the scenario with ninja and with n2ref, each in a fresh
/// directory, and requires the same bytes on the terminal and the same
/// exit status. Returns ninja's output for further checks.
fn same_as_ninja(s: &Scenario) -> Option<Vec<u8>> {
    if !tools_present() {
        return None;
    }
    let n2ref = format!("{} build", env!("CARGO_BIN_EXE_n2ref"));
    let theirs_dir = tempfile::tempdir().unwrap();
    let ours_dir = tempfile::tempdir().unwrap();
    let (theirs, their_code) = run_on_tty(theirs_dir.path(), "ninja", s);
    let (ours, our_code) = run_on_tty(ours_dir.path(), &n2ref, s);
    let (theirs, ours) = (normalise_times(&theirs), normalise_times(&ours));
    assert!(!theirs.is_empty(), "ninja printed nothing on the terminal");
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs),
        "terminal output differs from ninja's (left: n2ref, right: ninja)"
    );
    assert_eq!(our_code, their_code, "exit status differs from ninja's");
    Some(theirs)
}

const CHAIN: &[u8] = b"rule step
  command = touch $out
  description = STEP $out
build a: step
build b: step a
build c: step b
";

#[test]
fn status_lines_overwrite_each_other() {
    if let Some(out) = same_as_ninja(&Scenario {
        manifest: CHAIN,
        ..Scenario::default()
    }) {
        assert!(out.starts_with(b"\r[0/3] STEP a\x1b[K\r[1/3] STEP a\x1b[K"));
        assert!(out.ends_with(b"\x1b[K\n"));
    }
}

#[test]
fn long_lines_are_elided_to_the_width() {
    let manifest = b"rule step
  command = touch $out
  description = this description is much too long for a narrow terminal: $out
build a: step
build b: step a
";
    for cols in [1, 3, 4, 20, 33, 80] {
        same_as_ninja(&Scenario {
            manifest,
            cols,
            ..Scenario::default()
        });
    }
}

#[test]
fn color_sequences_take_no_room_when_eliding() {
    let manifest = b"rule step
  command = touch $out
  description = \x1b[1mbold\x1b[0m and a rather long \x1b[32mgreen\x1b[0m description of $out
build a: step
";
    for cols in [10, 17, 30] {
        same_as_ninja(&Scenario {
            manifest,
            cols,
            ..Scenario::default()
        });
    }
}

#[test]
fn unknown_width_means_no_eliding() {
    same_as_ninja(&Scenario {
        manifest: b"rule step
  command = touch $out
  description = this description is much too long for any terminal at all: $out
build a: step
",
        cols: 0,
        ..Scenario::default()
    });
}

#[test]
fn output_colors_and_failures() {
    let manifest = b"rule say
  command = printf '\\033[32mgreen\\033[0m\\n'; touch $out
rule partial
  command = printf 'no newline at the end'; touch $out
rule fail
  command = printf '\\033[1mbold\\033[0m\\n'; exit 3
build a: say
build b: partial a
build c: fail b
build d: fail b
";
    same_as_ninja(&Scenario {
        manifest,
        args: "-j1 -k0",
        ..Scenario::default()
    });
}

#[test]
fn console_pool() {
    let manifest = b"rule step
  command = touch $out
  description = STEP $out
rule con
  command = echo from the console; printf 'no newline'; touch $out
  pool = console
build a: step
build b: con a
build c: step b
build d: con c
";
    same_as_ninja(&Scenario {
        manifest,
        ..Scenario::default()
    });
}

#[test]
fn verbose_and_quiet_are_not_fancy() {
    let manifest = b"rule say
  command = printf '\\033[32mgreen\\033[0m\\n'; touch $out
  description = SAY $out
build a: say
build b: say a
";
    for args in ["-v -j1", "--quiet -j1"] {
        same_as_ninja(&Scenario {
            manifest,
            args,
            ..Scenario::default()
        });
    }
}

#[test]
fn dumb_or_missing_term_is_not_smart() {
    let manifest = b"rule say
  command = printf '\\033[32mgreen\\033[0m\\n'; touch $out
build a: say
build b: say a
";
    for env in [&[("TERM", "dumb")][..], &[], &[("CLICOLOR_FORCE", "1")]] {
        same_as_ninja(&Scenario {
            manifest,
            env,
            ..Scenario::default()
        });
    }
}

#[test]
fn status_format_with_times() {
    let status = "[%s/%t %r %u %f %p <%e> <%w> <%o> <%c> <%E> <%W> <%P>] ";
    if let Some(out) = same_as_ninja(&Scenario {
        manifest: CHAIN,
        env: &[("TERM", "xterm"), ("NINJA_STATUS", status)],
        ..Scenario::default()
    }) {
        let first = b"\r[1/3 1 2 0   0% <T> <T> <T> <T> <T> <T> <T>] STEP a\x1b[K";
        assert!(out.starts_with(first), "{}", String::from_utf8_lossy(&out));
    }
    // A second build has previous durations in the build log.
    same_as_ninja(&Scenario {
        manifest: CHAIN,
        env: &[("TERM", "xterm"), ("NINJA_STATUS", status)],
        setup: "$NINJA >/dev/null && rm a b c",
        ..Scenario::default()
    });
}

#[test]
fn explanations_start_on_a_new_line() {
    if let Some(out) = same_as_ninja(&Scenario {
        manifest: CHAIN,
        args: "-j1 -d explain",
        with_stderr: true,
        ..Scenario::default()
    }) {
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("ninja explain: output a doesn't exist"),
            "{text}"
        );
    }
}

#[test]
fn nothing_to_do_and_a_stopped_build() {
    same_as_ninja(&Scenario {
        manifest: CHAIN,
        setup: "$NINJA >/dev/null",
        ..Scenario::default()
    });
    same_as_ninja(&Scenario {
        manifest: b"rule fail\n  command = false\nbuild a: fail\n",
        with_stderr: true,
        ..Scenario::default()
    });
}

#[test]
fn manifest_rebuild_and_dyndep() {
    // The manifest is rebuilt first, then the build restarts.
    same_as_ninja(&Scenario {
        manifest: b"",
        setup: "printf 'rule gen\\n  command = cp build.in build.ninja\\n  generator = 1\\nbuild build.ninja: gen build.in\\nrule step\\n  command = touch $out\\nbuild a: step\\nbuild b: step a\\n' > build.in && cp build.in build.ninja && touch -d '2000-01-01' build.ninja",
        ..Scenario::default()
    });
    // A dyndep file produced during the build adds an input.
    same_as_ninja(&Scenario {
        manifest: b"rule step
  command = touch $out
rule dd
  command = printf 'ninja_dyndep_version = 1\\nbuild out: dyndep | extra\\n' > $out
build extra: step
build out.dd: dd
build out: step || out.dd
  dyndep = out.dd
",
        ..Scenario::default()
    });
}

#[test]
fn dry_run() {
    same_as_ninja(&Scenario {
        manifest: CHAIN,
        args: "-n -j1",
        ..Scenario::default()
    });
}

#[test]
fn output_held_back_while_the_console_is_used() {
    // b finishes while the console command a still runs: its status line
    // and output wait, then come out when a finishes.
    let manifest = b"rule con
  command = sleep 0.5; echo console says hi; touch $out
  pool = console
rule say
  command = echo b says hi; touch $out
  description = SAY $out
build a: con
build b: say
build c: say a b
";
    if let Some(out) = same_as_ninja(&Scenario {
        manifest,
        args: "-j2",
        ..Scenario::default()
    }) {
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("console says hi\n"), "{text}");
    }
}

//! Runs the conformance suite (conformance/cases) against real ninja, from
//! which the expectations were recorded, and against n2ref itself; and
//! checks the `n2ref conformance` command line end to end.
//!
//! Unix only: every case's command runs under `sh -c` with POSIX tools,
//! and the cases' manifests run shell command lines, which ninja and
//! n2ref on Windows hand to `CreateProcess` without a shell.
#![cfg(unix)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use n2ref::conformance::report::{Format, render};
use n2ref::conformance::{Options, SuiteResult, run_suite};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases_dir() -> PathBuf {
    root().join("conformance/cases")
}

/// Prints past the test harness's output capture, so it shows on success.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Cases that can only pass on Linux: the audit needs strace, and the
/// process cases read `/proc`. Elsewhere their failures are expected.
fn linux_only(id: &str) -> bool {
    !cfg!(target_os = "linux")
        && (id.starts_with("audit/") || id == "build/process-fds" || id == "build/process-group")
}

fn run(command: &str) -> SuiteResult {
    let result = run_suite(&Options::new(cases_dir(), command))
        .unwrap_or_else(|e| panic!("cannot run the suite: {e}"));
    let report = render(&result, Format::Text, false);
    eprint!("{report}"); // shown by the harness when the test fails
    result
}

#[test]
fn real_ninja_passes_every_case() {
    if !common::ninja_on_path("real ninja against the suite") {
        return;
    }
    let result = run("ninja");
    let c = result.counts();
    let failing: Vec<_> = result
        .cases
        .iter()
        .filter(|r| matches!(r.status.name(), "fail" | "known"))
        .filter(|r| !linux_only(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        failing.is_empty(),
        "real ninja {} fails cases recorded from it: {failing:?}",
        result.implementation.version_output
    );
    assert!(c.passed > 0, "no case ran");
}

#[test]
fn n2ref_fails_only_known_divergences() {
    let command = format!("{} build", env!("CARGO_BIN_EXE_n2ref"));
    let result = run(&command);
    assert_eq!(
        result.known_file,
        root().join("conformance/known/n2ref.toml"),
        "n2ref's known divergences live in conformance/known/n2ref.toml"
    );
    let unexpected: Vec<String> = result
        .unexpected_failures()
        .filter(|r| !linux_only(&r.id))
        .map(|r| match &r.status {
            n2ref::conformance::Status::Failed(f) => format!("{}: {}", r.id, f.summary()),
            _ => r.id.clone(),
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} case(s) fail that conformance/known/n2ref.toml does not list:\n  {}",
        unexpected.len(),
        unexpected.join("\n  ")
    );
    let fixed: Vec<_> = result
        .cases
        .iter()
        .filter(|r| r.status.name() == "fixed")
        .map(|r| r.id.as_str())
        .collect();
    if !fixed.is_empty() {
        say(&format!(
            "note: now passing, remove from conformance/known/n2ref.toml: {fixed:?}"
        ));
    }
}

/// `n2ref conformance` through the binary, against a fake implementation.
#[test]
fn command_line_reports_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = d.join("fake");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1\" = --version ] && echo 1.13.0 || echo hello\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let case = d.join("conformance/cases/cli/hello"); // the default --cases
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(
        case.join("case.toml"),
        "description = \"d\"\nrules = [\"x.y\"]\ncommand = \"$NINJA\"\nexit = 0\n",
    )
    .unwrap();
    let conformance = |expected: &str, args: &[&str]| {
        std::fs::write(case.join("stdout"), expected).unwrap();
        Command::new(env!("CARGO_BIN_EXE_n2ref"))
            .arg("conformance")
            .arg("--impl")
            .arg(&fake)
            .args(args)
            .current_dir(d)
            .output()
            .unwrap()
    };

    let out = conformance("hello\n", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("1 passed, 0 failed, 0 skipped"));

    let out = conformance("goodbye\n", &["-j", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("-goodbye\n  +hello\n"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 passed, 1 failed, 0 skipped"));

    let out = conformance("goodbye\n", &["--format", "tap", "--filter", "nothing"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("TAP version 13\n1..0\n"));

    let out = conformance("", &["--cases", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}

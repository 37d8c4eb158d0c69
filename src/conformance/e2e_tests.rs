//! End-to-end tests of the runner against a fake implementation: a small
//! shell script standing in for ninja, and a suite of cases written to a
//! temp directory.
//!
//! Unix only: the fake implementation is an executable shell script.
#![cfg(unix)]

use std::path::Path;
use std::time::Duration;

use super::report::{Format, render};
use super::run::{Failure, Options, Status, SuiteResult, run_suite};
use super::version::Version;

const FAKE: &str = r#"#!/bin/sh
case "$1" in
  --version) echo "1.11.1.fake" ;;
  -t) cat build.ninja ;;
  hang) echo hanging; sleep 30 ;;
  fail) echo "samu: error: loading 'build.ninja': $PWD/x" >&2; exit 1 ;;
esac
"#;

fn write(path: &Path, data: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

fn case(root: &Path, id: &str, extra: &str, stdout: Option<&str>, stderr: Option<&str>) {
    let dir = root.join("cases").join(id);
    write(
        &dir.join("case.toml"),
        &format!("description = \"case {id}\"\nrules = [\"test.rule\"]\n{extra}"),
    );
    write(&dir.join("files/build.ninja"), "rule r\n  command = x\n");
    if let Some(s) = stdout {
        write(&dir.join("stdout"), s);
    }
    if let Some(s) = stderr {
        write(&dir.join("stderr"), s);
    }
}

/// Builds the suite in `root` and returns the fake implementation command.
fn build_suite(root: &Path) -> String {
    let fake = root.join("bin/fake-ninja");
    write(&fake, FAKE);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let manifest = "rule r\n  command = x\n";
    let tools = "command = \"$NINJA -t targets\"\nexit = 0\n";
    case(root, "basic/pass", tools, Some(manifest), Some(""));
    case(
        root,
        "basic/diff",
        tools,
        Some("rule r\n  command = y\n"),
        None,
    );
    case(
        root,
        "basic/error",
        "command = \"$NINJA fail\"\nexit = 1\n",
        Some(""),
        Some("ninja: error: loading 'build.ninja': @TMP@/x\n"),
    );
    case(
        root,
        "slow/hang",
        "command = \"$NINJA hang\"\nexit = 0\n",
        None,
        None,
    );
    case(
        root,
        "version/new",
        &format!("{tools}since = \"1.12\"\n"),
        None,
        None,
    );
    case(
        root,
        "version/old",
        &format!("{tools}until = \"1.12\"\n"),
        Some(manifest),
        None,
    );
    case(
        root,
        "version/impl",
        &format!("{tools}impls = [\"n2ref\"]\n"),
        None,
        None,
    );
    case(root, "bad/no-command", "exit = 0\n", None, None);
    case(
        root,
        "known/still",
        "command = \"$NINJA fail\"\nexit = 0\n",
        None,
        None,
    );
    case(root, "known/fixed", tools, None, None);
    write(
        &root.join("known/fake-ninja.toml"),
        "[[divergence]]\ncase = \"known/still\"\nreason = \"fails on purpose\"\nrule = \"test.rule\"\n\
         [[divergence]]\ncase = \"known/fixed\"\nreason = \"used to fail\"\n\
         [[divergence]]\ncase = \"known/gone\"\nreason = \"case was deleted\"\n",
    );
    fake.display().to_string()
}

fn run(root: &Path, command: &str, filters: &[&str]) -> SuiteResult {
    let mut options = Options::new(root.join("cases"), command);
    options.timeout = Duration::from_secs(2);
    options.jobs = 4;
    options.filters = filters.iter().map(|f| f.to_string()).collect();
    run_suite(&options).unwrap()
}

fn status<'a>(result: &'a SuiteResult, id: &str) -> &'a Status {
    &result.cases.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn runs_a_suite_against_a_fake_implementation() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let command = build_suite(root);
    let result = run(root, &command, &[]);

    assert_eq!(result.implementation.name, "fake-ninja");
    assert_eq!(result.implementation.version, Some(Version::new(1, 11)));
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);

    // A passing case, and one whose stderr needed both normalisations.
    assert_eq!(status(&result, "basic/pass"), &Status::Passed);
    assert_eq!(status(&result, "basic/error"), &Status::Passed);
    // until is exclusive, so 1.11 runs a case `until = "1.12"`.
    assert_eq!(status(&result, "version/old"), &Status::Passed);

    // Skipped by version and by implementation.
    match status(&result, "version/new") {
        Status::Skipped(why) => assert_eq!(why, "since 1.12; implementation is 1.11"),
        s => panic!("{s:?}"),
    }
    assert!(matches!(
        status(&result, "version/impl"),
        Status::Skipped(_)
    ));

    // A stdout mismatch.
    match status(&result, "basic/diff") {
        Status::Failed(Failure::Mismatch { stdout, stderr, .. }) => {
            assert!(stdout.is_some());
            assert!(stderr.is_none(), "absent stderr file is not compared");
        }
        s => panic!("{s:?}"),
    }

    // A timeout.
    match status(&result, "slow/hang") {
        Status::Failed(f) => assert_eq!(f.summary(), "timed out after 2s"),
        s => panic!("{s:?}"),
    }

    // A malformed case names its file.
    match status(&result, "bad/no-command") {
        Status::Failed(Failure::Error(e)) => {
            assert!(e.contains("bad/no-command/case.toml"), "{e}");
            assert!(e.contains("`command`"), "{e}");
        }
        s => panic!("{s:?}"),
    }

    // Known divergences: still failing, now passing, stale.
    assert!(matches!(
        status(&result, "known/still"),
        Status::KnownFailure(..)
    ));
    assert!(matches!(
        status(&result, "known/fixed"),
        Status::KnownPassed(_)
    ));
    let stale: Vec<_> = result.stale_known.iter().map(|d| d.case.as_str()).collect();
    assert_eq!(stale, ["known/gone"]);

    let c = result.counts();
    assert_eq!(
        (c.passed, c.failed, c.skipped, c.known, c.fixed),
        (4, 3, 2, 1, 1)
    );
    assert!(!result.success());

    let text = render(&result, Format::Text, false);
    assert!(
        text.contains("\n1 known divergences\n1 known divergences now pass (trim "),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("4 passed, 3 failed, 2 skipped"));
    assert!(
        text.contains("\nFAIL basic/diff: case basic/diff\n"),
        "{text}"
    );
    let diff = "  --- expected stdout\n  +++ actual stdout\n  @@ -1,2 +1,2 @@\n   rule r\n  -  command = y\n  +  command = x\n";
    assert!(text.contains(diff), "{text}");
    assert!(
        text.contains("  exit: expected 0, timed out after 2s\n"),
        "{text}"
    );
    assert!(
        text.contains("KNOWN known/still: fails on purpose [test.rule]"),
        "{text}"
    );
    assert!(
        text.contains("FIXED known/fixed: passes but is listed in"),
        "{text}"
    );
    assert!(text.contains("STALE "), "{text}");
    assert!(
        !text.contains("basic/pass"),
        "passing cases are quiet: {text}"
    );
    let verbose = render(&result, Format::Text, true);
    assert!(verbose.contains("PASS basic/pass\n"));
    assert!(verbose.contains("SKIP version/new (since 1.12; implementation is 1.11)\n"));
}

#[test]
fn renders_json_and_tap() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let command = build_suite(root);
    let result = run(root, &command, &["basic/*", "version", "known/"]);
    let ids: Vec<_> = result.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "basic/diff",
            "basic/error",
            "basic/pass",
            "known/fixed",
            "known/still",
            "version/impl",
            "version/new",
            "version/old"
        ]
    );

    let json: serde_json::Value =
        serde_json::from_str(&render(&result, Format::Json, false)).unwrap();
    assert_eq!(json["success"], false);
    assert_eq!(json["summary"]["failed"], 1);
    assert_eq!(json["summary"]["known"], 1);
    assert_eq!(json["implementation"]["version"], "1.11");
    assert_eq!(json["categories"]["version"]["skipped"], 2);
    let diff = &json["cases"][0];
    assert_eq!(diff["id"], "basic/diff");
    assert_eq!(diff["status"], "fail");
    assert_eq!(
        diff["failure"]["stdout"]["actual"],
        "rule r\n  command = x\n"
    );
    assert!(
        diff["failure"]["stdout"]["diff"]
            .as_str()
            .unwrap()
            .contains("+  command = x")
    );
    assert_eq!(
        json["cases"][6]["reason"],
        "since 1.12; implementation is 1.11"
    );
    assert_eq!(json["cases"][4]["known"]["rule"], "test.rule");

    let tap = render(&result, Format::Tap, false);
    let lines: Vec<&str> = tap.lines().collect();
    assert_eq!(lines[0], "TAP version 13");
    assert_eq!(lines[1], "1..8");
    assert!(tap.contains("\nnot ok 1 - basic/diff\n  ---\n  message: \"stdout differs\"\n  details: |\n    --- expected stdout\n"), "{tap}");
    assert!(tap.contains("\nok 2 - basic/error\n"), "{tap}");
    assert!(
        tap.contains("\nok 4 - known/fixed # TODO known divergence now passes: used to fail\n"),
        "{tap}"
    );
    assert!(
        tap.contains("\nnot ok 5 - known/still # TODO known divergence: fails on purpose\n"),
        "{tap}"
    );
    assert!(
        tap.contains("\nok 7 - version/new # SKIP since 1.12; implementation is 1.11\n"),
        "{tap}"
    );
    assert_eq!(lines.last(), Some(&"# 4 passed, 1 failed, 2 skipped"));
}

#[test]
fn unknown_version_skips_restricted_cases_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    build_suite(root);
    let command = "sh -c 'test x != x--version && cat build.ninja' sh";
    let result = run(root, command, &["version/"]);
    assert_eq!(result.implementation.version, None);
    assert_eq!(result.warnings.len(), 1, "{:?}", result.warnings);
    assert!(matches!(status(&result, "version/new"), Status::Skipped(_)));
    assert!(matches!(status(&result, "version/old"), Status::Skipped(_)));

    let mut options = Options::new(root.join("cases"), command);
    options.filters = vec!["version/".into()];
    options.version = Some(Version::new(1, 13));
    let result = run_suite(&options).unwrap();
    assert!(result.warnings.is_empty());
    assert!(matches!(
        status(&result, "version/new"),
        Status::Passed | Status::Failed(_)
    ));
}

#[test]
fn setup_errors_are_errors() {
    let root = tempfile::tempdir().unwrap();
    let options = Options::new(root.path().join("missing"), "ninja");
    assert!(run_suite(&options).unwrap_err().contains("not found"));
    let command = build_suite(root.path());
    write(
        &root.path().join("known/fake-ninja.toml"),
        "[[divergence]]\n",
    );
    let options = Options::new(root.path().join("cases"), command);
    let e = run_suite(&options).unwrap_err();
    assert!(e.contains("fake-ninja.toml"), "{e}");
}

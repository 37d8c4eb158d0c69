//! Golden tests: manifests written by real generators (CMake, Meson) for the
//! sample projects in golden/projects/, plus hand-written ones, with the
//! outputs real ninja 1.13 gave on them (recorded by golden/record.sh).
//!
//! For every case directory under golden/cases/ and every line of its
//! commands.txt, this runs `n2ref build <line>` in a scratch copy of the case's
//! manifests and compares exit status, stdout and stderr byte for byte with
//! expected/NN.exit, NN.stdout and NN.stderr (NN is the line's 1-based number
//! among the non-comment lines). The scratch directory's path is written as
//! `@CWD@` in stdout, as the recorder did. Real ninja is not needed.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/cases")
}

/// The ninja command lines of a case, in order, without comments and blanks.
fn command_lines(case: &Path) -> Vec<String> {
    let text = fs::read_to_string(case.join("commands.txt"))
        .unwrap_or_else(|e| panic!("{}: cannot read commands.txt: {e}", case.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Copies the case's manifests (everything but commands.txt and expected/).
fn copy_inputs(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.expect("walk case dir");
        let rel = entry.path().strip_prefix(from).expect("inside case dir");
        let top = rel.components().next().expect("non-empty");
        if top.as_os_str() == "expected" || rel == Path::new("commands.txt") {
            continue;
        }
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).expect("create dir");
        } else {
            fs::copy(entry.path(), &dest).expect("copy file");
        }
    }
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn diff(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let diff = similar::TextDiff::from_lines(expected.as_ref(), actual.as_ref());
    format!(
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("{what} (ninja 1.13)"), &format!("{what} (n2ref)"))
    )
}

/// Runs one command line of a case; returns a description of each mismatch.
fn check_command(case: &Path, number: usize, line: &str) -> Vec<String> {
    let scratch = tempfile::tempdir().expect("temp dir");
    copy_inputs(case, scratch.path());
    // The recorder resolved symlinks in its scratch path; so does this.
    let cwd = scratch.path().canonicalize().expect("canonical temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_n2ref"))
        .arg("build")
        .args(line.split_whitespace())
        .current_dir(&cwd)
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .env_remove("NINJA_STATUS")
        .stdin(Stdio::null())
        .output()
        .expect("run n2ref");

    let expected = case.join("expected");
    let name = format!("{number:02}");
    let read = |ext: &str| {
        let path = expected.join(format!("{name}.{ext}"));
        fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut problems = Vec::new();
    let label = format!("{}: `{line}`", case.file_name().unwrap().to_string_lossy());

    let want_exit: i32 = String::from_utf8_lossy(&read("exit"))
        .trim()
        .parse()
        .expect("exit file holds a number");
    let got_exit = output.status.code().unwrap_or(-1);
    if want_exit != got_exit {
        problems.push(format!(
            "{label}: exit status {got_exit}, ninja exited {want_exit}"
        ));
    }

    let stdout = replace_bytes(&output.stdout, cwd.as_os_str().as_encoded_bytes(), b"@CWD@");
    for (what, want, got) in [
        ("stdout", read("stdout"), stdout),
        ("stderr", read("stderr"), output.stderr),
    ] {
        if want != got {
            problems.push(format!(
                "{label}: {what} differs\n{}",
                diff(&format!("{name}.{what}"), &want, &got)
            ));
        }
    }
    problems
}

#[test]
fn n2ref_matches_ninja_on_generated_manifests() {
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("golden/cases exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("commands.txt").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "expected at least 10 golden cases");

    let mut compared = 0;
    let mut problems = Vec::new();
    for case in &cases {
        let lines = command_lines(case);
        assert!(!lines.is_empty(), "{}: no commands", case.display());
        for (i, line) in lines.iter().enumerate() {
            compared += 1;
            problems.extend(check_command(case, i + 1, line));
        }
    }

    let mut report = String::new();
    for p in &problems {
        writeln!(report, "{p}").unwrap();
    }
    assert!(
        problems.is_empty(),
        "{} of {compared} golden comparisons in {} cases differ from ninja 1.13:\n{report}",
        problems.len(),
        cases.len()
    );
    eprintln!(
        "golden: {compared} command lines in {} cases match",
        cases.len()
    );
}

/// The cases with a recorded real build (build.txt and expected-build/).
#[cfg(target_os = "linux")]
fn build_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("golden/cases exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("build.txt").is_file())
        .collect();
    cases.sort();
    cases
}

/// Whether real ninja 1.13 is on PATH (it then runs the `other` steps).
#[cfg(target_os = "linux")]
fn real_ninja_on_path() -> bool {
    common::ninja_on_path("golden builds: n2ref also runs the `other` steps")
}

/// Compares the files golden/scenario.py wrote for n2ref with the recorded ones.
#[cfg(target_os = "linux")]
fn compare_outputs(case: &Path, got_dir: &Path) -> Vec<String> {
    let want_dir = case.join("expected-build");
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let mut problems = Vec::new();
    let mut names: Vec<_> = fs::read_dir(&want_dir)
        .expect("expected-build exists")
        .map(|e| e.expect("dir entry").file_name())
        .collect();
    names.sort();
    for file in names {
        let want = fs::read(want_dir.join(&file)).expect("read recorded output");
        let got = fs::read(got_dir.join(&file)).unwrap_or_default();
        if want != got {
            let file = file.to_string_lossy();
            problems.push(format!(
                "{name}: build step output {file} differs\n{}",
                diff(&file, &want, &got)
            ));
        }
    }
    problems
}

/// Real builds of the generated projects (golden/<case>/build.txt): a dry
/// run, a -j1 build, `-t deps`, and the rebuild after touching a file, each
/// compared byte for byte with what ninja 1.13 printed. Where real ninja is
/// installed, it checks n2ref's logs: after n2ref's build, `ninja -n` must
/// have no work to do. Needs the cmake and meson versions the cases were
/// recorded with (CI installs them); otherwise the test says it skipped.
/// Linux only: the projects were generated and built with Linux's
/// compilers and paths, which the byte-for-byte comparison depends on.
#[cfg(target_os = "linux")]
#[test]
fn n2ref_builds_generated_projects_as_ninja_does() {
    let cases = build_cases();
    assert!(cases.len() >= 9, "expected the 9 generated golden cases");
    let n2ref = format!("{} build", env!("CARGO_BIN_EXE_n2ref"));
    let required = std::env::var_os("N2REF_REQUIRE_NINJA").is_some();
    let other = if real_ninja_on_path() {
        "ninja".to_owned()
    } else {
        n2ref.clone()
    };
    let scenario = cases_dir().join("../scenario.py");
    let results: Vec<(PathBuf, tempfile::TempDir, std::process::Output)> =
        std::thread::scope(|s| {
            let handles: Vec<_> = cases
                .iter()
                .map(|case| {
                    let (scenario, n2ref, other) = (&scenario, &n2ref, &other);
                    s.spawn(move || {
                        let out = tempfile::tempdir().expect("temp dir");
                        let output = Command::new("python3")
                            .arg(scenario)
                            .args(["run", "--impl", n2ref, "--other", other])
                            .arg(case)
                            .arg(out.path())
                            .stdin(Stdio::null())
                            .output()
                            .expect("run python3 golden/scenario.py");
                        (case.clone(), out, output)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

    let (mut problems, mut compared, mut skipped) = (Vec::new(), 0, 0);
    for (case, out, output) in &results {
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {
                compared += 1;
                problems.extend(compare_outputs(case, out.path()));
            }
            Some(3) if !required => {
                skipped += 1;
                eprintln!("SKIPPED: {}", stderr.trim());
            }
            _ => problems.push(format!(
                "{}: golden/scenario.py failed ({}):\n{stderr}",
                case.display(),
                output.status
            )),
        }
    }
    let mut report = String::new();
    for p in &problems {
        writeln!(report, "{p}").unwrap();
    }
    assert!(
        problems.is_empty(),
        "{} problems in the golden builds:\n{report}",
        problems.len()
    );
    eprintln!("golden builds: {compared} projects built as ninja 1.13 did, {skipped} skipped");
}

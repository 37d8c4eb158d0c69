//! `n2ref audit` on the fixtures of `tests/audit_fixtures/`: each broken
//! build gets exactly its planted findings, the correct build none.
//! Needs `strace` (CI installs it); skipped without it unless
//! `N2REF_REQUIRE_STRACE` is set.
//!
//! Linux only: the audit traces with strace.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `NAME STEP` for each finding of `n2ref audit --format json` in `dir`.
fn audit(dir: &Path) -> (BTreeSet<String>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_n2ref"))
        .args(["audit", "--scratch", "--format", "json", "-C"])
        .arg(dir)
        .output()
        .expect("run n2ref audit");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let found = stdout
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let message = v["message"].as_str().unwrap_or_default();
            let step = message.split('`').nth(1).unwrap_or_default();
            format!("{} {step}", v["name"].as_str().unwrap_or_default())
        })
        .collect();
    (found, out.status.code())
}

#[test]
fn each_fixture_gets_exactly_its_planted_findings() {
    if !strace_available() {
        assert!(
            std::env::var_os("N2REF_REQUIRE_STRACE").is_none(),
            "strace is required"
        );
        eprintln!("SKIPPED: no strace");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/audit_fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 8, "fixtures missing");
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .map(|dir| {
                s.spawn(move || {
                    let expected: BTreeSet<String> =
                        std::fs::read_to_string(dir.join("expected"))
                            .expect("expected file")
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .map(str::to_string)
                            .collect();
                    let (found, code) = audit(dir);
                    let want_code = if expected.is_empty() { 0 } else { 1 };
                    (found != expected || code != Some(want_code)).then(|| {
                        format!(
                            "{}: expected {expected:?} (exit {want_code}), found {found:?} (exit {code:?})",
                            dir.display()
                        )
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

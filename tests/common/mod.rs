//! What the integration tests that compare with real ninja share: finding
//! ninja 1.13, and skipping visibly when it is absent. CI sets
//! `N2REF_REQUIRE_NINJA=1` after installing ninja, which turns a skip into
//! a failure, so the comparisons never silently skip there.
//!
//! Each test file that needs it declares `mod common;`.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// Whether `program --version` says 1.13.
fn is_ninja_1_13(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"1.13"))
}

/// Says on stderr that `what` is skipped, or fails the test when
/// `N2REF_REQUIRE_NINJA` is set.
pub fn skip(what: &str, missing: &str) {
    assert!(
        std::env::var_os("N2REF_REQUIRE_NINJA").is_none(),
        "N2REF_REQUIRE_NINJA is set but {missing} was not found"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED ({what}): {missing} not found");
}

/// Real ninja 1.13 to compare with: `$N2REF_NINJA` if set, else `ninja`
/// on PATH, else pip's ninja in this machine's pyenv (for a `cargo test`
/// run without the PATH CI sets). `None` after [`skip`]ping `what`.
pub fn real_ninja(what: &str) -> Option<PathBuf> {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(given) = std::env::var_os("N2REF_NINJA") {
        candidates.push(given.to_string_lossy().into_owned());
    }
    candidates.push("ninja".into());
    candidates.push("/root/.pyenv/versions/3.11.7/bin/ninja".into());
    if let Some(found) = candidates.into_iter().find(|c| is_ninja_1_13(c)) {
        return Some(PathBuf::from(found));
    }
    skip(what, "real ninja 1.13");
    None
}

/// Whether `ninja` on PATH is 1.13, for tests whose scripts run it by
/// name; [`skip`]s `what` when it is not.
pub fn ninja_on_path(what: &str) -> bool {
    if is_ninja_1_13("ninja") {
        return true;
    }
    skip(what, "ninja 1.13 on PATH");
    false
}

//! The implementation under test: its command (the value of `$NINJA`), its
//! name (for `impls` and the known-divergence file) and its version (for
//! `since`/`until`).

use std::path::Path;
use std::time::Duration;

use super::exec;
use super::version::Version;

/// An implementation under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Implementation {
    /// The command, possibly several words, e.g. `/usr/bin/ninja` or
    /// `/path/to/n2ref build`.
    pub command: String,
    /// Basename of the command's first word, e.g. `ninja`, `samu`, `n2ref`.
    pub name: String,
    /// `MAJOR.MINOR` from `COMMAND --version`, if it could be read.
    pub version: Option<Version>,
    /// What `COMMAND --version` printed (trimmed), or why it failed.
    pub version_output: String,
}

/// The implementation name of `command`: the basename of its first word,
/// without a `.exe` suffix.
pub fn name_of(command: &str) -> String {
    let first = command.split_whitespace().next().unwrap_or_default();
    let base = Path::new(first)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    base.strip_suffix(".exe").map(str::to_owned).unwrap_or(base)
}

impl Implementation {
    /// Describes `command`, running `$NINJA --version` to learn its version
    /// unless `version` is given.
    pub fn detect(command: &str, version: Option<Version>) -> Implementation {
        let (queried, version_output) = query_version(command);
        Implementation {
            command: command.to_string(),
            name: name_of(command),
            version: version.or(queried),
            version_output,
        }
    }
}

/// Runs `$NINJA --version` in an empty directory.
fn query_version(command: &str) -> (Option<Version>, String) {
    let dir = match tempfile::Builder::new().prefix("n2ref-version-").tempdir() {
        Ok(d) => d,
        Err(e) => return (None, format!("cannot create a temp dir: {e}")),
    };
    match exec::run_shell(
        "$NINJA --version",
        dir.path(),
        command,
        None,
        Duration::from_secs(30),
    ) {
        Ok(e) => {
            let text = String::from_utf8_lossy(&e.stdout).trim().to_string();
            let version = (e.termination.code() == Some(0))
                .then(|| Version::parse_leading(&text))
                .flatten();
            let shown = if e.termination.code() == Some(0) {
                text
            } else {
                let err = String::from_utf8_lossy(&e.stderr).trim().to_string();
                format!(
                    "exit {}: {}",
                    e.termination,
                    if err.is_empty() { text } else { err }
                )
            };
            (version, shown)
        }
        Err(e) => (None, format!("cannot run: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_implementations() {
        assert_eq!(name_of("ninja"), "ninja");
        assert_eq!(name_of("/tmp/ninja-1.11/bin/ninja"), "ninja");
        assert_eq!(name_of("/x/target/debug/n2ref build"), "n2ref");
        assert_eq!(name_of("  samu  "), "samu");
        assert_eq!(name_of("C:/bin/ninja.exe"), "ninja");
        assert_eq!(name_of(""), "");
    }

    #[test]
    fn detects_versions() {
        let i = Implementation::detect("echo 1.12.0.git", None);
        assert_eq!(i.version, Some(Version::new(1, 12)));
        assert_eq!(i.name, "echo");
        let i = Implementation::detect("false", None);
        assert_eq!(i.version, None);
        assert!(
            i.version_output.starts_with("exit 1"),
            "{}",
            i.version_output
        );
        let i = Implementation::detect("false", Some(Version::new(1, 10)));
        assert_eq!(i.version, Some(Version::new(1, 10)));
    }
}

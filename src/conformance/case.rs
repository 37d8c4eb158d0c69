//! Conformance cases: discovery under a cases directory and parsing of
//! `case.toml` plus the expected `stdout`/`stderr` files.
//!
//! A case is a directory holding `case.toml`; its ID is its path relative to
//! the cases directory (`lex/escape-dollar`) and its category is the first
//! component of that path. Problems with a case's files do not abort a run:
//! they are kept as [`CaseError`]s and reported as failures naming the file.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::version::{Version, VersionRange};

/// The file that marks a directory as a case.
pub const CASE_FILE: &str = "case.toml";

/// A discovered case; `spec` is `Err` if its files are malformed.
#[derive(Clone, Debug)]
pub struct Case {
    /// Path relative to the cases directory, `/`-separated.
    pub id: String,
    /// First component of `id`.
    pub category: String,
    /// The case directory.
    pub dir: PathBuf,
    pub spec: Result<CaseSpec, CaseError>,
}

/// The parsed contents of a well-formed case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSpec {
    pub description: String,
    /// Spec rule IDs the case tests.
    pub rules: Vec<String>,
    /// Shell command run with `sh -c`.
    pub command: String,
    /// Expected exit status.
    pub exit: i32,
    pub versions: VersionRange,
    /// Implementations the case is restricted to (`None`: all).
    pub impls: Option<Vec<String>>,
    /// Expected normalised stdout (`None`: not compared).
    pub stdout: Option<Vec<u8>>,
    /// Expected normalised stderr (`None`: not compared).
    pub stderr: Option<Vec<u8>>,
}

/// A malformed case: which file is wrong and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    description: Option<String>,
    rules: Option<Vec<String>>,
    command: Option<String>,
    exit: Option<i64>,
    since: Option<String>,
    until: Option<String>,
    impls: Option<Vec<String>>,
}

/// Parses the text of a `case.toml` (without the expected-output files).
/// `file` only names the file in errors.
pub fn parse_case_toml(text: &str, file: &Path) -> Result<CaseSpec, CaseError> {
    let err = |message: String| CaseError {
        file: file.to_path_buf(),
        message,
    };
    let raw: RawCase =
        toml::from_str(text).map_err(|e| err(format!("invalid TOML: {}", e.message())))?;
    let missing = |field: &str| err(format!("missing required field `{field}`"));
    let description = raw.description.ok_or_else(|| missing("description"))?;
    let rules = raw.rules.ok_or_else(|| missing("rules"))?;
    if rules.is_empty() {
        return Err(err("`rules` must name at least one spec rule".into()));
    }
    let command = raw.command.ok_or_else(|| missing("command"))?;
    if command.trim().is_empty() {
        return Err(err("`command` is empty".into()));
    }
    let exit = raw.exit.ok_or_else(|| missing("exit"))?;
    let exit = i32::try_from(exit)
        .ok()
        .filter(|e| (0..=255).contains(e))
        .ok_or_else(|| err(format!("`exit` must be between 0 and 255, not {exit}")))?;
    let version = |field: &str, value: Option<String>| -> Result<Option<Version>, CaseError> {
        value
            .map(|v| v.parse().map_err(|e| err(format!("`{field}`: {e}"))))
            .transpose()
    };
    let versions = VersionRange {
        since: version("since", raw.since)?,
        until: version("until", raw.until)?,
    };
    if let (Some(s), Some(u)) = (versions.since, versions.until)
        && s >= u
    {
        return Err(err(format!(
            "empty version range: since {s} is not before until {u}"
        )));
    }
    if raw.impls.as_ref().is_some_and(|i| i.is_empty()) {
        return Err(err("`impls` is empty: the case would never run".into()));
    }
    Ok(CaseSpec {
        description,
        rules,
        command,
        exit,
        versions,
        impls: raw.impls,
        stdout: None,
        stderr: None,
    })
}

/// Loads the case in `dir`.
pub fn load_case(dir: &Path) -> Result<CaseSpec, CaseError> {
    let file = dir.join(CASE_FILE);
    let bytes = std::fs::read(&file).map_err(|e| CaseError {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| CaseError {
        file: file.clone(),
        message: "not valid UTF-8".into(),
    })?;
    let mut spec = parse_case_toml(&text, &file)?;
    spec.stdout = read_optional(&dir.join("stdout"))?;
    spec.stderr = read_optional(&dir.join("stderr"))?;
    let files = dir.join("files");
    if files.exists() && !files.is_dir() {
        return Err(CaseError {
            file: files,
            message: "must be a directory".into(),
        });
    }
    Ok(spec)
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, CaseError> {
    match std::fs::read(path) {
        Ok(data) => Ok(Some(data)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CaseError {
            file: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        }),
    }
}

/// Finds every case under `root`, sorted by ID.
///
/// A directory holding `case.toml` is a case and is not searched further
/// (its `files/` may hold anything). A directory without `case.toml` that
/// holds `files/`, `stdout` or `stderr` looks like a case that lost its
/// `case.toml`, and is returned as a malformed case.
pub fn discover(root: &Path) -> std::io::Result<Vec<Case>> {
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("cases directory {} not found", root.display()),
        ));
    }
    let mut cases = Vec::new();
    let mut walk = walkdir::WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_dir() {
            continue;
        }
        let dir = entry.path();
        let case_file = dir.join(CASE_FILE);
        let looks_like_case = ["files", "stdout", "stderr"]
            .iter()
            .any(|n| dir.join(n).exists());
        if !case_file.exists() && !looks_like_case {
            continue;
        }
        walk.skip_current_dir();
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        let id = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let category = id.split('/').next().unwrap_or_default().to_string();
        let spec = if case_file.exists() {
            load_case(dir)
        } else {
            Err(CaseError {
                file: case_file,
                message: "missing: the directory has case files but no case.toml".into(),
            })
        };
        cases.push(Case {
            id,
            category,
            dir: dir.to_path_buf(),
            spec,
        });
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CaseSpec, CaseError> {
        parse_case_toml(text, Path::new("x/case.toml"))
    }

    const GOOD: &str = "description = \"d\"\nrules = [\"lex.a\"]\ncommand = \"$NINJA\"\nexit = 0\n";

    #[test]
    fn parses_a_minimal_case() {
        let spec = parse(GOOD).unwrap();
        assert_eq!(spec.rules, ["lex.a"]);
        assert_eq!(spec.command, "$NINJA");
        assert_eq!(spec.exit, 0);
        assert!(!spec.versions.is_restricted());
        assert_eq!(spec.impls, None);
    }

    #[test]
    fn parses_versions_and_impls() {
        let spec = parse(&format!(
            "{GOOD}since = \"1.11\"\nuntil = \"1.13\"\nimpls = [\"ninja\"]\n"
        ))
        .unwrap();
        assert_eq!(spec.versions.since, Some(Version::new(1, 11)));
        assert_eq!(spec.versions.until, Some(Version::new(1, 13)));
        assert_eq!(spec.impls.unwrap(), ["ninja"]);
    }

    #[test]
    fn reports_errors_naming_the_file() {
        let cases = [
            ("description = ", "invalid TOML"),
            (
                "description = \"d\"\nrules = [\"a.b\"]\nexit = 0\n",
                "`command`",
            ),
            (
                "description = \"d\"\nrules = [\"a.b\"]\ncommand = \"x\"\n",
                "`exit`",
            ),
            (
                "rules = [\"a.b\"]\ncommand = \"x\"\nexit = 0\n",
                "`description`",
            ),
            (
                "description = \"d\"\nrules = []\ncommand = \"x\"\nexit = 0\n",
                "`rules`",
            ),
            (&format!("{GOOD}sinse = \"1.2\"\n"), "sinse"),
            (&format!("{GOOD}since = \"1.12.1\"\n"), "`since`"),
            (
                &format!("{GOOD}since = \"1.12\"\nuntil = \"1.12\"\n"),
                "empty version range",
            ),
            (&GOOD.replace("exit = 0", "exit = 256"), "`exit`"),
            (&GOOD.replace("exit = 0", "exit = \"0\""), "invalid TOML"),
            (&format!("{GOOD}impls = []\n"), "`impls`"),
        ];
        for (text, needle) in cases {
            let e = parse(text).unwrap_err();
            let shown = e.to_string();
            assert!(shown.starts_with("x/case.toml: "), "{shown}");
            assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
        }
    }

    #[test]
    fn discovers_cases_and_orphans() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for dir in [
            "lex/a/files/sub",
            "lex/b",
            "syntax/c",
            "syntax/orphan/files",
            "empty/x",
        ] {
            std::fs::create_dir_all(r.join(dir)).unwrap();
        }
        std::fs::write(r.join("lex/a/case.toml"), GOOD).unwrap();
        std::fs::write(r.join("lex/a/stdout"), "out\n").unwrap();
        // A case.toml inside files/ is input data, not a nested case.
        std::fs::write(r.join("lex/a/files/sub/case.toml"), "junk").unwrap();
        std::fs::write(r.join("lex/b/case.toml"), "junk =").unwrap();
        std::fs::write(r.join("syntax/c/case.toml"), GOOD).unwrap();
        let cases = discover(r).unwrap();
        let ids: Vec<_> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["lex/a", "lex/b", "syntax/c", "syntax/orphan"]);
        assert_eq!(cases[0].category, "lex");
        let a = cases[0].spec.as_ref().unwrap();
        assert_eq!(a.stdout.as_deref(), Some(&b"out\n"[..]));
        assert_eq!(a.stderr, None);
        assert!(cases[1].spec.as_ref().unwrap_err().message.contains("TOML"));
        let orphan = cases[3].spec.as_ref().unwrap_err();
        assert!(orphan.file.ends_with("syntax/orphan/case.toml"));
        assert!(discover(&r.join("nope")).is_err());
    }
}

//! Running cases: applicability (implementation and version), execution in
//! a fresh copy of `files/`, comparison with the expectations, known
//! divergences, and the parallel run of a whole suite.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::case::{self, Case, CaseSpec};
use super::exec::{self, Termination};
use super::implementation::Implementation;
use super::known::{Divergence, KnownDivergences};
use super::normalise::normalise;
use super::version::Version;

/// What to run and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Directory searched for cases.
    pub cases_dir: PathBuf,
    /// The implementation's command, the value of `$NINJA`.
    pub command: String,
    /// Only cases whose ID matches one of these (substring, or glob with
    /// `*` and `?`); empty means all.
    pub filters: Vec<String>,
    /// Known-divergence file; `None` means `<cases_dir>/../known/<name>.toml`.
    pub known_file: Option<PathBuf>,
    /// Per-case time limit.
    pub timeout: Duration,
    /// Number of cases run at once.
    pub jobs: usize,
    /// Use this version instead of asking `$NINJA --version`.
    pub version: Option<Version>,
}

impl Options {
    /// Defaults for running the cases in `cases_dir` against `command`.
    pub fn new(cases_dir: impl Into<PathBuf>, command: impl Into<String>) -> Options {
        Options {
            cases_dir: cases_dir.into(),
            command: command.into(),
            filters: Vec::new(),
            known_file: None,
            timeout: Duration::from_secs(30),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            version: None,
        }
    }
}

/// A difference between expected and actual output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputMismatch {
    pub expected: Vec<u8>,
    pub actual: Vec<u8>,
}

/// Why a case failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The case is malformed or could not be run.
    Error(String),
    /// The case ran and something differs (or it timed out).
    Mismatch {
        expected_exit: i32,
        actual: Termination,
        /// Present only if stdout was compared and differs.
        stdout: Option<OutputMismatch>,
        /// Present only if stderr was compared and differs.
        stderr: Option<OutputMismatch>,
    },
}

impl Failure {
    /// A one-line summary.
    pub fn summary(&self) -> String {
        match self {
            Failure::Error(e) => e.clone(),
            Failure::Mismatch {
                expected_exit,
                actual,
                stdout,
                stderr,
            } => {
                let mut parts = Vec::new();
                if actual.code() != Some(*expected_exit) {
                    parts.push(match actual {
                        Termination::TimedOut(_) => actual.to_string(),
                        _ => format!("exit {actual}, expected {expected_exit}"),
                    });
                }
                if stdout.is_some() {
                    parts.push("stdout differs".to_string());
                }
                if stderr.is_some() {
                    parts.push("stderr differs".to_string());
                }
                parts.join("; ")
            }
        }
    }
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed(Failure),
    Skipped(String),
    /// Failed, as listed in the known-divergence file.
    KnownFailure(Divergence, Failure),
    /// Passed although listed in the known-divergence file.
    KnownPassed(Divergence),
}

impl Status {
    /// Short lowercase name: pass, fail, skip, known, fixed.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Passed => "pass",
            Status::Failed(_) => "fail",
            Status::Skipped(_) => "skip",
            Status::KnownFailure(..) => "known",
            Status::KnownPassed(_) => "fixed",
        }
    }
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub id: String,
    pub category: String,
    pub dir: PathBuf,
    /// `None` if the case file is malformed.
    pub spec: Option<CaseSpec>,
    pub status: Status,
    pub duration: Duration,
}

/// Counts of outcomes. `passed` includes known divergences that passed
/// (`fixed`); `known` failures are not in `failed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub known: usize,
    pub fixed: usize,
}

impl Counts {
    fn add(&mut self, status: &Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed(_) => self.failed += 1,
            Status::Skipped(_) => self.skipped += 1,
            Status::KnownFailure(..) => self.known += 1,
            Status::KnownPassed(_) => {
                self.passed += 1;
                self.fixed += 1;
            }
        }
    }
}

/// The results of a suite run.
#[derive(Clone, Debug)]
pub struct SuiteResult {
    pub implementation: Implementation,
    /// The known-divergence file consulted (it may not exist).
    pub known_file: PathBuf,
    /// Results in case-ID order.
    pub cases: Vec<CaseResult>,
    /// Known-divergence entries naming no existing case.
    pub stale_known: Vec<Divergence>,
    /// Things the user should know that are not case failures.
    pub warnings: Vec<String>,
}

impl SuiteResult {
    /// Totals over all cases.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.cases {
            c.add(&r.status);
        }
        c
    }

    /// Totals per category, in category order.
    pub fn counts_by_category(&self) -> Vec<(String, Counts)> {
        let mut map = std::collections::BTreeMap::<String, Counts>::new();
        for r in &self.cases {
            map.entry(r.category.clone()).or_default().add(&r.status);
        }
        map.into_iter().collect()
    }

    /// Cases that failed and are not known divergences.
    pub fn unexpected_failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|r| matches!(r.status, Status::Failed(_)))
    }

    /// True iff no case failed unexpectedly.
    pub fn success(&self) -> bool {
        self.unexpected_failures().next().is_none()
    }
}

/// True if `id` is selected by `filter`: a glob (`*`, `?`) matching the
/// whole ID if it has wildcards, else a substring.
pub fn matches_filter(id: &str, filter: &str) -> bool {
    if filter.contains(['*', '?']) {
        glob_match(filter.as_bytes(), id.as_bytes())
    } else {
        id.contains(filter)
    }
}

fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_match(rest, &text[i..])),
        Some((&p, rest)) => text
            .split_first()
            .is_some_and(|(&t, tail)| (p == b'?' || p == t) && glob_match(rest, tail)),
    }
}

/// Why `spec` does not apply to `implementation`, if it does not.
pub fn skip_reason(spec: &CaseSpec, implementation: &Implementation) -> Option<String> {
    if let Some(impls) = &spec.impls
        && !impls.contains(&implementation.name)
    {
        return Some(format!("only for {}", impls.join(", ")));
    }
    if spec.versions.is_restricted() {
        match implementation.version {
            None => return Some(format!("{}; implementation version unknown", spec.versions)),
            Some(v) if !spec.versions.contains(v) => {
                return Some(format!("{}; implementation is {v}", spec.versions));
            }
            Some(_) => {}
        }
    }
    None
}

/// The suite's shared scripts, `<cases_dir>/../lib`, as an absolute path:
/// cases reach it as `$CONFORMANCE_LIB` from their temporary directory.
pub fn shared_lib_dir(cases_dir: &Path) -> PathBuf {
    let lib = cases_dir.parent().unwrap_or(Path::new(".")).join("lib");
    std::path::absolute(&lib).unwrap_or(lib)
}

/// Runs `spec` (the case in `dir`) and compares the outcome; `lib` is the
/// value of `$CONFORMANCE_LIB`.
pub fn execute_case(
    spec: &CaseSpec,
    dir: &Path,
    command: &str,
    lib: &Path,
    timeout: Duration,
) -> Result<(), Failure> {
    let tmp = tempfile::Builder::new()
        .prefix("n2ref-case-")
        .tempdir()
        .map_err(|e| Failure::Error(format!("cannot create a temp dir: {e}")))?;
    let files = dir.join("files");
    if files.is_dir() {
        exec::copy_tree(&files, tmp.path())
            .map_err(|e| Failure::Error(format!("cannot copy {}: {e}", files.display())))?;
    }
    let run = exec::run_shell(&spec.command, tmp.path(), command, Some(lib), timeout)
        .map_err(|e| Failure::Error(format!("cannot run sh: {e}")))?;
    let compare = |expected: &Option<Vec<u8>>, raw: &[u8]| {
        let actual = normalise(raw, tmp.path());
        match expected {
            Some(e) if *e != actual => Some(OutputMismatch {
                expected: e.clone(),
                actual,
            }),
            _ => None,
        }
    };
    let stdout = compare(&spec.stdout, &run.stdout);
    let stderr = compare(&spec.stderr, &run.stderr);
    if run.termination.code() == Some(spec.exit) && stdout.is_none() && stderr.is_none() {
        Ok(())
    } else {
        Err(Failure::Mismatch {
            expected_exit: spec.exit,
            actual: run.termination,
            stdout,
            stderr,
        })
    }
}

/// Runs one discovered case against `implementation`.
pub fn run_case(
    case: &Case,
    implementation: &Implementation,
    known: &KnownDivergences,
    lib: &Path,
    timeout: Duration,
) -> CaseResult {
    let start = std::time::Instant::now();
    let outcome = match &case.spec {
        Err(e) => Err(Failure::Error(e.to_string())),
        Ok(spec) => match skip_reason(spec, implementation) {
            Some(reason) => {
                return CaseResult {
                    id: case.id.clone(),
                    category: case.category.clone(),
                    dir: case.dir.clone(),
                    spec: Some(spec.clone()),
                    status: Status::Skipped(reason),
                    duration: start.elapsed(),
                };
            }
            None => execute_case(spec, &case.dir, &implementation.command, lib, timeout),
        },
    };
    let status = match (outcome, known.get(&case.id)) {
        (Ok(()), None) => Status::Passed,
        (Ok(()), Some(d)) => Status::KnownPassed(d.clone()),
        (Err(f), None) => Status::Failed(f),
        (Err(f), Some(d)) => Status::KnownFailure(d.clone(), f),
    };
    CaseResult {
        id: case.id.clone(),
        category: case.category.clone(),
        dir: case.dir.clone(),
        spec: case.spec.as_ref().ok().cloned(),
        status,
        duration: start.elapsed(),
    }
}

/// Discovers, filters and runs the cases of `options.cases_dir`. Errors are
/// problems with the setup (no cases directory, bad known-divergence file),
/// not case failures.
pub fn run_suite(options: &Options) -> Result<SuiteResult, String> {
    let all = case::discover(&options.cases_dir).map_err(|e| e.to_string())?;
    let implementation = Implementation::detect(&options.command, options.version);
    let known_file = options.known_file.clone().unwrap_or_else(|| {
        let parent = options.cases_dir.parent().unwrap_or(Path::new("."));
        parent
            .join("known")
            .join(format!("{}.toml", implementation.name))
    });
    let known = KnownDivergences::load(&known_file)?;
    let lib = shared_lib_dir(&options.cases_dir);
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    let stale_known = known.stale(&ids).into_iter().cloned().collect();
    let cases: Vec<&Case> = all
        .iter()
        .filter(|c| {
            options.filters.is_empty() || options.filters.iter().any(|f| matches_filter(&c.id, f))
        })
        .collect();

    let mut warnings = Vec::new();
    if implementation.version.is_none() {
        warnings.push(format!(
            "cannot read a MAJOR.MINOR version from `$NINJA --version` ({}); \
             cases with since/until are skipped (use --ninja-version to set it)",
            implementation.version_output
        ));
    }
    if cases.is_empty() {
        warnings.push("no cases selected".to_string());
    }

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; cases.len()]);
    let jobs = options.jobs.clamp(1, cases.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let r = run_case(case, &implementation, &known, &lib, options.timeout);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    let cases = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every case ran"))
        .collect();
    Ok(SuiteResult {
        implementation,
        known_file,
        cases,
        stale_known,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::version::VersionRange;

    #[test]
    fn filters_by_substring_or_glob() {
        assert!(matches_filter("lex/escape-dollar", "escape"));
        assert!(matches_filter("lex/escape-dollar", "lex/"));
        assert!(!matches_filter("lex/escape-dollar", "eval"));
        assert!(matches_filter("lex/escape-dollar", "lex/*"));
        assert!(matches_filter("lex/escape-dollar", "*dollar"));
        assert!(matches_filter("lex/escape-dollar", "l?x/*-d*"));
        assert!(!matches_filter("lex/escape-dollar", "*/escape"));
    }

    #[test]
    fn shared_lib_is_the_absolute_sibling_of_the_cases_dir() {
        let lib = shared_lib_dir(Path::new("conformance/cases"));
        assert!(lib.is_absolute());
        assert!(lib.ends_with("conformance/lib"));
        // The suite's own lib exists: the watch cases load watch.sh from it.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            shared_lib_dir(&root.join("conformance/cases"))
                .join("watch.sh")
                .is_file()
        );
    }

    fn spec() -> CaseSpec {
        CaseSpec {
            description: "d".into(),
            rules: vec!["a.b".into()],
            command: "true".into(),
            exit: 0,
            versions: VersionRange::default(),
            impls: None,
            stdout: None,
            stderr: None,
        }
    }

    fn implementation(name: &str, version: Option<Version>) -> Implementation {
        Implementation {
            command: name.into(),
            name: name.into(),
            version,
            version_output: String::new(),
        }
    }

    #[test]
    fn skips_by_impl_and_version() {
        let v113 = Some(Version::new(1, 13));
        let mut s = spec();
        assert_eq!(skip_reason(&s, &implementation("ninja", None)), None);
        s.impls = Some(vec!["n2ref".into()]);
        assert_eq!(
            skip_reason(&s, &implementation("ninja", v113)).as_deref(),
            Some("only for n2ref")
        );
        assert_eq!(skip_reason(&s, &implementation("n2ref", v113)), None);
        s.impls = None;
        s.versions.until = Some(Version::new(1, 13));
        assert_eq!(
            skip_reason(&s, &implementation("ninja", v113)).as_deref(),
            Some("until 1.13; implementation is 1.13")
        );
        assert_eq!(
            skip_reason(&s, &implementation("ninja", Some(Version::new(1, 12)))),
            None
        );
        assert!(
            skip_reason(&s, &implementation("ninja", None))
                .unwrap()
                .contains("unknown")
        );
    }

    #[test]
    fn failure_summaries() {
        let f = Failure::Mismatch {
            expected_exit: 0,
            actual: Termination::Exited(1),
            stdout: Some(OutputMismatch {
                expected: vec![],
                actual: vec![],
            }),
            stderr: None,
        };
        assert_eq!(f.summary(), "exit 1, expected 0; stdout differs");
        let t = Failure::Mismatch {
            expected_exit: 0,
            actual: Termination::TimedOut(Duration::from_secs(2)),
            stdout: None,
            stderr: None,
        };
        assert_eq!(t.summary(), "timed out after 2s");
    }
}

//! `n2ref check`: a linter for ninja manifests, with rustc-style
//! diagnostics (`spec/check.md`), and `--explain`, which shows where each of
//! an edge's variables got its value.
//!
//! The linter loads the manifest with the ordinary loader (keeping sources),
//! re-parses every loaded file to see the statements as written
//! ([`walk`]), and runs the lints of [`lints`] on both. A load error becomes
//! a diagnostic of its own unless a lint explains it better (a misspelt rule
//! key, a duplicate output, ...).

pub mod explain;
pub mod lints;
pub mod render;
pub mod suggest;
pub mod walk;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use crate::load::{DiskReader, FileReader, LoadError, LoadOptions, Loaded};
use crate::source::Span;

/// How serious a diagnostic is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Legal for ninja, but probably not what the author meant.
    Warning,
    /// ninja rejects the manifest, or fails when it builds the affected edge.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One kind of diagnostic: a stable code, a name and a default severity.
/// The spec rule describing it is `check.<name>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Lint {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line for `spec/check.md` and `--help`-like listings.
    pub summary: &'static str,
}

impl Lint {
    /// The spec rule ID, `check.<name>` (`audit.<name>` for the findings
    /// of `n2ref audit`, whose codes start with `N2A`).
    pub fn rule_id(&self) -> String {
        format!("{}.{}", self.chapter(), self.name)
    }

    /// The spec chapter describing it: `check` or `audit`.
    pub fn chapter(&self) -> &'static str {
        if self.code.starts_with("N2A") {
            "audit"
        } else {
            "check"
        }
    }
}

/// Declares a table of lints (or of audit findings, which share the
/// type): one constant per entry and `$all`, every entry in code order.
macro_rules! declare_lints {
    ($all:ident: $($ident:ident = $code:literal, $name:literal, $sev:ident, $summary:literal;)*) => {
        $(pub const $ident: $crate::check::Lint = $crate::check::Lint {
            code: $code,
            name: $name,
            severity: $crate::check::Severity::$sev,
            summary: $summary,
        };)*
        /// Every entry of the table, in code order.
        pub const $all: &[&$crate::check::Lint] = &[$(&$ident),*];
    };
}
pub(crate) use declare_lints;

declare_lints! { ALL_LINTS:
    LOAD_ERROR = "N2R0001", "load-error", Error,
        "ninja cannot load the manifest";
    NINJA_WARNING = "N2R0002", "ninja-warning", Warning,
        "ninja prints a warning while loading the manifest";
    UNKNOWN_KEY = "N2R0003", "unknown-key", Error,
        "a rule or pool binds a variable it cannot have";
    RSPFILE_PAIR = "N2R0004", "rspfile-pair", Error,
        "a rule sets only one of `rspfile` and `rspfile_content`";
    UNDEFINED_VARIABLE = "N2R0005", "undefined-variable", Warning,
        "a reference to a variable that is defined nowhere (or only later)";
    IN_OUT_OUTSIDE_RULE = "N2R0006", "in-out-outside-rule", Warning,
        "`$in` or `$out` used where it is always empty";
    RULE_VARIABLE_CYCLE = "N2R0007", "rule-variable-cycle", Error,
        "rule variables that refer to each other in a cycle";
    FALSE_FLAG = "N2R0008", "false-flag", Warning,
        "`restat` or `generator` set to a value meant as false";
    DEPS_WITHOUT_DEPFILE = "N2R0009", "deps-without-depfile", Error,
        "`deps = gcc` on an edge that has no `depfile`";
    UNUSED_RULE = "N2R0010", "unused-rule", Warning,
        "a rule that no build statement uses";
    UNUSED_POOL = "N2R0011", "unused-pool", Warning,
        "a pool that no edge is assigned to";
    DUPLICATE_OUTPUT = "N2R0012", "duplicate-output", Error,
        "two build statements (or one, twice) produce the same file";
    DEPENDENCY_CYCLE = "N2R0013", "dependency-cycle", Error,
        "a file depends on itself through the build graph";
    MISSING_INPUT = "N2R0014", "missing-input", Warning,
        "an input that nothing builds and that does not exist";
    SHADOWED_RULE_BINDING = "N2R0015", "shadowed-rule-binding", Warning,
        "a top-level variable overrides a rule's binding for edges without bindings";
    UNQUOTED_SPACE_PATH = "N2R0016", "unquoted-space-path", Warning,
        "a path with a space reaches a command unquoted";
    OUTPUT_OUTSIDE_TREE = "N2R0017", "output-outside-tree", Warning,
        "an output outside the directory the build runs in";
}

/// The lint with this code or name.
pub fn find_lint(code_or_name: &str) -> Option<&'static Lint> {
    ALL_LINTS
        .iter()
        .copied()
        .find(|l| l.code.eq_ignore_ascii_case(code_or_name) || l.name == code_or_name)
}

/// A span with a message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

impl Label {
    pub fn new(span: Span, text: impl Into<String>) -> Label {
        Label {
            span,
            text: text.into(),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub lint: &'static Lint,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` for problems of the whole load (a
    /// missing manifest, a version mismatch).
    pub primary: Option<Label>,
    /// Other places that take part (the other build statement, the rule).
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
    /// Set when this diagnostic describes the load error itself, so the
    /// generic `load-error` diagnostic is left out.
    pub explains_load_error: bool,
}

impl Diagnostic {
    pub fn new(lint: &'static Lint, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            lint,
            severity: lint.severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            explains_load_error: false,
        }
    }

    pub fn primary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.primary = Some(Label::new(span, text));
        self
    }

    pub fn secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, text));
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help.push(text.into());
        self
    }
}

/// Answers whether a path named in the manifest exists. Paths are as the
/// manifest spells them (relative to ninja's working directory).
pub trait Disk: Sync {
    fn exists(&self, path: &[u8]) -> bool;

    /// Which of `paths` exist, in order. The real file system answers by
    /// listing each directory once instead of asking once per file.
    fn exist_all(&self, paths: &[&[u8]]) -> Vec<bool> {
        paths.iter().map(|p| self.exists(p)).collect()
    }

    /// The directory the build runs in (the manifest's), absolute and
    /// without symbolic links, if known.
    fn build_dir(&self) -> Option<Vec<u8>> {
        None
    }
}

/// The real file system, relative to a directory (the manifest's).
pub struct RealDisk {
    pub base: std::path::PathBuf,
}

impl Disk for RealDisk {
    fn exists(&self, path: &[u8]) -> bool {
        let path = crate::bytes_to_path(path);
        let full = if path.is_absolute() {
            path
        } else {
            self.base.join(path)
        };
        std::fs::symlink_metadata(full).is_ok()
    }

    fn build_dir(&self) -> Option<Vec<u8>> {
        let dir = std::fs::canonicalize(&self.base).ok()?;
        Some(dir.into_os_string().into_encoded_bytes())
    }

    fn exist_all(&self, paths: &[&[u8]]) -> Vec<bool> {
        use std::collections::hash_map::Entry;
        // A directory's entries, or `None` when it cannot be listed (then
        // each file is asked about on its own).
        let mut listings: HashMap<&[u8], Option<HashSet<Vec<u8>>>> = HashMap::new();
        paths
            .iter()
            .map(|&path| {
                let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
                    Some(i) => (&path[..i], &path[i + 1..]),
                    None => (&b""[..], path),
                };
                if matches!(name, b"" | b"." | b"..") {
                    return self.exists(path);
                }
                let listing = match listings.entry(dir) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(self.list(dir)),
                };
                match listing {
                    Some(names) => names.contains(name),
                    None => self.exists(path),
                }
            })
            .collect()
    }
}

impl RealDisk {
    /// The names in directory `dir` (relative to `base`; `""` is `base`).
    fn list(&self, dir: &[u8]) -> Option<HashSet<Vec<u8>>> {
        let full = if dir.is_empty() {
            self.base.clone()
        } else if dir.starts_with(b"/") {
            crate::bytes_to_path(dir)
        } else {
            self.base.join(crate::bytes_to_path(dir))
        };
        match std::fs::read_dir(full) {
            Ok(entries) => Some(
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| os_to_bytes(&e.file_name()))
                    .collect(),
            ),
            // A missing directory holds no files.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(HashSet::new()),
            Err(_) => None,
        }
    }
}

impl Disk for crate::load::MemoryReader {
    fn exists(&self, path: &[u8]) -> bool {
        self.files.contains_key(path)
    }
}

/// The outcome of checking a manifest.
#[derive(Debug)]
pub struct Report {
    /// Sorted by file (in load order) and position; whole-load problems first.
    pub diagnostics: Vec<Diagnostic>,
    /// What the loader produced (complete only when `load_error` is `None`).
    pub loaded: Loaded,
    pub load_error: Option<LoadError>,
}

impl Report {
    /// Prefixes every relative file name with `dir/`.
    pub fn prefix_file_names(&mut self, dir: &[u8]) {
        let ids: Vec<_> = self.loaded.sources.iter().map(|(id, _)| id).collect();
        for id in ids {
            let file = self.loaded.sources.get_mut(id);
            if !file.name.starts_with(b"/") {
                let mut name = dir.to_vec();
                if !name.ends_with(b"/") {
                    name.push(b'/');
                }
                name.extend_from_slice(&file.name);
                file.name = name;
            }
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The exit status `n2ref check` uses: 2 with errors, 1 with warnings
    /// when `deny_warnings`, else 0.
    pub fn exit_code(&self, deny_warnings: bool) -> u8 {
        if self.count(Severity::Error) > 0 {
            2
        } else if deny_warnings && self.count(Severity::Warning) > 0 {
            1
        } else {
            0
        }
    }
}

/// Loads `path` through `reader` and runs every lint.
pub fn check(reader: &mut dyn FileReader, path: &[u8], disk: &dyn Disk) -> Report {
    let options = LoadOptions {
        keep_sources: true,
        ..LoadOptions::default()
    };
    let (loaded, load_error) = match crate::load::load(reader, path, &options) {
        Ok(loaded) => (loaded, None),
        Err((e, loaded)) => (loaded, Some(e)),
    };
    let mut diagnostics = lints::run(&loaded, load_error.as_ref(), disk);
    sort(&mut diagnostics);
    Report {
        diagnostics,
        loaded,
        load_error,
    }
}

fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| match &d.primary {
        None => (0, 0, 0),
        Some(l) => (1, l.span.source.0, l.span.start),
    });
}

// ---- command line ---------------------------------------------------------

/// Output format of diagnostics.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style text with source snippets.
    Human,
    /// One JSON object per line (JSON Lines), one per diagnostic.
    Json,
}

/// What `--deny` can turn into failures.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Exit with status 1 when there are warnings (and no errors).
    Warnings,
}

/// Lint a ninja manifest, or explain where an edge's variables come from.
#[derive(Debug, clap::Parser)]
#[command(
    name = "n2ref check",
    bin_name = "n2ref check",
    disable_version_flag = true,
    after_long_help = lint_table()
)]
pub struct CheckArgs {
    /// The manifest to check.
    #[arg(default_value = "build.ninja")]
    pub file: OsString,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as failures (exit status 1).
    #[arg(long, value_enum)]
    pub deny: Vec<Deny>,
    /// Instead of linting, show how the edge building TARGET gets the value
    /// of each of its variables (or only of VAR).
    #[arg(long, value_name = "TARGET[:VAR]")]
    pub explain: Option<OsString>,
    /// Instead of linting, print the file scopes as the loader left them:
    /// each scope's file, parent, variables (with where they were last
    /// assigned) and rules.
    #[arg(long, conflicts_with = "explain")]
    pub scopes: bool,
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset),
    /// always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The lints, one per line, for `--help`.
fn lint_table() -> String {
    let mut out = String::from("Lints (see spec/check.md):\n");
    for lint in ALL_LINTS {
        out.push_str(&format!(
            "  {}  {:<8} {:<22} {}\n",
            lint.code,
            lint.severity.as_str(),
            lint.name,
            lint.summary
        ));
    }
    out.push_str(
        "\nExit status: 0 clean or only warnings, 1 warnings with --deny warnings, 2 errors.",
    );
    out
}

/// When to colour human output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// `n2ref check ARGS...` (`args[0]` is the program name, as clap expects).
pub fn cli_main(args: &[OsString]) -> ExitCode {
    use clap::Parser as _;
    let args = match CheckArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let mut stdout = std::io::stdout().lock();
    let code = run(&args, &mut stdout);
    let _ = stdout.flush();
    ExitCode::from(code)
}

/// Reads files relative to a directory, as ninja does after `-C DIR`.
pub struct DirReader {
    pub base: std::path::PathBuf,
}

impl FileReader for DirReader {
    fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String> {
        let path = crate::bytes_to_path(path);
        let full = if path.is_absolute() {
            path
        } else {
            self.base.join(path)
        };
        DiskReader.read_file(&os_to_bytes(full.as_os_str()))
    }
}

/// Checks the manifest at `path` the way `ninja -C DIR -f NAME` would load
/// it, where DIR and NAME are the directory and file parts of `path`: the
/// manifest's includes and inputs are relative to its own directory. File
/// names in the report are then prefixed with DIR, so they are relative to
/// the current directory again.
pub fn check_path(path: &[u8]) -> Report {
    let manifest = crate::bytes_to_path(path);
    let (dir, name) = match (manifest.parent(), manifest.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => {
            (dir.to_path_buf(), os_to_bytes(name))
        }
        _ => (std::path::PathBuf::from("."), path.to_vec()),
    };
    let disk = RealDisk { base: dir.clone() };
    let mut reader = DirReader { base: dir.clone() };
    let mut report = check(&mut reader, &name, &disk);
    if name != path {
        report.prefix_file_names(&os_to_bytes(dir.as_os_str()));
    }
    report
}

/// Runs `n2ref check` with parsed arguments, writing to `out`; returns the
/// exit status.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> u8 {
    let path = os_to_bytes(&args.file);
    // The process ends right after: freeing a large graph piece by piece
    // would only cost time, as it would for ninja.
    let report = std::mem::ManuallyDrop::new(check_path(&path));
    let style = render::Style {
        color: args.color.enabled(),
    };
    if let Some(explain) = &args.explain {
        return explain::run(
            &report,
            &path,
            &os_to_bytes(explain),
            args.format,
            style,
            out,
        );
    }
    if args.scopes {
        let _ = out.write_all(&report.loaded.graph.scopes.describe(&report.loaded.sources));
        return report.exit_code(false);
    }
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let _ = match args.format {
        Format::Human => out.write_all(render::human(&report, &path, style).as_bytes()),
        Format::Json => out.write_all(render::json_lines(&report).as_bytes()),
    };
    report.exit_code(deny_warnings)
}

fn os_to_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        s.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

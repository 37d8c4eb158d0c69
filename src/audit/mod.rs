//! `n2ref audit`: builds the targets from clean while tracing what every
//! step really reads and writes, and reports where the manifest does not
//! say so (`spec/audit.md`).
//!
//! The audit does not use the executor of [`crate::build`]: it loads the
//! graph, then visits the wanted edges depth first and runs each one
//! itself, one at a time (`-j1`, dependency order), under
//! `strace -f` ([`trace`]). Depfiles are read after each step as the build
//! reads them, and dyndep files are loaded as soon as they are built. It
//! then builds a second time from clean, untraced, to compare output bytes
//! and to re-run `restat` steps ([`analyze`] turns both into findings).
//! `--why TARGET` instead runs the executor's dependency scan ([`why`]).

pub mod analyze;
pub mod trace;
pub mod why;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::bytes_to_path;
use crate::check::{Diagnostic, Lint, Report};
use crate::expand::{Escape, edge_binding, edge_binding_escaped, edge_command};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};
use crate::load::{DiskReader, LoadOptions, Loaded};
use trace::Access;

crate::check::declare_lints! { ALL_FINDINGS:
    UNDECLARED_INPUT = "N2A0001", "undeclared-input", Error,
        "a step reads a file another step produces, with no dependency ordering them";
    DEPFILE_MISSING_INPUT = "N2A0002", "depfile-missing-input", Error,
        "a step reads a source file that neither its inputs nor its depfile list";
    UNDECLARED_OUTPUT = "N2A0003", "undeclared-output", Error,
        "a step writes a file that is not one of its outputs";
    OUTPUT_NOT_WRITTEN = "N2A0004", "output-not-written", Warning,
        "a step never writes one of its declared outputs";
    NONDETERMINISTIC = "N2A0005", "nondeterministic", Warning,
        "two builds from clean give different output bytes";
    RESTAT_LIE = "N2A0006", "restat-lie", Warning,
        "a `restat = 1` step whose output mtimes do not follow its content";
    ORDER_ONLY_NEEDED = "N2A0007", "order-only-needed", Error,
        "a step reads a file that only an order-only dependency provides";
    STEP_FAILED = "N2A0008", "step-failed", Error,
        "a command failed, so the audit stopped there";
}

/// Output format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with the build statements quoted.
    Text,
    /// One JSON object per line, one per finding.
    Json,
}

/// Build the targets from clean while tracing every command, and report
/// what the manifest gets wrong (spec/audit.md).
#[derive(Debug, clap::Parser)]
#[command(
    name = "n2ref audit",
    bin_name = "n2ref audit",
    disable_version_flag = true,
    after_long_help = finding_table()
)]
pub struct AuditArgs {
    /// Change to DIR before doing anything else.
    #[arg(short = 'C', value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The manifest.
    #[arg(short = 'f', value_name = "FILE", default_value = "build.ninja")]
    pub file: String,
    /// Build in a scratch copy of the directory instead of cleaning the
    /// targets' outputs in place.
    #[arg(long)]
    pub scratch: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Build once only: skip the second build that finds nondeterministic
    /// steps and restat lies.
    #[arg(long)]
    pub once: bool,
    /// Print the reduced trace instead of the findings: one record per
    /// line, `STEP<TAB>OP<TAB>PATH` (OP is read, write, stat, exec, remove,
    /// or `missing` for a failed lookup), for the files of the project.
    #[arg(long)]
    pub records: bool,
    /// Instead of auditing, explain why TARGET is dirty right now.
    #[arg(long, value_name = "TARGET")]
    pub why: Option<String>,
    /// Targets to audit (default: the manifest's defaults).
    pub targets: Vec<String>,
}

fn finding_table() -> String {
    let mut out = String::from("Findings (see spec/audit.md):\n");
    for f in ALL_FINDINGS {
        out.push_str(&format!(
            "  {}  {:<8} {:<22} {}\n",
            f.code,
            f.severity.as_str(),
            f.name,
            f.summary
        ));
    }
    out.push_str("\nExit status: 0 no findings, 1 findings, 2 the audit could not run.");
    out
}

/// `n2ref audit ARGS...` (`args[0]` is the program name).
pub fn cli_main(args: &[OsString]) -> ExitCode {
    use clap::Parser as _;
    let args = match AuditArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The visit recurses along the graph's depth.
    let code = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut stdout = std::io::stdout().lock();
            let mut stderr = std::io::stderr().lock();
            let code = run(&args, &mut stdout, &mut stderr);
            let _ = stdout.flush();
            code
        })
        .expect("spawning the audit thread")
        .join()
        .unwrap_or(2);
    ExitCode::from(code)
}

/// Runs `n2ref audit`; returns the exit status.
pub fn run(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run_inner(args, out, err) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "n2ref audit: error: {message}");
            2
        }
    }
}

fn run_inner(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, String> {
    if let Some(dir) = &args.dir {
        std::env::set_current_dir(dir).map_err(|e| format!("chdir to '{}': {e}", dir.display()))?;
    }
    if let Some(target) = &args.why {
        return why::run(&args.file, target, args.format, out, err);
    }
    // The trace is strace's (Linux only); `--why` above reads only logs.
    if !cfg!(target_os = "linux") {
        return Err(
            "the audit needs Linux: it traces commands with `strace -f` \
                    (`--why` works on every system)"
                .into(),
        );
    }
    if !trace::strace_available() {
        return Err(
            "strace not found: the audit traces commands with `strace -f` \
                    (install it, e.g. `apt-get install strace`)"
                .into(),
        );
    }
    // spec: [audit.clean-start]
    let _scratch = if args.scratch {
        let tmp = tempfile::Builder::new()
            .prefix("n2ref-audit-scratch-")
            .tempdir()
            .map_err(|e| format!("creating a scratch directory: {e}"))?;
        copy_tree(Path::new("."), tmp.path())
            .map_err(|e| format!("copying the tree to {}: {e}", tmp.path().display()))?;
        std::env::set_current_dir(tmp.path()).map_err(|e| e.to_string())?;
        Some(tmp)
    } else {
        None
    };
    let root = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| e.to_string())?;
    let options = LoadOptions {
        keep_sources: true,
        ..LoadOptions::default()
    };
    let loaded = crate::load::load(&mut DiskReader, args.file.as_bytes(), &options)
        .map_err(|(e, _)| e.to_string())?;
    let targets = crate::tools::collect_targets(&loaded.graph, &args.targets)?;
    let mut auditor = Auditor::new(loaded, path_bytes(&root), args.file.as_bytes().to_vec());
    let wanted = auditor.wanted(&targets);
    auditor.clean(&wanted);
    for &t in &targets {
        if !auditor.visit_file(t) {
            break;
        }
    }
    if auditor.failed.is_none() && !args.once {
        auditor.second_build();
    }
    if args.records {
        let text = analyze::records(&auditor);
        out.write_all(&text).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    let diagnostics = analyze::findings(&auditor);
    let _ = writeln!(
        err,
        "n2ref audit: traced {} step{}{}",
        auditor.steps.len(),
        if auditor.steps.len() == 1 { "" } else { "s" },
        if auditor.second.is_some() {
            ", then built them again untraced"
        } else {
            ""
        }
    );
    let code = u8::from(!diagnostics.is_empty());
    let report = Report {
        diagnostics,
        loaded: auditor.loaded,
        load_error: None,
    };
    let text = match args.format {
        Format::Text => crate::check::render::human(
            &report,
            args.file.as_bytes(),
            crate::check::render::Style { color: false },
        ),
        // spec: [audit.format.json]
        Format::Json => crate::check::render::json_lines(&report),
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    // The process ends right after; the graph need not be freed.
    std::mem::forget(report);
    Ok(code)
}

/// What one traced step did.
pub struct Step {
    pub edge: EdgeId,
    pub accesses: Vec<Access>,
    /// The inputs its depfile listed after it ran, absolute.
    pub deps: Vec<Vec<u8>>,
    /// Whether the edge has a depfile (or `deps`) at all.
    pub has_depfile: bool,
    /// Declared outputs missing right after the step.
    pub missing_outputs: Vec<FileId>,
    /// Content hashes of the outputs right after the step.
    pub hashes: Vec<(FileId, Option<u64>)>,
}

/// What a `restat = 1` step did when run again on its own outputs.
pub struct RestatRun {
    pub edge: EdgeId,
    /// Outputs whose bytes did not change but whose mtime did.
    pub touched_unchanged: Vec<FileId>,
    /// Outputs whose bytes changed but whose mtime did not.
    pub changed_untouched: Vec<FileId>,
}

/// The second build from clean.
pub struct Second {
    pub hashes: HashMap<FileId, Option<u64>>,
    pub restat: Vec<RestatRun>,
    /// A step that failed the second time (exit status, output).
    pub failed: Option<(EdgeId, String)>,
}

/// The state of an audit.
pub struct Auditor {
    pub loaded: Loaded,
    /// The build directory, absolute and canonical.
    pub root: Vec<u8>,
    pub manifest: Vec<u8>,
    pub steps: Vec<Step>,
    /// Every edge visited, in the order it was brought up to date
    /// (phony edges included).
    pub order: Vec<EdgeId>,
    visited: HashSet<EdgeId>,
    loaded_dyndeps: HashSet<FileId>,
    /// A failed step: edge, exit status text, output.
    pub failed: Option<(EdgeId, String, Vec<u8>)>,
    pub second: Option<Second>,
}

impl Auditor {
    fn new(loaded: Loaded, root: Vec<u8>, manifest: Vec<u8>) -> Auditor {
        Auditor {
            loaded,
            root,
            manifest,
            steps: Vec::new(),
            order: Vec::new(),
            visited: HashSet::new(),
            loaded_dyndeps: HashSet::new(),
            failed: None,
            second: None,
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.loaded.graph
    }

    /// A graph path as an absolute one.
    pub fn abs(&self, path: &[u8]) -> Vec<u8> {
        trace::absolute(&self.root, path)
    }

    /// The edges the targets need (dyndep discoveries aside).
    fn wanted(&self, targets: &[FileId]) -> Vec<EdgeId> {
        let graph = self.graph();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<FileId> = targets.to_vec();
        while let Some(f) = stack.pop() {
            let Some(e) = graph.files[f].in_edge else {
                continue;
            };
            if !seen.insert(e) {
                continue;
            }
            out.push(e);
            let edge = &graph.edges[e];
            stack.extend(edge.inputs.iter().copied());
            stack.extend(edge.validations.iter().copied());
            stack.extend(edge.dyndep);
        }
        out
    }

    fn is_generator(&self, e: EdgeId) -> bool {
        !binding(self.graph(), e, "generator").is_empty()
    }

    /// Removes the outputs of `edges` (and their depfiles and response
    /// files), as `ninja -t clean` would; generator outputs stay.
    fn clean(&self, edges: &[EdgeId]) {
        let graph = self.graph();
        for &e in edges {
            if graph.edges[e].rule == PHONY_RULE || self.is_generator(e) {
                continue;
            }
            let mut paths: Vec<Vec<u8>> = graph.edges[e]
                .outputs
                .iter()
                .map(|&o| graph.files[o].path.to_vec())
                .collect();
            for key in ["depfile", "rspfile"] {
                let p = unescaped(graph, e, key);
                if !p.is_empty() {
                    paths.push(p);
                }
            }
            for p in paths {
                let p = bytes_to_path(&p);
                if !p.is_dir() {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }

    fn visit_file(&mut self, f: FileId) -> bool {
        match self.graph().files[f].in_edge {
            Some(e) => self.visit_edge(e),
            None => true,
        }
    }

    fn visit_edge(&mut self, e: EdgeId) -> bool {
        if !self.visited.insert(e) {
            return true;
        }
        if let Some(dd) = self.graph().edges[e].dyndep
            && !self.loaded_dyndeps.contains(&dd)
        {
            if !self.visit_file(dd) {
                return false;
            }
            self.loaded_dyndeps.insert(dd);
            if let Err(message) = crate::dyndep::load(&mut self.loaded.graph, dd, &mut DiskReader) {
                self.failed = Some((
                    e,
                    "its dyndep file could not be loaded".into(),
                    message.into(),
                ));
                return false;
            }
        }
        let inputs = self.graph().edges[e].inputs.clone();
        for i in inputs {
            if !self.visit_file(i) {
                return false;
            }
        }
        if !self.run_traced(e) {
            return false;
        }
        let validations = self.graph().edges[e].validations.clone();
        for v in validations {
            if !self.visit_file(v) {
                return false;
            }
        }
        true
    }

    /// Whether the edge is left alone: phony, or a generator whose outputs
    /// exist (it would regenerate the manifest being audited).
    fn skipped(&self, e: EdgeId) -> bool {
        let graph = self.graph();
        graph.edges[e].rule == PHONY_RULE
            || (self.is_generator(e)
                && graph.edges[e]
                    .outputs
                    .iter()
                    .all(|&o| bytes_to_path(&graph.files[o].path).exists()))
    }

    /// Prepares an edge's run: its output directories and response file.
    /// Returns the command and the response file's path.
    fn prepare(&self, e: EdgeId) -> Result<(Vec<u8>, Vec<u8>), String> {
        let graph = self.graph();
        let command = edge_command(graph, e, false).map_err(|c| c.to_string())?;
        for &o in &graph.edges[e].outputs {
            if let Some(parent) = bytes_to_path(&graph.files[o].path).parent()
                && !parent.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(parent);
            }
        }
        let rspfile = unescaped(graph, e, "rspfile");
        if !rspfile.is_empty() {
            let content = binding(graph, e, "rspfile_content");
            std::fs::write(bytes_to_path(&rspfile), content)
                .map_err(|err| format!("writing {}: {err}", String::from_utf8_lossy(&rspfile)))?;
        }
        Ok((command, rspfile))
    }

    fn run_traced(&mut self, e: EdgeId) -> bool {
        self.order.push(e);
        if self.skipped(e) {
            return true;
        }
        let (command, rspfile) = match self.prepare(e) {
            Ok(x) => x,
            Err(message) => {
                self.failed = Some((e, message, Vec::new()));
                return false;
            }
        };
        let dir = bytes_to_path(&self.root);
        let traced = match trace::run(&command, &dir, true) {
            Ok(t) => t,
            Err(error) => {
                self.failed = Some((e, format!("could not run strace: {error}"), Vec::new()));
                return false;
            }
        };
        if !traced.status.success() {
            self.failed = Some((e, traced.status.to_string(), traced.output));
            return false;
        }
        if !rspfile.is_empty() {
            let _ = std::fs::remove_file(bytes_to_path(&rspfile));
        }
        let graph = self.graph();
        let depfile = unescaped(graph, e, "depfile");
        let has_depfile = !depfile.is_empty();
        let mut deps = Vec::new();
        if has_depfile
            && let Ok(text) = std::fs::read(bytes_to_path(&depfile))
            && let Ok(parsed) = crate::depfile::parse_depfile(&text)
        {
            for input in &parsed.inputs {
                deps.push(self.abs(input));
            }
        }
        let outputs = graph.edges[e].outputs.clone();
        let missing_outputs = outputs
            .iter()
            .copied()
            .filter(|&o| !bytes_to_path(&graph.files[o].path).exists())
            .collect();
        let hashes = outputs
            .iter()
            .map(|&o| (o, content_hash(&graph.files[o].path)))
            .collect();
        self.steps.push(Step {
            edge: e,
            accesses: traced.accesses,
            deps,
            has_depfile,
            missing_outputs,
            hashes,
        });
        true
    }

    /// Builds the same edges again from clean, untraced: output hashes for
    /// the determinism check, and a second run of every `restat` step.
    fn second_build(&mut self) {
        let order = self.order.clone();
        self.clean(&order);
        let mut second = Second {
            hashes: HashMap::new(),
            restat: Vec::new(),
            failed: None,
        };
        let dir = bytes_to_path(&self.root);
        for e in order {
            if self.skipped(e) {
                continue;
            }
            let run = |auditor: &Auditor| -> Result<(), String> {
                let (command, rspfile) = auditor.prepare(e)?;
                let done = trace::run(&command, &dir, false).map_err(|e| e.to_string())?;
                if !done.status.success() {
                    return Err(format!(
                        "{}\n{}",
                        done.status,
                        String::from_utf8_lossy(&done.output)
                    ));
                }
                if !rspfile.is_empty() {
                    let _ = std::fs::remove_file(bytes_to_path(&rspfile));
                }
                Ok(())
            };
            if let Err(message) = run(self) {
                second.failed = Some((e, message));
                break;
            }
            let graph = self.graph();
            let outputs = graph.edges[e].outputs.clone();
            let snapshot = |g: &Graph| -> Vec<(Option<u64>, Option<std::time::SystemTime>)> {
                outputs
                    .iter()
                    .map(|&o| {
                        let p = &g.files[o].path;
                        let mtime = std::fs::metadata(bytes_to_path(p))
                            .and_then(|m| m.modified())
                            .ok();
                        (content_hash(p), mtime)
                    })
                    .collect()
            };
            let before = snapshot(graph);
            for (&o, &(h, _)) in outputs.iter().zip(&before) {
                second.hashes.insert(o, h);
            }
            // spec: [audit.restat-lie]
            if !binding(graph, e, "restat").is_empty() {
                // Long enough for a coarse file system clock to tick.
                std::thread::sleep(std::time::Duration::from_millis(20));
                if let Err(message) = run(self) {
                    second.failed = Some((e, message));
                    break;
                }
                let after = snapshot(self.graph());
                let mut r = RestatRun {
                    edge: e,
                    touched_unchanged: Vec::new(),
                    changed_untouched: Vec::new(),
                };
                for ((&o, b), a) in outputs.iter().zip(&before).zip(&after) {
                    if b.0.is_none() || a.0.is_none() {
                        continue;
                    }
                    if b.0 == a.0 && b.1 != a.1 {
                        r.touched_unchanged.push(o);
                    } else if b.0 != a.0 && b.1 == a.1 {
                        r.changed_untouched.push(o);
                    }
                }
                second.restat.push(r);
            }
        }
        self.second = Some(second);
    }
}

/// An edge binding, shell-quoted as in commands.
fn binding(graph: &Graph, e: EdgeId, key: &str) -> Vec<u8> {
    edge_binding(graph, e, key).unwrap_or_default()
}

/// An edge binding with `$in`/`$out` unquoted (file names).
fn unescaped(graph: &Graph, e: EdgeId, key: &str) -> Vec<u8> {
    edge_binding_escaped(graph, e, key, Escape::None).unwrap_or_default()
}

fn content_hash(path: &[u8]) -> Option<u64> {
    let p = bytes_to_path(path);
    if p.is_dir() {
        return None;
    }
    std::fs::read(p)
        .ok()
        .map(|bytes| crate::hash::command_hash(&bytes))
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

/// Not Unix: the audit refuses to run (it needs Linux), but its code
/// still compiles; paths are read as UTF-8.
#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

/// Copies a directory tree (files, directories, symbolic links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry.path().strip_prefix(from).expect("inside the tree");
        let dest = to.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dest)?;
            #[cfg(not(unix))]
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!("cannot copy the symbolic link to {}", target.display()),
            ));
        } else {
            std::fs::copy(entry.path(), &dest)?;
            // Keep mtimes, so that generator outputs stay up to date.
            if let Ok(m) = std::fs::symlink_metadata(entry.path()).and_then(|m| m.modified()) {
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&dest)
                    .and_then(|f| f.set_modified(m));
            }
        }
    }
    Ok(())
}

/// A diagnostic for an edge: the build statement as the primary label.
pub(crate) fn at_edge(
    graph: &Graph,
    lint: &'static Lint,
    e: EdgeId,
    message: String,
    label: String,
) -> Diagnostic {
    Diagnostic::new(lint, message).primary(graph.edges[e].span, label)
}

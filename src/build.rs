//! The executor: what `ninja` does without `-t` (spec/build.md).
//!
//! A build has three phases, as in ninja:
//!
//! 1. the dependency scan ([`Scan`]): stat every file the targets need and
//!    decide, bottom-up, which edges are dirty (missing outputs, outputs
//!    older than inputs, a changed command, no build log entry);
//! 2. the plan: the edges the targets need that are not up to date, and
//!    the count of commands to run (the `%t` of the status line); a
//!    missing source file is an error here;
//! 3. the run: the [`Scheduler`] of [`crate::work`] decides what may start;
//!    commands run with `/bin/sh -c` on threads, up to `-j` at once; each
//!    finished command is reported with ninja's status line, its output,
//!    and `FAILED:` when it fails, then logged in `.ninja_log`.

use std::collections::{HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::build_log::{self, BuildLog, LogEntry};
use crate::bytes_to_path;
use crate::densemap::Id;
use crate::depfile::parse_depfile;
use crate::deps_log::{self, DepsLog};
use crate::expand::{Escape, edge_binding, edge_binding_escaped, edge_command};
use crate::graph::{CONSOLE_POOL, EdgeId, FileId, Graph, PHONY_RULE};
use crate::hash::command_hash;
use crate::work::{Options, Scheduler};

/// How much the build prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// `--quiet`: no status lines, only command output and failures.
    NoStatusUpdate,
    /// The default: descriptions (or commands) in status lines.
    Normal,
    /// `-v`: full commands in status lines.
    Verbose,
}

/// The build's settings, from the command line.
#[derive(Clone, Debug)]
pub struct Config {
    /// `-j`: 0 means no limit.
    pub parallelism: usize,
    /// `-k`: 0 means no limit.
    pub failures_allowed: usize,
    /// `-n`.
    pub dry_run: bool,
    pub verbosity: Verbosity,
    /// `-d explain`.
    pub explain: bool,
    /// `-d keepdepfile`.
    pub keep_depfile: bool,
    /// `-d keeprsp`.
    pub keep_rsp: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            parallelism: default_parallelism(),
            failures_allowed: 1,
            dry_run: false,
            verbosity: Verbosity::Normal,
            explain: false,
            keep_depfile: false,
            keep_rsp: false,
        }
    }
}

/// ninja's default `-j`: the processor count plus 2 (2 or 3 on small machines).
pub fn default_parallelism() -> usize {
    match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        0 | 1 => 2,
        2 => 3,
        n => n + 2,
    }
}

/// The logs a build reads and appends to.
pub struct Logs {
    pub build_log: BuildLog,
    pub build_log_path: PathBuf,
    pub deps_log: DepsLog,
    pub deps_log_path: PathBuf,
    /// `.ninja_lock`, touched when a command starts to read the time.
    pub lock_path: PathBuf,
}

/// The file touched to read the file system's clock, in `builddir`.
pub const LOCK_FILE_NAME: &str = ".ninja_lock";

#[cfg(unix)]
fn path_bytes(path: &std::path::Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

#[cfg(not(unix))]
fn path_bytes(path: &std::path::Path) -> &[u8] {
    path.to_str().unwrap_or("").as_bytes()
}

/// When the logs are opened, which decides whether they are rewritten.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// For a build or a tool that reads the logs: recompact a log that
    /// needs it ([log.build.recompact.auto]).
    Write,
    /// `-n`: read only.
    ReadOnly,
    /// `-t recompact`: always recompact, then stop.
    RecompactOnly,
}

impl Logs {
    /// Opens the logs in `builddir` (which must exist), printing ninja's
    /// warnings for unusable files to `err`, and recompacting them as
    /// ninja does. `Err(message)` is a fatal error (`ninja: error: ...`).
    pub fn open(
        graph: &Graph,
        mode: OpenMode,
        err: &mut dyn Write,
    ) -> io::Result<Result<Logs, String>> {
        let mut dir = Vec::new();
        graph
            .scopes
            .push_value(graph.scopes.root(), b"builddir", &mut dir);
        let join = |name: &str| {
            if dir.is_empty() {
                PathBuf::from(name)
            } else {
                bytes_to_path(&dir).join(name)
            }
        };
        let build_log_path = join(build_log::FILE_NAME);
        let deps_log_path = join(deps_log::FILE_NAME);
        let (log, warning) = match BuildLog::load(&build_log_path) {
            Ok(x) => x,
            Err(e) => {
                return Ok(Err(format!(
                    "loading build log {}: {}",
                    build_log_path.display(),
                    crate::load::io_error_text(&e)
                )));
            }
        };
        if let Some(w) = warning {
            writeln!(err, "ninja: warning: {w}")?;
        }
        let is_dead = |path: &[u8]| {
            let live = graph
                .lookup_file(path)
                .is_some_and(|f| graph.files[f].in_edge.is_some());
            !live && stat(path) == 0
        };
        let build_log_found = log.is_some();
        let mut build_log = log.unwrap_or_default();
        if ((mode == OpenMode::RecompactOnly && build_log_found)
            || (mode == OpenMode::Write && build_log.needs_recompaction))
            && let Err(e) = build_log.write_compacted(&build_log_path, is_dead)
        {
            return Ok(Err(format!("failed recompaction: {e}")));
        }
        let mut deps = match DepsLog::load(&deps_log_path) {
            Ok(Some(r)) => {
                if let Some(w) = r.warning {
                    writeln!(err, "ninja: warning: {w}")?;
                }
                r.log
            }
            Ok(None) => DepsLog::default(),
            Err(e) => {
                return Ok(Err(format!(
                    "loading deps log {}: {}",
                    deps_log_path.display(),
                    crate::load::io_error_text(&e)
                )));
            }
        };
        let deps_found = deps_log_path.exists();
        if (mode == OpenMode::RecompactOnly && deps_found)
            || (mode == OpenMode::Write && deps.needs_recompaction)
        {
            let is_live = |path: &[u8]| deps_entry_is_live(graph, path);
            if let Err(e) = deps.write_compacted(&deps_log_path, is_live) {
                return Ok(Err(format!("failed recompaction: {e}")));
            }
        }
        Ok(Ok(Logs {
            build_log,
            build_log_path,
            deps_log: deps,
            deps_log_path,
            lock_path: join(LOCK_FILE_NAME),
        }))
    }
}

/// Whether the deps log should keep the deps of `path`: an edge with
/// `deps` produces it.
pub fn deps_entry_is_live(graph: &Graph, path: &[u8]) -> bool {
    graph
        .lookup_file(path)
        .and_then(|f| graph.files[f].in_edge)
        .is_some_and(|e| {
            graph.edges[e].rule != PHONY_RULE
                && edge_binding(graph, e, "deps").is_ok_and(|v| !v.is_empty())
        })
}

/// A file's modification time in nanoseconds; 0 when it does not exist.
pub fn stat(path: &[u8]) -> i64 {
    match std::fs::metadata(bytes_to_path(path)) {
        Ok(m) => m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(1, |d| (d.as_nanos() as i64).max(1)),
        Err(_) => 0,
    }
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn is_true(graph: &Graph, edge: EdgeId, key: &str) -> bool {
    !must(edge_binding(graph, edge, key)).is_empty()
}

/// An expanded binding; a cycle among rule variables is fatal, as in
/// ninja (spec: [eval.rule.cycle]): exits with status 1.
fn must(value: Result<Vec<u8>, crate::expand::CycleError>) -> Vec<u8> {
    match value {
        Ok(v) => v,
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("ninja: fatal: {e}");
            std::process::exit(1);
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Mark {
    None,
    InStack,
    Done,
}

/// The dependency scan: per-file mtimes and dirty flags, per-edge dirty
/// and "outputs ready" flags (ninja's `DependencyScan`).
pub struct Scan<'a> {
    graph: &'a Graph,
    build_log: &'a BuildLog,
    deps_log: &'a DepsLog,
    mtime: Vec<Option<i64>>,
    file_dirty: Vec<bool>,
    mark: Vec<Mark>,
    edge_dirty: Vec<bool>,
    outputs_ready: Vec<bool>,
    /// `-d explain` texts, per edge.
    explanations: Vec<Vec<String>>,
    explain: bool,
    /// Inputs found in depfiles or the deps log, per edge.
    discovered: Vec<Vec<FileId>>,
    /// Discovered inputs the graph does not know, with their mtimes.
    discovered_extra: Vec<Vec<(Vec<u8>, i64)>>,
    /// Dyndep files already applied to the graph.
    loaded_dyndeps: &'a HashSet<FileId>,
    /// Dyndep files not yet loaded that can be loaded now.
    ready_dyndeps: Vec<FileId>,
    /// Dyndep files that an edge of the build will produce.
    pending_dyndeps: HashSet<FileId>,
}

impl<'a> Scan<'a> {
    pub fn new(
        graph: &'a Graph,
        build_log: &'a BuildLog,
        deps_log: &'a DepsLog,
        loaded_dyndeps: &'a HashSet<FileId>,
        explain: bool,
    ) -> Scan<'a> {
        let files = graph.files.len();
        let edges = graph.edges.len();
        Scan {
            graph,
            build_log,
            deps_log,
            mtime: vec![None; files],
            file_dirty: vec![false; files],
            mark: vec![Mark::None; edges],
            edge_dirty: vec![false; edges],
            outputs_ready: vec![true; edges],
            explanations: vec![Vec::new(); edges],
            explain,
            discovered: vec![Vec::new(); edges],
            discovered_extra: vec![Vec::new(); edges],
            loaded_dyndeps,
            ready_dyndeps: Vec::new(),
            pending_dyndeps: HashSet::new(),
        }
    }

    fn mtime(&mut self, file: FileId) -> i64 {
        let i = file.index();
        if let Some(m) = self.mtime[i] {
            return m;
        }
        let m = stat(&self.graph.files[file].path);
        self.mtime[i] = Some(m);
        m
    }

    fn record(&mut self, edge: EdgeId, text: String) {
        if self.explain {
            self.explanations[edge.index()].push(text);
        }
    }

    /// Visits `file` and everything it depends on.
    pub fn recompute(&mut self, file: FileId) -> Result<(), String> {
        let mut stack = Vec::new();
        self.visit_file(file, &mut stack)
    }

    fn visit_file(&mut self, file: FileId, stack: &mut Vec<FileId>) -> Result<(), String> {
        let graph = self.graph;
        let Some(edge) = graph.files[file].in_edge else {
            let missing = self.mtime(file) == 0;
            self.file_dirty[file.index()] = missing;
            return Ok(());
        };
        match self.mark[edge.index()] {
            Mark::Done => return Ok(()),
            Mark::InStack => return Err(self.cycle(file, edge, stack)),
            Mark::None => {}
        }
        self.mark[edge.index()] = Mark::InStack;
        stack.push(file);
        let e = &graph.edges[edge];
        if let Some(dd) = e.dyndep
            && !self.loaded_dyndeps.contains(&dd)
        {
            // spec: [build.dyndep.load]
            self.visit_file(dd, stack)?;
            let ready = graph.files[dd]
                .in_edge
                .is_none_or(|p| self.outputs_ready[p.index()]);
            if ready {
                if !self.ready_dyndeps.contains(&dd) {
                    self.ready_dyndeps.push(dd);
                }
            } else {
                self.pending_dyndeps.insert(dd);
            }
        }
        for &out in &e.outputs {
            self.mtime(out);
        }
        let mut dirty = false;
        self.load_deps(edge, &mut dirty)?;
        let mut ready = true;
        let mut most_recent: Option<(Vec<u8>, i64)> = None;
        let non_order_only = e.inputs.len() - e.order_only_inputs;
        let discovered = std::mem::take(&mut self.discovered[edge.index()]);
        let inputs: Vec<(FileId, bool)> = e.inputs[..non_order_only]
            .iter()
            .map(|&f| (f, false))
            .chain(discovered.iter().map(|&f| (f, false)))
            .chain(e.inputs[non_order_only..].iter().map(|&f| (f, true)))
            .collect();
        self.discovered[edge.index()] = discovered;
        for (input, order_only) in inputs {
            self.visit_file(input, stack)?;
            if let Some(producer) = graph.files[input].in_edge
                && !self.outputs_ready[producer.index()]
            {
                ready = false;
            }
            if !order_only {
                if self.file_dirty[input.index()] {
                    let text = format!("{} is dirty", lossy(&graph.files[input].path));
                    self.record(edge, text);
                    dirty = true;
                } else {
                    let m = self.mtime(input);
                    if most_recent.as_ref().is_none_or(|r| m > r.1) {
                        most_recent = Some((graph.files[input].path.to_vec(), m));
                    }
                }
            }
        }
        for (path, m) in self.discovered_extra[edge.index()].clone() {
            if m == 0 {
                self.record(edge, format!("{} is dirty", lossy(&path)));
                dirty = true;
            } else if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((path, m));
            }
        }
        if !dirty {
            dirty = self.outputs_dirty(edge, most_recent.as_ref());
        }
        if dirty {
            for &out in &e.outputs {
                self.file_dirty[out.index()] = true;
            }
        }
        if dirty && !(e.rule == PHONY_RULE && e.inputs.is_empty()) {
            ready = false;
        }
        self.edge_dirty[edge.index()] = dirty;
        self.outputs_ready[edge.index()] = ready;
        self.mark[edge.index()] = Mark::Done;
        stack.pop();
        for &v in &e.validations {
            self.visit_file(v, &mut Vec::new())?;
        }
        Ok(())
    }

    fn cycle(&self, file: FileId, edge: EdgeId, stack: &[FileId]) -> String {
        let graph = self.graph;
        let start = stack
            .iter()
            .position(|&f| graph.files[f].in_edge == Some(edge))
            .unwrap_or(0);
        let mut names: Vec<String> = stack[start..]
            .iter()
            .map(|&f| lossy(&graph.files[f].path))
            .collect();
        if !names.is_empty() {
            names[0] = lossy(&graph.files[file].path);
        }
        let first = names.first().cloned().unwrap_or_default();
        let single = names.len() == 1;
        names.push(first);
        let mut text = format!("dependency cycle: {}", names.join(" -> "));
        let e = &graph.edges[edge];
        if single
            && e.rule == PHONY_RULE
            && e.outputs.len() == 1
            && e.implicit_outputs == 0
            && e.implicit_inputs == 0
        {
            text.push_str(" [-w phonycycle=err]");
        }
        text
    }

    /// Reads discovered inputs (depfile or deps log); sets `dirty` when they
    /// are missing or stale.
    fn load_deps(&mut self, edge: EdgeId, dirty: &mut bool) -> Result<(), String> {
        let graph = self.graph;
        let e = &graph.edges[edge];
        if e.rule == PHONY_RULE {
            return Ok(());
        }
        let deps_type = must(edge_binding(graph, edge, "deps"));
        let first_output = e.outputs[0];
        let out_path = lossy(&graph.files[first_output].path);
        if !deps_type.is_empty() {
            let Some(deps) = self.deps_log.get(&graph.files[first_output].path) else {
                self.record(edge, format!("deps for '{out_path}' are missing"));
                *dirty = true;
                return Ok(());
            };
            let out_mtime = self.mtime(first_output);
            if out_mtime > deps.mtime {
                self.record(
                    edge,
                    format!(
                        "stored deps info out of date for '{out_path}' ({} vs {})",
                        deps.mtime, out_mtime
                    ),
                );
                *dirty = true;
                return Ok(());
            }
            let paths = self
                .deps_log
                .input_paths(&graph.files[first_output].path)
                .unwrap_or_default();
            let mut ids = Vec::new();
            let mut extra = Vec::new();
            for p in paths {
                match graph.lookup_file(p) {
                    Some(f) => ids.push(f),
                    None => extra.push((p.to_vec(), stat(p))),
                }
            }
            self.discovered[edge.index()] = ids;
            self.discovered_extra[edge.index()] = extra;
            return Ok(());
        }
        let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
        if depfile.is_empty() {
            return Ok(());
        }
        let shown = lossy(&depfile);
        let content = match std::fs::read(bytes_to_path(&depfile)) {
            Ok(c) => c,
            Err(_) => {
                self.record(edge, format!("depfile '{shown}' is missing"));
                *dirty = true;
                return Ok(());
            }
        };
        if content.is_empty() {
            self.record(edge, format!("depfile '{shown}' is missing"));
            *dirty = true;
            return Ok(());
        }
        let parsed = match parse_depfile(&content) {
            Ok(p) => p,
            Err(error) => return Err(format!("{shown}: {error}")),
        };
        // spec: [depfile.load.no-outputs]
        let Some(first) = parsed.outputs.first() else {
            return Err(format!("{shown}: no outputs declared"));
        };
        let mut first = first.clone();
        crate::canon::canonicalize(&mut first);
        // spec: [depfile.load.first-output]
        if *first != *graph.files[first_output].path {
            self.record(
                edge,
                format!(
                    "expected depfile '{shown}' to mention '{out_path}', got '{}'",
                    lossy(&first)
                ),
            );
            *dirty = true;
            return Ok(());
        }
        // spec: [depfile.load.undeclared-output]
        for o in &parsed.outputs {
            let mut o = o.clone();
            crate::canon::canonicalize(&mut o);
            if !e.outputs.iter().any(|&f| *graph.files[f].path == *o) {
                return Err(format!(
                    "{shown}: depfile mentions '{}' as an output, but no such output was declared",
                    lossy(&o)
                ));
            }
        }
        let mut ids = Vec::new();
        let mut extra = Vec::new();
        for input in &parsed.inputs {
            let mut p = input.clone();
            crate::canon::canonicalize(&mut p);
            match graph.lookup_file(&p) {
                Some(f) => ids.push(f),
                None => {
                    let m = stat(&p);
                    extra.push((p, m));
                }
            }
        }
        self.discovered[edge.index()] = ids;
        self.discovered_extra[edge.index()] = extra;
        Ok(())
    }

    fn outputs_dirty(&mut self, edge: EdgeId, most_recent: Option<&(Vec<u8>, i64)>) -> bool {
        let graph = self.graph;
        let e = &graph.edges[edge];
        if e.rule == PHONY_RULE {
            for &out in &e.outputs {
                if e.inputs.is_empty() && self.mtime(out) == 0 {
                    let text = format!(
                        "output {} of phony edge with no inputs doesn't exist",
                        lossy(&graph.files[out].path)
                    );
                    self.record(edge, text);
                    return true;
                }
                if let Some(&(_, m)) = most_recent
                    && self.mtime(out) == 0
                {
                    self.mtime[out.index()] = Some(m);
                }
            }
            return false;
        }
        let command = must(edge_command(graph, edge, true));
        let hash = command_hash(&command);
        let restat = is_true(graph, edge, "restat");
        let generator = is_true(graph, edge, "generator");
        let input = most_recent.map(|(p, m)| (lossy(p), *m));
        for &out in &e.outputs {
            let path = lossy(&graph.files[out].path);
            let out_mtime = self.mtime(out);
            if out_mtime == 0 {
                self.record(edge, format!("output {path} doesn't exist"));
                return true;
            }
            let entry = self.build_log.lookup(&graph.files[out].path).copied();
            let used_restat = restat && entry.is_some();
            if let Some((ipath, imtime)) = &input
                && !used_restat
                && out_mtime < *imtime
            {
                self.record(
                    edge,
                    format!(
                        "output {path} older than most recent input {ipath} ({out_mtime} vs {imtime})"
                    ),
                );
                return true;
            }
            match entry {
                Some(entry) => {
                    if !generator && entry.command_hash != hash {
                        self.record(edge, format!("command line changed for {path}"));
                        return true;
                    }
                    if let Some((ipath, imtime)) = &input
                        && entry.mtime < *imtime
                    {
                        self.record(
                            edge,
                            format!(
                                "recorded mtime of {path} older than most recent input {ipath} ({} vs {imtime})",
                                entry.mtime
                            ),
                        );
                        return true;
                    }
                }
                None if !generator => {
                    self.record(edge, format!("command line not found in log for {path}"));
                    return true;
                }
                None => {}
            }
        }
        false
    }
}

/// The plan: which edges the targets want, and how many commands that is.
struct Plan {
    wanted: Vec<bool>,
    total: usize,
}

impl Plan {
    fn add(&mut self, scan: &Scan, file: FileId, dependent: Option<FileId>) -> Result<(), String> {
        let graph = scan.graph;
        let Some(edge) = graph.files[file].in_edge else {
            if scan.file_dirty[file.index()] {
                let referenced = dependent.map_or(String::new(), |d| {
                    format!(", needed by '{}',", lossy(&graph.files[d].path))
                });
                return Err(format!(
                    "'{}'{referenced} missing and no known rule to make it",
                    lossy(&graph.files[file].path)
                ));
            }
            return Ok(());
        };
        if scan.outputs_ready[edge.index()] || self.wanted[edge.index()] {
            return Ok(());
        }
        self.wanted[edge.index()] = true;
        let e = &graph.edges[edge];
        if scan.edge_dirty[edge.index()] && e.rule != PHONY_RULE {
            self.total += 1;
        }
        for &input in &e.inputs {
            self.add(scan, input, Some(file))?;
        }
        for &input in &scan.discovered[edge.index()] {
            // A discovered input with no rule is not an error here.
            if graph.files[input].in_edge.is_some() {
                self.add(scan, input, Some(file))?;
            }
        }
        for &v in &e.validations {
            self.add(scan, v, None)?;
        }
        Ok(())
    }
}

/// ninja's line printer on a dumb terminal plus its status printer.
struct Status<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    have_blank_line: bool,
    finished: usize,
    total: usize,
    verbosity: Verbosity,
    /// While a `console` pool edge runs, other output waits here: the
    /// last status line, and everything printed on new lines.
    console_locked: bool,
    line_buffer: Vec<u8>,
    output_buffer: Vec<u8>,
}

impl Status<'_> {
    fn print_or_buffer(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.console_locked {
            self.output_buffer.extend_from_slice(bytes);
            Ok(())
        } else {
            self.out.write_all(bytes)
        }
    }

    fn print_on_new_line(&mut self, text: &[u8]) -> io::Result<()> {
        if self.console_locked && !self.line_buffer.is_empty() {
            let line = std::mem::take(&mut self.line_buffer);
            self.output_buffer.extend_from_slice(&line);
            self.output_buffer.push(b'\n');
        }
        if !self.have_blank_line {
            self.print_or_buffer(b"\n")?;
        }
        self.print_or_buffer(text)?;
        self.have_blank_line = text.is_empty() || text.ends_with(b"\n");
        self.out.flush()
    }

    /// A status line (the dumb terminal's `Print`: no newline first).
    fn print_line(&mut self, line: Vec<u8>) -> io::Result<()> {
        if self.console_locked {
            self.line_buffer = line;
            return Ok(());
        }
        self.out.write_all(&line)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn set_console_locked(&mut self, locked: bool) -> io::Result<()> {
        if locked == self.console_locked {
            return Ok(());
        }
        if locked {
            self.print_on_new_line(b"")?;
        }
        self.console_locked = locked;
        if !locked {
            let output = std::mem::take(&mut self.output_buffer);
            self.print_on_new_line(&output)?;
            let line = std::mem::take(&mut self.line_buffer);
            if !line.is_empty() {
                self.print_line(line)?;
            }
        }
        Ok(())
    }

    fn print_status(
        &mut self,
        graph: &Graph,
        edge: EdgeId,
        explanations: &[String],
    ) -> io::Result<()> {
        if !explanations.is_empty() {
            self.print_on_new_line(b"")?;
            for x in explanations {
                writeln!(self.err, "ninja explain: {x}")?;
            }
        }
        if self.verbosity == Verbosity::NoStatusUpdate {
            return Ok(());
        }
        let mut text = if self.verbosity == Verbosity::Verbose {
            Vec::new()
        } else {
            must(edge_binding(graph, edge, "description"))
        };
        if text.is_empty() {
            text = must(edge_command(graph, edge, false));
        }
        let mut line = format!("[{}/{}] ", self.finished, self.total).into_bytes();
        line.extend_from_slice(&text);
        self.print_line(line)
    }
}

/// What a finished command gave.
struct Outcome {
    edge: EdgeId,
    /// 0 for success.
    code: i32,
    output: Vec<u8>,
    start_ms: i32,
    end_ms: i32,
}

fn run_command(command: &[u8], console: bool) -> (i32, Vec<u8>) {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(bytes_to_path(command).into_os_string());
    let mut reader = None;
    if !console {
        let (r, w) = match io::pipe() {
            Ok(p) => p,
            Err(e) => return (1, format!("pipe: {e}\n").into_bytes()),
        };
        let w2 = match w.try_clone() {
            Ok(w2) => w2,
            Err(e) => return (1, format!("pipe: {e}\n").into_bytes()),
        };
        cmd.stdin(Stdio::null()).stdout(w).stderr(w2);
        reader = Some(r);
    }
    let child = cmd.spawn();
    drop(cmd);
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return (127, format!("posix_spawn: {e}\n").into_bytes()),
    };
    let mut output = Vec::new();
    if let Some(mut r) = reader {
        let _ = r.read_to_end(&mut output);
    }
    let code = match child.wait() {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(c), _) => c,
                (None, Some(2 | 15 | 1)) => 130,
                (None, Some(s)) => s + 128,
                (None, None) => 1,
            }
        }
        Err(_) => 1,
    };
    (code, output)
}

/// How a build ended.
pub enum Ended {
    /// Before anything ran: ninja prints `ninja: error: MESSAGE`.
    Error(String),
    /// Nothing to do.
    UpToDate,
    /// Every command succeeded; `dirty` says whether the first target is
    /// still dirty (not cleaned by `restat`).
    Succeeded { dirty: bool },
    /// A command failed: ninja prints `ninja: build stopped: MESSAGE.`
    /// and exits with `code`.
    Stopped { message: &'static str, code: i32 },
}

/// Builds `targets`; returns ninja's exit status.
pub fn build(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let mut total = 0;
    let ended = run(graph, targets, config, &mut total, out, err)?;
    report(ended, config, out, err)
}

/// Prints how a build ended as ninja does; returns the exit status.
pub fn report(
    ended: Ended,
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    match ended {
        Ended::Error(message) => {
            out.flush()?;
            writeln!(err, "ninja: error: {message}")?;
            Ok(1)
        }
        Ended::UpToDate => {
            if config.verbosity != Verbosity::NoStatusUpdate {
                writeln!(out, "ninja: no work to do.")?;
            }
            Ok(0)
        }
        Ended::Succeeded { .. } => Ok(0),
        Ended::Stopped { message, code } => {
            writeln!(out, "ninja: build stopped: {message}.")?;
            Ok(code)
        }
    }
}

/// Runs one build of `targets`. `total` is the status line's `%t`, which
/// carries over from a manifest rebuild to the main build, as in ninja.
pub fn run(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    total: &mut usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Ended> {
    let mut loaded = HashSet::new();
    let build_start = Instant::now();
    let ended = run_rounds(
        graph,
        targets,
        config,
        total,
        &mut loaded,
        build_start,
        out,
        err,
    );
    // ninja removes the lock file when the build ends.
    let mut lock = Vec::new();
    graph
        .scopes
        .push_value(graph.scopes.root(), b"builddir", &mut lock);
    let lock = if lock.is_empty() {
        PathBuf::from(LOCK_FILE_NAME)
    } else {
        bytes_to_path(&lock).join(LOCK_FILE_NAME)
    };
    if lock.exists() {
        let _ = std::fs::remove_file(lock);
    }
    ended
}

#[allow(clippy::too_many_arguments)]
fn run_rounds(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    total: &mut usize,
    loaded: &mut HashSet<FileId>,
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Ended> {
    let base = *total;
    let mut finished = 0;
    loop {
        let phase = run_phase(
            graph,
            targets,
            config,
            loaded,
            (base, &mut finished, total),
            build_start,
            out,
            err,
        )?;
        match phase {
            Phase::Ended(ended) => return Ok(ended),
            Phase::LoadDyndeps(files) => {
                // spec: [build.dyndep.load]
                for file in files {
                    loaded.insert(file);
                    if let Err(message) =
                        crate::dyndep::load(graph, file, &mut crate::load::DiskReader)
                    {
                        out.flush()?;
                        return Ok(Ended::Error(message));
                    }
                }
            }
        }
    }
}

/// What one scan-plan-run round gave.
enum Phase {
    Ended(Ended),
    /// These dyndep files can be loaded now; then scan again.
    LoadDyndeps(Vec<FileId>),
}

/// One round of the build: scan, plan and run until the end, or until a
/// dyndep file is ready to be loaded (then the running commands are
/// waited for and the caller loads it and starts a new round).
#[allow(clippy::too_many_arguments)]
fn run_phase(
    graph: &Graph,
    targets: &[FileId],
    config: &Config,
    loaded: &HashSet<FileId>,
    (base, finished, total): (usize, &mut usize, &mut usize),
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Phase> {
    let mode = if config.dry_run {
        OpenMode::ReadOnly
    } else {
        OpenMode::Write
    };
    let mut logs = match Logs::open(graph, mode, err)? {
        Ok(logs) => logs,
        Err(message) => return Ok(Phase::Ended(Ended::Error(message))),
    };

    // Phase 1 and 2: scan and plan, target by target as ninja does.
    let build_log = std::mem::take(&mut logs.build_log);
    let scan_deps_log = logs.deps_log.clone();
    let mut scan = Scan::new(graph, &build_log, &scan_deps_log, loaded, config.explain);
    let mut plan = Plan {
        wanted: vec![false; graph.edges.len()],
        total: 0,
    };
    for &target in targets {
        if let Err(message) = scan.recompute(target) {
            return Ok(Phase::Ended(Ended::Error(message)));
        }
        if !scan.ready_dyndeps.is_empty() {
            return Ok(Phase::LoadDyndeps(std::mem::take(&mut scan.ready_dyndeps)));
        }
        if let Err(message) = plan.add(&scan, target, None) {
            return Ok(Phase::Ended(Ended::Error(message)));
        }
    }
    if plan.total == 0 {
        if *finished > 0 {
            return Ok(Phase::Ended(Ended::Succeeded { dirty: false }));
        }
        return Ok(Phase::Ended(Ended::UpToDate));
    }
    let mut pending_dyndeps = std::mem::take(&mut scan.pending_dyndeps);
    if config.dry_run {
        pending_dyndeps.clear();
    }
    let mut restart: Vec<FileId> = Vec::new();

    let mut dirty = scan.edge_dirty.clone();
    let mut status = Status {
        out,
        err,
        have_blank_line: true,
        console_locked: false,
        line_buffer: Vec::new(),
        output_buffer: Vec::new(),
        finished: *finished,
        total: base + *finished + plan.total,
        verbosity: config.verbosity,
    };
    let mut sched = Scheduler::new(
        graph,
        Options {
            parallelism: if config.dry_run {
                0
            } else {
                config.parallelism
            },
            failures_allowed: config.failures_allowed,
        },
    );
    sched.set_priorities(critical_path_weights(graph, targets));
    for &target in targets {
        sched.want(target);
    }
    let (tx, rx) = mpsc::channel::<Outcome>();
    let mut dry_done: VecDeque<Outcome> = VecDeque::new();
    let mut running = 0usize;
    let mut exit_code = 0;
    let mut start_mtime = vec![0i64; graph.edges.len()];
    let millis = move |t: Instant| t.duration_since(build_start).as_millis() as i32;
    loop {
        while restart.is_empty()
            && let Some(edge) = sched.next_to_start(&mut |e: EdgeId| dirty[e.index()])
        {
            let e = &graph.edges[edge];
            let console = e.pool == CONSOLE_POOL;
            let command = must(edge_command(graph, edge, false));
            let start_ms = millis(Instant::now());
            if console {
                let x = std::mem::take(&mut scan.explanations[edge.index()]);
                status.print_status(graph, edge, &x)?;
                status.set_console_locked(true)?;
            }
            if config.dry_run {
                dry_done.push_back(Outcome {
                    edge,
                    code: 0,
                    output: Vec::new(),
                    start_ms,
                    end_ms: start_ms,
                });
                running += 1;
                continue;
            }
            for &o in &e.outputs {
                if let Some(parent) = bytes_to_path(&graph.files[o].path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    let _ = std::fs::create_dir_all(parent);
                }
            }
            let rspfile = must(edge_binding_escaped(graph, edge, "rspfile", Escape::None));
            if !rspfile.is_empty() {
                let content = must(edge_binding(graph, edge, "rspfile_content"));
                let path = bytes_to_path(&rspfile);
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(path, content);
            }
            // The file system's idea of "now" (ninja touches a lock file).
            let _ = std::fs::write(&logs.lock_path, b"");
            start_mtime[edge.index()] = match stat(path_bytes(&logs.lock_path)) {
                0 => now_nanos(),
                m => m,
            };
            let tx = tx.clone();
            running += 1;
            std::thread::spawn(move || {
                let (code, output) = run_command(&command, console);
                let end_ms = millis(Instant::now());
                let _ = tx.send(Outcome {
                    edge,
                    code,
                    output,
                    start_ms,
                    end_ms,
                });
            });
        }
        if running == 0 {
            break;
        }
        let outcome = match dry_done.pop_front() {
            Some(o) => o,
            None => match rx.recv() {
                Ok(o) => o,
                Err(_) => break,
            },
        };
        running -= 1;
        let edge = outcome.edge;
        let e = &graph.edges[edge];
        let mut code = outcome.code;
        let mut output = outcome.output;

        // Discovered dependencies (deps = gcc) before reporting.
        let deps_type = must(edge_binding(graph, edge, "deps"));
        let mut deps_inputs: Vec<Vec<u8>> = Vec::new();
        if !deps_type.is_empty() && !config.dry_run {
            let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
            if !depfile.is_empty() {
                match std::fs::read(bytes_to_path(&depfile)) {
                    Ok(content) => match parse_depfile(&content) {
                        Ok(parsed) => {
                            deps_inputs = parsed
                                .inputs
                                .into_iter()
                                .map(|mut p| {
                                    crate::canon::canonicalize(&mut p);
                                    p
                                })
                                .collect();
                            if !config.keep_depfile {
                                let _ = std::fs::remove_file(bytes_to_path(&depfile));
                            }
                        }
                        Err(error) => {
                            if code == 0 {
                                if !output.is_empty() {
                                    output.push(b'\n');
                                }
                                output.extend(error.to_string().bytes());
                                code = 1;
                            }
                        }
                    },
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => {
                        if code == 0 {
                            if !output.is_empty() {
                                output.push(b'\n');
                            }
                            output.extend(
                                format!(
                                    "loading '{}': {}",
                                    lossy(&depfile),
                                    crate::load::io_error_text(&error)
                                )
                                .bytes(),
                            );
                            code = 1;
                        }
                    }
                }
            }
        }

        // Report.
        status.finished += 1;
        let console = e.pool == CONSOLE_POOL;
        if console {
            status.set_console_locked(false)?;
        }
        if !console {
            let x = std::mem::take(&mut scan.explanations[edge.index()]);
            status.print_status(graph, edge, &x)?;
        }
        if code != 0 {
            let mut outs = String::new();
            for &o in &e.outputs {
                outs.push_str(&lossy(&graph.files[o].path));
                outs.push(' ');
            }
            status.print_on_new_line(format!("FAILED: [code={code}] {outs}\n").as_bytes())?;
            let mut command = must(edge_command(graph, edge, false));
            command.push(b'\n');
            status.print_on_new_line(&command)?;
        }
        if !output.is_empty() {
            // Not a smart terminal: escape sequences are stripped unless
            // CLICOLOR_FORCE asks for color.
            let color = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
            if !color && output.contains(&0x1b) {
                output = strip_ansi_escapes(&output);
            }
            status.print_on_new_line(&output)?;
        }
        if code != 0 {
            exit_code = code;
            sched.finished(edge, false);
            continue;
        }

        // Success: restat, log.
        let mut record_mtime = start_mtime[edge.index()];
        if !config.dry_run {
            let restat = is_true(graph, edge, "restat");
            let generator = is_true(graph, edge, "generator");
            if restat || generator {
                let mut cleaned = false;
                for &o in &e.outputs {
                    let new_mtime = stat(&graph.files[o].path);
                    record_mtime = record_mtime.max(new_mtime);
                    if restat && scan.mtime[o.index()] == Some(new_mtime) {
                        clean_file(&mut scan, &plan, &sched, &mut dirty, &mut status, o);
                        cleaned = true;
                    }
                }
                if cleaned {
                    record_mtime = start_mtime[edge.index()];
                }
            }
            for &o in &e.outputs {
                scan.mtime[o.index()] = None;
            }
        }
        sched.finished(edge, true);
        for &o in &e.outputs {
            if pending_dyndeps.contains(&o) && sched.failures() == 0 {
                restart.push(o);
            }
        }
        if config.dry_run {
            continue;
        }
        let rspfile = must(edge_binding_escaped(graph, edge, "rspfile", Escape::None));
        if !rspfile.is_empty() && !config.keep_rsp {
            let _ = std::fs::remove_file(bytes_to_path(&rspfile));
        }
        let hash = command_hash(&must(edge_command(graph, edge, true)));
        for &o in &e.outputs {
            let entry = LogEntry {
                start_ms: outcome.start_ms,
                end_ms: outcome.end_ms,
                mtime: record_mtime,
                command_hash: hash,
            };
            if let Err(error) =
                build_log::append_entry(&logs.build_log_path, &graph.files[o].path, &entry)
            {
                return Ok(Phase::Ended(Ended::Error(format!(
                    "Error writing to build log: {error}"
                ))));
            }
        }
        if !deps_type.is_empty() {
            let inputs: Vec<&[u8]> = deps_inputs.iter().map(|v| v.as_slice()).collect();
            for &o in &e.outputs {
                let mtime = stat(&graph.files[o].path);
                match logs.deps_log.record(&graph.files[o].path, mtime, &inputs) {
                    Ok(bytes) => {
                        if !bytes.is_empty()
                            && let Err(error) = deps_log::append(&logs.deps_log_path, &bytes)
                        {
                            return Ok(Phase::Ended(Ended::Error(format!(
                                "Error writing to deps log: {error}"
                            ))));
                        }
                    }
                    Err(error) => {
                        return Ok(Phase::Ended(Ended::Error(format!(
                            "Error writing to deps log: {error}"
                        ))));
                    }
                }
            }
        }
    }

    *finished = status.finished;
    *total = status.total;
    if !restart.is_empty() && sched.failures() == 0 {
        // The logs were appended to; the next round reads them again.
        return Ok(Phase::LoadDyndeps(restart));
    }
    status.set_console_locked(false)?;
    status.print_on_new_line(b"")?;
    if sched.succeeded() {
        let dirty = targets.first().is_some_and(|t| scan.file_dirty[t.index()]);
        return Ok(Phase::Ended(Ended::Succeeded { dirty }));
    }
    let failures = sched.failures();
    let k = config.failures_allowed;
    let message = if sched.is_stopped() {
        if k > 1 {
            "subcommands failed"
        } else {
            "subcommand failed"
        }
    } else if failures > 0 {
        "cannot make progress due to previous errors"
    } else {
        "stuck [this is a bug]"
    };
    Ok(Phase::Ended(Ended::Stopped {
        message,
        code: if exit_code == 0 { 1 } else { exit_code },
    }))
}

/// Removes ANSI CSI sequences (`ESC [` up to a letter) as ninja does for
/// command output on a terminal without color; a lone `ESC` is dropped.
fn strip_ansi_escapes(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != 0x1b {
            out.push(input[i]);
            i += 1;
            continue;
        }
        if i + 1 >= input.len() {
            break;
        }
        if input[i + 1] != b'[' {
            i += 1;
            continue;
        }
        i += 2;
        while i < input.len() && !input[i].is_ascii_alphabetic() {
            i += 1;
        }
        i += 1;
    }
    out
}

/// ninja's critical path weights: each edge counts 1 (phony edges 0) plus
/// the heaviest chain of edges that consume its outputs, among the edges
/// the targets need.
fn critical_path_weights(graph: &Graph, targets: &[FileId]) -> Vec<i64> {
    let own = |e: EdgeId| i64::from(graph.edges[e].rule != PHONY_RULE);
    let mut weights = vec![0i64; graph.edges.len()];
    let mut visited = vec![false; graph.edges.len()];
    let mut sorted = Vec::new();
    for &t in targets {
        let Some(root) = graph.files[t].in_edge else {
            continue;
        };
        // Iterative post-order depth-first search.
        let mut stack = vec![(root, 0usize)];
        if visited[root.index()] {
            continue;
        }
        visited[root.index()] = true;
        while let Some((edge, i)) = stack.pop() {
            let inputs = &graph.edges[edge].inputs;
            if i < inputs.len() {
                stack.push((edge, i + 1));
                if let Some(p) = graph.files[inputs[i]].in_edge
                    && !visited[p.index()]
                {
                    visited[p.index()] = true;
                    stack.push((p, 0));
                }
            } else {
                sorted.push(edge);
            }
        }
    }
    for &e in &sorted {
        weights[e.index()] = own(e);
    }
    for &e in sorted.iter().rev() {
        let w = weights[e.index()];
        for &input in &graph.edges[e].inputs {
            if let Some(p) = graph.files[input].in_edge {
                let candidate = w + own(p);
                if candidate > weights[p.index()] {
                    weights[p.index()] = candidate;
                }
            }
        }
    }
    weights
}

/// `restat`: `file` did not change, so edges that were dirty only because
/// of it need not run (ninja's `Plan::CleanNode`).
fn clean_file(
    scan: &mut Scan,
    plan: &Plan,
    sched: &Scheduler,
    dirty: &mut [bool],
    status: &mut Status,
    file: FileId,
) {
    use crate::work::BuildState;
    let graph = scan.graph;
    scan.file_dirty[file.index()] = false;
    for &consumer in &graph.files[file].out_edges {
        let c = consumer.index();
        if !plan.wanted[c] || !dirty[c] {
            continue;
        }
        if !matches!(sched.state(consumer), BuildState::Want | BuildState::Ready) {
            continue;
        }
        let e = &graph.edges[consumer];
        let non_order_only = e.inputs.len() - e.order_only_inputs;
        let ins: Vec<FileId> = e.inputs[..non_order_only]
            .iter()
            .chain(scan.discovered[c].iter())
            .copied()
            .collect();
        if ins.iter().any(|f| scan.file_dirty[f.index()]) {
            continue;
        }
        let mut most_recent: Option<(Vec<u8>, i64)> = None;
        for &f in &ins {
            scan.mtime[f.index()] = None;
            let m = scan.mtime(f);
            if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((graph.files[f].path.to_vec(), m));
            }
        }
        for (p, m) in scan.discovered_extra[c].clone() {
            if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((p, m));
            }
        }
        let saved = scan.explain;
        scan.explain = false;
        let still_dirty = scan.outputs_dirty(consumer, most_recent.as_ref());
        scan.explain = saved;
        if !still_dirty {
            dirty[c] = false;
            if e.rule != PHONY_RULE {
                status.total -= 1;
            }
            for &o in &e.outputs {
                clean_file(scan, plan, sched, dirty, status, o);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{edge, graph};

    #[test]
    fn ansi_escapes_are_stripped() {
        assert_eq!(strip_ansi_escapes(b"\x1b[1;31mred\x1b[0m!"), b"red!");
        assert_eq!(strip_ansi_escapes(b"a\x1bb"), b"ab");
        assert_eq!(strip_ansi_escapes(b"a\x1b"), b"a");
    }

    #[test]
    fn critical_path_counts_commands_downstream() {
        let g = graph(
            "rule r\n  command = true\n\
             build a: r src\nbuild b: r a\nbuild c: r b\nbuild all: phony c a\n",
        );
        let w = critical_path_weights(&g, &[g.lookup_file(b"all").unwrap()]);
        assert_eq!(w[edge(&g, "all").index()], 0);
        assert_eq!(w[edge(&g, "c").index()], 1);
        assert_eq!(w[edge(&g, "b").index()], 2);
        assert_eq!(w[edge(&g, "a").index()], 3);
    }

    #[test]
    fn scan_finds_missing_outputs_and_clean_edges() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("in"), "x").unwrap();
        std::fs::write(dir.path().join("built"), "x").unwrap();
        let g = graph(&format!(
            "rule r\n  command = true\n  generator = 1\n\
             build {d}/out: r {d}/in\nbuild {d}/built: r\n"
        ));
        let (log, deps, loaded) = (BuildLog::default(), DepsLog::default(), HashSet::new());
        let mut scan = Scan::new(&g, &log, &deps, &loaded, true);
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        let built = g.lookup_file(format!("{d}/built").as_bytes()).unwrap();
        scan.recompute(out).unwrap();
        scan.recompute(built).unwrap();
        let e = g.files[out].in_edge.unwrap();
        assert!(scan.edge_dirty[e.index()]);
        assert_eq!(
            scan.explanations[e.index()],
            vec![format!("output {d}/out doesn't exist")]
        );
        // A generator edge with an existing output and no log entry is clean.
        assert!(!scan.edge_dirty[g.files[built].in_edge.unwrap().index()]);
    }

    #[test]
    fn scan_reports_missing_sources_in_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let g = graph(&format!(
            "rule r\n  command = true\nbuild {d}/out: r {d}/gone\n"
        ));
        let (log, deps, loaded) = (BuildLog::default(), DepsLog::default(), HashSet::new());
        let mut scan = Scan::new(&g, &log, &deps, &loaded, false);
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        scan.recompute(out).unwrap();
        let mut plan = Plan {
            wanted: vec![false; g.edges.len()],
            total: 0,
        };
        assert_eq!(
            plan.add(&scan, out, None),
            Err(format!(
                "'{d}/gone', needed by '{d}/out', missing and no known rule to make it"
            ))
        );
    }
}

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
//! 3. the run: the [`Scheduler`](crate::work::Scheduler) of [`crate::work`] decides what may start;
//!    commands run with `/bin/sh -c`, up to `-j` at once; each
//!    finished command is reported with ninja's status line, its output,
//!    and `FAILED:` when it fails, then logged in `.ninja_log`. `-l` and a
//!    GNU make jobserver ([`jobserver`]) limit starts further; a signal or
//!    [`Interrupt::trigger`] stops the run: running commands get the
//!    signal, are waited for, and their partial outputs are removed.

mod disk;
mod interrupt;
pub mod jobserver;
mod logs;
mod plan;
#[cfg(target_os = "linux")]
mod posix_spawn;
mod process;
mod run;
mod scan;
mod status;
mod status_format;
mod step_log;
mod terminal;

pub use disk::{Disk, RealDisk, Runner};
pub use interrupt::{INTERRUPTED_EXIT, INTERRUPTED_MESSAGE, Interrupt};
pub use logs::{LOCK_FILE_NAME, Logs, OpenMode, deps_entry_is_live};
#[cfg(unix)]
pub(crate) use process::block_child_signal;
pub use scan::Scan;
pub use status_format::{
    DEFAULT_STATUS_FORMAT, Estimate, SlidingRate, Snapshot, UnknownPlaceholder, format_status,
    predicted_fraction,
};
pub use step_log::StepLog;
pub use terminal::{TerminalMode, elide_middle};

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::bytes_to_path;
use crate::expand::edge_binding;
use crate::graph::{EdgeId, FileId, Graph};
use run::{Phase, run_phase};

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
    /// Set to stop the build early (signals, watch mode).
    pub interrupt: Interrupt,
    /// `NINJA_STATUS`: the status line's prefix.
    pub status_format: Vec<u8>,
    /// Whether stdout is a smart terminal and keeps colors.
    pub terminal: TerminalMode,
    /// `-l`: no new command starts while the load average is this high
    /// (not positive = no limit); see [`crate::work::start_capacity`].
    pub max_load_average: f64,
    /// The GNU make jobserver pool to take job tokens from; when set,
    /// `parallelism` does not apply (spec: [build.jobserver.client]).
    pub jobserver: Option<std::sync::Arc<jobserver::Client>>,
    /// Records each finished step (watch mode); disabled by default.
    pub steps: StepLog,
    /// The file system the build reads and writes ([`RealDisk`] by default).
    pub disk: std::sync::Arc<dyn Disk>,
    /// Runs the commands; `None` (the default): real processes.
    pub runner: Option<std::sync::Arc<dyn Runner>>,
}

impl Config {
    /// Takes `NINJA_STATUS` and the terminal mode from the environment
    /// and stdout, as ninja does when it starts.
    pub fn read_environment(&mut self) {
        #[cfg(unix)]
        if let Some(format) = std::env::var_os("NINJA_STATUS") {
            use std::os::unix::ffi::OsStringExt;
            self.status_format = format.into_vec();
        }
        #[cfg(not(unix))]
        if let Some(format) = std::env::var_os("NINJA_STATUS") {
            self.status_format = format.to_string_lossy().into_owned().into_bytes();
        }
        self.terminal = TerminalMode::detect();
    }
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
            interrupt: Interrupt::default(),
            status_format: DEFAULT_STATUS_FORMAT.to_vec(),
            terminal: TerminalMode::default(),
            max_load_average: -0.0,
            jobserver: None,
            steps: StepLog::default(),
            disk: std::sync::Arc::new(RealDisk),
            runner: None,
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

#[cfg(unix)]
fn path_bytes(path: &std::path::Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

#[cfg(not(unix))]
fn path_bytes(path: &std::path::Path) -> &[u8] {
    path.to_str().unwrap_or("").as_bytes()
}

/// A file's modification time in nanoseconds; 0 when it does not exist.
pub fn stat(path: &[u8]) -> i64 {
    stat_checked(path).unwrap_or(0)
}

/// [`stat`], except that a failure other than a missing file or a
/// missing directory on the way (`ENOENT`, `ENOTDIR`) is an error, e.g.
/// `ENAMETOOLONG` or `EACCES` (spec: [build.scan.stat-error]).
pub fn stat_checked(path: &[u8]) -> io::Result<i64> {
    let _metric = crate::metrics::record("node stat");
    match std::fs::metadata(crate::bytes_as_path(path)) {
        Ok(m) => Ok(m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(1, |d| (d.as_nanos() as i64).max(1))),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(0)
        }
        Err(e) => Err(e),
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
    /// Stopped by an error after commands ran (a log could not be
    /// written): ninja prints `ninja: build stopped: MESSAGE.` and exits
    /// with status 1 (spec: [build.log.write-error]).
    Aborted(String),
}

/// Builds `targets`; returns ninja's exit status.
pub fn build(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let ended = run(graph, targets, config, &mut Session::default(), out, err)?;
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
        Ended::Aborted(message) => {
            writeln!(out, "ninja: build stopped: {message}.")?;
            Ok(1)
        }
    }
}

/// What carries over from one build of a loaded manifest to the next (the
/// manifest's own build, then the main build), as in ninja.
#[derive(Default)]
pub struct Session {
    /// The status line's `%t`.
    pub total: usize,
    /// The logs, opened by the first build that needs them and kept, so
    /// that they are read once per manifest load. Drop them (set `None`)
    /// when the manifest is loaded again.
    pub logs: Option<Logs>,
}

/// Runs one build of `targets` in `session`.
pub fn run(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    session: &mut Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Ended> {
    let mut loaded = HashSet::new();
    let build_start = Instant::now();
    let ended = run_rounds(
        graph,
        targets,
        config,
        session,
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
    if config.disk.exists(path_bytes(&lock)) {
        let _ = config.disk.remove(path_bytes(&lock));
    }
    ended
}

#[allow(clippy::too_many_arguments)]
fn run_rounds(
    graph: &mut Graph,
    targets: &[FileId],
    config: &Config,
    session: &mut Session,
    loaded: &mut HashSet<FileId>,
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Ended> {
    let mut progress = status::Progress::new(config, session.total);
    // Once commands have run, signals stay caught between rounds too
    // (spec: [build.interrupt.signal]).
    let mut signals = None;
    // The critical path weights, computed once (spec: [build.order.priority]).
    let mut weights = None;
    loop {
        let phase = run_phase(
            graph,
            targets,
            config,
            &mut session.logs,
            loaded,
            &mut weights,
            &mut progress,
            build_start,
            out,
            err,
        )?;
        session.total = progress.total.max(0) as usize;
        match phase {
            Phase::Ended(ended) => return Ok(ended),
            Phase::LoadDyndeps(files) => {
                if !config.dry_run {
                    signals.get_or_insert_with(interrupt::SignalHandlers::install);
                }
                // spec: [build.dyndep.load]
                for file in files {
                    loaded.insert(file);
                    if let Err(message) =
                        crate::dyndep::load(graph, file, &mut disk::DiskFiles(&*config.disk))
                    {
                        out.flush()?;
                        return Ok(Ended::Error(message));
                    }
                }
            }
        }
    }
}

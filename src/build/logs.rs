//! The build's logs as a build opens them: `.ninja_log` and `.ninja_deps`
//! in `builddir`, recompacted when they need it.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{Disk, RealDisk, path_bytes};
use crate::build_log::{self, BuildLog};
use crate::bytes_to_path;
use crate::deps_log::{self, DepsLog};
use crate::expand::edge_binding;
use crate::graph::{Graph, PHONY_RULE};
use crate::log_file::LogFile;

/// The logs a build reads and appends to.
pub struct Logs {
    pub build_log: BuildLog,
    pub build_log_path: PathBuf,
    pub deps_log: DepsLog,
    pub deps_log_path: PathBuf,
    /// `.ninja_lock`, touched when a command starts to read the time.
    pub lock_path: PathBuf,
    /// The two logs as the build appends to them, kept open.
    pub build_log_file: LogFile,
    pub deps_log_file: LogFile,
}

/// The file touched to read the file system's clock, in `builddir`.
pub const LOCK_FILE_NAME: &str = ".ninja_lock";

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
        Logs::open_on(graph, mode, &RealDisk, err)
    }

    /// [`Logs::open`] on `disk`.
    pub fn open_on(
        graph: &Graph,
        mode: OpenMode,
        disk: &dyn Disk,
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
        let (log, warning) = match disk.load_build_log(&build_log_path) {
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
        let mut is_dead = |path: &[u8]| {
            let live = graph
                .lookup_file(path)
                .is_some_and(|f| graph.files[f].in_edge.is_some());
            !live && disk.stat(path) == 0
        };
        let build_log_found = log.is_some();
        let mut build_log = log.unwrap_or_default();
        if ((mode == OpenMode::RecompactOnly && build_log_found)
            || (mode == OpenMode::Write && build_log.needs_recompaction))
            && let Err(e) = disk.recompact_build_log(&mut build_log, &build_log_path, &mut is_dead)
        {
            return Ok(Err(format!("failed recompaction: {e}")));
        }
        let mut deps = match disk.load_deps_log(&deps_log_path) {
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
        let deps_found = disk.exists(path_bytes(&deps_log_path));
        if (mode == OpenMode::RecompactOnly && deps_found)
            || (mode == OpenMode::Write && deps.needs_recompaction)
        {
            let mut is_live = |path: &[u8]| deps_entry_is_live(graph, path);
            if let Err(e) = disk.recompact_deps_log(&mut deps, &deps_log_path, &mut is_live) {
                return Ok(Err(format!("failed recompaction: {e}")));
            }
        }
        Ok(Ok(Logs {
            build_log,
            build_log_file: build_log::log_file(&build_log_path),
            build_log_path,
            deps_log: deps,
            deps_log_file: LogFile::new(deps_log_path.clone(), deps_log::header()),
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

//! The executor's two seams to the outside world, so that the whole
//! executor (scan, logs, run loop, restat) can run against an in-memory
//! file system and a fake process runner (tests/executor_properties.rs):
//!
//! - [`Disk`]: every file access of the scan, the run loop and the logs.
//!   Each method's default body is the real thing on `std::fs`, so
//!   [`RealDisk`] (the default in [`super::Config`]) is just `impl Disk
//!   for RealDisk {}` and behaves exactly as before the seam existed.
//! - [`Runner`]: starting commands and waiting for them. `None` in
//!   [`super::Config::runner`] (the default) means real processes
//!   (`process.rs`: `/bin/sh -c`, process groups, signals).

use std::fmt;
use std::io;
use std::path::Path;

use crate::build_log::BuildLog;
use crate::deps_log::{self, DepsLog};
use crate::graph::EdgeId;
use crate::log_file::LogFile;

/// The file system as the executor sees it. Paths are bytes, as in the
/// graph; the log paths are the `Path`s `Logs` builds.
pub trait Disk: Send + Sync + fmt::Debug {
    /// A file's modification time in nanoseconds; 0 when it does not exist.
    fn stat(&self, path: &[u8]) -> i64 {
        super::stat(path)
    }
    /// [`Disk::stat`], except that a failure other than "does not exist"
    /// is an error (the scan stops on it, as ninja's does). The default
    /// knows no such failures.
    fn stat_checked(&self, path: &[u8]) -> io::Result<i64> {
        Ok(self.stat(path))
    }
    fn read(&self, path: &[u8]) -> io::Result<Vec<u8>> {
        std::fs::read(crate::bytes_as_path(path))
    }
    /// Creates or replaces a file (a rspfile, the lock file).
    fn write(&self, path: &[u8], data: &[u8]) -> io::Result<()> {
        std::fs::write(crate::bytes_as_path(path), data)
    }
    fn remove(&self, path: &[u8]) -> io::Result<()> {
        std::fs::remove_file(crate::bytes_as_path(path))
    }
    fn create_dir_all(&self, path: &[u8]) -> io::Result<()> {
        std::fs::create_dir_all(crate::bytes_as_path(path))
    }
    fn exists(&self, path: &[u8]) -> bool {
        crate::bytes_as_path(path).exists()
    }
    /// [`BuildLog::load`]: reads `.ninja_log`, deleting an unusable one.
    fn load_build_log(&self, path: &Path) -> io::Result<(Option<BuildLog>, Option<&'static str>)> {
        BuildLog::load(path)
    }
    /// [`DepsLog::load`]: reads `.ninja_deps`, deleting or truncating it
    /// as ninja does.
    fn load_deps_log(&self, path: &Path) -> io::Result<Option<deps_log::ReadResult>> {
        DepsLog::load(path)
    }
    /// [`BuildLog::write_compacted`].
    fn recompact_build_log(
        &self,
        log: &mut BuildLog,
        path: &Path,
        is_dead: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        log.write_compacted(path, is_dead)
    }
    /// [`DepsLog::write_compacted`].
    fn recompact_deps_log(
        &self,
        log: &mut DepsLog,
        path: &Path,
        is_live: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        log.write_compacted(path, is_live)
    }
    /// [`LogFile::append`]: appends whole records to a log, writing its
    /// header first when the file is new or empty.
    fn append_log(&self, log: &mut LogFile, bytes: &[u8]) -> io::Result<()> {
        log.append(bytes)
    }
}

/// The real file system (`std::fs`).
#[derive(Copy, Clone, Debug, Default)]
pub struct RealDisk;

impl Disk for RealDisk {
    fn stat_checked(&self, path: &[u8]) -> io::Result<i64> {
        super::stat_checked(path)
    }
}

/// Starts commands for the run loop and reports their ends. The run loop
/// calls [`Runner::start`] for each command it starts (after touching the
/// lock file and creating the outputs' directories) and [`Runner::wait`]
/// when it has nothing to start; an edge reported by `wait` is then
/// handled exactly as a finished process (restat, logs, status).
pub trait Runner: Send + Sync + fmt::Debug {
    /// Starts `command` (the expanded `command` binding of `edge`);
    /// `console`: the edge is in the `console` pool. An error is reported
    /// as a failure to spawn (exit code 127).
    fn start(&self, edge: EdgeId, command: &[u8], console: bool) -> io::Result<()>;
    /// Blocks until one started command ends: its edge, exit code (0 is
    /// success) and output. `None` if nothing is running.
    fn wait(&self) -> Option<(EdgeId, i32, Vec<u8>)>;
}

/// A [`Disk`] as the loader's [`crate::load::FileReader`] (dyndep files).
pub(super) struct DiskFiles<'a>(pub(super) &'a dyn Disk);

impl crate::load::FileReader for DiskFiles<'_> {
    fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String> {
        self.0
            .read(path)
            .map_err(|e| crate::load::io_error_text(&e))
    }
}

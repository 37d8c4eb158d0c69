//! The states a build saw: a [`Disk`] that passes everything on to the
//! build's own disk and remembers the modification time of each path the
//! build stat'ed, so that the refresh after the build takes the scan's
//! view as the watched files' baselines (see `WatchSet::refresh`) instead
//! of stat-ing them again.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::set::Stats;
use crate::build::Disk;
use crate::build_log::BuildLog;
use crate::deps_log::{self, DepsLog};
use crate::log_file::LogFile;

/// A [`Disk`] that records stats; clones of its [`StatLog`] share them.
#[derive(Debug)]
pub struct RecordingDisk {
    inner: Arc<dyn Disk>,
    log: StatLog,
}

/// The recorded stats.
#[derive(Clone, Debug, Default)]
pub struct StatLog(Arc<Mutex<Stats>>);

impl StatLog {
    /// What was recorded since the last call; empties the log.
    pub fn take(&self) -> Stats {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl RecordingDisk {
    pub fn new(inner: Arc<dyn Disk>) -> (RecordingDisk, StatLog) {
        let log = StatLog::default();
        (
            RecordingDisk {
                inner,
                log: log.clone(),
            },
            log,
        )
    }
}

impl RecordingDisk {
    fn note(&self, path: &[u8], mtime: i64) {
        let mut stats = self.log.0.lock().unwrap_or_else(|e| e.into_inner());
        match stats.get_mut(path) {
            Some(m) => *m = mtime,
            None => {
                stats.insert(path.to_vec(), mtime);
            }
        }
    }
}

impl Disk for RecordingDisk {
    fn stat(&self, path: &[u8]) -> i64 {
        let mtime = self.inner.stat(path);
        self.note(path, mtime);
        mtime
    }
    fn stat_checked(&self, path: &[u8]) -> io::Result<i64> {
        // A failed stat stops the build; nothing to remember.
        let mtime = self.inner.stat_checked(path)?;
        self.note(path, mtime);
        Ok(mtime)
    }
    fn read(&self, path: &[u8]) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn write(&self, path: &[u8], data: &[u8]) -> io::Result<()> {
        self.inner.write(path, data)
    }
    fn remove(&self, path: &[u8]) -> io::Result<()> {
        self.inner.remove(path)
    }
    fn create_dir_all(&self, path: &[u8]) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn exists(&self, path: &[u8]) -> bool {
        self.inner.exists(path)
    }
    fn load_build_log(&self, path: &Path) -> io::Result<(Option<BuildLog>, Option<&'static str>)> {
        self.inner.load_build_log(path)
    }
    fn load_deps_log(&self, path: &Path) -> io::Result<Option<deps_log::ReadResult>> {
        self.inner.load_deps_log(path)
    }
    fn recompact_build_log(
        &self,
        log: &mut BuildLog,
        path: &Path,
        is_dead: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        self.inner.recompact_build_log(log, path, is_dead)
    }
    fn recompact_deps_log(
        &self,
        log: &mut DepsLog,
        path: &Path,
        is_live: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        self.inner.recompact_deps_log(log, path, is_live)
    }
    fn append_log(&self, log: &mut LogFile, bytes: &[u8]) -> io::Result<()> {
        self.inner.append_log(log, bytes)
    }
}

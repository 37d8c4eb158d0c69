//! Where file system events come from: a small trait over the operating
//! system's notifications ([`crate::watch::NotifyBackend`]), polling
//! ([`crate::watch::PollBackend`]), or a test's hand ([`FakeBackend`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

/// What a backend delivers on its channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Batch {
    /// Something happened to these paths: a file in a watched directory, or
    /// a watched directory itself. What happened is not said; the session
    /// stats the paths to find out.
    Paths(Vec<PathBuf>),
    /// Events were lost (the queue overflowed); anything may have changed.
    Overflow,
    /// The backend failed; anything may have changed. The text says why.
    Error(String),
}

/// Watches directories, non-recursively: changes to the entries directly
/// inside a watched directory, and to the directory itself, are sent as
/// [`Batch`]es on the channel the backend was made with.
pub trait Backend: Send {
    /// Starts watching `dir` (an absolute path to an existing directory).
    fn watch(&mut self, dir: &Path) -> Result<(), String>;
    /// Watches `dir` (an absolute path) if it is a directory: `Ok(false)`
    /// when it is missing or not a directory. This default stats it first;
    /// a backend whose `watch` tells a missing directory apart does
    /// without.
    fn watch_if_dir(&mut self, dir: &Path) -> Result<bool, String> {
        if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Ok(false);
        }
        self.watch(dir).map(|()| true)
    }
    /// Stops watching `dir`; a directory that is gone is not an error.
    fn unwatch(&mut self, dir: &Path);
}

/// A backend for tests: records what is watched and sends whatever the test
/// injects through its [`FakeHandle`].
pub struct FakeBackend {
    watched: Arc<Mutex<Vec<PathBuf>>>,
}

/// The test's side of a [`FakeBackend`].
#[derive(Clone)]
pub struct FakeHandle {
    tx: Sender<Batch>,
    watched: Arc<Mutex<Vec<PathBuf>>>,
}

impl FakeBackend {
    pub fn new(tx: Sender<Batch>) -> (FakeBackend, FakeHandle) {
        let watched = Arc::new(Mutex::new(Vec::new()));
        let handle = FakeHandle {
            tx,
            watched: watched.clone(),
        };
        (FakeBackend { watched }, handle)
    }
}

impl Backend for FakeBackend {
    fn watch(&mut self, dir: &Path) -> Result<(), String> {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        if !watched.iter().any(|d| d == dir) {
            watched.push(dir.to_path_buf());
        }
        Ok(())
    }

    fn unwatch(&mut self, dir: &Path) {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        watched.retain(|d| d != dir);
    }
}

impl FakeHandle {
    /// Delivers `batch` as if the backend had seen it.
    pub fn inject(&self, batch: Batch) {
        let _ = self.tx.send(batch);
    }

    /// The directories watched now, in the order they were added.
    pub fn watched(&self) -> Vec<PathBuf> {
        self.watched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

//! The operating system's notifications through the `notify` crate:
//! inotify on Linux, FSEvents on macOS, kqueue on the BSDs,
//! ReadDirectoryChangesW on Windows. One non-recursive watch per directory.

use std::path::Path;
use std::sync::mpsc::Sender;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::backend::{Backend, Batch};

/// A [`Backend`] over `notify`'s recommended watcher for this platform.
pub struct NotifyBackend {
    watcher: RecommendedWatcher,
}

impl NotifyBackend {
    /// A backend sending its batches on `tx`; `Err` when the platform's
    /// notification service cannot be started (then poll instead).
    pub fn new(tx: Sender<Batch>) -> Result<NotifyBackend, String> {
        let handler = move |result: notify::Result<notify::Event>| {
            let batch = match result {
                Ok(event) if event.need_rescan() => Batch::Overflow,
                Ok(event) if is_read_only(&event.kind) => return,
                Ok(event) => Batch::Paths(event.paths),
                Err(error) => Batch::Error(error.to_string()),
            };
            let _ = tx.send(batch);
        };
        let watcher = notify::recommended_watcher(handler).map_err(|e| e.to_string())?;
        Ok(NotifyBackend { watcher })
    }
}

/// Opening or reading a file changes nothing a build depends on, and every
/// build reads its sources; such events are dropped at once.
fn is_read_only(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

impl Backend for NotifyBackend {
    fn watch(&mut self, dir: &Path) -> Result<(), String> {
        self.watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| e.to_string())
    }

    fn unwatch(&mut self, dir: &Path) {
        let _ = self.watcher.unwatch(dir);
    }
}

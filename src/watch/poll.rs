//! Polling: list every watched directory every few milliseconds and report
//! the entries whose size, modification time or kind changed
//! (`--watch-poll MS`; for file systems without notifications, such as
//! network mounts or WSL's view of Windows drives).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::backend::{Backend, Batch};

/// What polling remembers of one directory entry.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    modified: Option<SystemTime>,
    len: u64,
    is_dir: bool,
}

/// One directory's entries by name; `None` when the directory is missing.
type Listing = Option<HashMap<std::ffi::OsString, Entry>>;

type Dirs = Arc<Mutex<HashMap<PathBuf, Listing>>>;

/// A [`Backend`] that polls on a thread of its own.
pub struct PollBackend {
    dirs: Dirs,
}

impl PollBackend {
    /// Starts the polling thread; it ends when the receiver is dropped.
    pub fn new(tx: Sender<Batch>, interval: Duration) -> PollBackend {
        let dirs: Dirs = Arc::default();
        let shared = dirs.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(interval);
                let mut changed = Vec::new();
                let mut dirs = shared.lock().unwrap_or_else(|e| e.into_inner());
                for (dir, old) in dirs.iter_mut() {
                    let new = list(dir);
                    diff(dir, old, &new, &mut changed);
                    *old = new;
                }
                drop(dirs);
                if !changed.is_empty() && tx.send(Batch::Paths(changed)).is_err() {
                    return;
                }
            }
        });
        PollBackend { dirs }
    }
}

fn list(dir: &Path) -> Listing {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut listing = HashMap::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let e = Entry {
            modified: meta.modified().ok(),
            len: meta.len(),
            is_dir: meta.is_dir(),
        };
        listing.insert(entry.file_name(), e);
    }
    Some(listing)
}

fn diff(dir: &Path, old: &Listing, new: &Listing, changed: &mut Vec<PathBuf>) {
    match (old, new) {
        (Some(old), Some(new)) => {
            for (name, e) in new {
                if old.get(name) != Some(e) {
                    changed.push(dir.join(name));
                }
            }
            for name in old.keys() {
                if !new.contains_key(name) {
                    changed.push(dir.join(name));
                }
            }
        }
        (None, None) => {}
        _ => changed.push(dir.to_path_buf()),
    }
}

impl Backend for PollBackend {
    fn watch(&mut self, dir: &Path) -> Result<(), String> {
        let listing = list(dir);
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        dirs.entry(dir.to_path_buf()).or_insert(listing);
        Ok(())
    }

    fn unwatch(&mut self, dir: &Path) {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        dirs.remove(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_reports_a_new_file_and_a_removed_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), "x").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut backend = PollBackend::new(tx, Duration::from_millis(5));
        backend.watch(dir.path()).unwrap();
        std::fs::write(dir.path().join("new"), "y").unwrap();
        std::fs::remove_file(dir.path().join("old")).unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            match rx.recv_timeout(Duration::from_secs(5)).unwrap() {
                Batch::Paths(p) => seen.extend(p),
                other => panic!("{other:?}"),
            }
        }
        seen.sort();
        assert_eq!(seen, [dir.path().join("new"), dir.path().join("old")]);
    }
}

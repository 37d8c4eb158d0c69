//! Linux: inotify, called directly. One `inotify_add_watch` per directory,
//! from the session's own thread, and nothing else: no stat, no round trip
//! to another thread. (`notify`'s inotify watcher, the portable backend,
//! sends each watch to its event-loop thread, which stats the directory
//! again; with 10,000 directories that costs more than the kernel calls
//! themselves. ARCHITECTURE.md, "watch/", and bench/RESULTS.md say more.)
//!
//! A reader thread waits on the inotify descriptor and on an eventfd that
//! ends it, and sends what it reads as [`Batch`]es, the way the `notify`
//! backend reports the same events:
//!
//! - an event about an entry of a watched directory: the entry's path;
//! - an event about a watched directory itself (attributes changed,
//!   deleted, moved, its file system unmounted, or its watch gone): the
//!   directory's path, which the session takes as "anything in it may have
//!   changed, and its watch may be dead";
//! - `IN_Q_OVERFLOW`: [`Batch::Overflow`].
//!
//! A directory that was moved away keeps its inotify watch (the watch
//! follows the inode), so the reader removes that watch itself: the path
//! no longer names what is watched. A deleted directory's watch is removed
//! by the kernel (`IN_IGNORED`).

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

use super::backend::{Backend, Batch};

/// What a watch reports: every change to an entry (created, deleted,
/// renamed, written, attributes), and the directory's own removal or move.
/// Never opening or reading, which every build does to its sources.
/// `IN_ONLYDIR`: only a directory is watched.
const MASK: u32 = libc::IN_ATTRIB
    | libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_CLOSE_WRITE
    | libc::IN_MODIFY
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR;

/// The size of `struct inotify_event` before its name.
const HEADER: usize = 16;

/// Watched directories by watch descriptor and by path. A descriptor can
/// stand for several paths (two paths to one directory through a symbolic
/// link get the same watch).
#[derive(Default)]
struct Table {
    by_wd: HashMap<i32, Vec<Arc<Path>>>,
    by_dir: HashMap<Arc<Path>, i32>,
}

impl Table {
    /// Forgets `dir`; the descriptor, if no other path uses it any more.
    fn forget_dir(&mut self, dir: &Path) -> Option<i32> {
        let wd = self.by_dir.remove(dir)?;
        let paths = self.by_wd.get_mut(&wd)?;
        paths.retain(|p| &**p != dir);
        if paths.is_empty() {
            self.by_wd.remove(&wd);
            return Some(wd);
        }
        None
    }

    /// Forgets the descriptor `wd` and every path it stood for.
    fn forget_wd(&mut self, wd: i32) -> Vec<Arc<Path>> {
        let paths = self.by_wd.remove(&wd).unwrap_or_default();
        for p in &paths {
            if self.by_dir.get(p) == Some(&wd) {
                self.by_dir.remove(p);
            }
        }
        paths
    }
}

/// Locks a table, whatever a panicking thread left in it.
fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

/// A [`Backend`] over an inotify instance of its own.
pub struct InotifyBackend {
    inotify: Arc<OwnedFd>,
    table: Arc<Mutex<Table>>,
    /// Written on drop: ends the reader thread.
    stop: OwnedFd,
}

impl InotifyBackend {
    /// A backend sending its batches on `tx`; `Err` when no inotify
    /// instance can be made (the per-user limit, say).
    pub fn new(tx: Sender<Batch>) -> Result<InotifyBackend, String> {
        // SAFETY: plain system calls; each result is checked before use
        // and owned by exactly one `OwnedFd`.
        let inotify = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        if inotify < 0 {
            return Err(format!("inotify: {}", io::Error::last_os_error()));
        }
        let inotify = Arc::new(unsafe { OwnedFd::from_raw_fd(inotify) });
        let stop = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if stop < 0 {
            return Err(format!("eventfd: {}", io::Error::last_os_error()));
        }
        let stop = unsafe { OwnedFd::from_raw_fd(stop) };
        let table = Arc::new(Mutex::new(Table::default()));
        // The reader polls a descriptor of its own for the same eventfd.
        let reader = Reader {
            inotify: inotify.clone(),
            stop: stop.try_clone().map_err(|e| e.to_string())?,
            table: table.clone(),
            tx,
        };
        std::thread::Builder::new()
            .name("watch-inotify".into())
            .spawn(move || reader.run())
            .map_err(|e| e.to_string())?;
        Ok(InotifyBackend {
            inotify,
            table,
            stop,
        })
    }

    /// `inotify_add_watch` for `dir`; the errno on failure.
    fn add(&mut self, dir: &Path) -> Result<(), i32> {
        let Ok(c_dir) = CString::new(dir.as_os_str().as_bytes()) else {
            return Err(libc::ENOENT);
        };
        // The table stays locked from the call until the descriptor is
        // recorded, so the reader never meets a descriptor it cannot name.
        let mut table = lock(&self.table);
        // SAFETY: a valid descriptor and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(self.inotify.as_raw_fd(), c_dir.as_ptr(), MASK) };
        if wd < 0 {
            return Err(io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        let path: Arc<Path> = Arc::from(dir);
        let old = table.by_dir.insert(path.clone(), wd);
        if let Some(old) = old
            && old != wd
            && let Some(paths) = table.by_wd.get_mut(&old)
        {
            // The path names another directory than before (made again
            // before the old one's events were read): drop the old watch
            // unless another path still uses it.
            paths.retain(|p| *p != path);
            if paths.is_empty() {
                table.by_wd.remove(&old);
                rm_watch(&self.inotify, old);
            }
        }
        let paths = table.by_wd.entry(wd).or_default();
        if old != Some(wd) || !paths.contains(&path) {
            paths.push(path);
        }
        Ok(())
    }
}

fn rm_watch(inotify: &OwnedFd, wd: i32) {
    // SAFETY: a valid descriptor; a stale `wd` only gives EINVAL.
    unsafe {
        libc::inotify_rm_watch(inotify.as_raw_fd(), wd);
    }
}

/// Why a watch could not be added, in words.
fn reason(errno: i32) -> String {
    if errno == libc::ENOSPC {
        return "too many inotify watches (see /proc/sys/fs/inotify/max_user_watches)".into();
    }
    io::Error::from_raw_os_error(errno).to_string()
}

impl Backend for InotifyBackend {
    fn watch(&mut self, dir: &Path) -> Result<(), String> {
        self.add(dir).map_err(reason)
    }

    /// One system call: `inotify_add_watch` with `IN_ONLYDIR` fails with
    /// `ENOENT` or `ENOTDIR` when `dir` is not a directory.
    fn watch_if_dir(&mut self, dir: &Path) -> Result<bool, String> {
        match self.add(dir) {
            Ok(()) => Ok(true),
            Err(libc::ENOENT | libc::ENOTDIR) => Ok(false),
            Err(errno) => Err(reason(errno)),
        }
    }

    fn unwatch(&mut self, dir: &Path) {
        let mut table = lock(&self.table);
        if let Some(wd) = table.forget_dir(dir) {
            rm_watch(&self.inotify, wd);
        }
    }
}

impl Drop for InotifyBackend {
    fn drop(&mut self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe {
            libc::write(
                self.stop.as_raw_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            );
        }
    }
}

/// The reader thread's state.
struct Reader {
    inotify: Arc<OwnedFd>,
    stop: OwnedFd,
    table: Arc<Mutex<Table>>,
    tx: Sender<Batch>,
}

impl Reader {
    /// Waits for events and sends them, until the backend is dropped or
    /// the session stops listening.
    fn run(self) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: self.inotify.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.stop.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfd structures.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if n < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                let _ = self.tx.send(Batch::Error(format!(
                    "inotify: {}",
                    io::Error::last_os_error()
                )));
                return;
            }
            if fds[1].revents != 0 {
                return;
            }
            let mut paths = Vec::new();
            let mut overflow = false;
            // Everything queued now, as one batch.
            loop {
                // SAFETY: reads into a buffer of `buf.len()` bytes.
                let got = unsafe {
                    libc::read(self.inotify.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                };
                if got < 0 {
                    let error = io::Error::last_os_error();
                    match error.kind() {
                        io::ErrorKind::WouldBlock => break,
                        io::ErrorKind::Interrupted => continue,
                        _ => {
                            let _ = self.tx.send(Batch::Error(format!("inotify: {error}")));
                            return;
                        }
                    }
                }
                if got == 0 {
                    break;
                }
                self.parse(&buf[..got as usize], &mut paths, &mut overflow);
            }
            if overflow && self.tx.send(Batch::Overflow).is_err() {
                return;
            }
            if !paths.is_empty() {
                paths.sort();
                paths.dedup();
                if self.tx.send(Batch::Paths(paths)).is_err() {
                    return;
                }
            }
        }
    }

    /// The paths that the events in `bytes` are about.
    fn parse(&self, mut bytes: &[u8], paths: &mut Vec<PathBuf>, overflow: &mut bool) {
        let mut table = lock(&self.table);
        while bytes.len() >= HEADER {
            let field = |i: usize| [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
            let wd = i32::from_ne_bytes(field(0));
            let mask = u32::from_ne_bytes(field(4));
            let len = u32::from_ne_bytes(field(12)) as usize;
            let end = (HEADER + len).min(bytes.len());
            let raw_name = &bytes[HEADER..end];
            let name = &raw_name[..raw_name
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(raw_name.len())];
            bytes = &bytes[end..];
            if mask & libc::IN_Q_OVERFLOW != 0 {
                *overflow = true;
                continue;
            }
            if mask & libc::IN_IGNORED != 0 {
                // The kernel dropped the watch (directory deleted, file
                // system unmounted). Known: it died without being asked
                // to; unknown: `unwatch` or the move below removed it.
                paths.extend(table.forget_wd(wd).iter().map(|p| p.to_path_buf()));
                continue;
            }
            let Some(dirs) = table.by_wd.get(&wd) else {
                continue;
            };
            if name.is_empty() {
                paths.extend(dirs.iter().map(|d| d.to_path_buf()));
            } else {
                let name = OsStr::from_bytes(name);
                paths.extend(dirs.iter().map(|d| d.join(name)));
            }
            if mask & libc::IN_MOVE_SELF != 0 {
                table.forget_wd(wd);
                rm_watch(&self.inotify, wd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, Receiver};
    use std::time::Duration;

    /// Paths from the batches received until `want` is among them.
    fn until(rx: &Receiver<Batch>, want: &Path) -> Vec<PathBuf> {
        let mut seen = Vec::new();
        while !seen.iter().any(|p| p == want) {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(Batch::Paths(p)) => seen.extend(p),
                other => panic!("{other:?} while waiting for {want:?}; seen {seen:?}"),
            }
        }
        seen
    }

    #[test]
    fn entries_and_the_directory_itself() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let (tx, rx) = mpsc::channel();
        let mut backend = InotifyBackend::new(tx).unwrap();
        assert_eq!(
            backend.watch_if_dir(&root.path().join("missing")),
            Ok(false)
        );
        std::fs::write(root.path().join("file"), "").unwrap();
        assert_eq!(backend.watch_if_dir(&root.path().join("file")), Ok(false));
        assert_eq!(backend.watch_if_dir(&dir), Ok(true));

        std::fs::write(dir.join("a"), "x").unwrap();
        until(&rx, &dir.join("a"));
        // Opening and reading report nothing: the next batch is the rename.
        let _ = std::fs::read(dir.join("a")).unwrap();
        std::fs::rename(dir.join("a"), dir.join("b")).unwrap();
        let seen = until(&rx, &dir.join("b"));
        assert!(
            seen.iter()
                .all(|p| p == &dir.join("a") || p == &dir.join("b"))
        );

        // Deleted: the directory's own path, and its watch is gone.
        std::fs::remove_dir_all(&dir).unwrap();
        until(&rx, &dir);
        std::thread::sleep(Duration::from_millis(50));
        while rx.try_recv().is_ok() {}
        assert!(lock(&backend.table).by_wd.is_empty());
        // Made again and watched again.
        std::fs::create_dir(&dir).unwrap();
        backend.watch(&dir).unwrap();
        std::fs::write(dir.join("c"), "x").unwrap();
        until(&rx, &dir.join("c"));
    }

    #[test]
    fn a_moved_directory_is_no_longer_watched() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let (tx, rx) = mpsc::channel();
        let mut backend = InotifyBackend::new(tx).unwrap();
        backend.watch(&dir).unwrap();
        std::fs::rename(&dir, root.path().join("elsewhere")).unwrap();
        until(&rx, &dir);
        std::thread::sleep(Duration::from_millis(50));
        while rx.try_recv().is_ok() {}
        let table = lock(&backend.table);
        assert!(table.by_wd.is_empty() && table.by_dir.is_empty());
        drop(table);
        // Its new place reports nothing.
        std::fs::write(root.path().join("elsewhere/x"), "x").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err());
    }

    /// One `struct inotify_event` as the kernel writes it, name padded.
    fn event(wd: i32, mask: u32, name: &str) -> Vec<u8> {
        let len = if name.is_empty() {
            0
        } else {
            (name.len() + 1).next_multiple_of(16)
        };
        let mut bytes = Vec::new();
        bytes.extend(wd.to_ne_bytes());
        bytes.extend(mask.to_ne_bytes());
        bytes.extend(0u32.to_ne_bytes());
        bytes.extend((len as u32).to_ne_bytes());
        bytes.extend(name.as_bytes());
        bytes.resize(HEADER + len, 0);
        bytes
    }

    #[test]
    fn events_are_mapped_as_the_notify_backend_reports_them() {
        // SAFETY: as in `InotifyBackend::new`.
        let inotify = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
        let stop = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        assert!(inotify >= 0 && stop >= 0);
        let (tx, _rx) = mpsc::channel();
        let reader = Reader {
            inotify: Arc::new(unsafe { OwnedFd::from_raw_fd(inotify) }),
            stop: unsafe { OwnedFd::from_raw_fd(stop) },
            table: Arc::default(),
            tx,
        };
        let (a, b) = (Path::new("/w/a"), Path::new("/w/b"));
        {
            let mut table = lock(&reader.table);
            for (wd, dir) in [(1, a), (2, b)] {
                table.by_wd.insert(wd, vec![Arc::from(dir)]);
                table.by_dir.insert(Arc::from(dir), wd);
            }
        }
        let mut bytes = Vec::new();
        bytes.extend(event(1, libc::IN_CLOSE_WRITE, "x.c"));
        bytes.extend(event(-1, libc::IN_Q_OVERFLOW, ""));
        bytes.extend(event(7, libc::IN_MODIFY, "unknown-descriptor"));
        bytes.extend(event(2, libc::IN_DELETE_SELF, ""));
        bytes.extend(event(2, libc::IN_IGNORED, ""));
        let (mut paths, mut overflow) = (Vec::new(), false);
        reader.parse(&bytes, &mut paths, &mut overflow);
        assert!(overflow);
        assert_eq!(paths, [a.join("x.c"), b.to_path_buf(), b.to_path_buf()]);
        let table = lock(&reader.table);
        assert_eq!(table.by_wd.keys().collect::<Vec<_>>(), [&1]);
        assert_eq!(table.by_dir.len(), 1);
    }

    #[test]
    fn unwatch_removes_the_watch() {
        let root = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut backend = InotifyBackend::new(tx).unwrap();
        backend.watch(root.path()).unwrap();
        backend.unwatch(root.path());
        std::fs::write(root.path().join("x"), "x").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err());
        drop(backend);
        // The reader ended and dropped its sender.
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    }
}

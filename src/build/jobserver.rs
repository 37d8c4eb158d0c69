//! The client side of the GNU make jobserver, as in ninja 1.13.
//!
//! spec: [build.jobserver.client] [build.jobserver.makeflags]
//!
//! When n2ref runs under `make -jN` (or another jobserver such as cargo's),
//! `MAKEFLAGS` names a pool of job tokens shared by every tool of the
//! build: a named FIFO, `--jobserver-auth=fifo:PATH` (GNU make 4.4's
//! `--jobserver-style=fifo`), or a pipe whose two descriptors n2ref
//! inherited, `--jobserver-auth=R,W` (older makes, cargo).
//!
//! Pipes: upstream ninja 1.13.2's source refuses them (`Ignoring
//! jobserver: Pipe-based protocol is not supported!`), but the ninja 1.13.2
//! that `pip install ninja` installs, the project's reference, is Kitware's
//! build (`1.13.2.git.kitware.jobserver-pipe-1`), which uses them after a
//! warning that FIFOs are more reliable. n2ref follows the reference.
//!
//! A client owns one implicit token (the one its parent spent to start it) and
//! must hold one more token, read from the FIFO as one byte, for every
//! further command it runs at once; each byte is written back, unchanged,
//! when its command ends (successfully or not, or when the build is
//! interrupted). Without a free token nothing new starts: the build waits
//! for one of its own commands to end before trying again, as ninja does.
//!
//! Windows: the pool is a named semaphore, `--jobserver-auth=NAME`, as in
//! ninja 1.13 on Windows; a token is one count of the semaphore (taken
//! without waiting, given back with `ReleaseSemaphore`). FIFOs and pipes
//! are refused there with ninja's warnings.
//!
//! `-j N` given explicitly, and `-n`, turn the client off: MAKEFLAGS is
//! not even read. In jobserver mode, the default `-j` does not apply: only
//! the tokens (and pools, and `-l`) limit the build.

use std::ffi::OsStr;
#[cfg(unix)]
use std::fs::File;
#[cfg(unix)]
use std::io::Read;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// What `MAKEFLAGS` describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No jobserver (or `make -n`, or negative descriptors).
    None,
    /// `--jobserver-auth=R,W` or `--jobserver-fds=R,W`: inherited pipe
    /// descriptors.
    Pipe(i64, i64),
    /// `--jobserver-auth=fifo:PATH`.
    Fifo(Vec<u8>),
    /// `--jobserver-auth=NAME`: a Windows semaphore.
    Semaphore(Vec<u8>),
}

/// Reads a `MAKEFLAGS` value as ninja 1.13 does.
///
/// Words are separated by spaces and tabs. A first word that does not
/// start with `-` holds make's one-letter flags: if it contains `n` (make
/// was run with `-n`) there is no jobserver. Otherwise every
/// `--jobserver-auth=` and `--jobserver-fds=` word is read, and the last
/// one wins.
pub fn parse_makeflags(value: &[u8]) -> Result<Mode, String> {
    let words: Vec<&[u8]> = value
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(first) = words.first()
        && first[0] != b'-'
        && first.contains(&b'n')
    {
        return Ok(Mode::None);
    }
    let mut mode = Mode::None;
    for word in words {
        if let Some(auth) = word.strip_prefix(b"--jobserver-auth=".as_slice()) {
            mode = match descriptor_pair(auth) {
                Some((r, w)) if r < 0 || w < 0 => Mode::None,
                Some((r, w)) => Mode::Pipe(r, w),
                None => match auth.strip_prefix(b"fifo:".as_slice()) {
                    Some(path) => Mode::Fifo(path.to_vec()),
                    None => Mode::Semaphore(auth.to_vec()),
                },
            };
        } else if let Some(fds) = word.strip_prefix(b"--jobserver-fds=".as_slice()) {
            let Some((r, w)) = descriptor_pair(fds) else {
                return Err(format!(
                    "Invalid file descriptor pair [{}]",
                    String::from_utf8_lossy(fds)
                ));
            };
            // This older spelling means pipes even with negative numbers.
            mode = Mode::Pipe(r, w);
        }
    }
    Ok(mode)
}

/// [`parse_makeflags`], refusing what cannot work on this system.
#[cfg(unix)]
pub fn parse_native_makeflags(value: &[u8]) -> Result<Mode, String> {
    match parse_makeflags(value)? {
        Mode::Semaphore(_) => Err("Semaphore mode is not supported on Posix!".into()),
        mode => Ok(mode),
    }
}

/// [`parse_makeflags`], refusing what cannot work on this system.
#[cfg(windows)]
pub fn parse_native_makeflags(value: &[u8]) -> Result<Mode, String> {
    match parse_makeflags(value)? {
        Mode::Pipe(..) => Err("Pipe-based protocol is not supported!".into()),
        Mode::Fifo(_) => Err("FIFO mode is not supported on Windows!".into()),
        mode => Ok(mode),
    }
}

/// `R,W` as C's `sscanf("%d,%d")` reads it: two integers (each after
/// optional white space and sign) around a comma; anything may follow.
fn descriptor_pair(text: &[u8]) -> Option<(i64, i64)> {
    fn int(text: &[u8]) -> Option<(i64, &[u8])> {
        let start = text
            .iter()
            .position(|b| !b" \t\n\x0b\x0c\r".contains(b))
            .unwrap_or(text.len());
        let mut rest = &text[start..];
        let negative = match rest.first() {
            Some(b'-') => {
                rest = &rest[1..];
                true
            }
            Some(b'+') => {
                rest = &rest[1..];
                false
            }
            _ => false,
        };
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut value: i64 = 0;
        for &d in &rest[..digits] {
            value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        }
        Some((if negative { -value } else { value }, &rest[digits..]))
    }
    let (read, rest) = int(text)?;
    let rest = rest.strip_prefix(b",")?;
    let (write, _) = int(rest)?;
    Some((read, write))
}

/// One job slot held by a running command.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// The slot every client owns without reading it from the pool.
    Implicit,
    /// A byte read from the pool, written back on release.
    Explicit(u8),
}

/// A connection to a jobserver pool (a FIFO or pipe on Unix, a semaphore
/// on Windows).
#[derive(Debug)]
pub struct Client {
    /// Whether the implicit slot is free.
    implicit_free: AtomicBool,
    #[cfg(unix)]
    read: File,
    #[cfg(unix)]
    write: File,
    #[cfg(windows)]
    semaphore: Semaphore,
}

/// An open semaphore handle, closed on drop.
#[cfg(windows)]
#[derive(Debug)]
struct Semaphore(windows_sys::Win32::Foundation::HANDLE);

// SAFETY: a semaphore handle may be used from any thread; the kernel
// object does its own synchronisation.
#[cfg(windows)]
unsafe impl Send for Semaphore {}
// SAFETY: as for `Send`.
#[cfg(windows)]
unsafe impl Sync for Semaphore {}

#[cfg(windows)]
impl Drop for Semaphore {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenSemaphoreW and is closed once.
        unsafe {
            windows_sys::Win32::Foundation::CloseHandle(self.0);
        }
    }
}

#[cfg(windows)]
impl Client {
    /// Opens the named semaphore `name` (to wait on it and release it).
    pub fn open_semaphore(name: &[u8]) -> Result<Client, String> {
        use windows_sys::Win32::System::Threading::{
            OpenSemaphoreW, SEMAPHORE_MODIFY_STATE, SYNCHRONIZATION_SYNCHRONIZE,
        };
        let wide: Vec<u16> = String::from_utf8_lossy(name)
            .encode_utf16()
            .chain(std::iter::once(0))
            .collect();
        // SAFETY: `wide` is NUL-terminated and outlives the call.
        let handle = unsafe {
            OpenSemaphoreW(
                SYNCHRONIZATION_SYNCHRONIZE | SEMAPHORE_MODIFY_STATE,
                0,
                wide.as_ptr(),
            )
        };
        if handle.is_null() {
            return Err(format!(
                "Error opening semaphore: {}",
                io::Error::last_os_error()
            ));
        }
        Ok(Client {
            implicit_free: AtomicBool::new(true),
            semaphore: Semaphore(handle),
        })
    }

    /// A free slot, or `None` when the pool has none now (never blocks).
    /// The implicit slot is handed out first whenever it is free.
    pub fn try_acquire(&self) -> Option<Slot> {
        use windows_sys::Win32::Foundation::WAIT_OBJECT_0;
        use windows_sys::Win32::System::Threading::WaitForSingleObject;
        if self.implicit_free.swap(false, Ordering::SeqCst) {
            return Some(Slot::Implicit);
        }
        // SAFETY: a valid handle; a zero timeout never blocks.
        let taken = unsafe { WaitForSingleObject(self.semaphore.0, 0) } == WAIT_OBJECT_0;
        // ninja has no byte to keep here; it records the value 1.
        taken.then_some(Slot::Explicit(1))
    }

    /// Gives a slot back to the pool; a failure is ignored.
    pub fn release(&self, slot: Slot) {
        match slot {
            Slot::Implicit => self.implicit_free.store(true, Ordering::SeqCst),
            Slot::Explicit(_) => {
                // SAFETY: a valid handle; no previous count is asked for.
                unsafe {
                    windows_sys::Win32::System::Threading::ReleaseSemaphore(
                        self.semaphore.0,
                        1,
                        std::ptr::null_mut(),
                    );
                }
            }
        }
    }
}

#[cfg(unix)]
impl Client {
    /// Opens the FIFO at `path` for reading and for writing, both
    /// non-blocking (and close-on-exec: commands find the pool through
    /// `MAKEFLAGS`, not through n2ref's descriptors).
    pub fn open_fifo(path: &[u8]) -> Result<Client, String> {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if path.is_empty() {
            return Err("Empty fifo path".into());
        }
        let path_buf = crate::bytes_to_path(path);
        let open = |write: bool| {
            std::fs::OpenOptions::new()
                .read(!write)
                .write(write)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path_buf)
        };
        let read = open(false).map_err(|e| {
            format!(
                "Error opening fifo for reading: {}",
                crate::load::io_error_text(&e)
            )
        })?;
        if !read.metadata().is_ok_and(|m| m.file_type().is_fifo()) {
            return Err(format!(
                "Not a fifo path: {}",
                String::from_utf8_lossy(path)
            ));
        }
        let write = open(true).map_err(|e| {
            format!(
                "Error opening fifo for writing: {}",
                crate::load::io_error_text(&e)
            )
        })?;
        Ok(Client {
            implicit_free: AtomicBool::new(true),
            read,
            write,
        })
    }

    /// Uses the inherited pipe descriptors `read_fd` and `write_fd`
    /// through close-on-exec duplicates, made non-blocking (which, the
    /// open file being shared, the originals become too, as in the
    /// reference ninja). The originals stay open for the commands.
    pub fn open_pipe(read_fd: i64, write_fd: i64) -> Result<Client, String> {
        use std::os::fd::FromRawFd;
        const INVALID: &str = "Invalid file descriptors";
        let read_fd = libc::c_int::try_from(read_fd).map_err(|_| INVALID)?;
        let write_fd = libc::c_int::try_from(write_fd).map_err(|_| INVALID)?;
        if !is_fifo(read_fd) || !is_fifo(write_fd) {
            return Err(INVALID.into());
        }
        let dup = |fd: libc::c_int| -> Option<File> {
            // SAFETY: plain fcntl calls on a descriptor just checked to be
            // open; the duplicate is new and owned only by the `File`.
            unsafe {
                let new = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0);
                if new < 0 {
                    return None;
                }
                let flags = libc::fcntl(new, libc::F_GETFL);
                libc::fcntl(new, libc::F_SETFL, flags | libc::O_NONBLOCK);
                Some(File::from_raw_fd(new))
            }
        };
        let read = dup(read_fd).ok_or("Could not duplicate read descriptor")?;
        let write = dup(write_fd).ok_or("Could not duplicate write descriptor")?;
        Ok(Client {
            implicit_free: AtomicBool::new(true),
            read,
            write,
        })
    }

    /// A free slot, or `None` when the pool has none now (never blocks).
    /// The implicit slot is handed out first whenever it is free.
    pub fn try_acquire(&self) -> Option<Slot> {
        if self.implicit_free.swap(false, Ordering::SeqCst) {
            return Some(Slot::Implicit);
        }
        let mut byte = [0u8];
        loop {
            match (&self.read).read(&mut byte) {
                Ok(1) => return Some(Slot::Explicit(byte[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                _ => return None,
            }
        }
    }

    /// Gives a slot back to the pool; a failed write is ignored.
    pub fn release(&self, slot: Slot) {
        match slot {
            Slot::Implicit => self.implicit_free.store(true, Ordering::SeqCst),
            Slot::Explicit(byte) => {
                let _ = (&self.write).write_all(&[byte]);
            }
        }
    }
}

/// Whether `fd` is an open pipe or FIFO.
#[cfg(unix)]
fn is_fifo(fd: libc::c_int) -> bool {
    // SAFETY: fstat writes into a zeroed, properly sized struct.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFIFO
    }
}

/// ninja's jobserver set-up for a build: reads `makeflags` (the value of
/// `MAKEFLAGS`, if set) and connects to the pool it names. Prints
/// `ninja: Jobserver mode detected: MAKEFLAGS` on `out` (unless `quiet`),
/// or on `err` a warning for a form n2ref cannot use or an error for a
/// pool it cannot open; the build then runs without a jobserver.
pub fn setup(
    makeflags: Option<&OsStr>,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Option<Client>> {
    let Some(makeflags) = makeflags else {
        return Ok(None);
    };
    let text = os_bytes(makeflags);
    let text = &text[..];
    let mode = match parse_native_makeflags(text) {
        Ok(mode) => mode,
        Err(message) => {
            out.flush()?;
            err.write_all(b"ninja: warning: Ignoring jobserver: ")?;
            err.write_all(message.as_bytes())?;
            err.write_all(b" [")?;
            err.write_all(text)?;
            err.write_all(b"]\n")?;
            return Ok(None);
        }
    };
    if mode == Mode::None {
        return Ok(None);
    }
    if !quiet {
        out.write_all(b"ninja: Jobserver mode detected: ")?;
        out.write_all(text)?;
        out.write_all(b"\n")?;
    }
    let client = open(mode, quiet, out, err)?;
    match client {
        Ok(client) => Ok(Some(client)),
        Err(message) => {
            out.flush()?;
            writeln!(
                err,
                "ninja: error: Could not initialize jobserver: {message}"
            )?;
            Ok(None)
        }
    }
}

/// `MAKEFLAGS`'s bytes (Windows: as UTF-8, unpaired surrogates replaced).
fn os_bytes(value: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(value.as_bytes())
    }
    #[cfg(not(unix))]
    match value.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
    }
}

/// Connects to the pool `mode` names (a Windows semaphore).
#[cfg(windows)]
fn open(
    mode: Mode,
    _quiet: bool,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> io::Result<Result<Client, String>> {
    Ok(match mode {
        Mode::Semaphore(name) => Client::open_semaphore(&name),
        Mode::None | Mode::Fifo(_) | Mode::Pipe(..) => Err("Unsupported jobserver mode".into()),
    })
}

/// Connects to the pool `mode` names (a FIFO or inherited pipe).
#[cfg(unix)]
fn open(
    mode: Mode,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Result<Client, String>> {
    Ok(match mode {
        Mode::Fifo(path) => Client::open_fifo(&path),
        Mode::Pipe(read, write) => {
            if !quiet {
                out.flush()?;
                err.write_all(
                    b"ninja: warning: Jobserver 'pipe' mode detected, a pool that implements 'fifo' mode would be more reliable!\n",
                )?;
            }
            Client::open_pipe(read, write)
        }
        Mode::None | Mode::Semaphore(_) => Err("Unsupported jobserver mode".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Mode, String> {
        parse_makeflags(s.as_bytes())
    }

    #[test]
    fn makeflags_forms() {
        assert_eq!(parse(""), Ok(Mode::None));
        assert_eq!(parse(" -j4"), Ok(Mode::None));
        assert_eq!(
            parse(" -j4 --jobserver-auth=fifo:/tmp/f"),
            Ok(Mode::Fifo(b"/tmp/f".to_vec()))
        );
        assert_eq!(parse("--jobserver-auth=3,4"), Ok(Mode::Pipe(3, 4)));
        assert_eq!(parse("--jobserver-auth=-1,4"), Ok(Mode::None));
        assert_eq!(parse("--jobserver-fds=-1,-1"), Ok(Mode::Pipe(-1, -1)));
        assert_eq!(
            parse("--jobserver-fds=x"),
            Err("Invalid file descriptor pair [x]".into())
        );
        assert_eq!(
            parse("--jobserver-auth=sem"),
            Ok(Mode::Semaphore(b"sem".to_vec()))
        );
        // make -n: a first word of flag letters with `n`.
        assert_eq!(parse("kn --jobserver-auth=fifo:/tmp/f"), Ok(Mode::None));
        // The last one wins.
        assert_eq!(
            parse("--jobserver-fds=3,4 --jobserver-auth=fifo:/a"),
            Ok(Mode::Fifo(b"/a".to_vec()))
        );
        #[cfg(unix)]
        assert_eq!(
            parse_native_makeflags(b"--jobserver-auth=x"),
            Err("Semaphore mode is not supported on Posix!".into())
        );
        #[cfg(windows)]
        assert_eq!(
            parse_native_makeflags(b"--jobserver-auth=fifo:/x"),
            Err("FIFO mode is not supported on Windows!".into())
        );
    }

    // Unix only: FIFOs are made with mkfifo.
    #[cfg(unix)]
    #[test]
    fn fifo_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let client = Client::open_fifo(path.to_str().unwrap().as_bytes()).unwrap();
        (&client.write).write_all(b"+").unwrap();
        assert_eq!(client.try_acquire(), Some(Slot::Implicit));
        assert_eq!(client.try_acquire(), Some(Slot::Explicit(b'+')));
        assert_eq!(client.try_acquire(), None);
        client.release(Slot::Explicit(b'+'));
        client.release(Slot::Implicit);
        assert_eq!(client.try_acquire(), Some(Slot::Implicit));
        assert_eq!(client.try_acquire(), Some(Slot::Explicit(b'+')));
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").unwrap();
        assert!(
            Client::open_fifo(plain.to_str().unwrap().as_bytes())
                .unwrap_err()
                .starts_with("Not a fifo path: ")
        );
    }
}

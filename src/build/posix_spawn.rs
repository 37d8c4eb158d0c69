//! Starting a captured command on Linux with `posix_spawn` called
//! directly, so that the child, not n2ref, does the work of setting up its
//! descriptors.
//!
//! std's `Command` opens `/dev/null` and duplicates the pipe's write end
//! in n2ref's process, then closes all three copies after the spawn: four
//! system calls per command more than ninja makes, on the run loop's
//! thread, in a build of thousands of commands. Here the file actions of
//! `posix_spawn` open `/dev/null` as stdin and put the write end on both 1
//! and 2 in the child, as ninja does; n2ref only makes the pipe, spawns
//! and closes its copy of the write end.
//!
//! The child is what std's `Command` makes of `/bin/sh -c COMMAND` with
//! `process_group(0)`: its own process group, an empty signal mask,
//! SIGPIPE's default action (spec: [build.process.signal-mask]), n2ref's
//! environment, and no descriptor beyond 0, 1 and 2 that n2ref opened
//! (all are close-on-exec; spec: [build.process.fds]).

use std::ffi::CString;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::OnceLock;

/// A captured command's process, unreaped until [`Process::wait`].
pub(super) struct Process {
    pid: libc::pid_t,
}

impl Process {
    /// The process id, which is also the id of its process group.
    pub(super) fn id(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// Waits for the process to end and reaps it.
    pub(super) fn wait(&mut self) -> io::Result<ExitStatus> {
        let mut status = 0;
        loop {
            // SAFETY: plain system call writing to `status`.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                return Ok(ExitStatus::from_raw(status));
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

/// Starts `/bin/sh -c command` in a process group of its own, stdin from
/// `/dev/null`, stdout and stderr on one new pipe, whose read end is
/// returned. A NUL byte in `command` is refused as std refuses it.
pub(super) fn spawn_captured(command: &[u8]) -> io::Result<(Process, io::PipeReader)> {
    let command = CString::new(command).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "nul byte found in provided data",
        )
    })?;
    let argv = [
        c"/bin/sh".as_ptr(),
        c"-c".as_ptr(),
        command.as_ptr(),
        std::ptr::null(),
    ];
    let (reader, writer) = io::pipe()?;
    let mut actions = FileActions::new()?;
    // SAFETY (both): `a` is the initialised structure; the path is a C
    // string that outlives the call.
    actions.add(|a| unsafe {
        libc::posix_spawn_file_actions_addopen(a, 0, c"/dev/null".as_ptr(), libc::O_RDONLY, 0)
    })?;
    // The write end is close-on-exec: after the two `dup2`s only 1 and 2
    // stay open on it in the command.
    for target in [1, 2] {
        actions.add(|a| unsafe {
            libc::posix_spawn_file_actions_adddup2(a, writer.as_raw_fd(), target)
        })?;
    }
    let attributes = Attributes::get()?;
    let mut pid: libc::pid_t = 0;
    // SAFETY: `argv` is a null-terminated array of valid C strings that
    // outlive the call; `environ` is the process's environment, which
    // n2ref does not modify while a build runs; the file actions and
    // attributes are initialised.
    let r = unsafe {
        libc::posix_spawn(
            &mut pid,
            c"/bin/sh".as_ptr(),
            &actions.0,
            &attributes.0,
            argv.as_ptr().cast(),
            environ().cast(),
        )
    };
    // n2ref's copy of the write end closes here, whatever the outcome.
    drop(writer);
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r));
    }
    Ok((Process { pid }, reader))
}

/// The process's environment (glibc's and musl's `environ`).
fn environ() -> *const *const libc::c_char {
    unsafe extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: reading the pointer; n2ref does not change its environment
    // during a build.
    unsafe { environ }
}

/// `posix_spawn_file_actions_t`, destroyed when dropped.
struct FileActions(libc::posix_spawn_file_actions_t);

impl FileActions {
    fn new() -> io::Result<FileActions> {
        let mut actions = MaybeUninit::uninit();
        // SAFETY: initialises `actions`, which is used only if that worked.
        spawn_result(unsafe { libc::posix_spawn_file_actions_init(actions.as_mut_ptr()) })?;
        // SAFETY: initialised just above (glibc's structure holds no
        // pointer to itself, so it may move).
        Ok(FileActions(unsafe { actions.assume_init() }))
    }

    /// Calls `add` (one of the `posix_spawn_file_actions_add*` functions)
    /// on the structure; its error code as an error.
    fn add(
        &mut self,
        add: impl FnOnce(*mut libc::posix_spawn_file_actions_t) -> libc::c_int,
    ) -> io::Result<()> {
        spawn_result(add(&mut self.0))
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`.
        unsafe {
            libc::posix_spawn_file_actions_destroy(&mut self.0);
        }
    }
}

/// `posix_spawnattr_t` for a captured command, the same for all of them
/// and made once: a new process group, no signal blocked, SIGPIPE's
/// default action.
struct Attributes(libc::posix_spawnattr_t);

// SAFETY: plain data (flags, a process group, signal sets), only read by
// `posix_spawn` once made.
unsafe impl Sync for Attributes {}
unsafe impl Send for Attributes {}

impl Attributes {
    fn get() -> io::Result<&'static Attributes> {
        // The error number, if making them failed (an `io::Error` cannot
        // be shared).
        static ATTRIBUTES: OnceLock<Result<Attributes, i32>> = OnceLock::new();
        let made = ATTRIBUTES.get_or_init(|| {
            Attributes::make().map_err(|e| e.raw_os_error().unwrap_or(libc::EINVAL))
        });
        match made {
            Ok(attributes) => Ok(attributes),
            Err(code) => Err(io::Error::from_raw_os_error(*code)),
        }
    }

    fn make() -> io::Result<Attributes> {
        let mut attributes = MaybeUninit::uninit();
        let a = attributes.as_mut_ptr();
        // SAFETY: `a` is initialised first and used only if that worked;
        // the signal sets are initialised by `sigemptyset`.
        unsafe {
            spawn_result(libc::posix_spawnattr_init(a))?;
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            let mut pipe: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut pipe);
            libc::sigaddset(&mut pipe, libc::SIGPIPE);
            let flags = libc::POSIX_SPAWN_SETPGROUP
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSIGDEF;
            let set = spawn_result(libc::posix_spawnattr_setsigmask(a, &none))
                .and_then(|()| spawn_result(libc::posix_spawnattr_setsigdefault(a, &pipe)))
                .and_then(|()| spawn_result(libc::posix_spawnattr_setpgroup(a, 0)))
                .and_then(|()| {
                    spawn_result(libc::posix_spawnattr_setflags(a, flags as libc::c_short))
                });
            if let Err(error) = set {
                libc::posix_spawnattr_destroy(a);
                return Err(error);
            }
            Ok(Attributes(attributes.assume_init()))
        }
    }
}

/// A `posix_spawn*` function's result (0 or an error number).
fn spawn_result(code: libc::c_int) -> io::Result<()> {
    match code {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::spawn_captured;
    use std::io::Read;

    /// Runs `command` captured: its output and exit code, and its pid.
    fn run(command: &[u8]) -> (String, Option<i32>, u32) {
        let (mut process, mut reader) = spawn_captured(command).expect("spawned");
        let mut output = Vec::new();
        reader.read_to_end(&mut output).expect("read");
        let status = process.wait().expect("reaped");
        (
            String::from_utf8(output).unwrap(),
            status.code(),
            process.id(),
        )
    }

    #[test]
    fn stdout_and_stderr_share_one_pipe_and_stdin_is_dev_null() {
        let (output, code, _) =
            run(b"echo out; echo err >&2; cat; readlink /proc/self/fd/0; exit 3");
        assert_eq!(output, "out\nerr\n/dev/null\n");
        assert_eq!(code, Some(3));
    }

    #[test]
    fn runs_in_a_process_group_of_its_own() {
        // Field 5 of /proc/PID/stat is the process group.
        let (output, _, pid) = run(b"cut -d' ' -f5 /proc/$$/stat");
        assert_eq!(output.trim(), pid.to_string());
    }

    #[test]
    fn a_nul_byte_is_refused_as_std_refuses_it() {
        let error = spawn_captured(b"echo a\0b").err().expect("refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    }
}

//! Running one command: `/bin/sh -c` on Unix (the command line as
//! `CreateProcess` reads it on Windows), its output captured through a pipe.
//!
//! spec: [build.process.group] [build.process.fds]
//!
//! On Windows, as in ninja, there is no shell: the command line's first
//! token (up to the first space or tab outside double quotes, quotes
//! removed) names the program and the rest is passed through unchanged
//! ([`split_program`]); a captured command starts in a new process group
//! (`CREATE_NEW_PROCESS_GROUP`) and is stopped with `CTRL_BREAK_EVENT`;
//! a program that cannot be found is a failed command whose output is
//! `CreateProcess failed: The system cannot find the file specified.`
//!
//! A command is started on the run loop's thread ([`spawn`]):
//! - a captured command (any pool but `console`) runs in a process group of
//!   its own, with stdin from `/dev/null` and stdout and stderr on one
//!   pipe. On Unix the run loop reads the pipes of all of them with one
//!   `poll` ([`wait_any`]), as ninja does; elsewhere a thread of a small
//!   pool ([`collect_on_pool`]: reused threads, one per command running at
//!   once) reads each to its end. The [`Child`] stays with the run loop,
//!   which reaps it once its pipe is closed (as ninja does: a command is
//!   done then). Keeping the child
//!   unreaped until then means its process group id cannot be reused while
//!   the run loop may still signal it ([`Started::kill_group`]).
//! - a `console` command shares n2ref's terminal and process group (so a
//!   Ctrl-C reaches it directly); a thread of the pool waits for it and
//!   wakes the run loop's `poll`.
//!
//! On Linux a captured command is started by [`super::posix_spawn`]
//! (the child opens `/dev/null` and takes the pipe, as in ninja), elsewhere
//! by std's `Command`.
//!
//! Every descriptor n2ref opens is close-on-exec (std's default), so a
//! command inherits only 0, 1 and 2, plus whatever n2ref itself inherited
//! without close-on-exec (ninja passes those on too).
//!
//! SIGCHLD is blocked in every thread of a build ([`block_child_signal`]):
//! n2ref learns of a command's end from its pipe, and an unblocked SIGCHLD
//! would wake an idle thread for nothing after many commands. Commands
//! start with no signal blocked (spec: [build.process.signal-mask]).

use std::io::{self, Read};
#[cfg(not(target_os = "linux"))]
use std::process::{Child, Stdio};
use std::process::{Command, ExitStatus};
use std::sync::Mutex;
#[cfg(unix)]
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};

use crate::bytes_to_path;

/// A started command, as the run loop keeps it.
pub(super) struct Started {
    /// For a captured command; `None` for a console one (its thread
    /// waits for it).
    child: Option<CapturedChild>,
    /// Unix, a captured command whose output is not complete yet: the read
    /// end of its output pipe and what was read so far ([`wait_any`]).
    #[cfg(unix)]
    output: Option<(io::PipeReader, Vec<u8>)>,
}

/// What a command's thread reports.
pub(super) struct Collected<T> {
    pub(super) tag: T,
    pub(super) output: Vec<u8>,
    /// The exit code for a console command (already reaped); `None` for a
    /// captured one, which [`Started::reap`] gives.
    pub(super) code: Option<i32>,
}

/// Starts `command`; its thread sends `tag` back on `done` once the
/// command's output is complete (captured) or it exited (console).
pub(super) fn spawn<T: Send + 'static>(
    command: &[u8],
    console: bool,
    tag: T,
    done: Sender<Collected<T>>,
) -> io::Result<Started> {
    if console {
        let mut child = match shell_command(command).spawn() {
            Ok(child) => child,
            #[cfg(windows)]
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(not_found(tag, done)),
            Err(e) => return Err(e),
        };
        collect_on_pool(move || {
            let code = match child.wait() {
                Ok(status) => exit_code(status),
                Err(_) => 1,
            };
            let _ = done.send(Collected {
                tag,
                output: Vec::new(),
                code: Some(code),
            });
            #[cfg(unix)]
            wake();
        });
        return Ok(Started::external());
    }
    #[cfg_attr(unix, allow(unused_mut))]
    let (child, mut reader) = match start_captured(command) {
        Ok(started) => started,
        // As ninja on Windows: a missing program is a failed command.
        #[cfg(windows)]
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(not_found(tag, done)),
        Err(e) => return Err(e),
    };
    // Unix: the run loop reads the pipe itself ([`wait_any`]), as ninja
    // does; elsewhere a thread of the pool reads it.
    #[cfg(unix)]
    {
        let _ = (tag, done);
        Ok(Started {
            child: Some(child),
            output: Some((reader, Vec::new())),
        })
    }
    #[cfg(not(unix))]
    {
        collect_on_pool(move || {
            let mut output = Vec::new();
            let _ = reader.read_to_end(&mut output);
            // Closed before the end is reported: the run loop may start the
            // next command at once and counts on this descriptor being free
            // (spec: [build.process.fd-limit]).
            drop(reader);
            let _ = done.send(Collected {
                tag,
                output,
                code: None,
            });
        });
        Ok(Started { child: Some(child) })
    }
}

/// A captured command's process: on Linux started by [`posix_spawn`]
/// directly (the child sets up its own descriptors, as in ninja),
/// elsewhere by std.
#[cfg(target_os = "linux")]
type CapturedChild = super::posix_spawn::Process;
#[cfg(not(target_os = "linux"))]
type CapturedChild = Child;

#[cfg(target_os = "linux")]
use super::posix_spawn::spawn_captured as start_captured;

/// Starts a captured command (see [`spawn`]): its process and the read
/// end of its output pipe.
#[cfg(not(target_os = "linux"))]
fn start_captured(command: &[u8]) -> io::Result<(CapturedChild, io::PipeReader)> {
    let mut cmd = shell_command(command);
    let (reader, writer) = io::pipe()?;
    let writer2 = writer.try_clone()?;
    // Its own process group: a Ctrl-C on the terminal does not reach it;
    // n2ref forwards the signal instead (spec: [build.interrupt.signal]).
    own_process_group(&mut cmd)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2);
    let child = cmd.spawn();
    // Closes the parent's copies of the pipe's write end.
    drop(cmd);
    Ok((child?, reader))
}

/// The pipe that wakes [`wait_any`] when a console command's thread has
/// reported its end on the run loop's channel.
#[cfg(unix)]
fn wake_pipe() -> Option<&'static (io::PipeReader, io::PipeWriter)> {
    static PIPE: OnceLock<Option<(io::PipeReader, io::PipeWriter)>> = OnceLock::new();
    PIPE.get_or_init(|| {
        use std::os::fd::AsRawFd;
        let (reader, writer) = io::pipe().ok()?;
        // A full pipe (no poll drained it: only console commands ran)
        // must not block a console command's thread: the wake-up it would
        // add is pending anyway.
        // SAFETY: plain system calls on a descriptor we own.
        unsafe {
            let flags = libc::fcntl(writer.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(writer.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Some((reader, writer))
    })
    .as_ref()
}

/// Blocks SIGCHLD in the calling thread and so in the threads it starts
/// afterwards. n2ref never needs the signal (a command's end shows as the
/// end of its output, then `wait` reaps it), but the kernel delivers it
/// to a thread that does not block it: while the run loop's thread
/// spawns a command (posix_spawn blocks every signal for a moment) a
/// child's SIGCHLD went to an idle thread (the one waiting for the build
/// to end, or the pool's), waking it for nothing: about one wake-up per
/// five commands. Blocking it costs nothing: std starts every command
/// with an empty signal mask.
#[cfg(unix)]
pub(crate) fn block_child_signal() {
    // SAFETY: `set` is initialised by `sigemptyset` before use, and
    // `pthread_sigmask` accepts a null pointer for the old mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Wakes [`wait_any`] (see [`wake_pipe`]).
#[cfg(unix)]
fn wake() {
    use std::io::Write;
    if let Some((_, writer)) = wake_pipe() {
        let _ = (&mut &*writer).write(b"w");
    }
}

/// Waits up to `timeout_ms` for the output of the captured commands in
/// `running` (in the order given: the order they started), reading what
/// each has written. Returns the first command whose output is complete
/// (its pipe closed; the pipe is closed here too, and [`Started::reap`]
/// then gives its exit code) and that output; `None` when the time is up
/// or a console command's end was reported on the run loop's channel
/// meanwhile. One thread and one `poll` for all commands, as ninja; no
/// thread per command, whose hand-offs kept the CPUs idle between
/// commands.
#[cfg(unix)]
pub(super) fn wait_any<'a, K: Copy>(
    running: impl Iterator<Item = (K, &'a mut Started)>,
    timeout_ms: i32,
) -> Option<(K, Vec<u8>)> {
    use std::os::fd::AsRawFd;
    let mut commands: Vec<(K, &mut Started)> =
        running.filter(|(_, s)| s.output.is_some()).collect();
    let mut fds = Vec::with_capacity(commands.len() + 1);
    let wake = wake_pipe();
    if let Some((reader, _)) = wake {
        fds.push(libc::pollfd {
            fd: reader.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
    }
    let first_command = fds.len();
    for (_, started) in &commands {
        if let Some((reader, _)) = &started.output {
            fds.push(libc::pollfd {
                fd: reader.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
    }
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if ready <= 0 {
        return None;
    }
    if let Some((reader, _)) = wake
        && fds[0].revents != 0
    {
        let mut sink = [0u8; 64];
        let _ = (&mut &*reader).read(&mut sink);
        return None;
    }
    // As much as a pipe holds by default (ninja reads 4 KiB at a time);
    // allocated and zeroed once per thread, not on every call.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        if buf.is_empty() {
            buf.resize(64 * 1024, 0);
        }
        read_ready(&mut commands, &fds[first_command..], buf)
    })
}

/// Reads once from each command whose `fds` entry is ready; the first
/// whose pipe is at its end is returned (see [`wait_any`]).
#[cfg(unix)]
fn read_ready<K: Copy>(
    commands: &mut [(K, &mut Started)],
    fds: &[libc::pollfd],
    buf: &mut [u8],
) -> Option<(K, Vec<u8>)> {
    for (i, (key, started)) in commands.iter_mut().enumerate() {
        if fds[i].revents == 0 {
            continue;
        }
        let Some((reader, output)) = started.output.as_mut() else {
            continue;
        };
        match reader.read(buf) {
            Ok(0) | Err(_) => {}
            Ok(n) => {
                output.extend_from_slice(&buf[..n]);
                continue;
            }
        }
        let (reader, output) = started.output.take().expect("checked above");
        // Closed before the end is reported: the run loop may start the
        // next command at once and counts on this descriptor being free
        // (spec: [build.process.fd-limit]).
        drop(reader);
        return Some((*key, output));
    }
    None
}

/// Work for a collecting thread: read a command's output or wait for it.
type Job = Box<dyn FnOnce() + Send>;

/// The threads that collect commands. Each job blocks until its command
/// ends, so the pool has as many threads as commands ever ran at once;
/// they wait for their next job instead of exiting, which saves creating a
/// thread (and its stack and signal stack) for every command. Each thread
/// has a channel of its own, so a job wakes exactly one thread.
fn collect_on_pool(job: impl FnOnce() + Send + 'static) {
    /// The channels of the threads waiting for a job.
    static IDLE: Mutex<Vec<Sender<Job>>> = Mutex::new(Vec::new());
    let idle = || IDLE.lock().unwrap_or_else(|e| e.into_inner());
    let mut job: Job = Box::new(job);
    while let Some(worker) = idle().pop() {
        match worker.send(job) {
            Ok(()) => return,
            // That thread is gone; try another.
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::spawn(move || {
        job();
        loop {
            idle().push(jobs.clone());
            match queue.recv() {
                Ok(job) => job(),
                Err(_) => return,
            }
        }
    });
}

/// Whether n2ref has file descriptors to spare for one more captured
/// command, with `running` commands running. Starting one takes up to six
/// at once (the output pipe; elsewhere than on Linux, where the child does
/// that, a second handle on its write end, `/dev/null` for stdin and the
/// pipe std may use to report a failed `exec`); one
/// (the read end) stays open while the command runs. The run loop asks
/// before starting a command while others run: when the descriptors ran
/// out (`EMFILE`, `ENFILE`, e.g. under `ulimit -n`), it waits for a
/// running command to end instead of failing the build, as ninja does
/// (`ninja: fatal: pipe: Too many open files`).
///
/// Far below the soft limit (`RLIMIT_NOFILE`, read once) the answer is yes
/// without a system call; closer to it, three `pipe`s are made and closed
/// to see.
///
/// spec: [build.process.fd-limit]
#[cfg(unix)]
pub(super) fn descriptors_to_spare(running: usize) -> bool {
    static SOFT_LIMIT: std::sync::OnceLock<libc::rlim_t> = std::sync::OnceLock::new();
    let limit = *SOFT_LIMIT.get_or_init(|| {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system call filling `rl`.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0 {
            rl.rlim_cur
        } else {
            0
        }
    });
    // Two per running command and 64 for the rest (inherited descriptors,
    // the logs) leave room; `RLIM_INFINITY` is the largest value.
    let running = libc::rlim_t::try_from(running).unwrap_or(libc::rlim_t::MAX);
    if running.saturating_mul(2).saturating_add(64) < limit {
        return true;
    }
    let probe = || -> io::Result<_> { Ok((io::pipe()?, io::pipe()?, io::pipe()?)) };
    probe().is_ok()
}

/// No descriptor limit to probe for on Windows (handles are not capped
/// this way).
#[cfg(not(unix))]
pub(super) fn descriptors_to_spare(_running: usize) -> bool {
    true
}

/// As ninja on Windows: a program that cannot be found makes a failed
/// command (status 1) with `CreateProcess`'s message as its output, not a
/// build error. Its report is already sent; nothing runs.
#[cfg(windows)]
fn not_found<T>(tag: T, done: Sender<Collected<T>>) -> Started {
    let _ = done.send(Collected {
        tag,
        output: b"CreateProcess failed: The system cannot find the file specified.\n".to_vec(),
        code: Some(1),
    });
    Started { child: None }
}

impl Started {
    /// A command a [`super::Runner`] started: the runner reports its end
    /// (with its exit code), and it is waited for like a console command.
    pub(super) fn external() -> Started {
        Started {
            child: None,
            #[cfg(unix)]
            output: None,
        }
    }

    /// Waits for a captured command whose output is complete; its exit
    /// code.
    pub(super) fn reap(mut self) -> i32 {
        // A command stopped before its output was complete: read the rest
        // (and drop it), so that it cannot block on a full pipe.
        #[cfg(unix)]
        if let Some((mut reader, _)) = self.output.take() {
            let _ = io::copy(&mut reader, &mut io::sink());
        }
        match self.child.as_mut().map(|c| c.wait()) {
            Some(Ok(status)) => exit_code(status),
            Some(Err(_)) | None => 1,
        }
    }

    /// Sends `signal` to a captured command's process group; console
    /// commands share n2ref's group and got any terminal signal already.
    /// On Windows the group gets `CTRL_BREAK_EVENT`, whatever `signal`.
    #[cfg(windows)]
    pub(super) fn kill_group(&self, _signal: i32) {
        if let Some(child) = &self.child {
            // SAFETY: plain system call; the child is not reaped yet, so
            // its id still names its process group.
            unsafe {
                windows_sys::Win32::System::Console::GenerateConsoleCtrlEvent(
                    windows_sys::Win32::System::Console::CTRL_BREAK_EVENT,
                    child.id(),
                );
            }
        }
    }

    /// Sends `signal` to a captured command's process group; console
    /// commands share n2ref's group and got any terminal signal already.
    #[cfg(unix)]
    pub(super) fn kill_group(&self, signal: i32) {
        if let Some(child) = &self.child
            && let Ok(pid) = libc::pid_t::try_from(child.id())
        {
            // SAFETY: plain system call; the child is not reaped yet, so
            // `pid` still names its process group.
            unsafe {
                libc::kill(-pid, signal);
            }
        }
    }

    pub(super) fn is_console(&self) -> bool {
        self.child.is_none()
    }
}

/// The command as the system runs it: `/bin/sh -c COMMAND`.
#[cfg(unix)]
fn shell_command(command: &[u8]) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(bytes_to_path(command).into_os_string());
    cmd
}

/// The command as `CreateProcess` with no application name runs it: the
/// first token names the program, the rest of the line is passed as is.
/// (std quotes the program name when it rebuilds the command line, which
/// `CreateProcess` and the child's argument parser read the same way.)
#[cfg(windows)]
fn shell_command(command: &[u8]) -> Command {
    use std::os::windows::process::CommandExt;
    let (program, rest) = split_program(command);
    let mut cmd = Command::new(bytes_to_path(&program));
    if !rest.is_empty() {
        cmd.raw_arg(bytes_to_path(rest).into_os_string());
    }
    cmd
}

/// Splits a Windows command line into its program (the first token, up to
/// a space or tab outside double quotes, with the quotes removed) and the
/// rest after the white space that follows it.
#[cfg_attr(not(windows), allow(dead_code))]
fn split_program(command: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut program = Vec::new();
    let mut quoted = false;
    let mut end = command.len();
    for (i, &b) in command.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b' ' | b'\t' if !quoted => {
                end = i;
                break;
            }
            _ => program.push(b),
        }
    }
    let rest = &command[end..];
    let skip = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    (program, &rest[skip..])
}

/// Puts a captured command in a process group of its own.
#[cfg(all(unix, not(target_os = "linux")))]
fn own_process_group(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
}

/// Starts a captured command in a new process group, as ninja does, so
/// that a Ctrl-C on the console does not reach it.
#[cfg(windows)]
fn own_process_group(cmd: &mut Command) -> &mut Command {
    use std::os::windows::process::CommandExt;
    cmd.creation_flags(windows_sys::Win32::System::Threading::CREATE_NEW_PROCESS_GROUP)
}

/// ninja's exit code on Windows: the process's exit code, except that
/// `STATUS_CONTROL_C_EXIT` (ended by Ctrl-C or Ctrl-Break) means
/// interrupted.
#[cfg(windows)]
fn exit_code(status: ExitStatus) -> i32 {
    const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;
    match status.code() {
        Some(c) if c as u32 == STATUS_CONTROL_C_EXIT => super::INTERRUPTED_EXIT,
        Some(c) => c,
        None => 1,
    }
}

/// ninja's exit code for a command's wait status: the exit status; 130
/// (interrupted) for SIGINT, SIGTERM and SIGHUP; otherwise the raw wait
/// status plus 128 (so a core dump's flag shows, as in ninja).
#[cfg(unix)]
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(libc::SIGINT | libc::SIGTERM | libc::SIGHUP)) => super::INTERRUPTED_EXIT,
        (None, Some(_)) => status.into_raw() + 128,
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::split_program;

    #[test]
    fn windows_command_line_split() {
        assert_eq!(
            split_program(b"cl /c a.c"),
            (b"cl".to_vec(), &b"/c a.c"[..])
        );
        assert_eq!(
            split_program(b"\"C:\\Program Files\\x.exe\"  -o \"a b\""),
            (b"C:\\Program Files\\x.exe".to_vec(), &b"-o \"a b\""[..])
        );
        assert_eq!(split_program(b"tool"), (b"tool".to_vec(), &b""[..]));
    }
}

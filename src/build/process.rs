//! Running one command: `/bin/sh -c`, its output captured through a pipe.
//!
//! spec: [build.process.group] [build.process.fds]
//!
//! A command is started on the run loop's thread ([`spawn`]); a helper
//! thread then collects it:
//! - a captured command (any pool but `console`) runs in a process group of
//!   its own, with stdin from `/dev/null` and stdout and stderr on one
//!   pipe. The thread reads the pipe to its end and hands the output back;
//!   the [`Child`] stays with the run loop, which reaps it then (as ninja
//!   does: a command is done once its pipe is closed). Keeping the child
//!   unreaped until then means its process group id cannot be reused while
//!   the run loop may still signal it ([`Started::kill_group`]).
//! - a `console` command shares n2ref's terminal and process group (so a
//!   Ctrl-C reaches it directly); the thread waits for it.
//!
//! Every descriptor n2ref opens is close-on-exec (std's default), so a
//! command inherits only 0, 1 and 2, plus whatever n2ref itself inherited
//! without close-on-exec (ninja passes those on too).

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;

use crate::bytes_to_path;

/// A started command, as the run loop keeps it.
pub(super) struct Started {
    /// For a captured command; `None` for a console one (its thread
    /// waits for it).
    child: Option<Child>,
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
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(bytes_to_path(command).into_os_string());
    if console {
        let mut child = cmd.spawn()?;
        std::thread::spawn(move || {
            let code = match child.wait() {
                Ok(status) => exit_code(status),
                Err(_) => 1,
            };
            let _ = done.send(Collected {
                tag,
                output: Vec::new(),
                code: Some(code),
            });
        });
        return Ok(Started { child: None });
    }
    let (mut reader, writer) = io::pipe()?;
    let writer2 = writer.try_clone()?;
    // Its own process group: a Ctrl-C on the terminal does not reach it;
    // n2ref forwards the signal instead (spec: [build.interrupt.signal]).
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2);
    let child = cmd.spawn();
    // Closes the parent's copies of the pipe's write end.
    drop(cmd);
    let child = child?;
    std::thread::spawn(move || {
        let mut output = Vec::new();
        let _ = reader.read_to_end(&mut output);
        let _ = done.send(Collected {
            tag,
            output,
            code: None,
        });
    });
    Ok(Started { child: Some(child) })
}

impl Started {
    /// A command a [`super::Runner`] started: the runner reports its end
    /// (with its exit code), and it is waited for like a console command.
    pub(super) fn external() -> Started {
        Started { child: None }
    }

    /// Waits for a captured command whose output is complete; its exit
    /// code.
    pub(super) fn reap(mut self) -> i32 {
        match self.child.as_mut().map(|c| c.wait()) {
            Some(Ok(status)) => exit_code(status),
            Some(Err(_)) | None => 1,
        }
    }

    /// Sends `signal` to a captured command's process group; console
    /// commands share n2ref's group and got any terminal signal already.
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

/// ninja's exit code for a command's wait status: the exit status; 130
/// (interrupted) for SIGINT, SIGTERM and SIGHUP; otherwise the raw wait
/// status plus 128 (so a core dump's flag shows, as in ninja).
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(libc::SIGINT | libc::SIGTERM | libc::SIGHUP)) => super::INTERRUPTED_EXIT,
        (None, Some(_)) => status.into_raw() + 128,
        (None, None) => 1,
    }
}

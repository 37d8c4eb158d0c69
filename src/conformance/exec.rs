//! Running one shell command the way a case runs: `sh -c COMMAND` in a
//! given directory, with `$NINJA` set, a fixed environment, stdin from
//! `/dev/null`, output captured, and a timeout after which the command's
//! whole process group is killed.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Environment variables removed because they change ninja's output:
/// the status line format, forced colour, and a make jobserver.
pub const REMOVED_ENV: &[&str] = &["NINJA_STATUS", "CLICOLOR_FORCE", "MAKEFLAGS", "MFLAGS"];

/// How long killed processes get to close their output after a timeout.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// Exited with this status.
    Exited(i32),
    /// Killed by this signal (not by the runner).
    Signalled(i32),
    /// Still running at the timeout; killed by the runner.
    TimedOut(Duration),
}

impl Termination {
    /// The exit status, if the command exited.
    pub fn code(&self) -> Option<i32> {
        match self {
            Termination::Exited(c) => Some(*c),
            _ => None,
        }
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Termination::Exited(c) => write!(f, "{c}"),
            Termination::Signalled(s) => write!(f, "killed by signal {s}"),
            Termination::TimedOut(t) => write!(f, "timed out after {}s", t.as_secs_f64()),
        }
    }
}

/// The result of running a command.
#[derive(Clone, Debug)]
pub struct Execution {
    pub termination: Termination,
    /// Raw (not yet normalised) output.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub duration: Duration,
}

enum Event {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exit(io::Result<std::process::ExitStatus>),
}

/// Runs `sh -c command` in `cwd` with `NINJA=ninja` (and
/// `CONFORMANCE_LIB=lib`, the suite's shared scripts, when given), killing
/// it (and its children) if it has not finished, output streams included,
/// by `timeout`.
pub fn run_shell(
    command: &str,
    cwd: &Path,
    ninja: &str,
    lib: Option<&Path>,
    timeout: Duration,
) -> io::Result<Execution> {
    let start = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env("NINJA", ninja)
        .env("LC_ALL", "C")
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(lib) = lib {
        cmd.env("CONFORMANCE_LIB", lib);
    }
    own_process_group(&mut cmd);
    for var in REMOVED_ENV {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let tx_out = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        let _ = tx_out.send(Event::Stdout(buf));
    });
    let tx_err = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        let _ = tx_err.send(Event::Stderr(buf));
    });
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exit(child.wait()));
    });

    // After the timeout, the killed processes get a grace period to release
    // the pipes; a process that escaped the group must not hang the runner.
    let mut deadline = start + timeout;
    let (mut stdout, mut stderr, mut status) = (None, None, None);
    let mut timed_out = false;
    while stdout.is_none() || stderr.is_none() || status.is_none() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Event::Stdout(b)) => stdout = Some(b),
            Ok(Event::Stderr(b)) => stderr = Some(b),
            Ok(Event::Exit(s)) => status = Some(s?),
            Err(mpsc::RecvTimeoutError::Timeout) if !timed_out => {
                timed_out = true;
                kill_group(pid);
                deadline = Instant::now() + KILL_GRACE;
            }
            Err(_) => break,
        }
    }
    let termination = match status {
        _ if timed_out => Termination::TimedOut(timeout),
        Some(status) => match status.code() {
            Some(code) => Termination::Exited(code),
            None => Termination::Signalled(signal_of(status)),
        },
        None => return Err(io::Error::other("lost track of the child process")),
    };
    Ok(Execution {
        termination,
        stdout: stdout.unwrap_or_default(),
        stderr: stderr.unwrap_or_default(),
        duration: start.elapsed(),
    })
}

/// The signal that ended a process (Unix).
#[cfg(unix)]
fn signal_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

/// Windows processes always have an exit code; never called there.
#[cfg(not(unix))]
fn signal_of(_status: std::process::ExitStatus) -> i32 {
    0
}

/// Starts the shell in a process group of its own, so that a timeout can
/// kill everything it started.
#[cfg(unix)]
fn own_process_group(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
}

/// Windows: no process groups; [`kill_group`] kills the process tree.
#[cfg(not(unix))]
fn own_process_group(_cmd: &mut Command) {}

/// Kills the process tree rooted at `pid` (`taskkill /T /F`).
#[cfg(windows)]
fn kill_group(pid: u32) {
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Sends SIGKILL to the process group `pgid`.
#[cfg(not(windows))]
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Copies the directory tree `from` into the existing directory `to`, byte
/// for byte, keeping permissions and symbolic links.
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let dest = to.join(rel);
        let kind = entry.file_type();
        if kind.is_symlink() {
            copy_symlink(entry.path(), &dest)?;
        } else if kind.is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Recreates the symbolic link `from` at `to`.
#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
}

/// Recreates the symbolic link `from` at `to` (Windows: as a link to a
/// directory or to a file, as the original is).
#[cfg(windows)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    let target = std::fs::read_link(from)?;
    if std::fs::metadata(from).is_ok_and(|m| m.is_dir()) {
        std::os::windows::fs::symlink_dir(target, to)
    } else {
        std::os::windows::fs::symlink_file(target, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &str, timeout: f64) -> Execution {
        let dir = tempfile::tempdir().unwrap();
        run_shell(
            command,
            dir.path(),
            "fake ninja",
            None,
            Duration::from_secs_f64(timeout),
        )
        .unwrap()
    }

    #[test]
    fn captures_output_and_status() {
        let e = run("echo $NINJA; echo err >&2; exit 3", 10.0);
        assert_eq!(e.termination, Termination::Exited(3));
        assert_eq!(e.stdout, b"fake ninja\n");
        assert_eq!(e.stderr, b"err\n");
    }

    #[test]
    fn sets_the_environment() {
        let e = run(
            "printf '%s|%s|%s' \"$LC_ALL\" \"$TERM\" \"${NINJA_STATUS-unset}\"; read x; echo \"[$x]\" >&2",
            10.0,
        );
        assert_eq!(e.stdout, b"C|dumb|unset");
        assert_eq!(e.stderr, b"[]\n");
    }

    #[test]
    fn sets_the_shared_lib_only_when_given() {
        let dir = tempfile::tempdir().unwrap();
        let show = "printf '%s' \"${CONFORMANCE_LIB-unset}\"";
        let lib = Path::new("/suite/lib");
        let t = Duration::from_secs(10);
        let with = run_shell(show, dir.path(), "n", Some(lib), t).unwrap();
        assert_eq!(with.stdout, b"/suite/lib");
        let without = run_shell(show, dir.path(), "n", None, t).unwrap();
        assert_eq!(without.stdout, b"unset");
    }

    // Unix only (this and the tests below): background jobs, setsid,
    // signals, symbolic links and permission bits.
    #[cfg(unix)]
    #[test]
    fn kills_on_timeout_including_children() {
        let start = Instant::now();
        // The background sleep keeps stdout open; it must be killed too.
        let e = run("sleep 30 & echo started; sleep 30", 0.5);
        assert!(matches!(e.termination, Termination::TimedOut(_)));
        assert_eq!(e.stdout, b"started\n");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[cfg(unix)]
    #[test]
    fn an_escaped_process_does_not_hang_the_runner() {
        let start = Instant::now();
        // setsid leaves the process group but keeps stdout open.
        let e = run("setsid sleep 30 & echo started; sleep 30", 0.5);
        assert!(matches!(e.termination, Termination::TimedOut(_)));
        assert!(start.elapsed() < KILL_GRACE + Duration::from_secs(5));
    }

    #[cfg(unix)]
    #[test]
    fn reports_signals() {
        let e = run("kill -TERM $$", 10.0);
        assert_eq!(e.termination, Termination::Signalled(15));
        assert_eq!(e.termination.code(), None);
    }

    #[cfg(unix)]
    #[test]
    fn copies_trees_exactly() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let f = from.path();
        std::fs::create_dir_all(f.join("a/b")).unwrap();
        std::fs::write(f.join("a/b/x"), b"tab\there\r\nno newline").unwrap();
        std::fs::write(f.join("run.sh"), b"#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("a/b/x", f.join("link")).unwrap();
        copy_tree(f, to.path()).unwrap();
        let t = to.path();
        assert_eq!(
            std::fs::read(t.join("a/b/x")).unwrap(),
            b"tab\there\r\nno newline"
        );
        assert_eq!(
            std::fs::read_link(t.join("link")).unwrap(),
            Path::new("a/b/x")
        );
        let mode = std::fs::metadata(t.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}

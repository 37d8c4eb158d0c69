//! The GNU make jobserver client (spec: [build.jobserver.client]), end to
//! end: a pool with N tokens (a FIFO, or an inherited pipe) lets at most
//! N + 1 commands run at once, and every token comes back. The same runs
//! against real ninja 1.13 when installed (SKIPPED message otherwise,
//! failure with N2REF_REQUIRE_NINJA set).
//!
//! Unix only: the pools are FIFOs and inherited pipes (Windows uses a
//! semaphore, see src/build/jobserver.rs).
#![cfg(unix)]

mod common;

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn real_ninja() -> Option<PathBuf> {
    common::real_ninja("comparison with ninja; only n2ref was checked")
}

/// Eight independent commands; each records how many were running
/// (including itself) while it ran.
const MANIFEST: &str = "rule r
  command = touch running/$out; sleep 0.3; ls running | wc -l > $out; rm running/$out
build a: r
build b: r
build c: r
build d: r
build e: r
build f: r
build g: r
build h: r
";

/// n2ref (`None`), then real ninja if found.
fn impls(ninja: &Option<PathBuf>) -> Vec<Option<&Path>> {
    std::iter::once(None)
        .chain(ninja.as_deref().map(Some))
        .collect()
}

const OUTPUTS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("build.ninja"), MANIFEST).unwrap();
    std::fs::create_dir(dir.path().join("running")).unwrap();
    dir
}

fn max_running(dir: &Path) -> usize {
    OUTPUTS
        .iter()
        .map(|o| {
            std::fs::read_to_string(dir.join(o))
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .max()
        .unwrap()
}

/// `n2ref build` (None) or real ninja in `dir` with MAKEFLAGS.
fn build(ninja: Option<&Path>, dir: &Path, makeflags: &str, args: &[&str]) -> Output {
    let mut cmd = match ninja {
        None => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_n2ref"));
            c.arg("build");
            c
        }
        Some(path) => Command::new(path),
    };
    cmd.args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("NINJA_STATUS")
        .env("MAKEFLAGS", makeflags)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Builds with a FIFO holding `tokens` tokens; returns the most commands
/// seen running at once, the tokens left in the pool and stdout.
fn with_fifo(ninja: Option<&Path>, tokens: usize, args: &[&str]) -> (usize, usize, String) {
    let dir = setup();
    let d = dir.path();
    let fifo = d.join("fifo");
    let c = CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Held open (read-write, so opening does not block) for the whole
    // build, so that the tokens stay in the pipe.
    let mut pool = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    pool.write_all(&vec![b'+'; tokens]).unwrap();
    let out = build(
        ninja,
        d,
        &format!(" -j{} --jobserver-auth=fifo:{}", tokens + 1, fifo.display()),
        args,
    );
    assert!(out.status.success(), "{out:?}");
    let mut left = vec![0u8; 64];
    let n = pool.read(&mut left).unwrap_or(0);
    assert!(left[..n].iter().all(|&b| b == b'+'));
    (
        max_running(d),
        n,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn fifo_tokens_limit_parallelism() {
    let ninja = real_ninja();
    for implementation in impls(&ninja) {
        for tokens in [0, 2] {
            let (max, left, stdout) = with_fifo(implementation, tokens, &[]);
            let who = implementation.map_or("n2ref".into(), |p| p.display().to_string());
            assert!(
                max <= tokens + 1,
                "{who}: {max} commands ran at once with {tokens} tokens"
            );
            if tokens == 0 {
                assert_eq!(max, 1, "{who}");
            }
            assert_eq!(left, tokens, "{who}: every token comes back");
            assert!(
                stdout.starts_with("ninja: Jobserver mode detected: "),
                "{who}: {stdout}"
            );
        }
    }
}

#[test]
fn explicit_j_ignores_the_pool() {
    let ninja = real_ninja();
    for implementation in impls(&ninja) {
        let (max, left, stdout) = with_fifo(implementation, 0, &["-j8"]);
        assert_eq!(left, 0);
        assert!(!stdout.contains("Jobserver"), "{stdout}");
        // Not limited to one at a time by the empty pool (eight commands
        // of 0.3 s each started together overlap).
        assert!(max > 1, "{max}");
    }
}

/// `--jobserver-auth=R,W` with inherited pipe descriptors, as the
/// reference ninja 1.13.2 (Kitware's build) accepts them.
#[test]
fn inherited_pipe_tokens_limit_parallelism() {
    let ninja = real_ninja();
    for implementation in impls(&ninja) {
        let dir = setup();
        let d = dir.path();
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors; without
        // O_CLOEXEC they are inherited by the build, as make passes them.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors are new and owned here only.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mut writer = std::fs::File::from(w.try_clone().unwrap());
        writer.write_all(b"++").unwrap();
        let makeflags = format!(" -j3 --jobserver-auth={},{}", r.as_raw_fd(), w.as_raw_fd());
        let out = build(implementation, d, &makeflags, &[]);
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("Jobserver 'pipe' mode detected"),
            "{stderr}"
        );
        assert!(max_running(d) <= 3);
        let mut reader = std::fs::File::from(r);
        let mut left = [0u8; 8];
        // The build made the pipe non-blocking.
        let n = reader.read(&mut left).unwrap_or(0);
        assert_eq!(n, 2, "every token comes back");
        drop(w);
    }
}

//! A request to stop a running build: set by a signal handler (Ctrl-C,
//! SIGTERM, SIGHUP) or by watch mode when a change arrives mid-build.
//!
//! spec: [build.interrupt.signal]
//!
//! Signals: while a build may run commands (from the start of the run loop
//! to its end, as ninja holds its handlers for the life of its command
//! runner), [`SignalHandlers`] catches SIGINT, SIGTERM and SIGHUP. The
//! handler only records the signal number in a process-wide atomic, which
//! [`Interrupt::is_triggered`] reads, so every `Interrupt` sees a signal.
//! The run loop then stops starting commands and sends that same signal to
//! the process group of every running (non-console) command.
//!
//! The run loop installs them for its round; once a round has ended to
//! load a dyndep file, they stay until the build ends, so a signal while
//! the file is loaded stops the build at the next round, as in ninja.
//!
//! A programmatic [`Interrupt::trigger`] (watch mode) has no signal of its
//! own; children then get SIGINT, the signal a user's Ctrl-C would have
//! delivered to them, which compilers and other tools are written to
//! handle (they remove their temporary files and exit). A `console`
//! command gets no signal from a trigger (nor from a signal sent to n2ref
//! alone): the build waits for it to end, as ninja does.
//!
//! Windows has no signals: [`SignalHandlers`] installs a console control
//! handler (`SetConsoleCtrlHandler`) that records Ctrl-C and Ctrl-Break
//! as SIGINT, and
//! running commands, each in a process group of its own, are sent
//! `CTRL_BREAK_EVENT` (see `process.rs`), as ninja does.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The last of SIGINT, SIGTERM, SIGHUP received while [`SignalHandlers`]
/// were installed; 0 when none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Shared flag the run loop polls; clones share the same flag.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Asks the build to stop: no new command starts, running ones get
    /// SIGINT in their process group, and the build ends with
    /// [`INTERRUPTED_MESSAGE`].
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Interrupt::trigger`] was called or a signal arrived
    /// during the build.
    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst) || SIGNAL.load(Ordering::SeqCst) != 0
    }

    /// The signal received during the last build, if any (watch mode
    /// should exit then rather than start another build).
    pub fn received_signal(&self) -> Option<i32> {
        match SIGNAL.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// The signal to forward to running commands: the one received, or
    /// SIGINT for a programmatic trigger.
    pub fn signal_for_children(&self) -> i32 {
        self.received_signal().unwrap_or(libc::SIGINT)
    }

    /// Clears the programmatic request before the next build (watch
    /// mode). A received signal is forgotten when the next build installs
    /// its handlers.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What ninja prints after `ninja: build stopped: ` when interrupted.
pub const INTERRUPTED_MESSAGE: &str = "interrupted by user";

/// ninja's exit status for an interrupted build (`ExitInterrupted`).
pub const INTERRUPTED_EXIT: i32 = 130;

#[cfg(unix)]
const CAUGHT: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The handlers that were in place before the first live
/// [`SignalHandlers`], and how many are live (builds may nest in tests).
#[cfg(unix)]
static INSTALLED: Mutex<(usize, Vec<libc::sigaction>)> = Mutex::new((0, Vec::new()));

/// How many [`SignalHandlers`] are live (builds may nest in tests).
#[cfg(windows)]
static INSTALLED: Mutex<usize> = Mutex::new(0);

/// Console control handler: records Ctrl-C and Ctrl-Break as SIGINT and
/// tells Windows they were handled (n2ref stays alive to stop the build);
/// other events (the console closing, logoff) get the next handler, as in
/// ninja.
#[cfg(windows)]
unsafe extern "system" fn record_console_event(event: u32) -> windows_sys::core::BOOL {
    use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT};
    if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
        SIGNAL.store(libc::SIGINT, Ordering::SeqCst);
        1
    } else {
        0
    }
}

/// While alive, Ctrl-C and Ctrl-Break on the console interrupt the build
/// instead of killing n2ref.
#[cfg(windows)]
pub(crate) struct SignalHandlers(());

#[cfg(windows)]
impl SignalHandlers {
    pub(crate) fn install() -> SignalHandlers {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if *installed == 0 {
            SIGNAL.store(0, Ordering::SeqCst);
            // SAFETY: registers a handler that only does an atomic store.
            unsafe {
                windows_sys::Win32::System::Console::SetConsoleCtrlHandler(
                    Some(record_console_event),
                    1,
                );
            }
        }
        *installed += 1;
        SignalHandlers(())
    }
}

#[cfg(windows)]
impl Drop for SignalHandlers {
    fn drop(&mut self) {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        *installed -= 1;
        if *installed == 0 {
            // SAFETY: removes the handler `install` added.
            unsafe {
                windows_sys::Win32::System::Console::SetConsoleCtrlHandler(
                    Some(record_console_event),
                    0,
                );
            }
        }
    }
}

/// Signal handler: records the signal. Only an atomic store, which is
/// async-signal-safe.
#[cfg(unix)]
extern "C" fn record_signal(signal: libc::c_int) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// While alive, SIGINT, SIGTERM and SIGHUP interrupt the build instead of
/// killing n2ref; dropping the last one restores the previous handlers.
#[cfg(unix)]
pub(crate) struct SignalHandlers(());

#[cfg(unix)]
impl SignalHandlers {
    pub(crate) fn install() -> SignalHandlers {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if installed.0 == 0 {
            SIGNAL.store(0, Ordering::SeqCst);
            let mut old = Vec::new();
            for signal in CAUGHT {
                // SAFETY: `sigaction` is given a zeroed (valid) struct
                // whose handler is an `extern "C" fn(c_int)` doing only an
                // atomic store; `prev` is a valid out-pointer. SA_RESTART
                // keeps the other threads' blocking calls from failing
                // with EINTR.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = record_signal as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut prev: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(signal, &action, &mut prev);
                    old.push(prev);
                }
            }
            installed.1 = old;
        }
        installed.0 += 1;
        SignalHandlers(())
    }
}

#[cfg(unix)]
impl Drop for SignalHandlers {
    fn drop(&mut self) {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        installed.0 -= 1;
        if installed.0 == 0 {
            for (signal, prev) in CAUGHT.iter().zip(&installed.1) {
                // SAFETY: `prev` was filled in by `sigaction` in `install`.
                unsafe {
                    libc::sigaction(*signal, prev, std::ptr::null_mut());
                }
            }
            installed.1.clear();
        }
    }
}

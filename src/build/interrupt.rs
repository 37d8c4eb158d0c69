//! A request to stop a running build: set by a signal handler (Ctrl-C,
//! SIGTERM, SIGHUP) or by watch mode when a change arrives mid-build.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared flag the run loop polls; clones share the same flag.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Asks the build to stop: no new command starts, running ones are
    /// stopped, and the build ends with [`INTERRUPTED_MESSAGE`].
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Clears the request before the next build (watch mode).
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What ninja prints after `ninja: build stopped: ` when interrupted.
pub const INTERRUPTED_MESSAGE: &str = "interrupted by user";

/// ninja's exit status for an interrupted build (`ExitInterrupted`).
pub const INTERRUPTED_EXIT: i32 = 130;

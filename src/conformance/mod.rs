//! The conformance runner: runs the case suite in `conformance/cases`
//! against any ninja implementation and reports differences.
//!
//! The case format is documented in `conformance/FORMAT.md`. The pieces:
//! [`case`] (discovery and parsing), [`version`] (`since`/`until`),
//! [`implementation`] (name and version of the command under test),
//! [`known`] (known divergences), [`exec`] (running a command with a
//! timeout), [`normalise`], [`run`] (running cases and suites), [`diff`] and
//! [`report`] (text, JSON, TAP), [`coverage`] (spec rules versus cases) and
//! [`cli`] (`n2ref conformance`).

pub mod case;
pub mod cli;
pub mod coverage;
pub mod diff;
#[cfg(test)]
mod e2e_tests;
pub mod exec;
pub mod implementation;
pub mod known;
pub mod normalise;
pub mod report;
pub mod run;
pub mod version;

pub use report::Format;
pub use run::{CaseResult, Counts, Options, Status, SuiteResult, run_suite};

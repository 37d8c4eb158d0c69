//! n2ref: a formally specified reference implementation of the ninja build system.
//!
//! See `ARCHITECTURE.md` for the map of modules and the flow of data, and
//! `spec/` for the language the code implements (rule IDs such as
//! `[eval.rule.forward-ref]` appear in both).

pub mod cli;
pub mod conformance;

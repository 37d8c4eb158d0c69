//! n2ref: a formally specified reference implementation of the ninja build system.
//!
//! See `ARCHITECTURE.md` for the map of modules and the flow of data, and
//! `spec/` for the language the code implements (rule IDs such as
//! `[eval.rule.forward-ref]` appear in both).

pub mod ast;
pub mod audit;
pub mod build;
pub mod build_log;
pub mod canon;
pub mod check;
pub mod clean;
pub mod cli;
pub mod densemap;
pub mod depfile;
pub mod deps_log;
pub mod diag;
pub mod dyndep;
pub mod eval_string;
pub mod expand;
pub mod graph;
pub mod hash;
pub mod load;
pub mod msvc_deps;
pub mod parse;
pub mod print;
pub mod scope;
pub mod shell_escape;
pub mod source;
#[cfg(test)]
mod test_support;
pub mod watch;
pub mod work;

/// A manifest path (bytes) as an OS path.
#[cfg(unix)]
pub fn bytes_to_path(bytes: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)).to_path_buf()
}

/// A manifest path (bytes) as an OS path, borrowed where the platform allows.
#[cfg(unix)]
pub fn bytes_as_path(bytes: &[u8]) -> std::borrow::Cow<'_, std::path::Path> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

/// A manifest path (bytes) as an OS path, borrowed where the platform allows.
#[cfg(not(unix))]
pub fn bytes_as_path(bytes: &[u8]) -> std::borrow::Cow<'_, std::path::Path> {
    std::borrow::Cow::Owned(bytes_to_path(bytes))
}

/// A manifest path (bytes) as an OS path.
#[cfg(not(unix))]
pub fn bytes_to_path(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
pub mod conformance;
pub mod edit_distance;
pub mod getopt;
pub mod log_file;
pub mod metrics;
pub mod ninja_cli;
pub mod tools;

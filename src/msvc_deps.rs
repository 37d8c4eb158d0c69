//! `deps = msvc`: the dependencies a compiler reports on its output with
//! `/showIncludes`, read as ninja 1.13 does on POSIX systems
//! (`spec/depfile.md`, [depfile.msvc]).
//!
//! Architecture invariant: pure bytes in, bytes out; no file system.

use std::collections::BTreeSet;

use crate::canon::canonicalize;

/// The prefix of an include line when the rule sets no (or an empty)
/// `msvc_deps_prefix` (spec: [depfile.msvc.prefix]).
pub const DEFAULT_PREFIX: &[u8] = b"Note: including file: ";

/// A command's output split into what it reported and what is left to
/// print.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The included files: canonical paths, without system headers,
    /// without duplicates, in byte order (the order ninja records them).
    pub includes: BTreeSet<Vec<u8>>,
    /// The output without include lines and without the echoed source file
    /// name; every kept line ends with `\n`.
    pub output: Vec<u8>,
}

/// The path named by an include line, or `None` when `line` is not one:
/// the line must be longer than `prefix` and start with it; spaces after
/// the prefix are skipped.
// spec: [depfile.msvc.prefix]
pub fn include_path<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let prefix = if prefix.is_empty() {
        DEFAULT_PREFIX
    } else {
        prefix
    };
    if line.len() <= prefix.len() || !line.starts_with(prefix) {
        return None;
    }
    let rest = &line[prefix.len()..];
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let path = &rest[start..];
    (!path.is_empty()).then_some(path)
}

/// Whether a path looks like a system header (compared in ASCII lower
/// case): it contains `program files` or `microsoft visual studio`.
// spec: [depfile.msvc.system]
pub fn is_system_include(path: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    contains(&lower, b"program files") || contains(&lower, b"microsoft visual studio")
}

/// Whether a line is the source file name the compiler echoes: it ends
/// (in ASCII lower case) with `.c`, `.cc`, `.cxx`, `.cpp` or `.c++`.
// spec: [depfile.msvc.filename]
pub fn is_source_file_name(line: &[u8]) -> bool {
    let lower = line.to_ascii_lowercase();
    [&b".c"[..], b".cc", b".cxx", b".cpp", b".c++"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Splits a command's output as ninja's parser for `/showIncludes` does.
/// Lines end at `\n`, `\r` or `\r\n`.
// spec: [depfile.msvc]
pub fn parse(output: &[u8], prefix: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut seen_include = false;
    let mut start = 0;
    while start < output.len() {
        let end = output[start..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map_or(output.len(), |i| start + i);
        let line = &output[start..end];
        if let Some(path) = include_path(line, prefix) {
            seen_include = true;
            let mut path = path.to_vec();
            canonicalize(&mut path);
            if !is_system_include(&path) {
                parsed.includes.insert(path);
            }
        } else if !seen_include && is_source_file_name(line) {
            // The echoed source file name, before any include line: dropped.
        } else {
            parsed.output.extend_from_slice(line);
            parsed.output.push(b'\n');
        }
        let mut next = end;
        if output.get(next) == Some(&b'\r') {
            next += 1;
        }
        if output.get(next) == Some(&b'\n') {
            next += 1;
        }
        start = next;
    }
    parsed
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn includes(p: &Parsed) -> Vec<&str> {
        p.includes
            .iter()
            .map(|i| std::str::from_utf8(i).unwrap())
            .collect()
    }

    #[test]
    fn include_lines_are_removed_and_recorded_sorted() {
        let p = parse(
            b"foo.cc\r\nNote: including file: z.h\r\nNote: including file:   ./a//b.h\r\nwarning x\r\n",
            b"",
        );
        assert_eq!(includes(&p), ["a/b.h", "z.h"]);
        assert_eq!(p.output, b"warning x\n");
    }

    #[test]
    fn custom_prefix_replaces_the_default() {
        let p = parse(b"incl: a.h\nNote: including file: b.h\n", b"incl: ");
        assert_eq!(includes(&p), ["a.h"]);
        assert_eq!(p.output, b"Note: including file: b.h\n");
    }

    #[test]
    fn the_line_must_be_longer_than_the_prefix() {
        assert_eq!(include_path(b"Note: including file: ", b""), None);
        assert_eq!(include_path(b"Note: including file:  ", b""), None);
        assert_eq!(
            include_path(b"Note: including file: x", b""),
            Some(&b"x"[..])
        );
        assert_eq!(include_path(b"note: including file: x", b""), None);
    }

    #[test]
    fn system_headers_are_skipped_but_the_line_is_removed() {
        let p = parse(
            b"Note: including file: /opt/Program Files/x.h\nNote: including file: C:/MICROSOFT VISUAL STUDIO/y.h\nNote: including file: mine.h\n",
            b"",
        );
        assert_eq!(includes(&p), ["mine.h"]);
        assert!(p.output.is_empty());
    }

    #[test]
    fn source_file_name_is_dropped_only_before_the_first_include() {
        let p = parse(b"a.C\nb.cpp\nNote: including file: x.h\nc.c\n", b"");
        assert_eq!(p.output, b"c.c\n");
        let p = parse(b"main.c++\nmain.rs\n", b"");
        assert_eq!(p.output, b"main.rs\n");
    }

    #[test]
    fn duplicates_are_recorded_once_and_line_ends_normalised() {
        let p = parse(
            b"one\rNote: including file: a.h\nNote: including file: ./a.h\r\ntwo",
            b"",
        );
        assert_eq!(includes(&p), ["a.h"]);
        assert_eq!(p.output, b"one\ntwo\n");
    }

    #[test]
    fn empty_lines_are_kept() {
        let p = parse(b"\n\nx\n", b"");
        assert_eq!(p.output, b"\n\nx\n");
    }
}

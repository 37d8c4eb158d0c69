//! Property tests of the depfile parser (`spec/depfile.md`): arbitrary bytes
//! never panic and give duplicate-free results, and paths escaped the way
//! the spec describes parse back to themselves.

use std::collections::HashSet;

use n2ref::depfile::{Depfile, parse_depfile};
use proptest::prelude::*;

/// Escapes one path for a depfile: a space after N backslashes needs
/// 2N+1 of them, a `#` one more backslash than it has, and `$` is doubled.
fn escape(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut run = 0;
    for &c in path {
        match c {
            b'\\' => {
                out.push(c);
                run += 1;
                continue;
            }
            b' ' => {
                out.extend(std::iter::repeat_n(b'\\', run + 1));
                out.push(b' ');
            }
            b'#' => out.extend_from_slice(b"\\#"),
            b'$' => out.extend_from_slice(b"$$"),
            _ => out.push(c),
        }
        run = 0;
    }
    out
}

/// A path that escaping can represent: no backslash at its end (it would
/// merge with the separator) or before `$` (the backslash takes the first
/// `$` of `$$` as an ordinary byte).
fn path() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(b"abcxyz019._/-".to_vec()),
            1 => proptest::sample::select(b" #$\\".to_vec()),
        ],
        1..12,
    )
    .prop_filter("representable", |p| {
        p.last() != Some(&b'\\') && !p.windows(2).any(|w| w == b"\\$")
    })
}

fn separator() -> impl Strategy<Value = &'static [u8]> {
    proptest::sample::select(vec![&b" "[..], b"  ", b"\t", b" \\\n  ", b" \\\r\n "])
}

fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        proptest::sample::select(b"\\ :\n\r#$a\0\t|".to_vec()),
        0..40,
    )
}

fn no_duplicates(d: &Depfile) -> bool {
    let ins: HashSet<_> = d.inputs.iter().collect();
    let outs: HashSet<_> = d.outputs.iter().collect();
    ins.len() == d.inputs.len() && outs.len() == d.outputs.len()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(d) = parse_depfile(&bytes) {
            prop_assert!(no_duplicates(&d));
        }
    }

    #[test]
    fn tricky_bytes_never_panic(bytes in interesting_bytes()) {
        if let Ok(d) = parse_depfile(&bytes) {
            prop_assert!(no_duplicates(&d));
            prop_assert!(d.outputs.iter().chain(&d.inputs).all(|p| !p.is_empty()));
        }
    }

    #[test]
    fn escaped_paths_parse_back(
        target in path(),
        inputs in proptest::collection::vec((path(), separator()), 0..8),
        crlf in any::<bool>(),
    ) {
        let mut wanted: Vec<Vec<u8>> = Vec::new();
        for (p, _) in &inputs {
            if *p != target && !wanted.contains(p) {
                wanted.push(p.clone());
            }
        }
        let mut text = escape(&target);
        text.extend_from_slice(b":");
        for (p, sep) in &inputs {
            if wanted.contains(p) {
                text.extend_from_slice(sep);
                text.extend(escape(p));
            }
        }
        text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        let parsed = parse_depfile(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.outputs, vec![target]);
        prop_assert_eq!(parsed.inputs, wanted);
    }
}

#[test]
fn escape_examples() {
    assert_eq!(escape(b"a b"), b"a\\ b");
    assert_eq!(escape(b"a\\ b"), b"a\\\\\\ b");
    assert_eq!(escape(b"x#$"), b"x\\#$$");
    let d = parse_depfile(b"out: a\\\\\\ b x\\#$$\n").unwrap();
    assert_eq!(d.inputs, [b"a\\ b".to_vec(), b"x#$".to_vec()]);
}

/// The `deps = gcc` cases of `conformance/cases/depfile` show, through
/// `ninja -t deps`, the inputs real ninja read from `files/dep.txt`; the
/// parser must read the same (none of these paths changes when ninja
/// canonicalises it).
#[test]
fn agrees_with_the_recorded_ninja_cases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/cases/depfile");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return;
    };
    let mut checked = 0;
    for dir in dirs.flatten().map(|e| e.path()) {
        let meta = std::fs::read_to_string(dir.join("case.toml")).unwrap();
        let manifest = std::fs::read(dir.join("files/build.ninja")).unwrap();
        let applies = meta.contains("-t deps")
            && !meta.contains("until =")
            && manifest.windows(10).any(|w| w == b"deps = gcc");
        if !applies {
            continue;
        }
        let dep = std::fs::read(dir.join("files/dep.txt")).unwrap();
        let stdout = std::fs::read(dir.join("stdout")).unwrap();
        let shown: Vec<Vec<u8>> = stdout
            .split(|&b| b == b'\n')
            .filter_map(|line| line.strip_prefix(b"    ").map(<[u8]>::to_vec))
            .collect();
        let parsed = parse_depfile(&dep).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(parsed.inputs, shown, "{}", dir.display());
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} cases checked");
}

/// Found by the `depfile` fuzz target, whose first version wrongly required
/// that no path be both a target and an input: a target of one line may be
/// an input of a later line (only an input that becomes a target is special,
/// [depfile.outputs.known-input]).
#[test]
fn a_target_may_be_an_input_of_a_later_line() {
    let d = parse_depfile(b"a.o: a.c\nb.o: a.o\n").unwrap();
    assert_eq!(d.outputs, [b"a.o".to_vec(), b"b.o".to_vec()]);
    assert_eq!(d.inputs, [b"a.c".to_vec(), b"a.o".to_vec()]);
    // The fuzzer's input (embedded NULs, a line of only a colon).
    let found: &[u8] = b"reliab/golden/projects/demo\0\0\0\xc6/util.c \\\n \
        /usr/include/stdc-predef.h\n/usr/include/Stdc-predef.gil.o: \
        /work/wt-reliab/golden/projects/demo/lib/util.c \\\n \
        /usr/include/stdc-predef.h\n:\n";
    let d = parse_depfile(found).unwrap();
    assert!(d.outputs.iter().any(|o| d.inputs.contains(o)));
}

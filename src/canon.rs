//! Path canonicalisation: the one spelling under which a file is interned
//! in the graph (`spec/graph.md`, `[graph.path.canonical]`).

/// Canonicalises a path in place, as ninja does on POSIX systems.
///
/// Empty and `.` components are dropped, `name/..` pairs cancel, leading
/// `..` components of a relative path are kept, a trailing slash is removed,
/// one leading `/` is kept, and a path that cancels out entirely becomes `.`.
/// The empty path stays empty.
///
/// ```
/// use n2ref::canon::canonicalize;
/// let mut p = b"./a//b/../c/".to_vec();
/// canonicalize(&mut p);
/// assert_eq!(p, b"a/c");
/// ```
// spec: [graph.path.canonical]
pub fn canonicalize(path: &mut Vec<u8>) {
    if path.is_empty() || is_already_canonical(path) {
        return;
    }
    *path = canonical_copy(path);
}

/// The canonical form, computed component by component.
fn canonical_copy(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return Vec::new();
    }
    let absolute = path[0] == b'/';
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    if absolute {
        out.push(b'/');
    }
    let root_len = out.len();
    // Lengths of `out` before each normal (cancellable) component.
    let mut marks: Vec<usize> = Vec::new();
    for component in path[root_len..].split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                if let Some(mark) = marks.pop() {
                    out.truncate(mark);
                } else {
                    out.extend_from_slice(b"../");
                }
            }
            _ => {
                marks.push(out.len());
                out.extend_from_slice(component);
                out.push(b'/');
            }
        }
    }
    if out.len() > root_len && out.last() == Some(&b'/') {
        out.pop();
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// A fast check for the common case: no `//`, no `.`/`..` components, no
/// trailing slash. Such a path is returned unchanged.
fn is_already_canonical(mut path: &[u8]) -> bool {
    if path.last() == Some(&b'/') && path.len() > 1 {
        return false;
    }
    // Leading `../` components of a relative path stay as they are.
    while let Some(rest) = path.strip_prefix(b"../") {
        if rest.is_empty() || rest[0] == b'/' {
            return false;
        }
        path = rest;
    }
    let mut prev_slash = true;
    let mut i = 0;
    while i < path.len() {
        let b = path[i];
        if b == b'/' {
            if prev_slash && i > 0 {
                return false;
            }
            prev_slash = true;
        } else {
            if prev_slash && b == b'.' {
                let next = path.get(i + 1).copied();
                if next.is_none() || next == Some(b'/') {
                    return false;
                }
                if next == Some(b'.') {
                    let after = path.get(i + 2).copied();
                    if after.is_none() || after == Some(b'/') {
                        return false;
                    }
                }
            }
            prev_slash = false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{canonical_copy, canonicalize, is_already_canonical};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// The fast path agrees with the slow one, and canonical paths are
        /// fixed points.
        #[test]
        fn fast_path_and_idempotence(parts in prop::collection::vec(
            prop::sample::select(vec!["a", "b.c", ".", "..", "", "...", ".x"]), 1..7),
            absolute in any::<bool>()) {
            let mut path = parts.join("/").into_bytes();
            if absolute {
                path.insert(0, b'/');
            }
            let once = canonical_copy(&path);
            if is_already_canonical(&path) && !path.is_empty() {
                prop_assert_eq!(&once, &path);
            }
            let mut twice = once.clone();
            canonicalize(&mut twice);
            prop_assert_eq!(twice, once);
        }
    }

    fn canon(s: &str) -> String {
        let mut p = s.as_bytes().to_vec();
        canonicalize(&mut p);
        String::from_utf8(p).unwrap()
    }

    #[test]
    fn samples() {
        let cases = [
            ("", ""),
            ("foo.h", "foo.h"),
            ("./foo.h", "foo.h"),
            ("./foo/./bar.h", "foo/bar.h"),
            ("./x/foo/../bar.h", "x/bar.h"),
            ("./x/foo/../../bar.h", "bar.h"),
            ("foo//bar", "foo/bar"),
            ("foo//.//..///bar", "bar"),
            ("./x/../foo/../../bar.h", "../bar.h"),
            ("foo/./.", "foo"),
            ("foo/bar/..", "foo"),
            ("foo/.hidden_bar", "foo/.hidden_bar"),
            ("/foo", "/foo"),
            ("//foo", "/foo"),
            ("..", ".."),
            ("../", ".."),
            ("../foo", "../foo"),
            ("../foo/", "../foo"),
            ("../..", "../.."),
            ("../../", "../.."),
            ("./../", ".."),
            ("/..", "/.."),
            ("/../", "/.."),
            ("/../..", "/../.."),
            ("/../../", "/../.."),
            ("/", "/"),
            ("/foo/..", "/"),
            (".", "."),
            ("./.", "."),
            ("foo/..", "."),
            ("foo/.._bar", "foo/.._bar"),
            ("../../foo/bar.h", "../../foo/bar.h"),
            ("test/../../foo/bar.h", "../foo/bar.h"),
            ("a/../../b/../../c", "../../c"),
            ("a/b/c/../../..", "."),
            ("foo/", "foo"),
            ("...", "..."),
            ("a/.../b", "a/.../b"),
        ];
        for (input, want) in cases {
            assert_eq!(canon(input), want, "canonicalize({input:?})");
        }
    }
}

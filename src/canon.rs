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
    *path = out;
}

/// A fast check for the common case: no `//`, no `.`/`..` components, no
/// trailing slash. Such a path is returned unchanged.
fn is_already_canonical(path: &[u8]) -> bool {
    if path.last() == Some(&b'/') && path.len() > 1 {
        return false;
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
    use super::canonicalize;

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

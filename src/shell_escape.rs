//! Quoting of paths for `/bin/sh` when `$in` and `$out` expand
//! (`[eval.edge.shell-quote]`).

/// Bytes that never need quoting for a POSIX shell, as a table: every
/// path of every command is checked when commands are hashed.
static SHELL_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-' | b'.' | b'/');
        b += 1;
    }
    table
};

fn is_shell_safe(b: u8) -> bool {
    SHELL_SAFE[usize::from(b)]
}

/// Appends `path` to `out`, wrapped in single quotes when it contains any
/// byte outside `[A-Za-z0-9_+./-]`; a `'` inside is written `'\''`.
///
/// ```
/// let mut out = Vec::new();
/// n2ref::shell_escape::push_shell_escaped(&mut out, b"it's here");
/// assert_eq!(out, b"'it'\\''s here'");
/// ```
// spec: [eval.edge.shell-quote]
pub fn push_shell_escaped(out: &mut Vec<u8>, path: &[u8]) {
    if path.iter().all(|&b| is_shell_safe(b)) {
        out.extend_from_slice(path);
        return;
    }
    out.push(b'\'');
    for &b in path {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::push_shell_escaped;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        push_shell_escaped(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quoting() {
        assert_eq!(esc("foo/bar-1.0_x+y.c"), "foo/bar-1.0_x+y.c");
        assert_eq!(esc("a b"), "'a b'");
        assert_eq!(esc(""), "");
        assert_eq!(esc("$x"), "'$x'");
        assert_eq!(
            esc("foo bar\"/'$@d!st!c'/path'"),
            "'foo bar\"/'\\''$@d!st!c'\\''/path'\\'''"
        );
    }
}

//! Unified diffs of expected against actual output, with invisible bytes
//! made visible so that differences in carriage returns, control
//! characters or invalid UTF-8 do not show as identical lines.

use similar::TextDiff;

/// Renders bytes as text: valid UTF-8 stays, `\n` and `\t` stay, `\r` shows
/// as `\r`, other control characters as `\xNN`, and invalid UTF-8 bytes as
/// `\xNN` too.
pub fn visible(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' | '\t' => out.push(c),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A unified diff (3 lines of context) from `expected` to `actual`, with
/// headers `expected NAME` and `actual NAME`. Empty if the visible forms are
/// equal.
pub fn unified(name: &str, expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (visible(expected), visible(actual));
    if e == a {
        return String::new();
    }
    TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected {name}"), &format!("actual {name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_invisible_bytes_visible() {
        assert_eq!(visible(b"a\tb\r\n"), "a\tb\\r\n");
        assert_eq!(visible(b"\x1b[1m\xff\xfeok"), "\\x1b[1m\\xff\\xfeok");
        assert_eq!(visible("é\n".as_bytes()), "é\n");
    }

    #[test]
    fn diffs_lines() {
        let d = unified("stdout", b"a\nb\nc\n", b"a\nB\nc\n");
        assert_eq!(
            d,
            "--- expected stdout\n+++ actual stdout\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }

    #[test]
    fn shows_missing_final_newline() {
        let d = unified("stderr", b"x\n", b"x");
        assert!(d.contains("-x\n+x\n"), "{d}");
        assert!(d.contains("No newline at end of file"), "{d}");
    }

    #[test]
    fn shows_carriage_returns() {
        let d = unified("stdout", b"x\n", b"x\r\n");
        assert!(d.contains("-x\n+x\\r\n"), "{d}");
    }

    #[test]
    fn equal_is_empty() {
        assert_eq!(unified("stdout", b"same", b"same"), "");
    }
}

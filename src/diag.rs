//! ninja's error text for a position in a manifest (`spec/diagnostics.md`):
//! `FILE:LINE: MESSAGE`, then the source line and a caret when the column
//! is between 1 and 71.

use crate::source::line_col;

/// Columns at or beyond this get no context line (`[diag.manifest.context]`).
const TRUNCATE_COLUMN: usize = 72;

/// Formats an error the way ninja's lexer does.
///
/// `at` is the byte offset of the token the error concerns; `None` means no
/// token was read yet (line 1, no context).
// spec: [diag.manifest.header]
pub fn ninja_error_text(filename: &[u8], text: &[u8], at: Option<usize>, message: &str) -> Vec<u8> {
    // ninja's input ends at the first NUL byte.
    let text = match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let (line, col, line_start) = match at {
        Some(offset) => {
            let lc = line_col(text, offset);
            (lc.line, lc.col, offset.min(text.len()) - lc.col)
        }
        None => (1, 0, 0),
    };
    let mut out = Vec::new();
    out.extend_from_slice(filename);
    out.extend_from_slice(format!(":{line}: {message}\n").as_bytes());
    // spec: [diag.manifest.context]
    if col > 0 && col < TRUNCATE_COLUMN {
        let rest = &text[line_start..];
        let line_len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let shown = line_len.min(TRUNCATE_COLUMN);
        out.extend_from_slice(&rest[..shown]);
        if line_len >= TRUNCATE_COLUMN {
            out.extend_from_slice(b"...");
        }
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', col));
        out.extend_from_slice(b"^ near here");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ninja_error_text;

    fn text(src: &str, at: Option<usize>, msg: &str) -> String {
        String::from_utf8(ninja_error_text(b"build.ninja", src.as_bytes(), at, msg)).unwrap()
    }

    #[test]
    fn caret_under_token() {
        assert_eq!(
            text("rule r\n  command = x\nx = 1", Some(26), "unexpected EOF"),
            "build.ninja:3: unexpected EOF\nx = 1\n     ^ near here"
        );
    }

    #[test]
    fn column_zero_has_no_context() {
        assert_eq!(
            text("a\n#c", Some(2), "lexing error"),
            "build.ninja:2: lexing error\n"
        );
    }

    #[test]
    fn long_lines_are_cut() {
        let line = format!("x = {}", "a".repeat(100));
        let got = text(&line, Some(10), "m");
        assert!(got.contains(&format!("{}...\n", &line[..72])), "{got}");
    }
}

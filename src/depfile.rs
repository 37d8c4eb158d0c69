//! The depfile parser: reads the Makefile-style dependency files that
//! compilers write (`gcc -MD`, `clang -MD`) the way ninja 1.13 reads them,
//! and returns the targets and the discovered inputs as bytes.
//!
//! This module owns only the syntax of a depfile (spec chapter
//! `spec/depfile.md`, rules `[depfile.*]`): splitting into paths, the
//! backslash, `$$` and colon escapes, targets versus inputs, and the two
//! parse errors. What a build does with the result (checking the first
//! target against the edge's output, canonicalising paths, the deps log)
//! belongs to the build executor.
//!
//! The parser works like ninja's: it repeatedly scans one *token* (a path,
//! possibly empty) up to a separator, then decides what the token is. A byte
//! past the end of the input reads as NUL, which is how the scanner sees the
//! end of the file.

use std::collections::HashSet;
use std::fmt;

/// The result of parsing a depfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Depfile {
    /// The targets (left of a colon), first occurrence order, without
    /// duplicates and without paths that were already seen as inputs.
    pub outputs: Vec<Vec<u8>>,
    /// The inputs (right of a colon), first occurrence order, without
    /// duplicates.
    pub inputs: Vec<Vec<u8>>,
}

/// Why a depfile could not be parsed. `Display` gives ninja's exact text
/// (which ninja prefixes with the depfile's path and `": "`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepfileError {
    /// The file names paths but no token ends in a colon.
    MissingColon,
    /// A path that was already an input appears as a target and then has
    /// inputs of its own on the same line.
    InputsHaveInputs,
}

impl fmt::Display for DepfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            // spec: [depfile.error.missing-colon]
            DepfileError::MissingColon => "expected ':' in depfile",
            // spec: [depfile.error.input-with-inputs]
            DepfileError::InputsHaveInputs => "inputs may not also have inputs",
        })
    }
}

impl std::error::Error for DepfileError {}

/// Bytes that make up a path without any escaping.
// spec: [depfile.path.bytes]
fn is_plain(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || c >= 0x80
        || matches!(
            c,
            b'+' | b'?'
                | b'"'
                | b'\''
                | b'&'
                | b','
                | b'/'
                | b'_'
                | b':'
                | b'.'
                | b'~'
                | b'('
                | b')'
                | b'}'
                | b'{'
                | b'%'
                | b'='
                | b'@'
                | b'['
                | b']'
                | b'!'
                | b'-'
        )
}

/// One scanned token: the unescaped path bytes and whether the separator
/// that ended it was a line end (which ends the current rule).
struct Token {
    bytes: Vec<u8>,
    line_end: bool,
}

/// Scans one token starting at `*pos`, advancing `*pos` past its separator.
fn scan(content: &[u8], pos: &mut usize) -> Token {
    let at = |i: usize| content.get(i).copied().unwrap_or(0);
    let mut bytes = Vec::new();
    let backslashes = |bytes: &mut Vec<u8>, n: usize| bytes.extend(std::iter::repeat_n(b'\\', n));
    loop {
        let c = at(*pos);
        if c == b'\\' {
            let mut k = 1;
            while at(*pos + k) == b'\\' {
                k += 1;
            }
            let next = at(*pos + k);
            match next {
                b' ' if k % 2 == 1 => {
                    // spec: [depfile.escape.space]
                    backslashes(&mut bytes, k / 2);
                    bytes.push(b' ');
                    *pos += k + 1;
                }
                b' ' => {
                    // spec: [depfile.escape.even-backslashes]
                    backslashes(&mut bytes, k);
                    *pos += k + 1;
                    return Token {
                        bytes,
                        line_end: false,
                    };
                }
                b'#' => {
                    // spec: [depfile.escape.hash]
                    backslashes(&mut bytes, k - 1);
                    bytes.push(b'#');
                    *pos += k + 1;
                }
                b':' => {
                    let after = at(*pos + k + 1);
                    if matches!(after, 0 | b' ' | b'\t' | b'\r' | b'\n') {
                        // spec: [depfile.escape.colon-at-end]
                        backslashes(&mut bytes, k);
                        bytes.push(b':');
                        *pos += k + 2;
                        return Token {
                            bytes,
                            line_end: after == b'\n',
                        };
                    }
                    // spec: [depfile.escape.colon]
                    backslashes(&mut bytes, k - 1);
                    bytes.push(b':');
                    *pos += k + 1;
                }
                0 | b'\r' | b'\n' if k >= 2 => {
                    // spec: [depfile.escape.other]
                    // The last backslash is taken as an ordinary byte, so
                    // no continuation: all k are kept.
                    backslashes(&mut bytes, k);
                    *pos += k;
                }
                b'\n' => {
                    // spec: [depfile.line.continuation]
                    *pos += 2;
                    return Token {
                        bytes,
                        line_end: false,
                    };
                }
                b'\r' if at(*pos + 2) == b'\n' => {
                    // spec: [depfile.line.continuation]
                    *pos += 3;
                    return Token {
                        bytes,
                        line_end: false,
                    };
                }
                0 | b'\r' => {
                    // spec: [depfile.escape.lone-backslash]
                    *pos += 1;
                    return Token {
                        bytes,
                        line_end: false,
                    };
                }
                other => {
                    // spec: [depfile.escape.other]
                    backslashes(&mut bytes, k);
                    bytes.push(other);
                    *pos += k + 1;
                }
            }
        } else if c == b'$' && at(*pos + 1) == b'$' {
            // spec: [depfile.escape.dollar]
            bytes.push(b'$');
            *pos += 2;
        } else if is_plain(c) {
            let start = *pos;
            while is_plain(at(*pos)) {
                *pos += 1;
            }
            bytes.extend_from_slice(&content[start..*pos]);
        } else if c == b'\n' || (c == b'\r' && at(*pos + 1) == b'\n') {
            // spec: [depfile.line.end]
            *pos += if c == b'\n' { 1 } else { 2 };
            return Token {
                bytes,
                line_end: true,
            };
        } else {
            // spec: [depfile.path.separators]
            *pos += 1;
            return Token {
                bytes,
                line_end: false,
            };
        }
    }
}

/// Parses a depfile the way ninja 1.13 does.
///
/// An empty file, or one with only separators, gives no outputs and no
/// inputs (the caller decides whether that is acceptable).
pub fn parse_depfile(content: &[u8]) -> Result<Depfile, DepfileError> {
    let mut result = Depfile::default();
    let mut seen_inputs: HashSet<Vec<u8>> = HashSet::new();
    // The targets read so far, to drop repeats without a linear search
    // (a depfile of 100,000 bare tokens took minutes).
    let mut seen_outputs: HashSet<Vec<u8>> = HashSet::new();
    let mut pos = 0;
    let mut have_target = false;
    let mut parsing_targets = true;
    let mut poisoned = false;
    let mut is_empty = true;
    while pos < content.len() {
        let Token {
            mut bytes,
            line_end,
        } = scan(content, &mut pos);
        let is_input = !parsing_targets;
        // spec: [depfile.rule.colon]
        if bytes.last() == Some(&b':') {
            bytes.pop();
            parsing_targets = false;
            have_target = true;
        }
        if !bytes.is_empty() {
            is_empty = false;
            if !seen_inputs.contains(&bytes) {
                if is_input {
                    // spec: [depfile.error.input-with-inputs]
                    if poisoned {
                        return Err(DepfileError::InputsHaveInputs);
                    }
                    // spec: [depfile.inputs.dedup]
                    seen_inputs.insert(bytes.clone());
                    result.inputs.push(bytes);
                } else if seen_outputs.insert(bytes.clone()) {
                    // spec: [depfile.outputs.multiple]
                    result.outputs.push(bytes);
                }
            } else if !is_input {
                // spec: [depfile.outputs.known-input]
                poisoned = true;
            }
        }
        if line_end {
            // spec: [depfile.line.end]
            parsing_targets = true;
            poisoned = false;
        }
    }
    // spec: [depfile.error.missing-colon] [depfile.empty]
    if !have_target && !is_empty {
        return Err(DepfileError::MissingColon);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &[u8]) -> (Vec<String>, Vec<String>) {
        let d = parse_depfile(text).unwrap_or_else(|e| panic!("{e}"));
        let show = |v: Vec<Vec<u8>>| {
            v.into_iter()
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .collect::<Vec<_>>()
        };
        (show(d.outputs), show(d.inputs))
    }

    fn err(text: &[u8]) -> String {
        parse_depfile(text).unwrap_err().to_string()
    }

    #[test]
    fn one_rule() {
        let (o, i) = ok(b"obj/main.o: main.c util.h config.h defs.h\n");
        assert_eq!(o, ["obj/main.o"]);
        assert_eq!(i, ["main.c", "util.h", "config.h", "defs.h"]);
    }

    #[test]
    fn leading_continuation_and_spaces() {
        let (o, i) = ok(b" \\\n  t: s\n");
        assert_eq!((o, i), (vec!["t".into()], vec!["s".into()]));
    }

    #[test]
    fn continuation_lf_and_crlf() {
        for text in [&b"x.o: \\\n  p.h q.h\n"[..], b"x.o: \\\r\n  p.h q.h\r\n"] {
            let (o, i) = ok(text);
            assert_eq!(o, ["x.o"]);
            assert_eq!(i, ["p.h", "q.h"]);
        }
    }

    #[test]
    fn drive_letter_with_slashes() {
        let (o, i) = ok(b"x.o: //?/d:/inc/a.h\n");
        assert_eq!(o, ["x.o"]);
        assert_eq!(i, ["//?/d:/inc/a.h"]);
    }

    #[test]
    fn quotes_and_ampersands_are_plain() {
        let (o, i) = ok(b"a&b.o a'b.o a\"b.o: a&b.h a'b.h a\"b.h\n");
        assert_eq!(o, ["a&b.o", "a'b.o", "a\"b.o"]);
        assert_eq!(i, ["a&b.h", "a'b.h", "a\"b.h"]);
    }

    #[test]
    fn windows_backslash_paths_and_trailing_continuation() {
        let (o, i) = ok(b"Out\\Rel\\x.res : \\\n  Src\\x.rc \\\n  Src\\Inc\\y.h \\\n  Src\\z.ico \\\n  Gen\\t.tlb \\\n");
        assert_eq!(o, ["Out\\Rel\\x.res"]);
        assert_eq!(
            i,
            ["Src\\x.rc", "Src\\Inc\\y.h", "Src\\z.ico", "Gen\\t.tlb"]
        );
    }

    #[test]
    fn escaped_spaces_without_final_newline() {
        let (o, i) = ok(b"p\\ qr\\ stu:   p\\ q r s");
        assert_eq!(o, ["p qr stu"]);
        assert_eq!(i, ["p q", "r", "s"]);
    }

    #[test]
    fn runs_of_backslashes() {
        // 5 backslashes + space: 2 backslashes and a kept space; 4 + space:
        // 4 backslashes, end of path; `\\#` keeps one backslash.
        let (o, i) = ok(b"x\\ y\\#z.h: \\\\\\\\\\  \\\\\\\\ \\\\srv\\dir\\\\#2");
        assert_eq!(o, ["x y#z.h"]);
        assert_eq!(i, ["\\\\ ", "\\\\\\\\", "\\\\srv\\dir\\#2"]);
    }

    #[test]
    fn backslash_before_other_bytes_is_kept() {
        let (o, i) = ok(b"\\!\\@\\#$$\\%\\^\\&\\[\\]\\\\:");
        assert_eq!(o, ["\\!\\@#$\\%\\^\\&\\[\\]\\\\"]);
        assert!(i.is_empty());
    }

    #[test]
    fn escaped_drive_colon() {
        let (o, i) = ok(b"d\\:\\tools\\inc\\x.o: \\\n d:\\tools\\inc\\x.h \n");
        assert_eq!(o, ["d:\\tools\\inc\\x.o"]);
        assert_eq!(i, ["d:\\tools\\inc\\x.h"]);
    }

    #[test]
    fn backslash_colon_before_whitespace_ends_a_target() {
        let (o, i) = ok(b"t1\\: y\nt1\\:\nt1\\:\r\nt1\\:\t\nt1\\:");
        assert_eq!(o, ["t1\\"]);
        assert_eq!(i, ["y"]);
    }

    #[test]
    fn special_bytes_in_paths() {
        let (o, i) = ok(b"C:/Prog\\ Files\\ (x86)/Kit\\ x.h: \\\n en@q.hdr~ a+b-c!=1 \\\n db/cn=x/cn={0}s.ldif\\\n Stra\xc3\x9fe\\\n a[1]b@2%c");
        assert_eq!(o, ["C:/Prog Files (x86)/Kit x.h"]);
        assert_eq!(
            i,
            [
                "en@q.hdr~",
                "a+b-c!=1",
                "db/cn=x/cn={0}s.ldif",
                "Straße",
                "a[1]b@2%c"
            ]
        );
    }

    #[test]
    fn duplicate_targets_unify() {
        let (o, i) = ok(b"t t: a b c");
        assert_eq!(o, ["t"]);
        assert_eq!(i, ["a", "b", "c"]);
    }

    #[test]
    fn several_targets() {
        let (o, i) = ok(b"t u: a b c");
        assert_eq!(o, ["t", "u"]);
        assert_eq!(i, ["a", "b", "c"]);
    }

    #[test]
    fn repeated_rules_without_inputs() {
        let (o, i) = ok(b"t: a\nt: \nt:\n");
        assert_eq!(o, ["t"]);
        assert_eq!(i, ["a"]);
    }

    #[test]
    fn repeated_rules_unify() {
        for text in [
            &b"t: a\nt: b\nt \\\nt: c\n"[..],
            b"t: a\r\nt: b\r\nt \\\r\nt: c\r\n",
            b"t: a\\\n     b\nt \\\nt: c\n",
            b"t: a\\\r\n     b\r\nt \\\r\nt: c\r\n",
            b" t: a\n t: b\n t: c\n",
            b" t: a\r\n t: b\r\n t: c\r\n",
        ] {
            let (o, i) = ok(text);
            assert_eq!(o, ["t"], "{text:?}");
            assert_eq!(i, ["a", "b", "c"], "{text:?}");
        }
    }

    #[test]
    fn phony_rules_for_inputs_are_tolerated() {
        for text in [
            &b"t: a b c\na:\nb:\nc:\n"[..],
            b"t: a\na:\nt: b\nb:\nt: c\nc:\n",
        ] {
            let (o, i) = ok(text);
            assert_eq!(o, ["t"]);
            assert_eq!(i, ["a", "b", "c"]);
        }
    }

    #[test]
    fn different_targets_on_different_lines() {
        let (o, i) = ok(b"t: a b\nu: b c\n");
        assert_eq!(o, ["t", "u"]);
        assert_eq!(i, ["a", "b", "c"]);
    }

    #[test]
    fn an_input_with_inputs_is_an_error() {
        assert_eq!(
            err(b"t: a b c\na: more\nb:\nc:\n"),
            "inputs may not also have inputs"
        );
    }

    #[test]
    fn empty_and_blank() {
        for text in [&b""[..], b"\n\n", b"  \t \r\n \\\n", b"\0\0"] {
            assert_eq!(parse_depfile(text), Ok(Depfile::default()), "{text:?}");
        }
    }

    #[test]
    fn no_colon() {
        assert_eq!(err(b"x.o x.c\n"), "expected ':' in depfile");
        // A colon inside a path does not end a target.
        assert_eq!(err(b"x.o:x.c\n"), "expected ':' in depfile");
    }

    #[test]
    fn separate_colon_and_unlisted_separators() {
        let (o, i) = ok(b"t : a|b *c;d<e>f^g`h\ti");
        assert_eq!(o, ["t"]);
        assert_eq!(i, ["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
    }

    #[test]
    fn no_comments() {
        let (o, i) = ok(b"t: a # b\n");
        assert_eq!(o, ["t"]);
        assert_eq!(i, ["a", "b"]);
    }

    #[test]
    fn single_dollar_separates() {
        let (_, i) = ok(b"t: a$b c$$d \\$$e");
        assert_eq!(i, ["a", "b", "c$d", "\\$", "e"]);
    }

    #[test]
    fn backslashes_before_a_line_end() {
        // One backslash continues the line; two or more are kept and the
        // line ends, so the next path is a target again.
        let (o, i) = ok(b"t: a\\\nb\nu: c\\\\\nd: e\\\\\\\nf:");
        assert_eq!(o, ["t", "u", "d", "f"]);
        assert_eq!(i, ["a", "b", "c\\\\", "e\\\\\\"]);
        // A final lone backslash is dropped; a lone CR separates.
        let (o, i) = ok(b"t: a\\");
        assert_eq!((o, i), (vec!["t".into()], vec!["a".into()]));
        let (_, i) = ok(b"t: a\\\rb c\rd");
        assert_eq!(i, ["a", "b", "c", "d"]);
    }

    #[test]
    fn colon_suffix_on_an_input_stays_on_the_input_side() {
        let (o, i) = ok(b"t: a: b\n");
        assert_eq!(o, ["t"]);
        assert_eq!(i, ["a", "b"]);
    }

    #[test]
    fn an_input_can_later_be_a_target() {
        // A target that is a known input is not added as an output.
        let (o, i) = ok(b"t: a\na u:\n");
        assert_eq!(o, ["t", "u"]);
        assert_eq!(i, ["a"]);
        // ...and forbids new inputs on the rest of its line, but known
        // inputs are still skipped silently.
        assert_eq!(parse_depfile(b"t: a b\na: b\n").unwrap().inputs.len(), 2);
        assert_eq!(err(b"t: a\na u: b\n"), "inputs may not also have inputs");
        // The restriction ends with the line.
        let (o, i) = ok(b"t: a\na:\nu: b\n");
        assert_eq!((o.len(), i.len()), (2, 2));
    }
}

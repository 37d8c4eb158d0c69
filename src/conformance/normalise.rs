//! Output normalisation shared by the runner and `conformance/record.py`.
//!
//! Two rewrites make recorded expectations portable between machines and
//! implementations: every occurrence of the case's temporary directory
//! becomes `@TMP@`, and a program-name prefix at the start of a line
//! (`ninja: `, `samu: `, `n2: `, `n2ref: `) becomes `ninja: `.

use std::path::Path;

/// The placeholder that replaces the case's temporary directory.
pub const TMP_PLACEHOLDER: &[u8] = b"@TMP@";

/// Program names whose `NAME: ` line prefix is rewritten to `ninja: `.
pub const PROGRAM_NAMES: &[&str] = &["ninja", "samu", "n2", "n2ref"];

/// Normalises `data`, the output of a case run in the directory `tmp`.
///
/// The canonical (symlink-free) form of `tmp` is replaced first, then `tmp`
/// as given, exactly as `record.py` does.
pub fn normalise(data: &[u8], tmp: &Path) -> Vec<u8> {
    let given = tmp.as_os_str().as_encoded_bytes().to_vec();
    let real = std::fs::canonicalize(tmp)
        .map(|p| p.into_os_string().into_encoded_bytes())
        .unwrap_or_else(|_| given.clone());
    let data = replace_all(data, &real, TMP_PLACEHOLDER);
    let data = replace_all(&data, &given, TMP_PLACEHOLDER);
    rewrite_program_prefixes(&data)
}

/// Replaces every non-overlapping occurrence of `needle`, left to right.
pub fn replace_all(data: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Rewrites a `NAME: ` prefix at the start of the data and after every
/// `\n` to `ninja: `, for each name in [`PROGRAM_NAMES`].
pub fn rewrite_program_prefixes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut at_line_start = true;
    let mut i = 0;
    while i < data.len() {
        if at_line_start {
            at_line_start = false;
            let rest = &data[i..];
            let prefix = PROGRAM_NAMES.iter().find_map(|name| {
                let n = name.as_bytes();
                (rest.starts_with(n) && rest[n.len()..].starts_with(b": ")).then_some(n.len() + 2)
            });
            if let Some(len) = prefix {
                out.extend_from_slice(b"ninja: ");
                i += len;
                continue;
            }
        }
        out.push(data[i]);
        at_line_start = data[i] == b'\n';
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_temp_dir_everywhere() {
        let tmp = Path::new("/nonexistent/n2ref-case-abc");
        let out = normalise(
            b"/nonexistent/n2ref-case-abc/out and /nonexistent/n2ref-case-abc\n",
            tmp,
        );
        assert_eq!(out, b"@TMP@/out and @TMP@\n");
    }

    // Unix only: makes a symbolic link to a directory.
    #[cfg(unix)]
    #[test]
    fn replaces_canonical_form_of_temp_dir() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        let link_parent = tempfile::tempdir().unwrap();
        let link = link_parent.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let text = format!("{}/a {}/b", real.display(), link.display());
        assert_eq!(normalise(text.as_bytes(), &link), b"@TMP@/a @TMP@/b");
    }

    #[test]
    fn rewrites_program_prefixes_at_line_start_only() {
        let input = b"samu: error: x\nn2: warning: y\nn2ref: z\nninja: ok\nsay ninja: no\n";
        let want = b"ninja: error: x\nninja: warning: y\nninja: z\nninja: ok\nsay ninja: no\n";
        assert_eq!(rewrite_program_prefixes(input), want);
    }

    #[test]
    fn prefix_needs_colon_and_space() {
        assert_eq!(
            rewrite_program_prefixes(b"n2refx: a\nsamu:b"),
            b"n2refx: a\nsamu:b"
        );
        assert_eq!(rewrite_program_prefixes(b""), b"");
        assert_eq!(rewrite_program_prefixes(b"\r\nsamu: a"), b"\r\nninja: a");
    }

    #[test]
    fn replace_all_handles_edges() {
        assert_eq!(replace_all(b"aaa", b"aa", b"X"), b"Xa");
        assert_eq!(replace_all(b"abc", b"", b"X"), b"abc");
        assert_eq!(replace_all(b"", b"a", b"X"), b"");
    }
}

//! "Did you mean ...?": the closest name by edit distance.

/// Optimal-string-alignment distance between two byte strings: the number
/// of single-byte insertions, deletions, substitutions and transpositions of
/// adjacent bytes that turn `a` into `b` (no substring is edited twice).
pub fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let (n, m) = (a.len(), b.len());
    // Three rows: two back (for transpositions), one back, current.
    let mut two_back = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// The largest distance at which `name` still gets a suggestion: a third of
/// its length, but at least one edit.
pub fn max_distance(name: &[u8]) -> usize {
    (name.len() / 3).max(1)
}

/// The candidate closest to `name`, if one is close enough to be a likely
/// typo. Ties go to the candidate that sorts first, so the answer does not
/// depend on the candidates' order. A candidate equal to `name` is skipped
/// (it is not a correction); one that differs only in ASCII case wins.
pub fn did_you_mean<'c, I, S>(name: &[u8], candidates: I) -> Option<&'c [u8]>
where
    I: IntoIterator<Item = &'c S>,
    S: AsRef<[u8]> + ?Sized + 'c,
{
    let limit = max_distance(name);
    let mut best: Option<(usize, &'c [u8])> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == name || candidate.is_empty() {
            continue;
        }
        // The distance is at least the difference in length.
        if candidate.len().abs_diff(name.len()) > limit {
            continue;
        }
        let distance = if candidate.eq_ignore_ascii_case(name) {
            0
        } else {
            edit_distance(name, candidate)
        };
        if distance > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, c)) => distance < d || (distance == d && candidate < c),
        };
        if better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance(b"", b""), 0);
        assert_eq!(edit_distance(b"abc", b""), 3);
        assert_eq!(edit_distance(b"", b"abc"), 3);
        assert_eq!(edit_distance(b"depfle", b"depfile"), 1);
        assert_eq!(edit_distance(b"comand", b"command"), 1);
        assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
        // A transposition is one edit.
        assert_eq!(edit_distance(b"rsetat", b"restat"), 1);
        assert_eq!(edit_distance(b"ab", b"ba"), 1);
        assert_eq!(edit_distance(b"ca", b"abc"), 3);
    }

    #[test]
    fn suggests_closest() {
        let keys = ["command", "depfile", "deps", "description"];
        assert_eq!(did_you_mean(b"depfle", &keys), Some(&b"depfile"[..]));
        assert_eq!(did_you_mean(b"comand", &keys), Some(&b"command"[..]));
        assert_eq!(did_you_mean(b"dep", &keys), Some(&b"deps"[..]));
    }

    #[test]
    fn nothing_when_too_far() {
        let keys = ["command", "depfile"];
        assert_eq!(did_you_mean(b"xyz", &keys), None);
        assert_eq!(did_you_mean(b"c", &keys), None);
    }

    #[test]
    fn skips_the_name_itself_and_prefers_case() {
        let names = ["CFLAGS", "cflags", "cflag"];
        assert_eq!(did_you_mean(b"cflags", &names), Some(&b"CFLAGS"[..]));
    }

    #[test]
    fn ties_are_broken_by_order() {
        let a = ["cxx", "cc_"];
        let b = ["cc_", "cxx"];
        assert_eq!(did_you_mean(b"ccx", &a), did_you_mean(b"ccx", &b));
    }
}

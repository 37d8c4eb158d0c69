//! Levenshtein distance and "did you mean" suggestions, with ninja's cut-off
//! (`[tools.target.suggest]`).

/// Edit distance between `a` and `b` (insertions, deletions, replacements),
/// or `max + 1` as soon as it is known to exceed `max`.
pub fn edit_distance(a: &[u8], b: &[u8], max: usize) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (y, &ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = y + 1;
        let mut best = row[0];
        for (x, &cb) in b.iter().enumerate() {
            let old = row[x + 1];
            row[x + 1] = (previous + usize::from(ca != cb)).min(row[x].min(old) + 1);
            previous = old;
            best = best.min(row[x + 1]);
        }
        if best > max {
            return max + 1;
        }
    }
    row[b.len()]
}

/// The closest of `words` to `text` within distance 3, first one on ties.
pub fn suggest<'w, W: AsRef<[u8]> + ?Sized>(
    text: &[u8],
    words: impl IntoIterator<Item = &'w W>,
) -> Option<&'w W> {
    const MAX: usize = 3;
    let mut best: Option<(&W, usize)> = None;
    for word in words {
        let d = edit_distance(word.as_ref(), text, MAX);
        if d <= MAX && best.is_none_or(|(_, b)| d < b) {
            best = Some((word, d));
        }
    }
    best.map(|(w, _)| w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance(b"", b"", 3), 0);
        assert_eq!(edit_distance(b"depfle", b"depfile", 3), 1);
        assert_eq!(edit_distance(b"kitten", b"sitting", 5), 3);
        assert_eq!(edit_distance(b"abcdefgh", b"zzzzzzzz", 3), 4);
    }

    #[test]
    fn suggestions() {
        let words = ["rule", "depth", "all"];
        assert_eq!(suggest(b"rul", words.iter().copied()), Some("rule"));
        assert_eq!(suggest(b"xxxxxxxx", words.iter().copied()), None);
    }
}

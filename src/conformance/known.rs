//! Known divergences: `conformance/known/<impl>.toml` lists cases an
//! implementation is known to fail, each with a reason and optionally the
//! spec rule concerned:
//!
//! ```toml
//! [[divergence]]
//! case = "lex/escape-dollar"
//! reason = "not implemented yet"
//! rule = "lex.escape.dollar"
//! ```
//!
//! Such a case failing is an expected failure; such a case passing is
//! reported so the entry can be removed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One listed divergence.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Case ID, e.g. `lex/escape-dollar`.
    pub case: String,
    /// Why the implementation differs.
    pub reason: String,
    /// The spec rule the divergence concerns, if any.
    pub rule: Option<String>,
}

/// The divergences of one implementation, by case ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownDivergences {
    pub entries: BTreeMap<String, Divergence>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    divergence: Vec<Divergence>,
}

impl KnownDivergences {
    /// Parses the text of a known-divergence file; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<KnownDivergences, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            format!(
                "{}: invalid known-divergence file: {}",
                file.display(),
                e.message()
            )
        })?;
        let mut entries = BTreeMap::new();
        for d in raw.divergence {
            if d.reason.trim().is_empty() {
                return Err(format!(
                    "{}: divergence for {:?} has an empty reason",
                    file.display(),
                    d.case
                ));
            }
            let case = d.case.clone();
            if entries.insert(case.clone(), d).is_some() {
                return Err(format!("{}: case {case:?} is listed twice", file.display()));
            }
        }
        Ok(KnownDivergences { entries })
    }

    /// Loads `file`; a missing file means no known divergences.
    pub fn load(file: &Path) -> Result<KnownDivergences, String> {
        match std::fs::read_to_string(file) {
            Ok(text) => Self::parse(&text, file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: cannot read: {e}", file.display())),
        }
    }

    /// The divergence listed for `case`, if any.
    pub fn get(&self, case: &str) -> Option<&Divergence> {
        self.entries.get(case)
    }

    /// Entries whose case is not among `existing` case IDs.
    pub fn stale<'a>(&'a self, existing: &[&str]) -> Vec<&'a Divergence> {
        self.entries
            .values()
            .filter(|d| !existing.contains(&d.case.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KnownDivergences, String> {
        KnownDivergences::parse(text, Path::new("known/x.toml"))
    }

    #[test]
    fn empty_file_lists_nothing() {
        assert!(parse("").unwrap().entries.is_empty());
        assert!(parse("# nothing yet\n").unwrap().entries.is_empty());
    }

    #[test]
    fn parses_entries() {
        let k = parse(
            "[[divergence]]\ncase = \"lex/a\"\nreason = \"why\"\nrule = \"lex.a\"\n\
             [[divergence]]\ncase = \"eval/b\"\nreason = \"because\"\n",
        )
        .unwrap();
        assert_eq!(k.get("lex/a").unwrap().rule.as_deref(), Some("lex.a"));
        assert_eq!(k.get("eval/b").unwrap().reason, "because");
        assert!(k.get("lex/c").is_none());
        let stale: Vec<_> = k
            .stale(&["lex/a"])
            .iter()
            .map(|d| d.case.as_str())
            .collect();
        assert_eq!(stale, ["eval/b"]);
    }

    #[test]
    fn rejects_bad_files() {
        for (text, needle) in [
            ("[[divergence]]\ncase = \"a/b\"\n", "reason"),
            (
                "[[divergence]]\ncase = \"a/b\"\nreason = \" \"\n",
                "empty reason",
            ),
            (
                "[[divergence]]\ncase = \"a/b\"\nreason = \"r\"\n[[divergence]]\ncase = \"a/b\"\nreason = \"r\"\n",
                "twice",
            ),
            (
                "[[divergence]]\ncase = \"a/b\"\nreason = \"r\"\nwhy = 1\n",
                "why",
            ),
            ("divergences = []\n", "divergences"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with("known/x.toml: "), "{e}");
            assert!(e.contains(needle), "{e:?} lacks {needle:?}");
        }
    }

    #[test]
    fn missing_file_is_empty() {
        let k = KnownDivergences::load(Path::new("/nonexistent/known.toml")).unwrap();
        assert!(k.entries.is_empty());
    }
}

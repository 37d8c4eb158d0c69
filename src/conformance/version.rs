//! Ninja versions (`MAJOR.MINOR`) and the `since`/`until` applicability
//! range of a case: `since` is inclusive, `until` exclusive.

use std::fmt;
use std::str::FromStr;

/// A ninja version reduced to `MAJOR.MINOR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32) -> Version {
        Version { major, minor }
    }

    /// Reads the `MAJOR.MINOR` at the start of `text` (leading whitespace
    /// ignored), as in `ninja --version` output such as `1.13.2.git`.
    /// Returns `None` if the text does not start that way.
    pub fn parse_leading(text: &str) -> Option<Version> {
        let text = text.trim_start();
        let (major, rest) = leading_number(text)?;
        let rest = rest.strip_prefix('.')?;
        let (minor, _) = leading_number(rest)?;
        Some(Version { major, minor })
    }
}

fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..end].parse().ok()?;
    Some((number, &text[end..]))
}

impl FromStr for Version {
    type Err = String;

    /// Parses exactly `MAJOR.MINOR`, as written in `since`/`until`.
    fn from_str(s: &str) -> Result<Version, String> {
        let bad = || format!("invalid version {s:?}: expected MAJOR.MINOR, e.g. \"1.12\"");
        let (major, minor) = s.split_once('.').ok_or_else(bad)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(bad());
        }
        Ok(Version {
            major: major.parse().map_err(|_| bad())?,
            minor: minor.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The versions a case applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VersionRange {
    /// First version the case applies to (inclusive).
    pub since: Option<Version>,
    /// First version the case no longer applies to (exclusive).
    pub until: Option<Version>,
}

impl VersionRange {
    /// True if the range restricts versions at all.
    pub fn is_restricted(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// True if `version` lies in the range.
    pub fn contains(&self, version: Version) -> bool {
        self.since.is_none_or(|s| version >= s) && self.until.is_none_or(|u| version < u)
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.since, self.until) {
            (Some(s), Some(u)) => write!(f, "since {s}, until {u}"),
            (Some(s), None) => write!(f, "since {s}"),
            (None, Some(u)) => write!(f, "until {u}"),
            (None, None) => write!(f, "any version"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn parses_exact_versions() {
        assert_eq!(v("1.12"), Version::new(1, 12));
        assert_eq!(v("0.0"), Version::new(0, 0));
        for bad in ["1", "1.", ".1", "1.12.0", "a.b", "1.-2", " 1.2", "1.2 "] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn parses_leading_version_of_version_output() {
        let p = Version::parse_leading;
        assert_eq!(p("1.13.2\n"), Some(Version::new(1, 13)));
        assert_eq!(
            p("1.13.2.git.kitware.jobserver-pipe-1\n"),
            Some(Version::new(1, 13))
        );
        assert_eq!(p("  1.10\n"), Some(Version::new(1, 10)));
        assert_eq!(p("n2ref 0.1.0"), None);
        assert_eq!(p("1"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn versions_order_numerically() {
        assert!(v("1.9") < v("1.10"));
        assert!(v("1.13") < v("2.0"));
    }

    #[test]
    fn since_is_inclusive_and_until_exclusive() {
        let r = VersionRange {
            since: Some(v("1.11")),
            until: Some(v("1.13")),
        };
        assert!(!r.contains(v("1.10")));
        assert!(r.contains(v("1.11")));
        assert!(r.contains(v("1.12")));
        assert!(!r.contains(v("1.13")));
        assert!(r.is_restricted());
    }

    #[test]
    fn open_ranges() {
        let any = VersionRange::default();
        assert!(any.contains(v("0.1")) && !any.is_restricted());
        let since = VersionRange {
            since: Some(v("1.12")),
            until: None,
        };
        assert!(
            since.contains(v("1.12")) && since.contains(v("9.0")) && !since.contains(v("1.11"))
        );
        let until = VersionRange {
            since: None,
            until: Some(v("1.12")),
        };
        assert!(until.contains(v("1.11")) && !until.contains(v("1.12")));
        assert_eq!(since.to_string(), "since 1.12");
    }
}

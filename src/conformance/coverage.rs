//! Spec coverage: reads rule definitions from `spec/*.md` and the rules
//! cited by conformance cases, and lists what is inconsistent: rules with
//! no case, citations of unknown rules, rules defined twice, rules without
//! an example, and malformed rule IDs.
//!
//! A rule is defined by a line that starts with `[rule.id] ` outside a
//! fenced code block; its examples are the fenced blocks that open before
//! the next definition in the same file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::case;

/// The rules one case cites: (case ID, rule IDs).
pub type Citation = (String, Vec<String>);

/// Where a rule is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDef {
    pub id: String,
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// True if a fenced block follows before the next rule.
    pub has_example: bool,
}

/// One coverage problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A spec rule that no case cites.
    Uncovered(RuleDef),
    /// A case citing a rule the spec does not define.
    UnknownRule { case: String, rule: String },
    /// A rule defined more than once.
    Duplicate { first: RuleDef, again: RuleDef },
    /// A rule with no fenced example before the next rule.
    NoExample(RuleDef),
    /// A line that looks like a rule definition with an invalid ID.
    MalformedId {
        file: PathBuf,
        line: usize,
        id: String,
    },
    /// A case file that cannot be read.
    BadCase(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |d: &RuleDef| format!("{}:{}", d.file.display(), d.line);
        match self {
            Problem::Uncovered(d) => {
                write!(f, "{}: rule [{}] has no conformance case", at(d), d.id)
            }
            Problem::UnknownRule { case, rule } => {
                write!(f, "case {case} cites unknown rule [{rule}]")
            }
            Problem::Duplicate { first, again } => write!(
                f,
                "{}: rule [{}] is already defined at {}",
                at(again),
                again.id,
                at(first)
            ),
            Problem::NoExample(d) => write!(
                f,
                "{}: rule [{}] has no fenced example before the next rule",
                at(d),
                d.id
            ),
            Problem::MalformedId { file, line, id } => write!(
                f,
                "{}:{line}: [{id}] is not a valid rule ID (lowercase dotted words)",
                file.display()
            ),
            Problem::BadCase(e) => write!(f, "{e}"),
        }
    }
}

/// True if `id` is lowercase dotted words: `[a-z0-9-]+(\.[a-z0-9-]+)+`.
pub fn is_rule_id(id: &str) -> bool {
    let mut parts = 0;
    for part in id.split('.') {
        if part.is_empty()
            || !part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// A fence opener or closer: the fence character, its run length and the
/// text after the run.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = rest.len() - rest.trim_start_matches(c).len();
    (run >= 3).then(|| (c, run, &rest[run..]))
}

/// The ID defined by `line`, if it is a definition line: `Ok` for a valid
/// ID, `Err` for a bracketed dotted word that is not one.
fn definition(line: &str) -> Option<Result<&str, &str>> {
    let rest = line.strip_prefix('[')?;
    let (id, _) = rest.split_once("] ")?;
    if is_rule_id(id) {
        Some(Ok(id))
    } else if id.contains('.') && !id.contains(char::is_whitespace) && !id.is_empty() {
        Some(Err(id))
    } else {
        None
    }
}

/// Parses the rule definitions of one Markdown file; malformed IDs are
/// returned as problems.
pub fn parse_spec(text: &str, file: &Path) -> (Vec<RuleDef>, Vec<Problem>) {
    let mut rules: Vec<RuleDef> = Vec::new();
    let mut problems = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some((c, len)) = open {
            if let Some((c2, len2, rest)) = fence(line)
                && c2 == c
                && len2 >= len
                && rest.trim().is_empty()
            {
                open = None;
            }
            continue;
        }
        if let Some((c, len, rest)) = fence(line) {
            if c == '`' && rest.contains('`') {
                continue; // inline code, not a fence
            }
            open = Some((c, len));
            if let Some(last) = rules.last_mut() {
                last.has_example = true;
            }
            continue;
        }
        match definition(line) {
            Some(Ok(id)) => rules.push(RuleDef {
                id: id.to_string(),
                file: file.to_path_buf(),
                line: n + 1,
                has_example: false,
            }),
            Some(Err(id)) => problems.push(Problem::MalformedId {
                file: file.to_path_buf(),
                line: n + 1,
                id: id.to_string(),
            }),
            None => {}
        }
    }
    (rules, problems)
}

/// Parses every `*.md` file directly in `dir`, in name order.
pub fn load_spec_dir(dir: &Path) -> std::io::Result<(Vec<RuleDef>, Vec<Problem>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "md") && p.is_file());
    files.sort();
    let (mut rules, mut problems) = (Vec::new(), Vec::new());
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f)?).into_owned();
        let (r, p) = parse_spec(&text, &f);
        rules.extend(r);
        problems.extend(p);
    }
    Ok((rules, problems))
}

/// The rules cited by each case under `cases_dir`, as (case ID, rules);
/// unreadable cases become problems.
pub fn load_case_rules(cases_dir: &Path) -> std::io::Result<(Vec<Citation>, Vec<Problem>)> {
    let mut cited = Vec::new();
    let mut problems = Vec::new();
    for c in case::discover(cases_dir)? {
        match c.spec {
            Ok(spec) => cited.push((c.id, spec.rules)),
            Err(e) => problems.push(Problem::BadCase(e.to_string())),
        }
    }
    Ok((cited, problems))
}

/// Cross-checks rule definitions against the rules cases cite.
pub fn check(rules: &[RuleDef], cited: &[Citation]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut defined: BTreeMap<&str, &RuleDef> = BTreeMap::new();
    for r in rules {
        if let Some(first) = defined.get(r.id.as_str()) {
            problems.push(Problem::Duplicate {
                first: (*first).clone(),
                again: r.clone(),
            });
        } else {
            defined.insert(&r.id, r);
        }
        if !r.has_example {
            problems.push(Problem::NoExample(r.clone()));
        }
    }
    let mut covered = std::collections::BTreeSet::new();
    for (case, ids) in cited {
        for id in ids {
            if defined.contains_key(id.as_str()) {
                covered.insert(id.as_str());
            } else {
                problems.push(Problem::UnknownRule {
                    case: case.clone(),
                    rule: id.clone(),
                });
            }
        }
    }
    for (id, def) in &defined {
        if !covered.contains(id) {
            problems.push(Problem::Uncovered((*def).clone()));
        }
    }
    problems
}

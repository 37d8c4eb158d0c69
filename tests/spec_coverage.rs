//! Spec coverage: every rule defined in spec/*.md has a conformance case and
//! an example, every rule a case cites exists, and no rule is defined twice.
//! Also tests the rule-definition parser on small inline inputs.

use std::io::Write;
use std::path::Path;

use n2ref::conformance::coverage::{
    Problem, RuleDef, check, is_rule_id, load_case_rules, load_spec_dir, parse_spec,
};

fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

#[test]
fn spec_rules_and_conformance_cases_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = root.join("spec");
    let has_chapters = std::fs::read_dir(&spec).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "md"))
    });
    if !has_chapters {
        say("SKIPPED: spec coverage: no spec/*.md yet");
        return;
    }
    let (rules, mut problems) = load_spec_dir(&spec).expect("read spec/");
    let (cited, case_problems) =
        load_case_rules(&root.join("conformance/cases")).expect("read conformance/cases");
    problems.extend(case_problems);
    problems.extend(check(&rules, &cited));
    let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        listed.is_empty(),
        "{} spec coverage problem(s):\n  {}",
        listed.len(),
        listed.join("\n  ")
    );
}

fn parse(text: &str) -> (Vec<RuleDef>, Vec<Problem>) {
    parse_spec(text, Path::new("spec/x.md"))
}

fn ids(rules: &[RuleDef]) -> Vec<(&str, usize, bool)> {
    rules
        .iter()
        .map(|r| (r.id.as_str(), r.line, r.has_example))
        .collect()
}

fn cite(case: &str, rules: &[&str]) -> (String, Vec<String>) {
    (case.into(), rules.iter().map(|r| r.to_string()).collect())
}

#[test]
fn rule_ids() {
    for good in [
        "lex.escape.dollar",
        "a.b",
        "eval.rule.forward-ref",
        "x1.2-y",
    ] {
        assert!(is_rule_id(good), "{good}");
    }
    for bad in ["lex", "Lex.a", "lex..a", ".a", "a.", "a.b c", "a_b.c", ""] {
        assert!(!is_rule_id(bad), "{bad}");
    }
}

#[test]
fn finds_definitions_and_their_examples() {
    let text = "\
# Lexical structure

[lex.one] First rule.
More prose.

```ninja
rule r
  command = x
```

[lex.two] Second rule, no example.

## Heading

[lex.three] Third rule; its example uses tildes.
~~~text
[lex.inside] not a definition: inside a fence
~~~
[lex.four] Last rule, example at the end.

````markdown
```ninja
[lex.nested] still inside the outer fence
```
````
";
    let (rules, problems) = parse(text);
    assert_eq!(
        ids(&rules),
        [
            ("lex.one", 3, true),
            ("lex.two", 11, false),
            ("lex.three", 15, true),
            ("lex.four", 19, true),
        ]
    );
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn only_line_initial_brackets_followed_by_a_space_define() {
    let text = "\
See [lex.one] for details.
    [lex.indented] indented: not a definition
[lex.ref]: https://example.com
[lex.tight]no space
[link] text without a dot
[Lex.Bad] looks like a rule
[lex.ok] defined
```ninja
x
```
";
    let (rules, problems) = parse(text);
    assert_eq!(ids(&rules), [("lex.ok", 7, true)]);
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].to_string(),
        "spec/x.md:6: [Lex.Bad] is not a valid rule ID (lowercase dotted words)"
    );
}

#[test]
fn an_unclosed_fence_hides_the_rest() {
    let (rules, _) = parse("[a.b] x\n```\n[a.c] y\n");
    assert_eq!(ids(&rules), [("a.b", 1, true)]);
}

#[test]
fn a_last_rule_without_example_is_reported() {
    let (rules, _) = parse("[a.b] x\n```\ne\n```\n[a.c] y\nprose\n");
    let problems = check(&rules, &[cite("t/c", &["a.b", "a.c"])]);
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        shown,
        ["spec/x.md:5: rule [a.c] has no fenced example before the next rule"]
    );
}

#[test]
fn cross_checks_rules_and_cases() {
    let (mut rules, _) = parse("[a.one] x\n```\n```\n[a.two] y\n```\n```\n");
    let (again, _) = parse_spec("[a.one] again\n```\n```\n", Path::new("spec/y.md"));
    rules.extend(again);
    let problems = check(
        &rules,
        &[
            cite("t/first", &["a.one"]),
            cite("t/second", &["a.one", "a.zzz"]),
        ],
    );
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        shown,
        [
            "spec/y.md:1: rule [a.one] is already defined at spec/x.md:1",
            "case t/second cites unknown rule [a.zzz]",
            "spec/x.md:4: rule [a.two] has no conformance case",
        ]
    );
}

#[test]
fn a_consistent_tree_has_no_problems() {
    let (rules, problems) = parse("[a.one] x\n```ninja\nbuild a: b\n```\n```text\nout\n```\n");
    assert!(problems.is_empty());
    assert!(check(&rules, &[cite("t/c", &["a.one"])]).is_empty());
    assert!(check(&[], &[]).is_empty());
}

#[test]
fn reads_real_directories() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("spec")).unwrap();
    std::fs::write(d.join("spec/b.md"), "[b.x] r\n```\n```\n").unwrap();
    std::fs::write(d.join("spec/a.md"), "[a.x] r\n```\n```\n").unwrap();
    std::fs::write(d.join("spec/notes.txt"), "[c.x] ignored\n").unwrap();
    let (rules, _) = load_spec_dir(&d.join("spec")).unwrap();
    let found: Vec<_> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(found, ["a.x", "b.x"]);

    let case = d.join("cases/a/one");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(
        case.join("case.toml"),
        "description = \"d\"\nrules = [\"a.x\"]\ncommand = \"true\"\nexit = 0\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("cases/a/broken")).unwrap();
    std::fs::write(d.join("cases/a/broken/case.toml"), "rules = 1").unwrap();
    let (cited, problems) = load_case_rules(&d.join("cases")).unwrap();
    assert_eq!(cited, [cite("a/one", &["a.x"])]);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().contains("a/broken/case.toml"));
}

/// Every `spec: [rule.id]` comment in the code names a rule the spec
/// defines, so a reader can always go from the code to the rule.
#[test]
fn code_cites_only_defined_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (rules, _) = load_spec_dir(&root.join("spec")).expect("read spec/");
    let defined: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let mut unknown = Vec::new();
    let mut cited = 0;
    for entry in walkdir::WalkDir::new(root.join("src")) {
        let entry = entry.expect("walk src/");
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read source");
        for (n, line) in text.lines().enumerate() {
            let Some((_, after)) = line.split_once("spec: ") else {
                continue;
            };
            for piece in after.split('[').skip(1) {
                let Some((id, _)) = piece.split_once(']') else {
                    continue;
                };
                if !is_rule_id(id) {
                    continue;
                }
                cited += 1;
                if !defined.contains(id) {
                    unknown.push(format!("{}:{}: [{id}]", entry.path().display(), n + 1));
                }
            }
        }
    }
    assert!(
        cited > 50,
        "expected the code to cite spec rules, found {cited}"
    );
    assert!(
        unknown.is_empty(),
        "code cites rules the spec does not define:\n  {}",
        unknown.join("\n  ")
    );
}

//! Rendering a [`SuiteResult`] as text (failures with diffs, a table per
//! category and a summary line), JSON (one object), or TAP version 13.

use std::fmt::Write;

use serde_json::{Value, json};

use super::diff::{unified, visible};
use super::exec::Termination;
use super::run::{CaseResult, Counts, Failure, Status, SuiteResult};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Tap,
}

/// Renders `result` in `format`; `verbose` lists passing and skipped cases
/// in the text format too.
pub fn render(result: &SuiteResult, format: Format, verbose: bool) -> String {
    match format {
        Format::Text => text(result, verbose),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json_value(result)).expect("JSON");
            s.push('\n');
            s
        }
        Format::Tap => tap(result),
    }
}

/// The `N passed, N failed, N skipped` line (without newline).
pub fn summary_line(c: &Counts) -> String {
    format!(
        "{} passed, {} failed, {} skipped",
        c.passed, c.failed, c.skipped
    )
}

/// The details of a failure: exit status line and diffs, each line ending
/// in a newline.
pub fn failure_details(f: &Failure) -> String {
    let mut out = String::new();
    match f {
        Failure::Error(e) => {
            let _ = writeln!(out, "error: {e}");
        }
        Failure::Mismatch {
            expected_exit,
            actual,
            stdout,
            stderr,
        } => {
            if actual.code() != Some(*expected_exit) {
                let _ = match actual {
                    Termination::Exited(_) => {
                        writeln!(out, "exit: expected {expected_exit}, got {actual}")
                    }
                    _ => writeln!(out, "exit: expected {expected_exit}, {actual}"),
                };
            }
            for (name, m) in [("stdout", stdout), ("stderr", stderr)] {
                if let Some(m) = m {
                    out.push_str(&unified(name, &m.expected, &m.actual));
                }
            }
        }
    }
    out
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

fn header(result: &SuiteResult) -> String {
    let i = &result.implementation;
    let version = i.version.map_or("unknown".to_string(), |v| v.to_string());
    format!(
        "implementation: {} (name {}, version {})\n",
        i.command, i.name, version
    )
}

fn text(result: &SuiteResult, verbose: bool) -> String {
    let mut out = header(result);
    for w in &result.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let known_file = result.known_file.display();
    for r in &result.cases {
        match &r.status {
            Status::Failed(f) => {
                let desc = r
                    .spec
                    .as_ref()
                    .map_or(String::new(), |s| format!(": {}", s.description));
                let _ = writeln!(out, "\nFAIL {}{desc}", r.id);
                let _ = writeln!(out, "  case: {}", r.dir.display());
                if let Some(s) = &r.spec {
                    let _ = writeln!(out, "  command: {}", s.command);
                    let _ = writeln!(out, "  rules: {}", s.rules.join(", "));
                }
                out.push_str(&indent(&failure_details(f), "  "));
            }
            Status::KnownFailure(d, f) => {
                let rule = d.rule.as_ref().map_or(String::new(), |r| format!(" [{r}]"));
                let _ = writeln!(out, "KNOWN {}: {}{rule} ({})", r.id, d.reason, f.summary());
            }
            Status::KnownPassed(_) => {
                let _ = writeln!(
                    out,
                    "FIXED {}: passes but is listed in {known_file}; remove the entry",
                    r.id
                );
            }
            Status::Passed if verbose => {
                let _ = writeln!(out, "PASS {}", r.id);
            }
            Status::Skipped(why) if verbose => {
                let _ = writeln!(out, "SKIP {} ({why})", r.id);
            }
            _ => {}
        }
    }
    for d in &result.stale_known {
        let _ = writeln!(
            out,
            "STALE {known_file}: entry for {:?} names no existing case",
            d.case
        );
    }
    out.push('\n');
    let rows = result.counts_by_category();
    let width = rows.iter().map(|(c, _)| c.len()).max().unwrap_or(0).max(8);
    let _ = writeln!(
        out,
        "{:<width$}  {:>6}  {:>6}  {:>7}  {:>5}",
        "category", "passed", "failed", "skipped", "known"
    );
    for (cat, c) in &rows {
        let _ = writeln!(
            out,
            "{cat:<width$}  {:>6}  {:>6}  {:>7}  {:>5}",
            c.passed, c.failed, c.skipped, c.known
        );
    }
    let c = result.counts();
    out.push('\n');
    let _ = writeln!(out, "{} known divergences", c.known);
    if c.fixed > 0 {
        let _ = writeln!(
            out,
            "{} known divergences now pass (trim {known_file})",
            c.fixed
        );
    }
    let _ = writeln!(out, "{}", summary_line(&c));
    out
}

fn output_json(expected: &[u8], actual: &[u8], name: &str) -> Value {
    json!({
        "expected": visible(expected),
        "actual": visible(actual),
        "diff": unified(name, expected, actual),
    })
}

fn failure_json(f: &Failure) -> Value {
    match f {
        Failure::Error(e) => json!({ "error": e }),
        Failure::Mismatch {
            expected_exit,
            actual,
            stdout,
            stderr,
        } => {
            let mut v = json!({
                "message": f.summary(),
                "exit": { "expected": expected_exit, "actual": actual.code() },
                "timed_out": matches!(actual, Termination::TimedOut(_)),
            });
            if let Termination::Signalled(s) = actual {
                v["signal"] = json!(s);
            }
            if let Some(m) = stdout {
                v["stdout"] = output_json(&m.expected, &m.actual, "stdout");
            }
            if let Some(m) = stderr {
                v["stderr"] = output_json(&m.expected, &m.actual, "stderr");
            }
            v
        }
    }
}

fn case_json(r: &CaseResult) -> Value {
    let mut v = json!({
        "id": r.id,
        "category": r.category,
        "dir": r.dir.display().to_string(),
        "status": r.status.name(),
        "duration_ms": r.duration.as_millis() as u64,
    });
    if let Some(s) = &r.spec {
        v["description"] = json!(s.description);
        v["rules"] = json!(s.rules);
    }
    match &r.status {
        Status::Passed => {}
        Status::Failed(f) => v["failure"] = failure_json(f),
        Status::Skipped(why) => v["reason"] = json!(why),
        Status::KnownFailure(d, f) => {
            v["known"] = json!({ "reason": d.reason, "rule": d.rule });
            v["failure"] = failure_json(f);
        }
        Status::KnownPassed(d) => v["known"] = json!({ "reason": d.reason, "rule": d.rule }),
    }
    v
}

/// The JSON form of `result`.
pub fn json_value(result: &SuiteResult) -> Value {
    let i = &result.implementation;
    let categories: serde_json::Map<String, Value> = result
        .counts_by_category()
        .into_iter()
        .map(|(cat, c)| (cat, json!(c)))
        .collect();
    json!({
        "implementation": {
            "command": i.command,
            "name": i.name,
            "version": i.version.map(|v| v.to_string()),
            "version_output": i.version_output,
        },
        "known_file": result.known_file.display().to_string(),
        "success": result.success(),
        "summary": result.counts(),
        "categories": categories,
        "cases": result.cases.iter().map(case_json).collect::<Vec<_>>(),
        "stale_known": result.stale_known.iter().map(|d| d.case.clone()).collect::<Vec<_>>(),
        "warnings": result.warnings,
    })
}

fn tap(result: &SuiteResult) -> String {
    let mut out = String::from("TAP version 13\n");
    let _ = writeln!(out, "1..{}", result.cases.len());
    for line in header(result)
        .lines()
        .chain(result.warnings.iter().map(String::as_str))
    {
        let _ = writeln!(out, "# {line}");
    }
    for (n, r) in result.cases.iter().enumerate() {
        let n = n + 1;
        let id = r.id.replace('#', "\\#");
        let directive = |text: &str| text.replace('\n', " ");
        match &r.status {
            Status::Passed => {
                let _ = writeln!(out, "ok {n} - {id}");
            }
            Status::Skipped(why) => {
                let _ = writeln!(out, "ok {n} - {id} # SKIP {}", directive(why));
            }
            Status::KnownPassed(d) => {
                let _ = writeln!(
                    out,
                    "ok {n} - {id} # TODO known divergence now passes: {}",
                    directive(&d.reason)
                );
            }
            Status::Failed(f) | Status::KnownFailure(_, f) => {
                let _ = match &r.status {
                    Status::KnownFailure(d, _) => writeln!(
                        out,
                        "not ok {n} - {id} # TODO known divergence: {}",
                        directive(&d.reason)
                    ),
                    _ => writeln!(out, "not ok {n} - {id}"),
                };
                out.push_str("  ---\n");
                let message = serde_json::to_string(&f.summary()).expect("JSON string");
                let _ = writeln!(out, "  message: {message}");
                let details = failure_details(f);
                if !details.is_empty() {
                    out.push_str("  details: |\n");
                    out.push_str(&indent(&details, "    "));
                }
                out.push_str("  ...\n");
            }
        }
    }
    let c = result.counts();
    let _ = writeln!(out, "# {} known divergences", c.known);
    let _ = writeln!(out, "# {}", summary_line(&c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::run::OutputMismatch;
    use std::time::Duration;

    #[test]
    fn details_of_failures() {
        assert_eq!(
            failure_details(&Failure::Error("x/case.toml: bad".into())),
            "error: x/case.toml: bad\n"
        );
        let signalled = Failure::Mismatch {
            expected_exit: 1,
            actual: Termination::Signalled(9),
            stdout: None,
            stderr: Some(OutputMismatch {
                expected: b"a\n".to_vec(),
                actual: b"b\n".to_vec(),
            }),
        };
        assert_eq!(
            failure_details(&signalled),
            "exit: expected 1, killed by signal 9\n\
             --- expected stderr\n+++ actual stderr\n@@ -1 +1 @@\n-a\n+b\n"
        );
        let timeout = Failure::Mismatch {
            expected_exit: 0,
            actual: Termination::TimedOut(Duration::from_millis(1500)),
            stdout: None,
            stderr: None,
        };
        assert_eq!(
            failure_details(&timeout),
            "exit: expected 0, timed out after 1.5s\n"
        );
        let exit_only = Failure::Mismatch {
            expected_exit: 0,
            actual: Termination::Exited(2),
            stdout: None,
            stderr: None,
        };
        assert_eq!(failure_details(&exit_only), "exit: expected 0, got 2\n");
    }

    #[test]
    fn summary_line_format() {
        let c = Counts {
            passed: 3,
            failed: 1,
            skipped: 2,
            known: 4,
            fixed: 1,
        };
        assert_eq!(summary_line(&c), "3 passed, 1 failed, 2 skipped");
    }
}

//! `n2ref audit --why TARGET`: why TARGET is dirty right now, with the spec
//! rule behind each reason (`[audit.why]`).
//!
//! The answer comes from the executor's own dependency scan
//! ([`crate::build::Scan`], with `-d explain` texts), run read-only: no
//! command runs and no log is rewritten.

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;

use super::Format;
use crate::build::{Logs, OpenMode, Scan};
use crate::check::render::LineIndex;
use crate::graph::{EdgeId, FileId};
use crate::load::{DiskReader, LoadOptions, Loaded};

/// The spec rule a `-d explain` reason of the scan stands for.
pub fn rule_for(reason: &str) -> &'static str {
    if reason.contains("of phony edge with no inputs") {
        "build.phony.always"
    } else if reason.starts_with("output ") && reason.ends_with(" doesn't exist") {
        "build.dirty.missing-output"
    } else if reason.contains("older than most recent input") || reason.ends_with(" is dirty") {
        "build.dirty.input-newer"
    } else if reason.starts_with("command line changed for ")
        || reason.starts_with("command line not found in log for ")
    {
        "build.dirty.command-changed"
    } else if reason.starts_with("depfile '") {
        "depfile.load.missing"
    } else if reason.starts_with("expected depfile ") {
        "depfile.load.first-output"
    } else if reason.starts_with("deps for ") || reason.starts_with("stored deps info out of date")
    {
        "log.deps.stale"
    } else {
        "build.explain"
    }
}

/// One reason, for JSON.
#[derive(Serialize)]
struct JsonReason {
    /// The first output of the dirty edge.
    step: String,
    /// Where its build statement is.
    file: String,
    line: usize,
    rule: String,
    reason: String,
}

#[derive(Serialize)]
struct JsonWhy {
    target: String,
    dirty: bool,
    reasons: Vec<JsonReason>,
}

struct Walk<'a> {
    loaded: &'a Loaded,
    scan: &'a Scan<'a>,
    lines: Vec<Option<LineIndex>>,
    seen: HashSet<EdgeId>,
    text: String,
    json: Vec<JsonReason>,
}

impl Walk<'_> {
    fn location(&mut self, e: EdgeId) -> (String, usize) {
        let span = self.loaded.graph.edges[e].span;
        let file = self.loaded.sources.get(span.source);
        let index = self.lines[span.source.0 as usize]
            .get_or_insert_with(|| LineIndex::new(file.text.as_deref().unwrap_or(b"")));
        let (line, _) = index.line_col(span.start as usize);
        (String::from_utf8_lossy(&file.name).into_owned(), line)
    }

    fn edge(&mut self, e: EdgeId, depth: usize) {
        if !self.seen.insert(e) {
            return;
        }
        let graph = &self.loaded.graph;
        let step =
            String::from_utf8_lossy(&graph.files[graph.edges[e].outputs[0]].path).into_owned();
        let (file, line) = self.location(e);
        let pad = "  ".repeat(depth);
        self.text
            .push_str(&format!("{pad}`{step}` ({file}:{line}) is dirty:\n"));
        for reason in self.scan.explanations(e) {
            let rule = rule_for(reason);
            self.text.push_str(&format!("{pad}  [{rule}] {reason}\n"));
            self.json.push(JsonReason {
                step: step.clone(),
                file: file.clone(),
                line,
                rule: rule.to_string(),
                reason: reason.clone(),
            });
            if let Some(input) = reason.strip_suffix(" is dirty")
                && let Some(f) = graph.lookup_file(input.as_bytes())
            {
                self.file(f, depth + 2);
            }
        }
    }

    fn file(&mut self, f: FileId, depth: usize) {
        let graph = &self.loaded.graph;
        match graph.files[f].in_edge {
            Some(e) if self.scan.edge_is_dirty(e) => self.edge(e, depth),
            Some(_) => {}
            None => {
                let path = String::from_utf8_lossy(&graph.files[f].path).into_owned();
                let pad = "  ".repeat(depth);
                self.text.push_str(&format!(
                    "{pad}`{path}` is a source file that does not exist [build.missing-input]\n"
                ));
            }
        }
    }
}

/// Runs `--why TARGET` in the current directory.
pub fn run(
    manifest: &str,
    target: &str,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, String> {
    let options = LoadOptions {
        keep_sources: true,
        ..LoadOptions::default()
    };
    // spec: [audit.why]
    let loaded = crate::load::load(&mut DiskReader, manifest.as_bytes(), &options)
        .map_err(|(e, _)| e.to_string())?;
    let graph = &loaded.graph;
    let file = crate::tools::collect_target(graph, target)?;
    let mut logs = Logs::open(graph, OpenMode::ReadOnly, err).map_err(|e| e.to_string())??;
    let no_dyndeps = HashSet::new();
    let deps_log = std::mem::take(&mut logs.deps_log);
    let mut scan = Scan::new(graph, &logs.build_log, deps_log, &no_dyndeps, true);
    scan.recompute(file)?;
    let mut walk = Walk {
        loaded: &loaded,
        scan: &scan,
        lines: (0..loaded.sources.len()).map(|_| None).collect(),
        seen: HashSet::new(),
        text: String::new(),
        json: Vec::new(),
    };
    let dirty = match graph.files[file].in_edge {
        Some(e) => scan.edge_is_dirty(e),
        None => crate::build::stat(&graph.files[file].path) == 0,
    };
    if dirty {
        walk.file(file, 0);
    } else {
        walk.text = format!(
            "`{target}` is up to date: its outputs exist, are not older than their inputs, and the build log has their commands\n"
        );
    }
    let text = match format {
        Format::Text => walk.text,
        Format::Json => {
            let json = JsonWhy {
                target: target.to_string(),
                dirty,
                reasons: walk.json,
            };
            serde_json::to_string(&json).expect("serializable") + "\n"
        }
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(u8::from(dirty))
}

#[cfg(test)]
mod tests {
    use super::rule_for;

    #[test]
    fn reasons_map_to_spec_rules() {
        for (reason, rule) in [
            ("output out doesn't exist", "build.dirty.missing-output"),
            (
                "output all of phony edge with no inputs doesn't exist",
                "build.phony.always",
            ),
            (
                "output out older than most recent input in (1 vs 2)",
                "build.dirty.input-newer",
            ),
            ("mid is dirty", "build.dirty.input-newer"),
            (
                "command line changed for out",
                "build.dirty.command-changed",
            ),
            (
                "command line not found in log for out",
                "build.dirty.command-changed",
            ),
            ("depfile 'out.d' is missing", "depfile.load.missing"),
            ("deps for 'out.o' are missing", "log.deps.stale"),
        ] {
            assert_eq!(rule_for(reason), rule, "{reason}");
        }
    }
}

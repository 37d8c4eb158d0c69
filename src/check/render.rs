//! Output of `n2ref check`: rustc-style text through `annotate-snippets`,
//! or JSON Lines (one object per diagnostic).

use std::collections::HashSet;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::{Diagnostic, Label, Report, Severity};
use crate::source::{SourceId, SourceMap, Span};

/// Presentation options for human output.
#[derive(Copy, Clone, Debug, Default)]
pub struct Style {
    /// ANSI colours (only when writing to a terminal).
    pub color: bool,
}

impl Style {
    pub(crate) fn renderer(self) -> Renderer {
        if self.color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
    }
}

/// Text for the source snippets: invalid UTF-8 bytes become `?`, one byte
/// for one byte, so byte offsets stay valid.
pub fn text_for_display(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('?');
        }
    }
    out
}

/// The start offset of every line of a text, for line numbers in
/// logarithmic time (diagnostics on large manifests are many).
#[derive(Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The 0-based line containing `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// 1-based line and 1-based byte column of `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.line(offset);
        (line + 1, offset - self.starts[line] + 1)
    }

    /// The byte range of lines `first..=last`, newline of the last included.
    pub fn lines(&self, first: usize, last: usize) -> std::ops::Range<usize> {
        let end = self.starts.get(last + 1).copied().unwrap_or(self.len);
        self.starts[first]..end
    }
}

/// A file's display text and name, converted once per render.
struct Sources<'m> {
    map: &'m SourceMap,
    texts: Vec<Option<String>>,
    lines: Vec<LineIndex>,
}

impl<'m> Sources<'m> {
    /// Prepares the files the diagnostics point into (only those: a large
    /// build has thousands of files and few diagnostics).
    fn new(map: &'m SourceMap, diagnostics: &[Diagnostic]) -> Self {
        let needed = files_of(map, diagnostics);
        Sources {
            map,
            texts: map
                .iter()
                .map(|(id, f)| {
                    f.text
                        .as_deref()
                        .filter(|_| needed[id.0 as usize])
                        .map(text_for_display)
                })
                .collect(),
            lines: line_indexes(map, diagnostics),
        }
    }

    fn name(&self, id: SourceId) -> String {
        String::from_utf8_lossy(&self.map.get(id).name).into_owned()
    }

    fn text(&self, id: SourceId) -> Option<&str> {
        self.texts.get(id.0 as usize).and_then(|t| t.as_deref())
    }

    /// The span as a range that is valid in the display text.
    /// The range is widened to character boundaries: a span may start or
    /// end inside a multi-byte character (ninja counts bytes).
    fn range(&self, span: Span) -> std::ops::Range<usize> {
        let text = self.text(span.source).unwrap_or("");
        let mut start = (span.start as usize).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (span.end as usize).clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }
}

/// The diagnostics as text, followed by a summary line.
pub fn human(report: &Report, manifest: &[u8], style: Style) -> String {
    let sources = Sources::new(&report.loaded.sources, &report.diagnostics);
    let renderer = style.renderer();
    let mut out = String::new();
    let mut explained = HashSet::new();
    for d in &report.diagnostics {
        let first_of_kind = explained.insert(d.lint.code);
        out.push_str(&render_one(&sources, &renderer, d, first_of_kind));
        out.push_str("\n\n");
    }
    out.push_str(&summary(report, manifest));
    out.push('\n');
    out
}

/// `build.ninja: 1 error, 2 warnings` or `build.ninja: no problems found`.
pub fn summary(report: &Report, manifest: &[u8]) -> String {
    let name = String::from_utf8_lossy(manifest);
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    if errors + warnings == 0 {
        return format!("{name}: no problems found");
    }
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!(
            "{errors} error{}",
            if errors == 1 { "" } else { "s" }
        ));
    }
    if warnings > 0 {
        parts.push(format!(
            "{warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    format!("{name}: {}", parts.join(", "))
}

fn render_one(
    sources: &Sources<'_>,
    renderer: &Renderer,
    d: &Diagnostic,
    first_of_kind: bool,
) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(d.message.as_str()).id(d.lint.code));
    // One snippet per file: the primary label's file first.
    let mut labels: Vec<(&Label, bool)> = Vec::new();
    if let Some(p) = &d.primary {
        labels.push((p, true));
    }
    labels.extend(d.secondary.iter().map(|l| (l, false)));
    let mut files: Vec<SourceId> = Vec::new();
    for (l, _) in &labels {
        if !files.contains(&l.span.source) && sources.text(l.span.source).is_some() {
            files.push(l.span.source);
        }
    }
    for file in files {
        let text = sources.text(file).unwrap_or("");
        let in_file: Vec<_> = labels
            .iter()
            .filter(|(l, _)| l.span.source == file)
            .map(|(l, primary)| (sources.range(l.span), *l, *primary))
            .collect();
        // Only the lines from the first to the last label go to the
        // renderer, which would otherwise scan the whole file each time.
        let index = &sources.lines[file.0 as usize];
        let first = index.line(in_file.iter().map(|(r, _, _)| r.start).min().unwrap_or(0));
        let last = index.line(in_file.iter().map(|(r, _, _)| r.end).max().unwrap_or(0));
        let shown = index.lines(first, last);
        let mut snippet = Snippet::source(&text[shown.clone()])
            .line_start(first + 1)
            .path(sources.name(file));
        for (range, l, primary) in in_file {
            let kind = if primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            let range = range.start - shown.start..range.end - shown.start;
            snippet = snippet.annotation(kind.span(range).label(l.text.as_str()));
        }
        group = group.element(snippet);
    }
    for note in &d.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    for help in &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let lint_note;
    if first_of_kind {
        lint_note = format!(
            "`{}` is {} `{}`: see [{}] in spec/{}.md",
            d.lint.code,
            if d.lint.chapter() == "audit" {
                "audit finding"
            } else {
                "lint"
            },
            d.lint.name,
            d.lint.rule_id(),
            d.lint.chapter()
        );
        group = group.element(Level::NOTE.message(lint_note.as_str()));
    }
    let report: &[Group<'_>] = &[group];
    renderer.render(report)
}

/// Where a span is, for JSON: file name, 1-based line and 1-based column
/// (in bytes), and the byte range.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JsonLocation {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub span: JsonSpan,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JsonSpan {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JsonLabel {
    #[serde(flatten)]
    pub location: JsonLocation,
    pub label: String,
}

/// One diagnostic as JSON. `file`, `line`, `column`, `span` and `label` are
/// `null` for problems of the whole load.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    pub code: String,
    pub name: String,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub span: Option<JsonSpan>,
    pub label: Option<String>,
    pub related: Vec<JsonLabel>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
}

fn location(map: &SourceMap, lines: &[LineIndex], span: Span) -> JsonLocation {
    let (line, column) = lines
        .get(span.source.0 as usize)
        .map_or((1, 1), |index| index.line_col(span.start as usize));
    JsonLocation {
        file: String::from_utf8_lossy(&map.get(span.source).name).into_owned(),
        line,
        column,
        span: JsonSpan {
            start: span.start as usize,
            end: span.end as usize,
        },
    }
}

/// Which files the diagnostics' labels point into, by source index.
fn files_of(map: &SourceMap, diagnostics: &[Diagnostic]) -> Vec<bool> {
    let mut needed = vec![false; map.len()];
    let labels = diagnostics
        .iter()
        .flat_map(|d| d.primary.iter().chain(&d.secondary));
    for label in labels {
        if let Some(n) = needed.get_mut(label.span.source.0 as usize) {
            *n = true;
        }
    }
    needed
}

/// Line indexes for the files the diagnostics point into (empty for the
/// others), for [`to_json`].
pub fn line_indexes(map: &SourceMap, diagnostics: &[Diagnostic]) -> Vec<LineIndex> {
    let needed = files_of(map, diagnostics);
    map.iter()
        .map(|(id, f)| match f.text.as_deref() {
            Some(text) if needed[id.0 as usize] => LineIndex::new(text),
            _ => LineIndex::default(),
        })
        .collect()
}

/// Converts one diagnostic for JSON output.
pub fn to_json(map: &SourceMap, lines: &[LineIndex], d: &Diagnostic) -> JsonDiagnostic {
    let primary = d
        .primary
        .as_ref()
        .map(|l| (location(map, lines, l.span), l.text.clone()));
    let (file, line, column, span, label) = match primary {
        Some((loc, text)) => (
            Some(loc.file),
            Some(loc.line),
            Some(loc.column),
            Some(loc.span),
            Some(text),
        ),
        None => (None, None, None, None, None),
    };
    JsonDiagnostic {
        code: d.lint.code.to_string(),
        name: d.lint.name.to_string(),
        rule: d.lint.rule_id(),
        severity: d.severity.as_str().to_string(),
        message: d.message.clone(),
        file,
        line,
        column,
        span,
        label,
        related: d
            .secondary
            .iter()
            .map(|l| JsonLabel {
                location: location(map, lines, l.span),
                label: l.text.clone(),
            })
            .collect(),
        notes: d.notes.clone(),
        help: d.help.clone(),
    }
}

/// JSON Lines: one object per diagnostic, each on its own line.
pub fn json_lines(report: &Report) -> String {
    let mut out = String::new();
    let lines = line_indexes(&report.loaded.sources, &report.diagnostics);
    for d in &report.diagnostics {
        let json = to_json(&report.loaded.sources, &lines, d);
        out.push_str(&serde_json::to_string(&json).expect("diagnostics serialize"));
        out.push('\n');
    }
    out
}

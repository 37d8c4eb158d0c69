//! `n2ref check --explain TARGET[:VAR]`: for the edge that builds TARGET,
//! each variable's final value and the chain of lookups that produced it,
//! down to the file-scope assignments and what they were composed of at the
//! time they ran (like `git config --show-origin`, but recursive).

use std::io::Write;

use serde::Serialize;

use super::lints::s;
use super::suggest::did_you_mean;
use super::walk::walk;
use super::{Format, Report, render};
use crate::ast::Stmt;
use crate::canon::canonicalize;
use crate::expand::{EdgeEnv, Escape, Origin, TraceStep};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE, RuleKey};
use crate::load::Loaded;
use crate::scope::ScopeId;
use crate::source::Span;

/// Where one value came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Source {
    /// `edge-paths`, `build`, `rule`, `file-scope` or `undefined`.
    pub kind: &'static str,
    /// Human description: `rule cc`, `file scope 0 (build.ninja)`, ...
    pub what: String,
    /// `file:line` of the binding, if it has one.
    pub location: Option<String>,
    /// The binding as written (its first line).
    pub text: Option<String>,
}

/// One looked-up variable and how its value was made.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Lookup {
    pub name: String,
    pub value: String,
    pub source: Source,
    /// Remarks, such as a file-scope variable winning over the rule.
    pub notes: Vec<String>,
    /// The lookups made while producing the value.
    pub parts: Vec<Lookup>,
}

/// The explanation of one edge.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Explanation {
    pub target: String,
    /// `file:line` of the build statement.
    pub location: String,
    /// The build line as written.
    pub build: String,
    pub rule: String,
    pub rule_location: Option<String>,
    pub scope: String,
    /// The order in which ninja searches for this edge's variables.
    pub lookup_order: String,
    pub variables: Vec<Lookup>,
}

/// Runs `--explain` on a report; returns the exit status.
///
/// When the manifest does not load, its diagnostics are printed instead
/// (human text ending in `cannot explain: ...`, or JSON Lines). An unknown
/// target is `error: ...` in human form and `{"error": "..."}` in JSON.
pub fn run(
    report: &Report,
    manifest: &[u8],
    arg: &[u8],
    format: Format,
    style: render::Style,
    out: &mut dyn Write,
) -> u8 {
    if report.load_error.is_some() {
        let _ = match format {
            Format::Human => {
                let text = render::human(report, manifest, style);
                writeln!(out, "{text}cannot explain: the manifest does not load")
            }
            Format::Json => out.write_all(render::json_lines(report).as_bytes()),
        };
        return 2;
    }
    match explain(&report.loaded, arg) {
        Ok(e) => {
            let _ = match format {
                Format::Human => out.write_all(to_text(&e).as_bytes()),
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&e).expect("serializable")
                ),
            };
            0
        }
        Err(message) => {
            let _ = match format {
                Format::Human => writeln!(out, "error: {message}"),
                Format::Json => writeln!(out, "{}", serde_json::json!({ "error": message })),
            };
            2
        }
    }
}

/// Splits `TARGET[:VAR]` and finds the target. A whole argument that names a
/// file wins over a split at its last `:`.
fn resolve(graph: &Graph, arg: &[u8]) -> Result<(FileId, Option<Vec<u8>>), String> {
    let find = |p: &[u8]| {
        let mut p = p.to_vec();
        canonicalize(&mut p);
        graph.lookup_file(&p)
    };
    if let Some(file) = find(arg) {
        return Ok((file, None));
    }
    if let Some(colon) = arg.iter().rposition(|&b| b == b':') {
        let (target, var) = (&arg[..colon], &arg[colon + 1..]);
        if !var.is_empty()
            && var.iter().all(|&b| crate::parse::is_varname_byte(b))
            && let Some(file) = find(target)
        {
            return Ok((file, Some(var.to_vec())));
        }
    }
    let mut names: Vec<&[u8]> = graph.files.iter().map(|(_, f)| &*f.path).collect();
    names.sort();
    let target = arg.split(|&b| b == b':').next().unwrap_or(arg);
    let mut message = format!("unknown target `{}`", s(arg));
    if let Some(fix) = did_you_mean(arg, &names).or_else(|| did_you_mean(target, &names)) {
        message.push_str(&format!("; did you mean `{}`?", s(fix)));
    }
    Err(message)
}

/// Explains how the edge building the target in `arg` gets its variables.
pub fn explain(loaded: &Loaded, arg: &[u8]) -> Result<Explanation, String> {
    let graph = &loaded.graph;
    let (file, var) = resolve(graph, arg)?;
    let target = s(graph.path(file));
    let Some(edge_id) = graph.files[file].in_edge else {
        return Err(format!(
            "no build statement produces `{target}` (it is only an input, a source file)"
        ));
    };
    let edge = &graph.edges[edge_id];
    let rule = &graph.rules[edge.rule];
    let x = Explainer::new(loaded, edge_id);
    let names: Vec<Vec<u8>> = match var {
        Some(v) => vec![v],
        None => x.default_names(),
    };
    let variables = names.iter().map(|n| x.lookup(n)).collect();
    let scope_desc = x.scope_name(edge.scope);
    let rule_name = s(&rule.name);
    let lookup_order = if edge.rule == PHONY_RULE {
        "phony edge: only $in and $out have values".to_string()
    } else if edge.bindings.is_empty() {
        format!(
            "no build bindings, so: {scope_desc}'s own variables, then rule `{rule_name}`, then the \
             parent scopes"
        )
    } else {
        format!("build bindings, then rule `{rule_name}`, then {scope_desc} and its parents")
    };
    Ok(Explanation {
        target,
        location: x.place(edge.span).unwrap_or_default(),
        build: x.first_line(edge.span).unwrap_or_default(),
        rule: rule_name,
        rule_location: rule.span.and_then(|sp| x.place(sp)),
        scope: scope_desc,
        lookup_order,
        variables,
    })
}

struct Explainer<'a> {
    loaded: &'a Loaded,
    graph: &'a Graph,
    edge: EdgeId,
    /// The build statement's number, for its bindings' composition.
    build_seq: Option<u32>,
}

impl<'a> Explainer<'a> {
    fn new(loaded: &'a Loaded, edge: EdgeId) -> Self {
        let span = loaded.graph.edges[edge].span;
        let build_seq = walk(loaded, None).iter().find_map(|c| match &c.stmt {
            Stmt::Build(b) if b.span == span => Some(c.seq),
            _ => None,
        });
        Explainer {
            loaded,
            graph: &loaded.graph,
            edge,
            build_seq,
        }
    }

    /// The variables shown without `:VAR`: the rule's keys, reserved keys
    /// that have a value anyway, the build bindings, then `$in` and `$out`.
    fn default_names(&self) -> Vec<Vec<u8>> {
        let edge = &self.graph.edges[self.edge];
        let rule = &self.graph.rules[edge.rule];
        let mut names: Vec<Vec<u8>> = Vec::new();
        if edge.rule != PHONY_RULE {
            for key in RuleKey::ALL {
                let name = key.name().as_bytes();
                let bound = rule.binding(key).is_some_and(|b| b.span.is_some())
                    || edge.binding(name).is_some();
                let has_value = !self.value_of(name).is_empty();
                if bound || has_value {
                    names.push(name.to_vec());
                }
            }
        }
        for b in &edge.bindings {
            if !names.iter().any(|n| **n == *b.name) {
                names.push(b.name.to_vec());
            }
        }
        names.push(b"in".to_vec());
        names.push(b"out".to_vec());
        names
    }

    fn escape_for(name: &[u8]) -> Escape {
        match name {
            b"depfile" | b"dyndep" | b"rspfile" => Escape::None,
            _ => Escape::Shell,
        }
    }

    fn value_of(&self, name: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = EdgeEnv::new(self.graph, self.edge, Self::escape_for(name)).lookup(name, &mut out);
        out
    }

    /// Looks `name` up as the edge does and builds the tree of lookups.
    fn lookup(&self, name: &[u8]) -> Lookup {
        let mut env = EdgeEnv::new(self.graph, self.edge, Self::escape_for(name)).with_trace();
        let mut out = Vec::new();
        let result = env.lookup(name, &mut out);
        let trace = env.take_trace();
        let mut pos = 0;
        let mut root = match self.tree(&trace, &mut pos) {
            Some(l) => l,
            None => Lookup {
                name: s(name),
                value: whole(&out),
                source: self.undefined(),
                notes: Vec::new(),
                parts: Vec::new(),
            },
        };
        if let Err(cycle) = result {
            root.notes.push(format!("ninja stops here: {cycle}"));
        }
        root
    }

    /// Converts the trace step at `*pos` and its descendants.
    fn tree(&self, trace: &[TraceStep], pos: &mut usize) -> Option<Lookup> {
        let step = trace.get(*pos)?;
        *pos += 1;
        let mut node = self.step(step);
        while let Some(next) = trace.get(*pos) {
            if next.depth <= step.depth {
                break;
            }
            match self.tree(trace, pos) {
                Some(child) => node.parts.push(child),
                None => break,
            }
        }
        Some(node)
    }

    fn step(&self, step: &TraceStep) -> Lookup {
        let edge = &self.graph.edges[self.edge];
        let rule = &self.graph.rules[edge.rule];
        let mut notes = Vec::new();
        let mut parts = Vec::new();
        let source = match &step.origin {
            Origin::EdgePaths => Source {
                kind: "edge-paths",
                what: match step.name.as_slice() {
                    b"out" => "the edge's explicit outputs".into(),
                    b"in_newline" => "the edge's explicit inputs, one per line".into(),
                    _ => "the edge's explicit inputs".into(),
                },
                location: None,
                text: None,
            },
            Origin::BuildBinding { span } => {
                if let Some(seq) = self.build_seq {
                    parts = self.compose(*span, edge.scope, seq);
                }
                Source {
                    kind: "build",
                    what: "build statement".into(),
                    location: self.place(*span),
                    text: self.first_line(*span),
                }
            }
            Origin::RuleBinding { rule: r, span } => Source {
                kind: "rule",
                what: format!("rule `{}`", s(&self.graph.rules[*r].name)),
                location: span.and_then(|sp| self.place(sp)),
                text: match span {
                    Some(sp) => self.first_line(*sp),
                    None => Some(format!("(no `{}`: empty)", s(&step.name))),
                },
            },
            Origin::FileScope { scope, span } => {
                if let Some(seq) = self.assignment_seq(*scope, &step.name, *span) {
                    parts = self.compose(*span, *scope, seq);
                }
                if edge.bindings.is_empty()
                    && *scope == edge.scope
                    && let Some(rb) = rule.binding_by_name(&step.name).and_then(|b| b.span)
                {
                    notes.push(format!(
                        "wins over rule `{}`'s binding at {}: this build statement has no \
                         bindings, so its file scope is searched before the rule",
                        s(&rule.name),
                        self.place(rb).unwrap_or_default()
                    ));
                }
                Source {
                    kind: "file-scope",
                    what: self.short_scope_name(*scope),
                    location: self.place(*span),
                    text: self.first_line(*span),
                }
            }
            Origin::Undefined => self.undefined(),
        };
        Lookup {
            name: s(&step.name),
            value: whole(&step.value),
            source,
            notes,
            parts,
        }
    }

    fn undefined(&self) -> Source {
        Source {
            kind: "undefined",
            what: "defined nowhere: expands to nothing".into(),
            location: None,
            text: None,
        }
    }

    /// The statement number of the assignment at `span`.
    fn assignment_seq(&self, scope: ScopeId, name: &[u8], span: Span) -> Option<u32> {
        let sc = self.graph.scopes.get(scope);
        let (_, list) = sc.vars().find(|(n, _)| *n == name)?;
        list.iter().find(|a| a.span == span).map(|a| a.seq)
    }

    /// How the binding at `span` was composed when it was evaluated (just
    /// before statement `seq`, in `scope`).
    fn compose(&self, span: Span, scope: ScopeId, seq: u32) -> Vec<Lookup> {
        let Some(text) = self.loaded.sources.text(span) else {
            return Vec::new();
        };
        let mut text = text.to_vec();
        text.push(b'\n');
        let Ok(stmts) = crate::parse::parse_all(span.source, &text) else {
            return Vec::new();
        };
        let Some(Stmt::Binding(b)) = stmts.into_iter().next() else {
            return Vec::new();
        };
        let mut parts = Vec::new();
        for (name, _) in b.value.var_refs() {
            let lookup = match self.graph.scopes.lookup_before(scope, name, seq) {
                Some(found) => {
                    let a = found.assignment;
                    let inner_seq = a.seq;
                    Lookup {
                        name: s(name),
                        value: whole(&a.value),
                        source: Source {
                            kind: "file-scope",
                            what: self.short_scope_name(found.scope),
                            location: self.place(a.span),
                            text: self.first_line(a.span),
                        },
                        notes: Vec::new(),
                        parts: self.compose(a.span, found.scope, inner_seq),
                    }
                }
                None => {
                    let mut notes = Vec::new();
                    let mut source = self.undefined();
                    if matches!(name, b"in" | b"out" | b"in_newline") {
                        notes.push("`$in`/`$out` are empty outside rule bindings".to_string());
                    } else if let Some(later) = self.graph.scopes.lookup(scope, name) {
                        source.what = format!(
                            "not defined yet when this line was read (assigned later at {}): \
                             expands to nothing",
                            self.place(later.assignment.span).unwrap_or_default()
                        );
                    }
                    Lookup {
                        name: s(name),
                        value: String::new(),
                        source,
                        notes,
                        parts: Vec::new(),
                    }
                }
            };
            parts.push(lookup);
        }
        parts
    }

    fn short_scope_name(&self, scope: ScopeId) -> String {
        format!("file scope {}", scope.0)
    }

    fn scope_name(&self, scope: ScopeId) -> String {
        let sc = self.graph.scopes.get(scope);
        match sc.source {
            Some(src) => format!(
                "file scope {} ({})",
                scope.0,
                s(&self.loaded.sources.get(src).name)
            ),
            None => format!("file scope {}", scope.0),
        }
    }

    fn place(&self, span: Span) -> Option<String> {
        let lc = self.loaded.sources.line_col(span)?;
        Some(format!(
            "{}:{}",
            s(&self.loaded.sources.get(span.source).name),
            lc.line
        ))
    }

    /// The first line of the span's text (with `...` if it goes on).
    fn first_line(&self, span: Span) -> Option<String> {
        let text = self.loaded.sources.text(span)?;
        let mut lines = text.split(|&b| b == b'\n');
        let first = lines.next().unwrap_or(&[]);
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let mut out = s(first);
        if lines.next().is_some() {
            out.push_str(" ...");
        }
        Some(out)
    }
}

/// The explanation as text.
pub fn to_text(e: &Explanation) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} is built by {}\n", e.target, e.location));
    out.push_str(&format!("  {}\n", e.build));
    match &e.rule_location {
        Some(at) => out.push_str(&format!("rule `{}` ({at}), in {}\n", e.rule, e.scope)),
        None => out.push_str(&format!("rule `{}` (built in), in {}\n", e.rule, e.scope)),
    }
    out.push_str(&format!("lookup order: {}\n", e.lookup_order));
    for v in &e.variables {
        out.push('\n');
        out.push_str(&format!("{} = {}\n", v.name, shown(&v.value)));
        write_body(&mut out, v, "  ");
    }
    out
}

fn origin_line(l: &Lookup) -> String {
    let mut line = format!("<- {}", l.source.what);
    if let Some(at) = &l.source.location {
        line.push_str(&format!(" at {at}"));
    }
    if let Some(text) = &l.source.text {
        line.push_str(&format!(": {text}"));
    }
    line
}

/// Writes a lookup's origin, notes and parts, each line starting with `prefix`.
fn write_body(out: &mut String, l: &Lookup, prefix: &str) {
    out.push_str(&format!("{prefix}{}\n", origin_line(l)));
    for note in &l.notes {
        out.push_str(&format!("{prefix}   ({note})\n"));
    }
    for (i, part) in l.parts.iter().enumerate() {
        let last = i + 1 == l.parts.len();
        let (branch, cont) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        out.push_str(&format!(
            "{prefix}{branch}${} = {}\n",
            part.name,
            shown(&part.value)
        ));
        write_body(out, part, &format!("{prefix}{cont}"));
    }
}

/// A value `--explain` was asked for, whole (a diagnostic's message
/// shortens a long one: [`s`]).
fn whole(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// A value for display: `(empty)` when there is nothing to show.
fn shown(value: &str) -> &str {
    if value.is_empty() { "(empty)" } else { value }
}

//! The lints of `n2ref check` (`spec/check.md`). Each function looks at the
//! loaded graph and/or the re-read statements and pushes [`Diagnostic`]s.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use super::suggest::did_you_mean;
use super::walk::{StmtCtx, walk};
use super::*;
use crate::ast::{Binding, BuildStmt, PathExpr, Stmt, Str};
use crate::canon::canonicalize;
use crate::eval_string::Part;
use crate::expand::{EdgeEnv, Escape, Origin};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE, RuleId, RuleKey};
use crate::load::{LoadError, Loaded};
use crate::scope::ScopeId;
use crate::source::{SourceId, Span};

/// Runs every lint and returns the diagnostics, unsorted.
pub fn run(loaded: &Loaded, error: Option<&LoadError>, disk: &dyn Disk) -> Vec<Diagnostic> {
    // Which inputs are missing on disk is a question for the file system;
    // ask it while the statements are re-read.
    let graph = &loaded.graph;
    let (stmts, missing) = std::thread::scope(|s| {
        let missing = s.spawn(|| {
            let candidates: Vec<(FileId, &[u8])> = graph
                .files
                .iter()
                .filter(|(_, f)| f.in_edge.is_none())
                .filter(|(_, f)| !f.out_edges.is_empty() || !f.validation_out_edges.is_empty())
                .map(|(id, f)| (id, &*f.path))
                .collect();
            let paths: Vec<&[u8]> = candidates.iter().map(|&(_, p)| p).collect();
            let exist = disk.exist_all(&paths);
            candidates
                .iter()
                .zip(exist)
                .filter(|(_, exists)| !exists)
                .map(|(&(id, _), _)| id)
                .collect::<HashSet<FileId>>()
        });
        let stmts = walk(loaded, error);
        (
            stmts,
            missing.join().expect("the file system thread panicked"),
        )
    });
    let mut cx = Cx {
        loaded,
        graph: &loaded.graph,
        stmts,
        error,
        missing,
        out: Vec::new(),
        edges_by_rule: HashMap::new(),
        builds: HashMap::new(),
        path_files: RefCell::default(),
    };
    for (i, c) in cx.stmts.iter().enumerate() {
        if let Stmt::Build(b) = &c.stmt {
            cx.builds.entry(b.span).or_insert(i);
        }
    }
    for (id, edge) in cx.graph.edges.iter() {
        cx.edges_by_rule.entry(edge.rule).or_default().push(id);
    }
    let complete = error.is_none();

    cx.unknown_keys();
    cx.rspfile_pairs();
    cx.false_flags();
    cx.file_scope_references();
    if complete || error.is_some_and(|e| e.message.starts_with("cycle in rule variables")) {
        cx.rule_variable_cycles();
    }
    if complete {
        cx.rule_references();
        cx.unused_rules();
        cx.unused_pools();
        cx.deps_without_depfile();
        cx.shadowed_rule_bindings();
        cx.dependency_cycles();
        cx.missing_inputs();
        cx.unquoted_space_paths();
        cx.outputs_outside_tree(disk.build_dir().as_deref());
    }
    if let Some(e) = error {
        cx.duplicate_output(e);
        cx.load_error(e);
    }
    cx.ninja_warnings();
    cx.out
}

struct Cx<'a> {
    loaded: &'a Loaded,
    graph: &'a Graph,
    stmts: Vec<StmtCtx<'a>>,
    error: Option<&'a LoadError>,
    /// Inputs no edge produces that are not on disk.
    missing: HashSet<FileId>,
    out: Vec<Diagnostic>,
    edges_by_rule: HashMap<RuleId, Vec<EdgeId>>,
    /// Build statements by their span (an edge's `span`), as indices into `stmts`.
    builds: HashMap<Span, usize>,
    /// The files each build statement's paths name, per edge and side
    /// (outputs or inputs), in statement order: evaluated once per edge, as
    /// a lint may ask about each of an edge's paths in turn.
    path_files: RefCell<HashMap<(EdgeId, bool), PathFiles>>,
}

/// Bytes for a message: lossy UTF-8, a long path or value shortened to
/// its start and end (spec: [check.format.long-value]).
pub(crate) fn s(bytes: &[u8]) -> String {
    if bytes.len() <= LONG_VALUE {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let head = &bytes[..LONG_VALUE_HEAD];
    let tail = &bytes[bytes.len() - LONG_VALUE_TAIL..];
    format!(
        "{}…[{} bytes]…{}",
        String::from_utf8_lossy(head),
        bytes.len(),
        String::from_utf8_lossy(tail)
    )
}

/// The longest path or value a message quotes whole (spec:
/// [check.format.long-value]); a longer one keeps its first
/// `LONG_VALUE_HEAD` and last `LONG_VALUE_TAIL` bytes.
const LONG_VALUE: usize = 200;
const LONG_VALUE_HEAD: usize = 120;
const LONG_VALUE_TAIL: usize = 40;

/// The paths of one side of a build statement: each one's span and the
/// file it names.
type PathFiles = Rc<[(Span, Option<FileId>)]>;

const EDGE_VARS: [&[u8]; 3] = [b"in", b"in_newline", b"out"];

fn is_edge_var(name: &[u8]) -> bool {
    EDGE_VARS.contains(&name)
}

/// The last binding named `name` in a block (later ones win).
fn last_binding<'b, 'a>(bindings: &'b [Binding<'a>], name: &[u8]) -> Option<&'b Binding<'a>> {
    bindings.iter().rev().find(|b| b.name == name)
}

/// The value if it is literal text only.
fn literal_value(value: &Str<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in &value.parts {
        match part {
            Part::Literal(text, _) => out.extend_from_slice(text),
            Part::Var(..) => return None,
        }
    }
    Some(out)
}

/// For `$a-b` where `a` is defined: the name is `a-b` because `-` may be
/// part of a name; `${a}-b` was probably meant.
fn dash_split_help(name: &[u8], defined: impl Fn(&[u8]) -> bool) -> Option<String> {
    let at = (1..name.len())
        .rev()
        .find(|&i| name[i] == b'-' && defined(&name[..i]))?;
    let (head, tail) = (s(&name[..at]), s(&name[at..]));
    Some(format!(
        "`-` can be part of a variable name, so this is `${{{}}}`; write `${{{head}}}{tail}` to \
         use `${head}` followed by `{tail}`",
        s(name)
    ))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl<'a> Cx<'a> {
    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// The first line of ninja's error text, quoted for a note.
    fn ninja_says(&self, e: &LoadError) -> String {
        let text = s(&e.ninja_text);
        let first = text.lines().next().unwrap_or("").to_string();
        let kind = match e.severity {
            crate::load::Severity::Error => "error",
            crate::load::Severity::Fatal => "fatal",
        };
        let here = if e.location.is_some() { " here" } else { "" };
        format!("ninja stops loading{here} with `ninja: {kind}: {first}`")
    }

    fn error_at(&self, source: SourceId, at: usize) -> bool {
        self.error
            .is_some_and(|e| e.location == Some((source, Some(at))))
    }

    // ---- statement lints ---------------------------------------------

    /// [check.unknown-key]
    fn unknown_keys(&mut self) {
        let mut found = Vec::new();
        for ctx in &self.stmts {
            let (what, name, bindings, allowed): (&str, &[u8], &[Binding<'_>], Vec<&str>) =
                match &ctx.stmt {
                    Stmt::Rule(r) => (
                        "rule",
                        r.name,
                        &r.bindings,
                        RuleKey::ALL.iter().map(|k| k.name()).collect(),
                    ),
                    Stmt::Pool(p) => ("pool", p.name, &p.bindings, vec!["depth"]),
                    _ => continue,
                };
            for b in bindings {
                if allowed.iter().any(|k| k.as_bytes() == b.name) {
                    continue;
                }
                found.push((ctx.source, what, name.to_vec(), b.clone(), allowed.clone()));
            }
        }
        for (source, what, owner, b, allowed) in found {
            let key = s(b.name);
            let mut d = Diagnostic::new(
                &UNKNOWN_KEY,
                format!("unknown variable `{key}` in {what} `{}`", s(&owner)),
            )
            .primary(b.name_span, format!("a {what} cannot bind `{key}`"));
            if let Some(e) = self.error.filter(|_| self.error_at(source, b.error_at)) {
                d.explains_load_error = true;
                d = d.note(self.ninja_says(e));
            } else {
                d = d.note(format!(
                    "ninja rejects this with `unexpected variable '{key}'`"
                ));
            }
            match did_you_mean(b.name, &allowed) {
                Some(fix) => d = d.help(format!("did you mean `{}`?", s(fix))),
                None if what == "rule" => {
                    d = d.help(format!(
                        "a rule may bind only {}; to pass `{key}` to the command, set it at top \
                         level or on the build statements and refer to it as `${key}`",
                        allowed.join(", ")
                    ))
                }
                None => d = d.help("a pool may bind only `depth`"),
            }
            self.push(d);
        }
    }

    /// [check.rspfile-pair]
    fn rspfile_pairs(&mut self) {
        let mut found = Vec::new();
        for ctx in &self.stmts {
            let Stmt::Rule(r) = &ctx.stmt else { continue };
            let rspfile = last_binding(&r.bindings, b"rspfile").filter(|b| !b.value.is_empty());
            let content =
                last_binding(&r.bindings, b"rspfile_content").filter(|b| !b.value.is_empty());
            let (have, missing, suggestion) = match (rspfile, content) {
                (Some(b), None) => (b, "rspfile_content", "rspfile_content = $in"),
                (None, Some(b)) => (b, "rspfile", "rspfile = $out.rsp"),
                _ => continue,
            };
            found.push((
                ctx.source,
                r.end,
                s(r.name),
                s(have.name),
                have.span,
                missing,
                suggestion,
            ));
        }
        for (source, end, rule, have, span, missing, suggestion) in found {
            let mut d = Diagnostic::new(
                &RSPFILE_PAIR,
                format!("rule `{rule}` sets `{have}` but not `{missing}`"),
            )
            .primary(span, format!("`{have}` without `{missing}`"))
            .note(
                "ninja writes `rspfile_content` into the file named by `rspfile` before running \
                 the command, so a rule needs both or neither",
            );
            if let Some(e) = self.error.filter(|_| self.error_at(source, end)) {
                d.explains_load_error = true;
                d = d.note(self.ninja_says(e));
            }
            d = d.help(format!(
                "add `{suggestion}` to rule `{rule}`, or remove `{have}`"
            ));
            self.push(d);
        }
    }

    /// [check.false-flag]
    fn false_flags(&mut self) {
        let mut found = Vec::new();
        for ctx in &self.stmts {
            let (bindings, on_rule) = match &ctx.stmt {
                Stmt::Rule(r) => (&r.bindings, true),
                Stmt::Build(b) => (&b.bindings, false),
                _ => continue,
            };
            for b in bindings {
                if b.name != b"restat" && b.name != b"generator" {
                    continue;
                }
                let Some(value) = literal_value(&b.value) else {
                    continue;
                };
                let lower = String::from_utf8_lossy(&value).trim().to_ascii_lowercase();
                if matches!(lower.as_str(), "0" | "false" | "no" | "off" | "n") {
                    found.push((b.name_span, b.span, s(b.name), s(&value), on_rule));
                }
            }
        }
        for (_, span, key, value, on_rule) in found {
            let what = if key == "restat" {
                "ninja re-checks the outputs' timestamps after the command (`restat`)"
            } else {
                "ninja treats the edge as a generator: its outputs are not cleaned and a \
                 changed command does not rebuild them"
            };
            let mut d = Diagnostic::new(
                &FALSE_FLAG,
                format!("`{key} = {value}` turns `{key}` on, not off"),
            )
            .primary(span, "any non-empty value counts as true")
            .note(format!(
                "ninja only asks whether `{key}` is empty; with `{value}` {what}"
            ));
            d = if on_rule {
                d.help(format!("delete this line to leave `{key}` off"))
            } else {
                d.help(format!(
                    "to turn `{key}` off for this build statement, leave the value empty (`{key} =`)"
                ))
            };
            self.push(d);
        }
    }

    /// Names visible from `scope` just before statement `seq`.
    fn visible_names(&self, scope: ScopeId, seq: u32) -> Vec<Vec<u8>> {
        let scopes = &self.graph.scopes;
        let mut names = Vec::new();
        let mut at = Some(scope);
        while let Some(id) = at {
            let sc = scopes.get(id);
            for (name, assignments) in sc.vars() {
                if assignments.iter().any(|a| a.seq < seq) {
                    names.push(name.to_vec());
                }
            }
            at = sc.parent;
        }
        names.sort();
        names.dedup();
        names
    }

    /// The first assignment of `name` after `seq` visible from `scope`.
    fn later_assignment(&self, scope: ScopeId, name: &[u8], seq: u32) -> Option<Span> {
        let scopes = &self.graph.scopes;
        let mut at = Some(scope);
        while let Some(id) = at {
            let sc = scopes.get(id);
            if let Some((_, list)) = sc.vars().find(|(n, _)| *n == name)
                && let Some(a) = list.iter().find(|a| a.seq >= seq)
            {
                return Some(a.span);
            }
            at = sc.parent;
        }
        None
    }

    /// [check.undefined-variable] and [check.in-out-outside-rule] for
    /// everything evaluated at once in a file scope: top-level bindings,
    /// build bindings and paths, pool depths, `default` and `include` paths.
    fn file_scope_references(&mut self) {
        let stmts = std::mem::take(&mut self.stmts);
        let mut uses: Vec<VarUse<'_>> = Vec::new();
        for ctx in stmts.iter().filter(|c| c.evaluated) {
            let (scope, seq) = (ctx.scope, ctx.seq);
            let mut add = |value, context, extra, rule| {
                VarUse::push_all(&mut uses, value, scope, seq, context, extra, rule)
            };
            match &ctx.stmt {
                Stmt::Binding(b) => add(&b.value, "a top-level variable", &[], None),
                Stmt::Pool(p) => {
                    for b in &p.bindings {
                        add(&b.value, "a pool's depth", &[], None);
                    }
                }
                Stmt::Build(b) => {
                    let rule = b.rule.map(|(r, _)| r);
                    for binding in &b.bindings {
                        add(&binding.value, "a build statement's binding", &[], rule);
                    }
                    for path in all_paths(b) {
                        add(&path.value, "a build statement's path", &b.bindings, None);
                    }
                }
                Stmt::Default(d) => {
                    for path in &d.paths {
                        add(&path.value, "a `default` statement", &[], None);
                    }
                }
                Stmt::Include(i) => {
                    let what = if i.new_scope {
                        "a `subninja` path"
                    } else {
                        "an `include` path"
                    };
                    add(&i.path.value, what, &[], None);
                }
                Stmt::Rule(_) => {}
            }
        }
        let scopes = &self.graph.scopes;
        let mut found = Vec::new();
        for u in uses {
            let bound_here = |n: &[u8]| u.extra.iter().any(|b| b.name == n);
            if bound_here(u.name) || scopes.lookup_before(u.scope, u.name, u.seq).is_some() {
                continue;
            }
            let name = s(u.name);
            let d = if is_edge_var(u.name) {
                let d = Diagnostic::new(
                    &IN_OUT_OUTSIDE_RULE,
                    format!("`${name}` in {} is always empty", u.context),
                )
                .primary(u.span, "expands to nothing here")
                .note(format!(
                    "`$in`, `$in_newline` and `$out` are defined only while a rule's bindings are \
                     expanded for an edge; {} is expanded at once, in the file scope",
                    u.context
                ));
                match (u.rule, u.context) {
                    (Some(rule), "a build statement's binding") => d.help(format!(
                        "move the binding into rule `{}` (rule bindings see `${name}`), or spell \
                         the path out",
                        s(rule)
                    )),
                    _ => d.help(format!("write the path itself instead of `${name}`")),
                }
            } else if let Some(later) = self.later_assignment(u.scope, u.name, u.seq) {
                Diagnostic::new(
                    &UNDEFINED_VARIABLE,
                    format!("`${name}` is used before it is defined"),
                )
                .primary(u.span, "expands to nothing here")
                .secondary(later, "defined only later, here")
                .note(
                    "top-level statements are evaluated in order: a variable has no value \
                     before its first assignment",
                )
                .help(format!("move the assignment of `{name}` above this line"))
            } else {
                let mut candidates = self.visible_names(u.scope, u.seq);
                candidates.extend(u.extra.iter().map(|b| b.name.to_vec()));
                let d = Diagnostic::new(&UNDEFINED_VARIABLE, format!("undefined variable `${name}`"))
                    .primary(u.span, "defined nowhere; expands to nothing")
                    .note(format!(
                        "{} is expanded as soon as it is read, and no file scope it sees defines `{name}`",
                        u.context
                    ));
                let dash = dash_split_help(u.name, |n| {
                    bound_here(n) || scopes.lookup_before(u.scope, n, u.seq).is_some()
                });
                match (dash, did_you_mean(u.name, &candidates)) {
                    (Some(help), _) => d.help(help),
                    (None, Some(fix)) => d.help(format!("did you mean `${}`?", s(fix))),
                    (None, None) => d.help(format!(
                        "define `{name}` before this line (an empty `{name} =` says it is meant to be empty)"
                    )),
                }
            };
            found.push(d);
        }
        self.stmts = stmts;
        self.out.extend(found);
    }

    /// Edges using a rule.
    fn edges_of(&self, rule: RuleId) -> &[EdgeId] {
        self.edges_by_rule.get(&rule).map_or(&[], |v| v.as_slice())
    }

    /// The rules defined in the manifest (not `phony`), in definition order.
    fn user_rules(&self) -> impl Iterator<Item = (RuleId, &'a crate::graph::Rule)> + use<'a> {
        self.graph
            .rules
            .iter()
            .filter(|(id, r)| *id != PHONY_RULE && r.span.is_some())
    }

    /// [check.undefined-variable] inside rule bindings, which are expanded
    /// per edge.
    fn rule_references(&mut self) {
        let scopes = &self.graph.scopes;
        let mut found = Vec::new();
        for (id, rule) in self.user_rules() {
            let edges = self.edges_of(id);
            let rule_name = s(&rule.name);
            for key in RuleKey::ALL {
                let Some(binding) = rule.binding(key) else {
                    continue;
                };
                for (name, span) in binding.value.var_refs() {
                    if is_edge_var(name) || rule.binding_by_name(name).is_some() {
                        continue;
                    }
                    let defined = if edges.is_empty() {
                        scopes.lookup(rule.scope, name).is_some()
                    } else {
                        edges.iter().any(|&e| {
                            let edge = &self.graph.edges[e];
                            edge.binding(name).is_some()
                                || scopes.lookup(edge.scope, name).is_some()
                        })
                    };
                    if defined {
                        continue;
                    }
                    let mut candidates: Vec<Vec<u8>> =
                        EDGE_VARS.iter().map(|n| n.to_vec()).collect();
                    for k in RuleKey::ALL {
                        if rule.binding(k).is_some_and(|b| b.span.is_some()) {
                            candidates.push(k.name().as_bytes().to_vec());
                        }
                    }
                    let mut scopes_seen = std::collections::BTreeSet::from([rule.scope]);
                    for &e in edges {
                        let edge = &self.graph.edges[e];
                        candidates.extend(edge.bindings.iter().map(|b| b.name.to_vec()));
                        scopes_seen.insert(edge.scope);
                    }
                    for scope in scopes_seen {
                        candidates.extend(self.visible_names(scope, u32::MAX));
                    }
                    candidates.sort();
                    candidates.dedup();
                    let name = s(name);
                    let mut d = Diagnostic::new(
                        &UNDEFINED_VARIABLE,
                        format!("undefined variable `${name}` in rule `{rule_name}`"),
                    )
                    .primary(span, "defined nowhere; expands to nothing");
                    d = match edges.len() {
                        0 => d.note(format!("no file scope that rule `{rule_name}` can see defines `{name}`")),
                        1 => d.note(format!(
                            "the one build statement using rule `{rule_name}` does not bind `{name}`, \
                             and no file scope it sees defines it"
                        )),
                        n => d.note(format!(
                            "none of the {n} build statements using rule `{rule_name}` binds `{name}`, \
                             and no file scope they see defines it"
                        )),
                    };
                    let dash =
                        dash_split_help(name.as_bytes(), |n| candidates.iter().any(|c| c == n));
                    d = match (dash, did_you_mean(name.as_bytes(), &candidates)) {
                        (Some(help), _) => d.help(help),
                        (None, Some(fix)) => d.help(format!("did you mean `${}`?", s(fix))),
                        (None, None) => d.help(format!(
                            "define `{name}` at top level or on the build statements using rule \
                             `{rule_name}` (an empty `{name} =` says it is meant to be empty)"
                        )),
                    };
                    found.push(d);
                }
            }
        }
        self.out.extend(found);
    }

    /// [check.rule-variable-cycle]
    fn rule_variable_cycles(&mut self) {
        let mut found = Vec::new();
        for (id, rule) in self.user_rules() {
            let edges = self.edges_of(id);
            let mut chain: Option<Vec<Vec<u8>>> = None;
            let mut affected = 0;
            // A cycle needs a rule binding that refers to a name the rule
            // binds; without one no edge can hit a cycle, whatever it binds.
            let refers_to_own_binding = RuleKey::ALL.iter().any(|&key| {
                rule.binding(key).is_some_and(|b| {
                    b.value
                        .var_refs()
                        .any(|(name, _)| rule.binding_by_name(name).is_some())
                })
            });
            if !refers_to_own_binding {
                continue;
            }
            if edges.is_empty() {
                chain = static_rule_cycle(rule);
            } else {
                for &e in edges {
                    let mut hit = None;
                    for key in RuleKey::ALL {
                        if rule.binding(key).is_none() {
                            continue;
                        }
                        let escape = match key {
                            RuleKey::Depfile | RuleKey::Dyndep | RuleKey::Rspfile => Escape::None,
                            _ => Escape::Shell,
                        };
                        let mut out = Vec::new();
                        if let Err(c) = EdgeEnv::new(self.graph, e, escape)
                            .lookup(key.name().as_bytes(), &mut out)
                        {
                            hit = Some(c.chain);
                            break;
                        }
                    }
                    if let Some(c) = hit {
                        affected += 1;
                        chain.get_or_insert(c);
                    }
                }
            }
            let Some(chain) = chain else { continue };
            let names: Vec<String> = chain.iter().map(|n| s(n)).collect();
            let mut labels = Vec::new();
            for (k, pair) in chain.windows(2).enumerate() {
                let Some(binding) = rule.binding_by_name(&pair[0]) else {
                    continue;
                };
                let span = binding
                    .value
                    .var_refs()
                    .find(|(n, _)| *n == &pair[1][..])
                    .map(|(_, sp)| sp)
                    .or(binding.span);
                if let Some(span) = span {
                    labels.push((span, format!("`{}` refers to `${}`", names[k], s(&pair[1]))));
                }
            }
            let mut d = Diagnostic::new(
                &RULE_VARIABLE_CYCLE,
                format!("cycle in rule variables: {}", names.join(" -> ")),
            );
            let mut labels = labels.into_iter();
            if let Some((span, text)) = labels.next() {
                d = d.primary(span, text);
            }
            for (span, text) in labels {
                d = d.secondary(span, text);
            }
            if rule.span.is_some() && d.primary.is_none() {
                d = d.primary(rule.span.unwrap_or_default(), "in this rule");
            }
            let fatal = self
                .error
                .filter(|e| e.message.starts_with("cycle in rule variables"));
            d = if let Some(e) = fatal {
                d.explains_load_error = true;
                d.note(format!(
                    "ninja expands `pool` and `dyndep` while loading, so it stops with \
                     `ninja: fatal: {}`",
                    e.message
                ))
            } else if edges.is_empty() {
                d.note(format!(
                    "no build statement uses rule `{}` yet; the first that does will stop ninja \
                     with `ninja: fatal: cycle in rule variables`",
                    s(&rule.name)
                ))
            } else {
                d.note(format!(
                    "ninja stops with `ninja: fatal: cycle in rule variables` when it expands \
                     this rule for {}",
                    if affected == 1 {
                        "the build statement using it".to_string()
                    } else {
                        format!("any of the {affected} build statements using it")
                    }
                ))
            };
            d = d.help("a rule variable must not refer back to itself, directly or through others");
            found.push(d);
        }
        self.out.extend(found);
    }

    /// [check.unused-rule]
    fn unused_rules(&mut self) {
        let mut found = Vec::new();
        for (id, rule) in self.user_rules() {
            if !self.edges_of(id).is_empty() {
                continue;
            }
            let Some(span) = rule.span else { continue };
            found.push(
                Diagnostic::new(
                    &UNUSED_RULE,
                    format!("rule `{}` is never used", s(&rule.name)),
                )
                .primary(span, "no build statement uses this rule")
                .help("remove the rule, or check the build statements for a misspelt rule name"),
            );
        }
        self.out.extend(found);
    }

    /// [check.unused-pool]
    fn unused_pools(&mut self) {
        let used: HashSet<_> = self.graph.edges.iter().map(|(_, e)| e.pool).collect();
        let mut found = Vec::new();
        for (id, pool) in self.graph.pools.iter() {
            let Some(span) = pool.span else { continue };
            if used.contains(&id) {
                continue;
            }
            found.push(
                Diagnostic::new(
                    &UNUSED_POOL,
                    format!("pool `{}` is never used", s(&pool.name)),
                )
                .primary(span, "no edge runs in this pool")
                .help(format!(
                    "assign edges to it with `pool = {}` in a rule or build statement, or \
                         remove it",
                    s(&pool.name)
                )),
            );
        }
        self.out.extend(found);
    }

    /// [check.deps-without-depfile]
    fn deps_without_depfile(&mut self) {
        // Grouped by where `deps = gcc` comes from.
        type Group = (Span, Vec<EdgeId>, Option<RuleId>);
        let mut groups: BTreeMap<(u32, u32), Group> = BTreeMap::new();
        for (id, edge) in self.graph.edges.iter() {
            if edge.rule == PHONY_RULE {
                continue;
            }
            let mut env = EdgeEnv::new(self.graph, id, Escape::Shell).with_trace();
            let mut deps = Vec::new();
            if env.lookup(b"deps", &mut deps).is_err() || deps != b"gcc" {
                continue;
            }
            let trace = env.take_trace();
            let mut depfile = Vec::new();
            if EdgeEnv::new(self.graph, id, Escape::None)
                .lookup(b"depfile", &mut depfile)
                .is_err()
                || !depfile.is_empty()
            {
                continue;
            }
            let (span, rule) = match trace.first().map(|t| &t.origin) {
                Some(Origin::RuleBinding {
                    rule,
                    span: Some(span),
                }) => (*span, Some(*rule)),
                Some(Origin::BuildBinding { span }) => (*span, None),
                Some(Origin::FileScope { span, .. }) => (*span, None),
                _ => (edge.span, None),
            };
            groups
                .entry((span.source.0, span.start))
                .or_insert((span, Vec::new(), rule))
                .1
                .push(id);
        }
        for (_, (span, edges, rule)) in groups {
            let first = &self.graph.edges[edges[0]];
            let out = first
                .outputs
                .first()
                .map(|&f| s(self.graph.path(f)))
                .unwrap_or_default();
            let mut d = Diagnostic::new(&DEPS_WITHOUT_DEPFILE, "`deps = gcc` without a `depfile`")
                .primary(span, "ninja reads gcc-style dependencies from `$depfile`")
                .note(format!(
                    "after running the command ninja fails with `edge with deps=gcc but no depfile \
                     makes no sense` ({} affected, e.g. the one building `{out}`)",
                    plural(edges.len(), "build statement", "build statements")
                ));
            if rule.is_none() || first.span != span {
                d = d.secondary(
                    first.span,
                    "for example, this build statement has no `depfile`",
                );
            }
            d = match rule {
                Some(r) => d.help(format!(
                    "add `depfile = $out.d` to rule `{}` and make the command write it (gcc and \
                     clang: `-MD -MF $out.d`)",
                    s(&self.graph.rules[r].name)
                )),
                None => d.help("bind `depfile` too, and make the command write it"),
            }
            .help("`deps = msvc` reads `/showIncludes` output instead and needs no depfile");
            self.push(d);
        }
    }

    /// [check.shadowed-rule-binding]
    fn shadowed_rule_bindings(&mut self) {
        let scopes = &self.graph.scopes;
        /// (the variable, the rule's binding, the rule, the key, the edges).
        type Group = (Span, Span, RuleId, RuleKey, Vec<EdgeId>);
        let mut groups: BTreeMap<(u32, u32, RuleKey, u32), Group> = BTreeMap::new();
        for (id, edge) in self.graph.edges.iter() {
            if edge.rule == PHONY_RULE || !edge.bindings.is_empty() {
                continue;
            }
            let rule = &self.graph.rules[edge.rule];
            for key in RuleKey::ALL {
                let Some(rule_span) = rule.binding(key).and_then(|b| b.span) else {
                    continue;
                };
                let Some(own) = scopes.get(edge.scope).get_own(key.name().as_bytes()) else {
                    continue;
                };
                groups
                    .entry((own.span.source.0, own.span.start, key, edge.rule.0))
                    .or_insert((own.span, rule_span, edge.rule, key, Vec::new()))
                    .4
                    .push(id);
            }
        }
        for (_, (var_span, rule_span, rule, key, edges)) in groups {
            let key = key.name();
            let rule_name = s(&self.graph.rules[rule].name);
            let with = self.edges_of(rule).len() - edges.len();
            let example = &self.graph.edges[edges[0]];
            let mut d = Diagnostic::new(
                &SHADOWED_RULE_BINDING,
                format!("top-level `{key}` overrides rule `{rule_name}`'s `{key}` for build statements without bindings"),
            )
            .primary(var_span, format!("this `{key}` wins for {}", plural(edges.len(), "edge", "edges")))
            .secondary(rule_span, "this binding is ignored for those edges")
            .secondary(example.span, "for example, this build statement (it has no bindings)")
            .note(format!(
                "a build statement without indented bindings has no scope of its own: ninja looks \
                 `{key}` up in the file scope first, and the rule's binding loses"
            ));
            d = d.note(format!(
                "a build statement with at least one binding gets its own scope, and there the \
                 rule's binding wins{}",
                if with > 0 {
                    format!(
                        " (as for {} using rule `{rule_name}` here)",
                        plural(with, "other edge", "other edges")
                    )
                } else {
                    String::new()
                }
            ));
            d = d.help(format!(
                "rename the top-level variable, or set `{key}` on the build statements that need it"
            ));
            self.push(d);
        }
    }

    /// [check.dependency-cycle]
    fn dependency_cycles(&mut self) {
        let graph = self.graph;
        // 0 = unvisited, 1 = on the stack, 2 = done; per edge.
        let mut mark = vec![0u8; graph.edges.len()];
        let mut found = Vec::new();
        let mut reported_edges: HashSet<EdgeId> = HashSet::new();
        for (start, _) in graph.files.iter() {
            let Some(e0) = graph.files[start].in_edge else {
                continue;
            };
            if mark[e0.0 as usize] != 0 {
                continue;
            }
            // Iterative DFS: stack of (file, edge, next input index).
            let mut stack: Vec<(FileId, EdgeId, usize)> = vec![(start, e0, 0)];
            mark[e0.0 as usize] = 1;
            while let Some(top) = stack.last_mut() {
                let (_, edge, i) = *top;
                let inputs = &graph.edges[edge].inputs;
                if i == inputs.len() {
                    mark[edge.0 as usize] = 2;
                    stack.pop();
                    continue;
                }
                top.2 += 1;
                let input = inputs[i];
                let Some(next) = graph.files[input].in_edge else {
                    continue;
                };
                match mark[next.0 as usize] {
                    0 => {
                        mark[next.0 as usize] = 1;
                        stack.push((input, next, 0));
                    }
                    1 => {
                        let at = stack.iter().position(|(_, e, _)| *e == next).unwrap_or(0);
                        let mut files: Vec<FileId> =
                            stack[at..].iter().map(|(f, _, _)| *f).collect();
                        files[0] = input;
                        let edges: Vec<EdgeId> = stack[at..].iter().map(|(_, e, _)| *e).collect();
                        if edges.iter().all(|e| !reported_edges.contains(e)) {
                            reported_edges.extend(edges.iter().copied());
                            found.push((files, edges));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (files, edges) in found {
            let mut names: Vec<String> = files.iter().map(|&f| s(graph.path(f))).collect();
            names.push(names[0].clone());
            let mut d = Diagnostic::new(
                &DEPENDENCY_CYCLE,
                format!("dependency cycle: {}", names.join(" -> ")),
            );
            for (k, &e) in edges.iter().enumerate() {
                let built = &names[k];
                let from = &names[k + 1];
                let text = format!("`{built}` is built from `{from}` here");
                d = if k == 0 {
                    d.primary(graph.edges[e].span, text)
                } else {
                    d.secondary(graph.edges[e].span, text)
                };
            }
            d = d
                .note(format!(
                    "ninja refuses to build anything that depends on this cycle: `ninja: error: \
                     dependency cycle: {}`",
                    names.join(" -> ")
                ))
                .help("remove one of the dependencies (order-only `||` inputs count too)");
            self.push(d);
        }
    }

    /// The statement context of an edge's build statement.
    fn build_stmt(&self, edge: EdgeId) -> Option<(&StmtCtx<'a>, &BuildStmt<'a>)> {
        let ctx = &self.stmts[*self.builds.get(&self.graph.edges[edge].span)?];
        match &ctx.stmt {
            Stmt::Build(b) => Some((ctx, b)),
            _ => None,
        }
    }

    /// Evaluates a path of a build statement as the loader did.
    fn eval_path(&self, ctx: &StmtCtx<'_>, edge: Option<EdgeId>, path: &PathExpr<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        for part in &path.value.parts {
            match part {
                Part::Literal(text, _) => out.extend_from_slice(text),
                Part::Var(name, _) => {
                    let binding = edge.and_then(|e| self.graph.edges[e].binding(name));
                    match binding {
                        Some(b) => out.extend_from_slice(&b.value),
                        None => {
                            if let Some(f) =
                                self.graph.scopes.lookup_before(ctx.scope, name, ctx.seq)
                            {
                                out.extend_from_slice(&f.assignment.value);
                            }
                        }
                    }
                }
            }
        }
        canonicalize(&mut out);
        out
    }

    /// The spans of the paths in an edge's build statement that name `file`.
    fn path_spans(&self, edge: EdgeId, file: FileId, outputs: bool) -> Vec<Span> {
        self.path_files(edge, outputs)
            .iter()
            .filter(|(_, f)| *f == Some(file))
            .map(|&(span, _)| span)
            .collect()
    }

    /// The paths of an edge's build statement (its outputs or its inputs of
    /// every kind) and the file each names, if the graph has it.
    fn path_files(&self, edge: EdgeId, outputs: bool) -> PathFiles {
        if let Some(known) = self.path_files.borrow().get(&(edge, outputs)) {
            return Rc::clone(known);
        }
        let files: PathFiles = match self.build_stmt(edge) {
            None => Rc::new([]),
            Some((ctx, b)) => {
                let paths: Vec<&PathExpr<'_>> = if outputs {
                    b.outputs.iter().chain(&b.implicit_outputs).collect()
                } else {
                    b.inputs
                        .iter()
                        .chain(&b.implicit_inputs)
                        .chain(&b.order_only_inputs)
                        .chain(&b.validations)
                        .collect()
                };
                paths
                    .into_iter()
                    .map(|p| {
                        let path = self.eval_path(ctx, Some(edge), p);
                        (p.span, self.graph.lookup_file(&path))
                    })
                    .collect()
            }
        };
        self.path_files
            .borrow_mut()
            .insert((edge, outputs), Rc::clone(&files));
        files
    }

    /// [check.duplicate-output], from the load error ninja reports.
    fn duplicate_output(&mut self, e: &LoadError) {
        let (path, same_edge) = if let Some(p) = e.message.strip_prefix("multiple rules generate ")
        {
            (p, false)
        } else if let Some(p) = e
            .message
            .strip_suffix(" is defined as an output multiple times")
        {
            (p, true)
        } else {
            return;
        };
        let Some(file) = self.graph.lookup_file(path.as_bytes()) else {
            return;
        };
        let Some(first) = self.graph.files[file].in_edge else {
            return;
        };
        let Some((last, _)) = self.graph.edges.iter().last() else {
            return;
        };
        let mut d = Diagnostic::new(&DUPLICATE_OUTPUT, format!("`{path}` is produced twice"));
        if same_edge {
            let spans = self.path_spans(first, file, true);
            let (a, b) = match spans.as_slice() {
                [a, .., b] => (*a, *b),
                _ => (self.graph.edges[first].span, self.graph.edges[first].span),
            };
            d = d
                .primary(b, "named again here")
                .secondary(a, "first named as an output here")
                .help("remove one of them");
        } else {
            let theirs = self.path_spans(first, file, true);
            let ours = self.path_spans(last, file, false);
            let ours = if ours.is_empty() {
                // The failing statement's output was never registered;
                // find it among the statement's outputs by evaluating them.
                self.failing_output_span(last, path.as_bytes())
            } else {
                ours.first().copied()
            };
            d = d
                .primary(
                    ours.unwrap_or(self.graph.edges[last].span),
                    "second build statement producing it",
                )
                .secondary(
                    theirs.first().copied().unwrap_or(self.graph.edges[first].span),
                    "first produced here",
                )
                .help("every file may be the output of at most one build statement; rename one of the outputs or merge the statements");
        }
        d = d
            .note(
                "ninja 1.12 and later always reject this; older versions accepted it only with \
                 `-w dupbuild=warn`",
            )
            .note(self.ninja_says(e));
        d.explains_load_error = true;
        self.push(d);
    }

    fn failing_output_span(&self, edge: EdgeId, path: &[u8]) -> Option<Span> {
        let (ctx, b) = self.build_stmt(edge)?;
        b.outputs
            .iter()
            .chain(&b.implicit_outputs)
            .find(|p| self.eval_path(ctx, Some(edge), p) == path)
            .map(|p| p.span)
    }

    /// [check.missing-input]
    fn missing_inputs(&mut self) {
        let graph = self.graph;
        // Likely corrections of a path are in its directory or share its
        // file name: index the produced paths both ways, so a suggestion
        // costs a few comparisons, not one per file of the graph.
        let mut by_dir: HashMap<&[u8], Vec<&[u8]>> = HashMap::new();
        let mut by_name: HashMap<&[u8], Vec<&[u8]>> = HashMap::new();
        for file in graph.files.values().filter(|f| f.in_edge.is_some()) {
            let (dir, name) = split_dir(&file.path);
            by_dir.entry(dir).or_default().push(&file.path);
            by_name.entry(name).or_default().push(&file.path);
        }
        let mut found = Vec::new();
        for (id, file) in graph.files.iter() {
            if file.in_edge.is_some() {
                continue;
            }
            let Some(&consumer) = file.out_edges.first().or(file.validation_out_edges.first())
            else {
                continue;
            };
            if !self.missing.contains(&id) {
                continue;
            }
            let path = s(&file.path);
            let span = self
                .path_spans(consumer, id, false)
                .first()
                .copied()
                .unwrap_or(graph.edges[consumer].span);
            let needed_by = graph.edges[consumer]
                .outputs
                .first()
                .map(|&o| s(graph.path(o)))
                .unwrap_or_default();
            let mut d = Diagnostic::new(
                &MISSING_INPUT,
                format!("input `{path}` does not exist and no build statement produces it"),
            )
            .primary(span, "missing, and nothing builds it")
            .note(format!(
                "when `{needed_by}` is built, ninja stops with `'{path}', needed by '{needed_by}', \
                 missing and no known rule to make it`"
            ));
            // Suggestions compare against every output: only for the first few.
            let suggestion = if found.len() < 50 {
                let (dir, name) = split_dir(&file.path);
                let mut candidates: Vec<&[u8]> = Vec::new();
                candidates.extend(by_dir.get(dir).into_iter().flatten());
                candidates.extend(by_name.get(name).into_iter().flatten());
                candidates.sort();
                candidates.dedup();
                did_you_mean(&file.path, &candidates).map(<[u8]>::to_vec)
            } else {
                None
            };
            if let Some(fix) = suggestion {
                d = d.help(format!("did you mean `{}`?", s(&fix)));
            } else {
                d = d.help("fix the path, or add a build statement that produces it");
            }
            found.push(d);
        }
        self.out.extend(found);
    }

    /// [check.output-outside-tree]
    fn outputs_outside_tree(&mut self, build_dir: Option<&[u8]>) {
        let graph = self.graph;
        let mut found = Vec::new();
        for (id, edge) in graph.edges.iter() {
            if edge.rule == PHONY_RULE {
                continue;
            }
            for &o in &edge.outputs {
                let path = graph.path(o);
                if !is_outside(path, build_dir) {
                    continue;
                }
                let p = s(path);
                let span = self
                    .path_spans(id, o, true)
                    .first()
                    .copied()
                    .unwrap_or(edge.span);
                found.push(
                    Diagnostic::new(
                        &OUTPUT_OUTSIDE_TREE,
                        format!("output `{p}` is outside the directory the build runs in"),
                    )
                    .primary(span, "written outside the build directory")
                    .note(
                        "ninja builds it, but `ninja -t clean` deletes it, and another build \
                         directory writing the same file races with this one",
                    )
                    .help(
                        "write it under the build directory, and let the steps that read it \
                         find it there",
                    ),
                );
            }
        }
        self.out.extend(found);
    }

    /// [check.unquoted-space-path]
    fn unquoted_space_paths(&mut self) {
        let graph = self.graph;
        let mut seen: HashSet<(Span, Vec<u8>)> = HashSet::new();
        let mut found = Vec::new();
        for (id, edge) in graph.edges.iter() {
            if edge.rule == PHONY_RULE {
                continue;
            }
            let spaced: Vec<&[u8]> = edge
                .outputs
                .iter()
                .chain(&edge.inputs)
                .map(|&f| graph.path(f))
                .filter(|p| p.contains(&b' '))
                .collect();
            if spaced.is_empty() {
                continue;
            }
            let mut env = EdgeEnv::new(graph, id, Escape::Shell).with_trace();
            let mut command = Vec::new();
            if env.lookup(b"command", &mut command).is_err() {
                continue;
            }
            let trace = env.take_trace();
            for path in spaced {
                // One finder per path: making one is as costly as a search.
                let finder = memchr::memmem::Finder::new(path);
                if !has_unquoted(&command, &finder) {
                    continue;
                }
                // The innermost lookup whose value carries the raw path.
                let origin = trace
                    .iter()
                    .rev()
                    .filter(|t| finder.find(&t.value).is_some())
                    .find_map(|t| match &t.origin {
                        Origin::BuildBinding { span } => Some((*span, Some(t.name.clone()))),
                        Origin::FileScope { span, .. } => Some((*span, Some(t.name.clone()))),
                        Origin::RuleBinding {
                            span: Some(span), ..
                        } => Some((*span, None)),
                        _ => None,
                    });
                let (span, via) = origin.unwrap_or((edge.span, None));
                if !seen.insert((span, path.to_vec())) {
                    continue;
                }
                let p = s(path);
                let mut d = Diagnostic::new(
                    &UNQUOTED_SPACE_PATH,
                    format!("path `{p}` contains a space and reaches the command unquoted"),
                )
                .primary(
                    span,
                    match &via {
                        Some(name) => {
                            format!("`${}` carries `{p}` into the command as is", s(name))
                        }
                        None => format!("`{p}` is written into the command as is"),
                    },
                );
                let command_span = graph.rules[edge.rule]
                    .binding(RuleKey::Command)
                    .and_then(|b| b.span);
                if let Some(cs) = command_span.filter(|cs| *cs != span) {
                    d = d.secondary(cs, "the shell splits it into words here");
                }
                d = d
                    .note(format!(
                        "the shell splits `{p}` at the space; ninja quotes paths only where \
                         they come from `$in`, `$in_newline` or `$out`"
                    ))
                    .help(match &via {
                        Some(name) => format!(
                            "use `$in`/`$out`, or quote the reference in the command: `\"${}\"`",
                            s(name)
                        ),
                        None => "quote the path in the command, or use `$in`/`$out`".to_string(),
                    });
                found.push(d);
            }
        }
        self.out.extend(found);
    }

    // ---- the load itself ----------------------------------------------

    /// [check.load-error]
    fn load_error(&mut self, e: &LoadError) {
        if self.out.iter().any(|d| d.explains_load_error) {
            return;
        }
        let mut d = Diagnostic::new(&LOAD_ERROR, e.message.clone());
        if let Some((source, Some(at))) = e.location {
            let span = self
                .better_error_span(e, source, at)
                .unwrap_or_else(|| token_span(self.loaded, source, at));
            d = d.primary(span, "ninja stops here");
            d = d.note(self.ninja_says(e));
        } else if let Some((source, None)) = e.location {
            d = d.primary(Span::new(source, 0, 0), "ninja stops here");
            d = d.note(self.ninja_says(e));
        } else {
            d = d.note(self.ninja_says(e));
        }
        for help in self.load_error_help(e) {
            d = d.help(help);
        }
        self.push(d);
    }

    /// For errors ninja reports at the end of a build statement, the part
    /// of the statement they are about.
    fn better_error_span(&self, e: &LoadError, source: SourceId, at: usize) -> Option<Span> {
        let build = self.stmts.iter().find_map(|c| match &c.stmt {
            Stmt::Build(b) if c.source == source && b.end == at => Some(b),
            _ => None,
        })?;
        if e.message.starts_with("unknown pool name") {
            return last_binding(&build.bindings, b"pool").map(|b| b.span);
        }
        if e.message.starts_with("dyndep '") {
            return last_binding(&build.bindings, b"dyndep").map(|b| b.span);
        }
        None
    }

    fn load_error_help(&self, e: &LoadError) -> Vec<String> {
        let m = e.message.as_str();
        let quoted = |prefix: &str| {
            m.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix('\''))
                .map(|r| r.to_string())
        };
        let mut help = Vec::new();
        if let Some(rule) = quoted("unknown build rule '") {
            let mut names: Vec<Vec<u8>> = self
                .graph
                .rules
                .iter()
                .map(|(_, r)| r.name.to_vec())
                .collect();
            names.sort();
            if let Some(fix) = did_you_mean(rule.as_bytes(), &names) {
                help.push(format!("did you mean `{}`?", s(fix)));
            } else {
                help.push(
                    "define the rule (with `rule NAME`) before the build statements that use it"
                        .into(),
                );
            }
        } else if let Some(pool) = quoted("unknown pool name '") {
            let mut names: Vec<Vec<u8>> = self
                .graph
                .pools
                .iter()
                .map(|(_, p)| p.name.to_vec())
                .collect();
            names.sort();
            if let Some(fix) = did_you_mean(pool.as_bytes(), &names) {
                help.push(format!("did you mean `{}`?", s(fix)));
            } else {
                help.push("declare the pool (`pool NAME` with `depth = N`) before using it".into());
            }
        } else if let Some(target) = quoted("unknown target '") {
            let mut names: Vec<&[u8]> = self.graph.files.iter().map(|(_, f)| &*f.path).collect();
            names.sort();
            if let Some(fix) = did_you_mean(target.as_bytes(), &names) {
                help.push(format!("did you mean `{}`?", s(fix)));
            } else {
                help.push(
                    "`default` may name only files that build statements above it mention".into(),
                );
            }
        } else if m == "expected 'command =' line" {
            help.push("every rule needs a non-empty `command`".into());
        } else if m == "lexing error" {
            help.push(
                "a statement starts with a keyword or a variable name, and names may use only \
                 ASCII letters, digits, `_`, `-` and `.`"
                    .into(),
            );
        } else if m.starts_with("tabs are not allowed") {
            help.push("indent with spaces".into());
        } else if m.starts_with("bad $-escape") {
            help.push("the escapes are `$$`, `$ `, `$:` and `$` at the end of a line; write `$$` for a literal `$`".into());
        } else if m.starts_with("duplicate rule") {
            help.push("rename one of the rules; a `subninja` file may redefine a rule of its parent, an `include`d file may not".into());
        }
        help
    }

    /// [check.ninja-warning]
    fn ninja_warnings(&mut self) {
        for w in &self.loaded.warnings {
            let text = s(w);
            self.out.push(
                Diagnostic::new(&NINJA_WARNING, text.clone())
                    .note(format!("ninja prints `ninja: warning: {text}`")),
            );
        }
    }
}

/// All paths of a build statement.
fn all_paths<'b, 'a>(b: &'b BuildStmt<'a>) -> impl Iterator<Item = &'b PathExpr<'a>> {
    b.outputs
        .iter()
        .chain(&b.implicit_outputs)
        .chain(&b.inputs)
        .chain(&b.implicit_inputs)
        .chain(&b.order_only_inputs)
        .chain(&b.validations)
}

/// The token starting at `at`: an identifier, or one byte, or nothing at a
/// line end or the end of the file.
pub(crate) fn token_span(loaded: &Loaded, source: SourceId, at: usize) -> Span {
    let text = loaded.sources.get(source).text.as_deref().unwrap_or(&[]);
    let at = at.min(text.len());
    let mut end = at;
    while end < text.len() && crate::parse::is_varname_byte(text[end]) {
        end += 1;
    }
    if end == at && at < text.len() && !matches!(text[at], b'\n' | b'\r') {
        end = at + 1;
    }
    Span::new(source, at, end)
}

/// A static search for a cycle among a rule's own bindings, written the
/// way ninja reports one found while expanding the first key of it.
fn static_rule_cycle(rule: &crate::graph::Rule) -> Option<Vec<Vec<u8>>> {
    let bound = |name: &[u8]| rule.binding_by_name(name).is_some();
    let refs = |key: &[u8]| -> Vec<Vec<u8>> {
        rule.binding_by_name(key)
            .map(|b| {
                b.value
                    .var_refs()
                    .filter(|(n, _)| bound(n))
                    .map(|(n, _)| n.to_vec())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut keys: Vec<RuleKey> = RuleKey::ALL
        .into_iter()
        .filter(|k| rule.binding(*k).is_some())
        .collect();
    keys.sort_by_key(|k| rule.binding(*k).and_then(|b| b.span).map(|s| s.start));
    for start in keys {
        // DFS from `start`, looking for a path back to any key on the path.
        let mut path: Vec<Vec<u8>> = vec![start.name().as_bytes().to_vec()];
        let mut iters: Vec<std::vec::IntoIter<Vec<u8>>> =
            vec![refs(start.name().as_bytes()).into_iter()];
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        while let Some(it) = iters.last_mut() {
            match it.next() {
                None => {
                    iters.pop();
                    path.pop();
                }
                Some(next) => {
                    if let Some(at) = path.iter().position(|p| *p == next) {
                        let mut cycle: Vec<Vec<u8>> = path[at..].to_vec();
                        cycle.push(next);
                        // ninja reports the chain from the second name on
                        // when it starts expanding at the first.
                        if at == 0 && cycle.len() > 2 {
                            cycle.remove(0);
                            cycle.push(cycle[0].clone());
                        }
                        return Some(cycle);
                    }
                    if seen.insert(next.clone()) {
                        iters.push(refs(&next).into_iter());
                        path.push(next);
                    }
                }
            }
        }
    }
    None
}

/// Whether `finder`'s needle occurs in `command` outside single and double quotes
/// (and not at a byte a backslash escapes). The occurrences are found by
/// `memmem` and the quoting state is followed up to each in one pass, so
/// a long command and a long path take time in proportion to their
/// lengths.
pub(crate) fn has_unquoted(command: &[u8], finder: &memchr::memmem::Finder<'_>) -> bool {
    if finder.needle().is_empty() {
        return false;
    }
    let mut quoting = Quoting::default();
    // The next byte the quoting scan looks at (an escaped byte is skipped).
    let mut i = 0;
    let mut from = 0;
    while let Some(found) = finder.find(&command[from..]).map(|k| from + k) {
        while i < found {
            i = quoting.step(command, i);
        }
        if i == found && quoting.is_outside() {
            return true;
        }
        from = found + 1;
    }
    false
}

/// Shell quoting as [`has_unquoted`] follows it through a command, a byte
/// at a time: single and double quotes, and a backslash outside single
/// quotes escaping the byte after it.
#[derive(Default)]
struct Quoting {
    single: bool,
    double: bool,
}

impl Quoting {
    /// Takes in `command[i]`; the index of the next byte to look at.
    fn step(&mut self, command: &[u8], i: usize) -> usize {
        match command[i] {
            b'\\' if !self.single => return i + 2,
            b'\'' if !self.double => self.single = !self.single,
            b'"' if !self.single => self.double = !self.double,
            _ => {}
        }
        i + 1
    }

    /// Whether the scan is outside any quotes.
    fn is_outside(&self) -> bool {
        !self.single && !self.double
    }
}

/// A variable reference outside a rule, for the file-scope lints.
struct VarUse<'s> {
    name: &'s [u8],
    span: Span,
    scope: ScopeId,
    seq: u32,
    context: &'static str,
    /// The build statement's own bindings, which its paths may use.
    extra: &'s [Binding<'s>],
    rule: Option<&'s [u8]>,
}

impl<'s> VarUse<'s> {
    /// Records every reference in `value`.
    fn push_all(
        uses: &mut Vec<VarUse<'s>>,
        value: &'s Str<'s>,
        scope: ScopeId,
        seq: u32,
        context: &'static str,
        extra: &'s [Binding<'s>],
        rule: Option<&'s [u8]>,
    ) {
        for (name, span) in value.var_refs() {
            uses.push(VarUse {
                name,
                span,
                scope,
                seq,
                context,
                extra,
                rule,
            });
        }
    }
}

/// A path's directory part and file name (`a/b/c.h` → `a/b`, `c.h`).
fn split_dir(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

/// Whether a (canonical) output path leaves the build directory: `..` at
/// its start, or an absolute path not under `build_dir` (every absolute
/// path when the build directory is unknown).
fn is_outside(path: &[u8], build_dir: Option<&[u8]>) -> bool {
    let absolute = path.starts_with(b"/")
        || (path.len() >= 3 && path[0].is_ascii_alphabetic() && path[1] == b':' && path[2] == b'/');
    if !absolute {
        return path == b".." || path.starts_with(b"../");
    }
    match build_dir {
        Some(dir) => {
            let dir = dir.strip_suffix(b"/").unwrap_or(dir);
            !(path.starts_with(dir) && path.get(dir.len()).is_none_or(|&c| c == b'/'))
        }
        None => true,
    }
}

#[cfg(test)]
mod outside_tests {
    use super::is_outside;

    #[test]
    fn outputs_leave_the_tree_by_dot_dot_or_an_absolute_path_elsewhere() {
        let dir = Some(&b"/work/build"[..]);
        assert!(is_outside(b"../x", dir));
        assert!(is_outside(b"..", dir));
        assert!(!is_outside(b"..x/y", dir));
        assert!(!is_outside(b"gen/x.h", dir));
        assert!(!is_outside(b"/work/build/gen/x.h", dir));
        assert!(is_outside(b"/work/buildx/y", dir));
        assert!(is_outside(b"/usr/include/x.h", dir));
        assert!(is_outside(b"/work/build/x", None));
        assert!(is_outside(b"C:/x", dir));
    }
}

#[cfg(test)]
mod tests {
    use memchr::memmem::Finder;

    fn has_unquoted(command: &[u8], needle: &[u8]) -> bool {
        super::has_unquoted(command, &Finder::new(needle))
    }

    #[test]
    fn quoting() {
        assert!(has_unquoted(b"cat a b > out", b"a b"));
        assert!(!has_unquoted(b"cat 'a b' > out", b"a b"));
        assert!(!has_unquoted(b"cat \"a b\" > out", b"a b"));
        assert!(has_unquoted(b"cat 'x' a b", b"a b"));
        assert!(!has_unquoted(b"cat a\\ b", b"a b"));
    }

    /// The search as first written (the same quoting scan): at every byte
    /// it visits outside quotes, does the needle start here?
    fn has_unquoted_by_every_position(command: &[u8], needle: &[u8]) -> bool {
        let mut quoting = super::Quoting::default();
        let mut i = 0;
        while i < command.len() {
            if !needle.is_empty() && quoting.is_outside() && command[i..].starts_with(needle) {
                return true;
            }
            i = quoting.step(command, i);
        }
        false
    }

    proptest::proptest! {
        #[test]
        fn same_answer_as_checking_every_position(
            command in proptest::collection::vec(proptest::sample::select(b"ab '\"\\\\".to_vec()), 0..40),
            needle in proptest::collection::vec(proptest::sample::select(b"ab '\"\\\\".to_vec()), 0..5),
        ) {
            proptest::prop_assert_eq!(
                has_unquoted(&command, &needle),
                has_unquoted_by_every_position(&command, &needle)
            );
        }
    }
}

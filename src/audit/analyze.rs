//! Compares what the steps did (the reduced traces) with what the graph
//! says, and turns each gap into a finding (`spec/audit.md`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::trace::Op;
use super::*;

/// Top-level directories whose files belong to the system, not to the
/// project: they are never audited (`[audit.scope]`).
const SYSTEM_PREFIXES: &[&[u8]] = &[
    b"/usr", b"/lib", b"/lib32", b"/lib64", b"/libx32", b"/bin", b"/sbin", b"/etc", b"/opt",
    b"/proc", b"/sys", b"/dev", b"/run", b"/var", b"/nix", b"/gnu", b"/snap",
];

fn under(path: &[u8], dir: &[u8]) -> bool {
    dir == b"/" || path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// The deepest directory holding all of `dirs` (absolute paths).
fn common_ancestor(dirs: &[Vec<u8>]) -> Option<Vec<u8>> {
    let first = dirs.first()?;
    let mut common: Vec<&[u8]> = first.split(|&b| b == b'/').collect();
    for d in &dirs[1..] {
        let parts: Vec<&[u8]> = d.split(|&b| b == b'/').collect();
        let same = common
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(same);
    }
    let joined = common.join(&b'/');
    Some(if joined.is_empty() {
        b"/".to_vec()
    } else {
        joined
    })
}

fn is_system(path: &[u8]) -> bool {
    SYSTEM_PREFIXES.iter().any(|p| under(path, p))
}

/// `files` without repeated spellings of one path.
fn unique(a: &Auditor, files: &[FileId]) -> Vec<FileId> {
    let mut seen = HashSet::new();
    files
        .iter()
        .copied()
        .filter(|&f| seen.insert(a.abs(&a.graph().files[f].path)))
        .collect()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The analysis's view of the build.
struct Cx<'a> {
    a: &'a Auditor,
    /// Directories whose files are audited (`[audit.scope]`).
    roots: Vec<Vec<u8>>,
    /// Absolute path -> the graph files spelling it.
    files: HashMap<Vec<u8>, Vec<FileId>>,
    out: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    fn graph(&self) -> &'a Graph {
        self.a.graph()
    }

    fn in_tree(&self, path: &[u8]) -> bool {
        self.roots.iter().any(|r| under(path, r))
    }

    /// How a path is shown: relative to the build directory when inside it.
    fn show(&self, path: &[u8]) -> String {
        let root = &self.a.root;
        if path.starts_with(root) && path.get(root.len()) == Some(&b'/') {
            lossy(&path[root.len() + 1..])
        } else {
            lossy(path)
        }
    }

    /// The edge that declares `path` as an output.
    fn producer(&self, path: &[u8]) -> Option<EdgeId> {
        self.files
            .get(path)?
            .iter()
            .find_map(|&f| self.graph().files[f].in_edge)
    }

    /// `files` without the second spelling of a path (CMake names some
    /// outputs both relative and absolute).
    fn unique(&self, files: &[FileId]) -> Vec<FileId> {
        unique(self.a, files)
    }

    fn step_name(&self, e: EdgeId) -> String {
        let g = self.graph();
        lossy(&g.files[g.edges[e].outputs[0]].path)
    }

    /// Whether `e` depends on `target` through the graph: through explicit
    /// and implicit inputs only, or (with `order_only`) through any input.
    fn depends_on(&self, e: EdgeId, target: EdgeId, order_only: bool) -> bool {
        let g = self.graph();
        let mut seen = HashSet::new();
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            let edge = &g.edges[x];
            let inputs = if order_only {
                &edge.inputs[..]
            } else {
                edge.non_order_only_inputs()
            };
            for &f in inputs.iter().chain(edge.dyndep.iter()) {
                if let Some(p) = g.files[f].in_edge {
                    if p == target {
                        return true;
                    }
                    if seen.insert(p) {
                        stack.push(p);
                    }
                }
            }
        }
        false
    }
}

/// The directories whose files are audited.
fn project_roots(a: &Auditor) -> Vec<Vec<u8>> {
    let graph = a.graph();
    // spec: [audit.scope]
    let home = std::env::var_os("HOME").map(|h| path_bytes(Path::new(&h)));
    let too_wide = |dir: &[u8]| {
        dir == b"/" || dir == b"/tmp" || home.as_deref() == Some(dir) || is_system(dir)
    };
    // The directories of the audited steps' source files outside the build
    // directory.
    let mut source_dirs: Vec<Vec<u8>> = Vec::new();
    for step in &a.steps {
        for &f in &graph.edges[step.edge].inputs {
            if graph.files[f].in_edge.is_some() {
                continue;
            }
            let abs = a.abs(&graph.files[f].path);
            let dir = match abs.iter().rposition(|&b| b == b'/') {
                Some(0) | None => b"/".to_vec(),
                Some(slash) => abs[..slash].to_vec(),
            };
            if !under(&dir, &a.root) && !too_wide(&dir) && !source_dirs.contains(&dir) {
                source_dirs.push(dir);
            }
        }
    }
    let mut roots = vec![a.root.clone()];
    // Their deepest common directory is the source tree, unless that is
    // too wide (then each directory counts on its own).
    match common_ancestor(&source_dirs) {
        Some(common) if !too_wide(&common) => roots.push(common),
        _ => {
            for dir in source_dirs {
                if !roots.iter().any(|r| under(&dir, r)) {
                    roots.push(dir);
                }
            }
        }
    }
    roots
}

/// The reduced trace of every step, for `--records`: `STEP\tOP\tPATH`
/// for each access to a file of the project.
pub fn records(a: &Auditor) -> Vec<u8> {
    let roots = project_roots(a);
    let graph = a.graph();
    let mut out = Vec::new();
    for step in &a.steps {
        let name = &graph.files[graph.edges[step.edge].outputs[0]].path;
        for access in &step.accesses {
            if !roots.iter().any(|r| under(&access.path, r))
                || access.directory
                || crate::bytes_to_path(&access.path).is_dir()
            {
                continue;
            }
            let op = if access.ok {
                access.op.as_str()
            } else if access.enoent {
                "missing"
            } else {
                continue;
            };
            let path = match access.path.strip_prefix(&a.root[..]) {
                Some(rest) if rest.starts_with(b"/") => &rest[1..],
                _ => &access.path[..],
            };
            out.extend_from_slice(name);
            out.push(b'\t');
            out.extend_from_slice(op.as_bytes());
            out.push(b'\t');
            out.extend_from_slice(path);
            out.push(b'\n');
        }
    }
    out
}

/// Every finding of an audit, sorted by manifest position.
pub fn findings(a: &Auditor) -> Vec<Diagnostic> {
    let graph = a.graph();
    let mut files: HashMap<Vec<u8>, Vec<FileId>> = HashMap::new();
    for (id, f) in graph.files.iter() {
        files.entry(a.abs(&f.path)).or_default().push(id);
    }
    let roots = project_roots(a);
    let mut cx = Cx {
        a,
        roots,
        files,
        out: Vec::new(),
    };
    // Who wrote what, among the traced steps (undeclared writes included).
    let mut writers: HashMap<Vec<u8>, Vec<EdgeId>> = HashMap::new();
    let summaries: Vec<Summary> = a.steps.iter().map(|s| summarize(&cx, s)).collect();
    for (step, sum) in a.steps.iter().zip(&summaries) {
        for (p, &exists) in &sum.written {
            if exists {
                writers.entry(p.clone()).or_default().push(step.edge);
            }
        }
    }
    for (step, sum) in a.steps.iter().zip(&summaries) {
        step_findings(&mut cx, step, sum, &writers);
    }
    if let Some((e, status, output)) = &a.failed {
        // spec: [audit.step-failed]
        let mut d = at_edge(
            graph,
            &STEP_FAILED,
            *e,
            format!("step `{}` failed ({status})", cx.step_name(*e)),
            "this step's command failed".into(),
        )
        .note("the audit stops at the first failure; the other findings cover the steps that ran before it");
        let text = lossy(output);
        let lines: Vec<&str> = text.lines().take(10).collect();
        if !lines.is_empty() {
            d = d.note(format!("its output began:\n{}", lines.join("\n")));
        }
        cx.out.push(d.help(
            "a step that fails only in a clean, one-at-a-time build usually lacks a dependency",
        ));
    }
    if let Some(second) = &a.second {
        second_findings(&mut cx, second);
    }
    let mut out = cx.out;
    out.sort_by_key(|d| {
        d.primary
            .as_ref()
            .map(|l| (l.span.source.0, l.span.start))
            .unwrap_or((u32::MAX, 0))
    });
    out
}

/// One step's accesses inside the project tree.
struct Summary {
    /// Paths it wrote, with whether they still existed when it ended.
    written: BTreeMap<Vec<u8>, bool>,
    /// Files it read or executed that it had not written itself.
    read: BTreeSet<Vec<u8>>,
    /// Files it tried to read that did not exist.
    missing: BTreeSet<Vec<u8>>,
}

fn summarize(cx: &Cx<'_>, step: &Step) -> Summary {
    let mut s = Summary {
        written: BTreeMap::new(),
        read: BTreeSet::new(),
        missing: BTreeSet::new(),
    };
    for a in &step.accesses {
        if !cx.in_tree(&a.path) || a.directory {
            continue;
        }
        match a.op {
            Op::Write if a.ok => {
                s.written.insert(a.path.clone(), true);
            }
            Op::Remove if a.ok => {
                if let Some(w) = s.written.get_mut(&a.path) {
                    *w = false;
                }
            }
            Op::Read | Op::Exec if a.ok && !s.written.contains_key(&a.path) => {
                s.read.insert(a.path.clone());
            }
            Op::Read | Op::Exec if a.ok => {}
            Op::Read | Op::Exec if a.enoent => {
                s.missing.insert(a.path.clone());
            }
            _ => {}
        }
    }
    // A path written and read again later is the step's own business;
    // directories are not files.
    s.written.retain(|p, _| !crate::bytes_to_path(p).is_dir());
    s.read.retain(|p| !crate::bytes_to_path(p).is_dir());
    s
}

fn step_findings(
    cx: &mut Cx<'_>,
    step: &Step,
    sum: &Summary,
    writers: &HashMap<Vec<u8>, Vec<EdgeId>>,
) {
    let a = cx.a;
    let graph = cx.graph();
    let e = step.edge;
    let edge = &graph.edges[e];
    let name = cx.step_name(e);
    let abs_of = |fs: &[FileId]| -> HashSet<Vec<u8>> {
        fs.iter().map(|&f| a.abs(&graph.files[f].path)).collect()
    };
    let mut own = abs_of(&edge.outputs);
    for key in ["depfile", "rspfile"] {
        let p = unescaped(graph, e, key);
        if !p.is_empty() {
            own.insert(a.abs(&p));
        }
    }
    let all_inputs = abs_of(&edge.inputs);
    let strong_inputs = abs_of(edge.non_order_only_inputs());
    let deps: HashSet<Vec<u8>> = step.deps.iter().cloned().collect();
    let manifests: HashSet<Vec<u8>> = a
        .loaded
        .sources
        .iter()
        .map(|(_, f)| a.abs(&f.name))
        .collect();

    // spec: [audit.undeclared-output]
    for (p, &exists) in &sum.written {
        if !exists || own.contains(p) {
            continue;
        }
        let shown = cx.show(p);
        let mut d = at_edge(
            graph,
            &UNDECLARED_OUTPUT,
            e,
            format!("step `{name}` writes `{shown}`, which is not one of its outputs"),
            format!("writes `{shown}`"),
        );
        if !under(p, &a.root) {
            d = d.note(format!(
                "`{shown}` is outside the build directory, in the source tree"
            ));
        }
        if let Some(other) = cx.producer(p) {
            d = d.secondary(
                graph.edges[other].span,
                format!("`{shown}` is declared here as an output of another step"),
            );
        }
        let help = if under(p, &a.root) {
            format!(
                "declare it as an implicit output (`build {name} | {shown}: ...`), or stop the command writing it"
            )
        } else {
            "write it into the build directory and declare it as an output, or stop the command writing it".to_string()
        };
        cx.out.push(d.help(help));
    }

    // spec: [audit.output-not-written]
    for o in cx.unique(&step.missing_outputs) {
        let shown = lossy(&graph.files[o].path);
        cx.out.push(
            at_edge(
                graph,
                &OUTPUT_NOT_WRITTEN,
                e,
                format!("step `{name}` never writes its declared output `{shown}`"),
                format!("declares `{shown}` but does not create it"),
            )
            .note("an output that is never created makes its step run in every build")
            .help(
                "remove it from the outputs, make the command create it, or (for a step meant to run every time) depend on a `phony` target with no inputs",
            ),
        );
    }

    let mut reported: HashSet<Vec<u8>> = HashSet::new();
    for p in &sum.read {
        if own.contains(p) || manifests.contains(p) {
            continue;
        }
        let shown = cx.show(p);
        if let Some(producer) = cx.producer(p).filter(|&p| p != e) {
            if strong_inputs.contains(p) || deps.contains(p) || cx.depends_on(e, producer, false) {
                continue;
            }
            let pname = cx.step_name(producer);
            if cx.depends_on(e, producer, true) {
                // spec: [audit.order-only-needed]
                cx.out.push(
                    at_edge(
                        graph,
                        &ORDER_ONLY_NEEDED,
                        e,
                        format!(
                            "step `{name}` reads `{shown}`, which only an order-only dependency brings up to date"
                        ),
                        format!("reads `{shown}`"),
                    )
                    .secondary(graph.edges[producer].span, format!("`{shown}` is produced here"))
                    .note(format!(
                        "`{shown}` is built first, but a change to it does not rebuild `{name}`{}",
                        if step.has_depfile { ", and the depfile does not list it" } else { "" }
                    ))
                    .help(format!("make it an implicit input: `build {name}: ... | {shown}`")),
                );
            } else {
                // spec: [audit.undeclared-input]
                cx.out
                    .push(undeclared_input(cx, step, p, producer, &pname, false));
            }
            reported.insert(p.clone());
            continue;
        }
        if let Some(ws) = writers.get(p)
            && let Some(&w) = ws.iter().find(|&&w| w != e)
        {
            if cx.depends_on(e, w, true) {
                // Ordered; the writer's undeclared output is its own finding.
                continue;
            }
            let wname = cx.step_name(w);
            // spec: [audit.undeclared-input]
            cx.out.push(
                at_edge(
                    graph,
                    &UNDECLARED_INPUT,
                    e,
                    format!(
                        "step `{name}` reads `{shown}`, which step `{wname}` writes, but no dependency orders them"
                    ),
                    format!("reads `{shown}`"),
                )
                .secondary(graph.edges[w].span, format!("writes `{shown}` without declaring it"))
                .help(format!(
                    "declare `{shown}` as an output of `{wname}` and an input of this step (`| {shown}`)"
                )),
            );
            continue;
        }
        if all_inputs.contains(p) || deps.contains(p) {
            continue;
        }
        // spec: [audit.depfile-missing-input]
        let depfile = unescaped(graph, e, "depfile");
        let mut d = at_edge(
            graph,
            &DEPFILE_MISSING_INPUT,
            e,
            if step.has_depfile {
                format!("step `{name}` reads `{shown}`, but neither its inputs nor its depfile list it")
            } else {
                format!("step `{name}` reads `{shown}`, but its inputs do not list it (it has no depfile)")
            },
            format!("reads `{shown}`"),
        )
        .note(format!("a change to `{shown}` will not rebuild `{name}`"));
        d = if step.has_depfile {
            d.help(format!(
                "make the command list `{shown}` in its depfile `{}`, or add it as an implicit input (`| {shown}`)",
                lossy(&depfile)
            ))
        } else {
            d.help(format!(
                "add it as an implicit input: `build {name}: ... | {shown}`"
            ))
        };
        cx.out.push(d);
    }
    // Lookups of files another step produces, made before that step ran.
    for p in &sum.missing {
        if own.contains(p) || reported.contains(p) || sum.read.contains(p) {
            continue;
        }
        if let Some(producer) = cx.producer(p).filter(|&p| p != e)
            && !cx.depends_on(e, producer, true)
        {
            let pname = cx.step_name(producer);
            // spec: [audit.undeclared-input]
            cx.out
                .push(undeclared_input(cx, step, p, producer, &pname, true));
        }
    }
}

fn undeclared_input(
    cx: &Cx<'_>,
    step: &Step,
    p: &[u8],
    producer: EdgeId,
    pname: &str,
    looked_early: bool,
) -> Diagnostic {
    let graph = cx.graph();
    let e = step.edge;
    let name = cx.step_name(e);
    let shown = cx.show(p);
    let mut d = at_edge(
        graph,
        &UNDECLARED_INPUT,
        e,
        format!(
            "step `{name}` reads `{shown}`, which step `{pname}` produces, but no dependency orders them"
        ),
        format!("reads `{shown}`"),
    )
    .secondary(graph.edges[producer].span, format!("`{shown}` is produced here"));
    if looked_early {
        d = d.note(format!(
            "the step looked for `{shown}` before it was built (the lookup failed)"
        ));
    }
    d.note(format!(
        "with `-j` the two steps may run in either order, and a change to `{shown}` does not rebuild `{name}`"
    ))
    .help(format!("add it as an implicit input: `build {name}: ... | {shown}`"))
}

fn second_findings(cx: &mut Cx<'_>, second: &Second) {
    let a = cx.a;
    let graph = cx.graph();
    // spec: [audit.nondeterministic]
    for step in &a.steps {
        let e = step.edge;
        let differing: Vec<FileId> = step
            .hashes
            .iter()
            .filter(|(o, h)| h.is_some() && second.hashes.get(o).is_some_and(|h2| h2 != h))
            .map(|(o, _)| *o)
            .collect();
        let differing: Vec<String> = cx
            .unique(&differing)
            .into_iter()
            .map(|o| lossy(&graph.files[o].path))
            .collect();
        if differing.is_empty() {
            continue;
        }
        let name = cx.step_name(e);
        cx.out.push(
            at_edge(
                graph,
                &NONDETERMINISTIC,
                e,
                format!(
                    "step `{name}` is not deterministic: `{}` differed between two builds from clean",
                    differing.join("`, `")
                ),
                "gave different bytes the second time".into(),
            )
            .help(
                "remove what varies between runs (timestamps, random names, absolute temporary paths); SOURCE_DATE_EPOCH helps with dates",
            ),
        );
    }
    if let Some((e, message)) = &second.failed {
        let name = cx.step_name(*e);
        cx.out.push(
            at_edge(
                graph,
                &NONDETERMINISTIC,
                *e,
                format!(
                    "step `{name}` succeeded in the first build from clean but failed in the second"
                ),
                "failed the second time".into(),
            )
            .note(format!(
                "the second run: {}",
                message.lines().next().unwrap_or("")
            )),
        );
    }
    // spec: [audit.restat-lie]
    for r in &second.restat {
        let name = cx.step_name(r.edge);
        let restat_span = graph.rules[graph.edges[r.edge].rule]
            .binding_by_name(b"restat")
            .and_then(|b| b.span);
        let list = |fs: &[FileId]| {
            unique(a, fs)
                .into_iter()
                .map(|f| lossy(&graph.files[f].path))
                .collect::<Vec<_>>()
                .join("`, `")
        };
        if !r.touched_unchanged.is_empty() {
            let mut d = at_edge(
                graph,
                &RESTAT_LIE,
                r.edge,
                format!(
                    "step `{name}` has `restat = 1` but rewrites `{}` with the same bytes and a new mtime",
                    list(&r.touched_unchanged)
                ),
                "run again, it touched unchanged outputs".into(),
            );
            if let Some(span) = restat_span {
                d = d.secondary(span, "restat declared here");
            }
            cx.out.push(d.note("`restat` can then never spare the steps that depend on it").help(
                "write the output only when its content changes (e.g. write a temporary file and replace the output only when they differ), or drop `restat`",
            ));
        }
        if !r.changed_untouched.is_empty() {
            let mut d = at_edge(
                graph,
                &RESTAT_LIE,
                r.edge,
                format!(
                    "step `{name}` has `restat = 1` and changed `{}` but kept its old mtime",
                    list(&r.changed_untouched)
                ),
                "run again, it changed outputs without updating their mtime".into(),
            );
            if let Some(span) = restat_span {
                d = d.secondary(span, "restat declared here");
            }
            cx.out.push(
                d.note("ninja will skip the steps depending on it although their input changed")
                    .help("do not preserve the old mtime when the content changes (e.g. `cp -p`, `touch -r`)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_helpers() {
        let dirs = vec![
            b"/p/src/core".to_vec(),
            b"/p/src/core/ops".to_vec(),
            b"/p/src/cli".to_vec(),
        ];
        assert_eq!(common_ancestor(&dirs).unwrap(), b"/p/src");
        assert_eq!(
            common_ancestor(&[b"/a/b".to_vec(), b"/c".to_vec()]).unwrap(),
            b"/"
        );
        assert!(common_ancestor(&[]).is_none());
        assert!(under(b"/p/src/x.c", b"/p/src"));
        assert!(!under(b"/p/srcx/x.c", b"/p/src"));
        assert!(is_system(b"/usr/include/stdio.h"));
        assert!(!is_system(b"/usrx/a"));
    }
}

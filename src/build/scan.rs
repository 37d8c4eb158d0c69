//! The dependency scan (ninja's `DependencyScan`): stat every file the
//! targets need and decide, bottom-up, which edges are dirty.

use std::collections::HashSet;

use super::{Disk, RealDisk, is_true, lossy, must};
use crate::build_log::BuildLog;
use crate::densemap::Id;
use crate::depfile::parse_depfile;
use crate::deps_log::DepsLog;
use crate::expand::{Escape, edge_binding, edge_binding_escaped, edge_command};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};
use crate::hash::command_hash;

/// Where the visit of one edge is.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Step {
    /// Visit its dyndep file first, if not yet loaded.
    Dyndep,
    /// Note the dyndep file, read discovered inputs, list the inputs.
    AfterDyndep,
    /// Visit the inputs one by one; then decide the edge.
    Inputs,
    /// Visit the validations one by one.
    Validations,
}

/// One edge being visited by [`Scan::recompute`].
struct Frame {
    edge: EdgeId,
    /// Where this visit's cycle-report path starts.
    base: usize,
    step: Step,
    inputs: Vec<(FileId, bool)>,
    /// The next input (or validation) to visit.
    next: usize,
    /// The input (and whether it is order-only) visited last, to take
    /// into account.
    visited: Option<(FileId, bool)>,
    dirty: bool,
    ready: bool,
    most_recent: Option<(Vec<u8>, i64)>,
}

#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) enum Mark {
    None,
    InStack,
    Done,
}

/// The dependency scan: per-file mtimes and dirty flags, per-edge dirty
/// and "outputs ready" flags (ninja's `DependencyScan`).
pub struct Scan<'a> {
    pub(super) graph: &'a Graph,
    pub(super) build_log: &'a BuildLog,
    pub(super) deps_log: &'a DepsLog,
    pub(super) mtime: Vec<Option<i64>>,
    pub(super) file_dirty: Vec<bool>,
    pub(super) mark: Vec<Mark>,
    pub(super) edge_dirty: Vec<bool>,
    pub(super) outputs_ready: Vec<bool>,
    /// `-d explain` texts, per edge.
    pub(super) explanations: Vec<Vec<String>>,
    pub(super) explain: bool,
    /// Inputs found in depfiles or the deps log, per edge.
    pub(super) discovered: Vec<Vec<FileId>>,
    /// Discovered inputs the graph does not know, with their mtimes.
    pub(super) discovered_extra: Vec<Vec<(Vec<u8>, i64)>>,
    /// Dyndep files already applied to the graph.
    pub(super) loaded_dyndeps: &'a HashSet<FileId>,
    /// Dyndep files not yet loaded that can be loaded now.
    pub(super) ready_dyndeps: Vec<FileId>,
    /// Dyndep files that an edge of the build will produce.
    pub(super) pending_dyndeps: HashSet<FileId>,
    /// Validation files met by the scan, not yet taken by the plan.
    pub(super) validations: Vec<FileId>,
    /// The edges whose discovered inputs were read, in the order read.
    pub(super) discovered_order: Vec<EdgeId>,
    /// Edges whose discovered dependencies could not be loaded (ninja's
    /// `deps_missing_`): restat never cleans them.
    pub(super) deps_missing: Vec<bool>,
    /// Where files are stat'ed and read ([`RealDisk`] unless
    /// [`Scan::with_disk`] says otherwise).
    pub(super) disk: &'a dyn Disk,
}

impl<'a> Scan<'a> {
    pub fn new(
        graph: &'a Graph,
        build_log: &'a BuildLog,
        deps_log: &'a DepsLog,
        loaded_dyndeps: &'a HashSet<FileId>,
        explain: bool,
    ) -> Scan<'a> {
        let files = graph.files.len();
        let edges = graph.edges.len();
        Scan {
            graph,
            build_log,
            deps_log,
            mtime: vec![None; files],
            file_dirty: vec![false; files],
            mark: vec![Mark::None; edges],
            edge_dirty: vec![false; edges],
            outputs_ready: vec![true; edges],
            explanations: vec![Vec::new(); edges],
            explain,
            discovered: vec![Vec::new(); edges],
            discovered_extra: vec![Vec::new(); edges],
            loaded_dyndeps,
            ready_dyndeps: Vec::new(),
            pending_dyndeps: HashSet::new(),
            validations: Vec::new(),
            discovered_order: Vec::new(),
            deps_missing: vec![false; edges],
            disk: &RealDisk,
        }
    }

    /// The scan on `disk` instead of the real file system.
    pub fn with_disk(mut self, disk: &'a dyn Disk) -> Scan<'a> {
        self.disk = disk;
        self
    }

    pub(super) fn mtime(&mut self, file: FileId) -> i64 {
        let i = file.index();
        if let Some(m) = self.mtime[i] {
            return m;
        }
        let m = self.disk.stat(&self.graph.files[file].path);
        self.mtime[i] = Some(m);
        m
    }

    pub(super) fn record(&mut self, edge: EdgeId, text: String) {
        if self.explain {
            self.explanations[edge.index()].push(text);
        }
    }

    /// Whether the scan found `edge` dirty (after [`Scan::recompute`]).
    pub fn edge_is_dirty(&self, edge: EdgeId) -> bool {
        self.edge_dirty[edge.index()]
    }

    /// The `-d explain` reasons recorded for `edge` (only when the scan
    /// was created with `explain`).
    pub fn explanations(&self, edge: EdgeId) -> &[String] {
        &self.explanations[edge.index()]
    }

    /// The inputs `edge`'s depfile or deps log entry added (known ones).
    pub fn discovered_inputs(&self, edge: EdgeId) -> &[FileId] {
        &self.discovered[edge.index()]
    }

    /// Visits `file` and everything it depends on.
    ///
    /// The walk is depth first, in ninja's order: an edge's dyndep file,
    /// then its inputs (explicit and implicit, then discovered ones, then
    /// order-only ones), then, once the edge is decided, its validations
    /// (each with a path of its own for cycle reports). It keeps its own
    /// stack, so a chain of any length needs no deep call stack.
    pub fn recompute(&mut self, file: FileId) -> Result<(), String> {
        let graph = self.graph;
        // The files of the edges being visited, for cycle reports; each
        // frame's own path starts at its `base`.
        let mut path: Vec<FileId> = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        if let Some(frame) = self.enter(file, 0, &mut path)? {
            frames.push(frame);
        }
        while let Some(frame) = frames.last_mut() {
            let edge = frame.edge;
            let e = &graph.edges[edge];
            let child = match frame.step {
                Step::Dyndep => {
                    frame.step = Step::AfterDyndep;
                    match e.dyndep {
                        Some(dd) if !self.loaded_dyndeps.contains(&dd) => {
                            let base = frame.base;
                            self.enter(dd, base, &mut path)?
                        }
                        _ => None,
                    }
                }
                Step::AfterDyndep => {
                    if let Some(dd) = e.dyndep
                        && !self.loaded_dyndeps.contains(&dd)
                    {
                        // spec: [build.dyndep.load]
                        let ready = graph.files[dd]
                            .in_edge
                            .is_none_or(|p| self.outputs_ready[p.index()]);
                        if ready {
                            if !self.ready_dyndeps.contains(&dd) {
                                self.ready_dyndeps.push(dd);
                            }
                        } else {
                            self.pending_dyndeps.insert(dd);
                        }
                    }
                    for &out in &e.outputs {
                        self.mtime(out);
                    }
                    let mut dirty = false;
                    self.load_deps(edge, &mut dirty)?;
                    self.deps_missing[edge.index()] = dirty;
                    let non_order_only = e.inputs.len() - e.order_only_inputs;
                    let discovered = &self.discovered[edge.index()];
                    let inputs: Vec<(FileId, bool)> = e.inputs[..non_order_only]
                        .iter()
                        .map(|&f| (f, false))
                        .chain(discovered.iter().map(|&f| (f, false)))
                        .chain(e.inputs[non_order_only..].iter().map(|&f| (f, true)))
                        .collect();
                    let frame = frames.last_mut().expect("the current frame");
                    frame.dirty = dirty;
                    frame.inputs = inputs;
                    frame.step = Step::Inputs;
                    None
                }
                Step::Inputs => {
                    if let Some((input, order_only)) = frame.visited.take() {
                        if let Some(producer) = graph.files[input].in_edge
                            && !self.outputs_ready[producer.index()]
                        {
                            frame.ready = false;
                        }
                        if !order_only {
                            if self.file_dirty[input.index()] {
                                frame.dirty = true;
                                let text = format!("{} is dirty", lossy(&graph.files[input].path));
                                self.record(edge, text);
                            } else {
                                let m = self.mtime(input);
                                let frame = frames.last_mut().expect("the current frame");
                                if frame.most_recent.as_ref().is_none_or(|r| m > r.1) {
                                    frame.most_recent = Some((graph.files[input].path.to_vec(), m));
                                }
                            }
                        }
                    }
                    let frame = frames.last_mut().expect("the current frame");
                    if frame.next < frame.inputs.len() {
                        let input = frame.inputs[frame.next];
                        frame.next += 1;
                        frame.visited = Some(input);
                        let base = frame.base;
                        self.enter(input.0, base, &mut path)?
                    } else {
                        let mut frame = frames.pop().expect("the current frame");
                        self.decide(&mut frame);
                        path.pop();
                        frame.step = Step::Validations;
                        frame.next = 0;
                        frames.push(frame);
                        None
                    }
                }
                Step::Validations => {
                    if frame.next < e.validations.len() {
                        let v = e.validations[frame.next];
                        frame.next += 1;
                        self.validations.push(v);
                        // A validation is visited with a fresh path.
                        let base = path.len();
                        self.enter(v, base, &mut path)?
                    } else {
                        frames.pop();
                        None
                    }
                }
            };
            if let Some(child) = child {
                frames.push(child);
            }
        }
        Ok(())
    }

    /// Starts visiting `file`: a source file is only stat'ed, an edge
    /// already visited needs nothing (or closes a cycle: an error), any
    /// other edge gets a frame.
    fn enter(
        &mut self,
        file: FileId,
        base: usize,
        path: &mut Vec<FileId>,
    ) -> Result<Option<Frame>, String> {
        let Some(edge) = self.graph.files[file].in_edge else {
            let missing = self.mtime(file) == 0;
            self.file_dirty[file.index()] = missing;
            return Ok(None);
        };
        match self.mark[edge.index()] {
            Mark::Done => return Ok(None),
            Mark::InStack => return Err(self.cycle(file, edge, &path[base..])),
            Mark::None => {}
        }
        self.mark[edge.index()] = Mark::InStack;
        path.push(file);
        Ok(Some(Frame {
            edge,
            base,
            step: Step::Dyndep,
            inputs: Vec::new(),
            next: 0,
            visited: None,
            dirty: false,
            ready: true,
            most_recent: None,
        }))
    }

    /// Decides an edge whose inputs were all visited: dirty or not, and
    /// whether its outputs are ready.
    fn decide(&mut self, frame: &mut Frame) {
        let graph = self.graph;
        let edge = frame.edge;
        let e = &graph.edges[edge];
        let mut dirty = frame.dirty;
        let mut most_recent = frame.most_recent.take();
        for (path, m) in self.discovered_extra[edge.index()].clone() {
            if m == 0 {
                self.record(edge, format!("{} is dirty", lossy(&path)));
                dirty = true;
            } else if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((path, m));
            }
        }
        if !dirty {
            dirty = self.outputs_dirty(edge, most_recent.as_ref());
        }
        if dirty {
            for &out in &e.outputs {
                self.file_dirty[out.index()] = true;
            }
        }
        let mut ready = frame.ready;
        if dirty && !(e.rule == PHONY_RULE && e.inputs.is_empty()) {
            ready = false;
        }
        self.edge_dirty[edge.index()] = dirty;
        self.outputs_ready[edge.index()] = ready;
        self.mark[edge.index()] = Mark::Done;
    }

    pub(super) fn cycle(&self, file: FileId, edge: EdgeId, stack: &[FileId]) -> String {
        let graph = self.graph;
        let start = stack
            .iter()
            .position(|&f| graph.files[f].in_edge == Some(edge))
            .unwrap_or(0);
        let mut names: Vec<String> = stack[start..]
            .iter()
            .map(|&f| lossy(&graph.files[f].path))
            .collect();
        if !names.is_empty() {
            names[0] = lossy(&graph.files[file].path);
        }
        let first = names.first().cloned().unwrap_or_default();
        let single = names.len() == 1;
        names.push(first);
        let mut text = format!("dependency cycle: {}", names.join(" -> "));
        let e = &graph.edges[edge];
        if single
            && e.rule == PHONY_RULE
            && e.outputs.len() == 1
            && e.implicit_outputs == 0
            && e.implicit_inputs == 0
        {
            text.push_str(" [-w phonycycle=err]");
        }
        text
    }

    /// Reads discovered inputs (depfile or deps log); sets `dirty` when they
    /// are missing or stale.
    pub(super) fn load_deps(&mut self, edge: EdgeId, dirty: &mut bool) -> Result<(), String> {
        let graph = self.graph;
        let e = &graph.edges[edge];
        if e.rule == PHONY_RULE {
            return Ok(());
        }
        let deps_type = must(edge_binding(graph, edge, "deps"));
        let first_output = e.outputs[0];
        let out_path = lossy(&graph.files[first_output].path);
        if !deps_type.is_empty() {
            let Some(deps) = self.deps_log.get(&graph.files[first_output].path) else {
                self.record(edge, format!("deps for '{out_path}' are missing"));
                *dirty = true;
                return Ok(());
            };
            let out_mtime = self.mtime(first_output);
            if out_mtime > deps.mtime {
                self.record(
                    edge,
                    format!(
                        "stored deps info out of date for '{out_path}' ({} vs {})",
                        deps.mtime, out_mtime
                    ),
                );
                *dirty = true;
                return Ok(());
            }
            let paths = self
                .deps_log
                .input_paths(&graph.files[first_output].path)
                .unwrap_or_default();
            let mut ids = Vec::new();
            let mut extra = Vec::new();
            for p in paths {
                match graph.lookup_file(p) {
                    Some(f) => ids.push(f),
                    None => extra.push((p.to_vec(), self.disk.stat(p))),
                }
            }
            self.discovered[edge.index()] = ids;
            self.discovered_extra[edge.index()] = extra;
            self.discovered_order.push(edge);
            return Ok(());
        }
        let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
        if depfile.is_empty() {
            return Ok(());
        }
        let shown = lossy(&depfile);
        let _metric = crate::metrics::record("depfile load");
        let content = match self.disk.read(&depfile) {
            Ok(c) => c,
            Err(_) => {
                self.record(edge, format!("depfile '{shown}' is missing"));
                *dirty = true;
                return Ok(());
            }
        };
        if content.is_empty() {
            self.record(edge, format!("depfile '{shown}' is missing"));
            *dirty = true;
            return Ok(());
        }
        let parsed = match parse_depfile(&content) {
            Ok(p) => p,
            Err(error) => return Err(format!("{shown}: {error}")),
        };
        // spec: [depfile.load.no-outputs]
        let Some(first) = parsed.outputs.first() else {
            return Err(format!("{shown}: no outputs declared"));
        };
        let mut first = first.clone();
        crate::canon::canonicalize(&mut first);
        // spec: [depfile.load.first-output]
        if *first != *graph.files[first_output].path {
            self.record(
                edge,
                format!(
                    "expected depfile '{shown}' to mention '{out_path}', got '{}'",
                    lossy(&first)
                ),
            );
            *dirty = true;
            return Ok(());
        }
        // spec: [depfile.load.undeclared-output]
        for o in &parsed.outputs {
            let mut o = o.clone();
            crate::canon::canonicalize(&mut o);
            if !e.outputs.iter().any(|&f| *graph.files[f].path == *o) {
                return Err(format!(
                    "{shown}: depfile mentions '{}' as an output, but no such output was declared",
                    lossy(&o)
                ));
            }
        }
        let mut ids = Vec::new();
        let mut extra = Vec::new();
        for input in &parsed.inputs {
            let mut p = input.clone();
            crate::canon::canonicalize(&mut p);
            match graph.lookup_file(&p) {
                Some(f) => ids.push(f),
                None => {
                    let m = self.disk.stat(&p);
                    extra.push((p, m));
                }
            }
        }
        self.discovered[edge.index()] = ids;
        self.discovered_extra[edge.index()] = extra;
        self.discovered_order.push(edge);
        Ok(())
    }

    pub(super) fn outputs_dirty(
        &mut self,
        edge: EdgeId,
        most_recent: Option<&(Vec<u8>, i64)>,
    ) -> bool {
        let graph = self.graph;
        let e = &graph.edges[edge];
        if e.rule == PHONY_RULE {
            for &out in &e.outputs {
                if e.inputs.is_empty() && self.mtime(out) == 0 {
                    let text = format!(
                        "output {} of phony edge with no inputs doesn't exist",
                        lossy(&graph.files[out].path)
                    );
                    self.record(edge, text);
                    return true;
                }
                if let Some(&(_, m)) = most_recent
                    && self.mtime(out) == 0
                {
                    self.mtime[out.index()] = Some(m);
                }
            }
            return false;
        }
        let command = must(edge_command(graph, edge, true));
        let hash = command_hash(&command);
        let restat = is_true(graph, edge, "restat");
        let generator = is_true(graph, edge, "generator");
        let input = most_recent.map(|(p, m)| (lossy(p), *m));
        for &out in &e.outputs {
            let path = lossy(&graph.files[out].path);
            let out_mtime = self.mtime(out);
            if out_mtime == 0 {
                self.record(edge, format!("output {path} doesn't exist"));
                return true;
            }
            let entry = self.build_log.lookup(&graph.files[out].path).copied();
            let used_restat = restat && entry.is_some();
            if let Some((ipath, imtime)) = &input
                && !used_restat
                && out_mtime < *imtime
            {
                self.record(
                    edge,
                    format!(
                        "output {path} older than most recent input {ipath} ({out_mtime} vs {imtime})"
                    ),
                );
                return true;
            }
            match entry {
                Some(entry) => {
                    if !generator && entry.command_hash != hash {
                        self.record(edge, format!("command line changed for {path}"));
                        return true;
                    }
                    if let Some((ipath, imtime)) = &input
                        && entry.mtime < *imtime
                    {
                        self.record(
                            edge,
                            format!(
                                "recorded mtime of {path} older than most recent input {ipath} ({} vs {imtime})",
                                entry.mtime
                            ),
                        );
                        return true;
                    }
                }
                None if !generator => {
                    self.record(edge, format!("command line not found in log for {path}"));
                    return true;
                }
                None => {}
            }
        }
        false
    }
}

// Unix only: the manifest names absolute temp paths, whose drive colon
// (`C:`) would end a build statement's outputs on Windows.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::test_support::graph;

    #[test]
    fn scan_finds_missing_outputs_and_clean_edges() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("in"), "x").unwrap();
        std::fs::write(dir.path().join("built"), "x").unwrap();
        let g = graph(&format!(
            "rule r\n  command = true\n  generator = 1\n\
             build {d}/out: r {d}/in\nbuild {d}/built: r\n"
        ));
        let (log, deps, loaded) = (BuildLog::default(), DepsLog::default(), HashSet::new());
        let mut scan = Scan::new(&g, &log, &deps, &loaded, true);
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        let built = g.lookup_file(format!("{d}/built").as_bytes()).unwrap();
        scan.recompute(out).unwrap();
        scan.recompute(built).unwrap();
        let e = g.files[out].in_edge.unwrap();
        assert!(scan.edge_dirty[e.index()]);
        assert_eq!(
            scan.explanations[e.index()],
            vec![format!("output {d}/out doesn't exist")]
        );
        // A generator edge with an existing output and no log entry is clean.
        assert!(!scan.edge_dirty[g.files[built].in_edge.unwrap().index()]);
    }
}

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

/// An edge's most recent input and its mtime, for the dirty check (and the
/// `-d explain` text, the only place its path is needed).
#[derive(Copy, Clone)]
pub(super) struct MostRecent {
    pub(super) input: Input,
    pub(super) mtime: i64,
}

/// An input of an edge: a file of the graph, or one of the edge's
/// discovered inputs the graph does not know (an index into
/// [`Scan::discovered_extra`]).
#[derive(Copy, Clone)]
pub(super) enum Input {
    File(FileId),
    Extra(usize),
}

impl MostRecent {
    /// Keeps the newer of `self` and (`input`, `mtime`); an equal mtime
    /// keeps the first, as ninja does.
    pub(super) fn update(this: &mut Option<MostRecent>, input: Input, mtime: i64) {
        if this.as_ref().is_none_or(|r| mtime > r.mtime) {
            *this = Some(MostRecent { input, mtime });
        }
    }
}

/// One edge being visited by [`Scan::recompute`].
struct Frame {
    edge: EdgeId,
    /// Where this visit's cycle-report path starts.
    base: usize,
    step: Step,
    /// The next input (or validation) to visit: inputs are numbered
    /// explicit and implicit first, then discovered, then order-only.
    next: usize,
    /// The input (and whether it is order-only) visited last, to take
    /// into account.
    visited: Option<(FileId, bool)>,
    dirty: bool,
    ready: bool,
    most_recent: Option<MostRecent>,
}

#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) enum Mark {
    None,
    InStack,
    Done,
}

/// [`Scan::deps_files`]: not looked up yet.
const NOT_LOOKED_UP: u32 = u32::MAX;
/// [`Scan::deps_files`]: the graph has no file of that path.
const NOT_IN_GRAPH: u32 = u32::MAX - 1;

/// The dependency scan: per-file mtimes and dirty flags, per-edge dirty
/// and "outputs ready" flags (ninja's `DependencyScan`).
pub struct Scan<'a> {
    pub(super) graph: &'a Graph,
    pub(super) build_log: &'a BuildLog,
    /// The deps log, owned for the round: the run records into it
    /// ([`Scan::into_deps_log`] gives it back).
    pub(super) deps_log: DepsLog,
    /// Deps log node id → the graph's file for its path (`NOT_LOOKED_UP`
    /// until first needed, `NOT_IN_GRAPH` for a path the graph does not
    /// know), so that each recorded path is looked up once, not once per
    /// record naming it.
    deps_files: Vec<u32>,
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
        deps_log: DepsLog,
        loaded_dyndeps: &'a HashSet<FileId>,
        explain: bool,
    ) -> Scan<'a> {
        let files = graph.files.len();
        let edges = graph.edges.len();
        Scan {
            graph,
            build_log,
            deps_files: vec![NOT_LOOKED_UP; deps_log.nodes.len()],
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

    /// Ends the scan, giving back its deps log with what the run recorded.
    pub fn into_deps_log(self) -> DepsLog {
        self.deps_log
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

    /// [`Scan::mtime`] where ninja's scan stats a file: a failed `stat`
    /// (other than a missing file) stops the scan with ninja's
    /// `stat(PATH): REASON` (spec: [build.scan.stat-error]).
    fn mtime_checked(&mut self, file: FileId) -> Result<i64, String> {
        let i = file.index();
        if let Some(m) = self.mtime[i] {
            return Ok(m);
        }
        let path = &self.graph.files[file].path;
        match self.disk.stat_checked(path) {
            Ok(m) => {
                self.mtime[i] = Some(m);
                Ok(m)
            }
            Err(e) => Err(format!(
                "stat({}): {}",
                lossy(path),
                crate::load::io_error_text(&e)
            )),
        }
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
                        self.mtime_checked(out)?;
                    }
                    let mut dirty = false;
                    self.load_deps(edge, &mut dirty)?;
                    self.deps_missing[edge.index()] = dirty;
                    let frame = frames.last_mut().expect("the current frame");
                    frame.dirty = dirty;
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
                                MostRecent::update(&mut frame.most_recent, Input::File(input), m);
                            }
                        }
                    }
                    let frame = frames.last_mut().expect("the current frame");
                    if let Some(input) = self.nth_input(edge, frame.next) {
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
            let missing = self.mtime_checked(file)? == 0;
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
            next: 0,
            visited: None,
            dirty: false,
            ready: true,
            most_recent: None,
        }))
    }

    /// The `n`th input of `edge` in the order the scan visits them
    /// (explicit and implicit, discovered, order-only) and whether it is
    /// order-only; `None` past the last.
    fn nth_input(&self, edge: EdgeId, n: usize) -> Option<(FileId, bool)> {
        let e = &self.graph.edges[edge];
        let non_order_only = e.inputs.len() - e.order_only_inputs;
        let discovered = &self.discovered[edge.index()];
        if n < non_order_only {
            Some((e.inputs[n], false))
        } else if n < non_order_only + discovered.len() {
            Some((discovered[n - non_order_only], false))
        } else {
            e.inputs.get(n - discovered.len()).map(|&f| (f, true))
        }
    }

    /// The path of `input`, an input of `edge`.
    pub(super) fn input_path(&self, edge: EdgeId, input: Input) -> &[u8] {
        match input {
            Input::File(f) => &self.graph.files[f].path,
            Input::Extra(i) => &self.discovered_extra[edge.index()][i].0,
        }
    }

    /// Decides an edge whose inputs were all visited: dirty or not, and
    /// whether its outputs are ready.
    fn decide(&mut self, frame: &mut Frame) {
        let graph = self.graph;
        let edge = frame.edge;
        let e = &graph.edges[edge];
        let mut dirty = frame.dirty;
        let mut most_recent = frame.most_recent.take();
        for i in 0..self.discovered_extra[edge.index()].len() {
            let m = self.discovered_extra[edge.index()][i].1;
            if m == 0 {
                if self.explain {
                    let text =
                        format!("{} is dirty", lossy(self.input_path(edge, Input::Extra(i))));
                    self.record(edge, text);
                }
                dirty = true;
            } else {
                MostRecent::update(&mut most_recent, Input::Extra(i), m);
            }
        }
        if !dirty {
            dirty = self.outputs_dirty(edge, most_recent);
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
        let out_path = || lossy(&graph.files[first_output].path);
        if !deps_type.is_empty() {
            // The output was stat'ed with the others before this.
            let out_mtime = self.mtime(first_output);
            let Some(deps) = self.deps_log.get(&graph.files[first_output].path) else {
                self.record(edge, format!("deps for '{}' are missing", out_path()));
                *dirty = true;
                return Ok(());
            };
            let deps_mtime = deps.mtime;
            if out_mtime > deps_mtime {
                self.record(
                    edge,
                    format!(
                        "stored deps info out of date for '{}' ({deps_mtime} vs {out_mtime})",
                        out_path()
                    ),
                );
                *dirty = true;
                return Ok(());
            }
            let log = &self.deps_log;
            let inputs = &deps.inputs;
            let mut ids = Vec::with_capacity(inputs.len());
            let mut extra = Vec::new();
            for &id in inputs {
                let slot = &mut self.deps_files[id as usize];
                if *slot == NOT_LOOKED_UP {
                    *slot = graph
                        .lookup_file(&log.nodes[id as usize])
                        .map_or(NOT_IN_GRAPH, |f| f.index() as u32);
                }
                match *slot {
                    NOT_IN_GRAPH => {
                        let p = &log.nodes[id as usize];
                        extra.push((p.clone(), self.disk.stat(p)));
                    }
                    f => ids.push(FileId::from_index(f as usize)),
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
                    "expected depfile '{shown}' to mention '{}', got '{}'",
                    out_path(),
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

    pub(super) fn outputs_dirty(&mut self, edge: EdgeId, most_recent: Option<MostRecent>) -> bool {
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
                if let Some(r) = most_recent
                    && self.mtime(out) == 0
                {
                    self.mtime[out.index()] = Some(r.mtime);
                }
            }
            return false;
        }
        let command = must(edge_command(graph, edge, true));
        let hash = command_hash(&command);
        let restat = is_true(graph, edge, "restat");
        let generator = is_true(graph, edge, "generator");
        // The texts for `-d explain` are only made when it is on.
        let out_name = |out: FileId| lossy(&graph.files[out].path);
        let in_name = |this: &Self, r: MostRecent| lossy(this.input_path(edge, r.input));
        for &out in &e.outputs {
            let out_mtime = self.mtime(out);
            if out_mtime == 0 {
                if self.explain {
                    self.record(edge, format!("output {} doesn't exist", out_name(out)));
                }
                return true;
            }
            let entry = self.build_log.lookup(&graph.files[out].path).copied();
            let used_restat = restat && entry.is_some();
            if let Some(r) = most_recent
                && !used_restat
                && out_mtime < r.mtime
            {
                if self.explain {
                    let text = format!(
                        "output {} older than most recent input {} ({out_mtime} vs {})",
                        out_name(out),
                        in_name(self, r),
                        r.mtime
                    );
                    self.record(edge, text);
                }
                return true;
            }
            match entry {
                Some(entry) => {
                    if !generator && entry.command_hash != hash {
                        if self.explain {
                            let text = format!("command line changed for {}", out_name(out));
                            self.record(edge, text);
                        }
                        return true;
                    }
                    if let Some(r) = most_recent
                        && entry.mtime < r.mtime
                    {
                        if self.explain {
                            let text = format!(
                                "recorded mtime of {} older than most recent input {} ({} vs {})",
                                out_name(out),
                                in_name(self, r),
                                entry.mtime,
                                r.mtime
                            );
                            self.record(edge, text);
                        }
                        return true;
                    }
                }
                None if !generator => {
                    if self.explain {
                        let text = format!("command line not found in log for {}", out_name(out));
                        self.record(edge, text);
                    }
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
        let mut scan = Scan::new(&g, &log, deps, &loaded, true);
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

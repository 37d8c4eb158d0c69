//! The executor's scheduling core: an explicit state machine over the
//! graph's edges, with no processes and no file system.
//!
//! Every edge is in exactly one [`BuildState`] at any time; the current
//! state is stored per edge, and the states that need a fast view have side
//! structures: `Ready` edges sit in a FIFO queue, `Queued` edges in one FIFO
//! per pool, and `Running` edges are counted per pool and globally.
//!
//! ```text
//!  Unknown --want--> Want --all producers Done--> Ready
//!  Ready --phony or clean--> Done
//!  Ready --dirty--> Queued --pool and -j have room--> Running
//!  Running --finished(ok)--> Done        Running --finished(err)--> Failed
//!  Want --a producer Failed or Skipped--> Skipped
//!  Want | Ready | Queued --the -k budget is used up--> Skipped
//! ```
//!
//! A driver (the executor of issue 3) loops: call
//! [`Scheduler::next_to_start`] until it returns `None`, starting each edge
//! it returns; wait for a running edge to end and report it with
//! [`Scheduler::finished`]; stop when [`Scheduler::is_finished`] holds.
//! There is no planning pass beyond marking edges `Want`: `Ready` edges are
//! examined lazily, one at a time, by `next_to_start`, and it returns the
//! first out-of-date edge that may start at once.
//!
//! Whether an edge is out of date is asked of a [`Dirtiness`]. `Ready`
//! means only "every edge producing an input (explicit, implicit or
//! order-only) is `Done`"; it says nothing about files on disk.
//!
//! Validations (`|@`) are followed as ninja does: wanting an edge also
//! wants the producers of its validation files, but a validation never
//! orders anything, so it neither delays nor skips the validated edge.
//!
//! The executor ([`crate::build`]) handles the rest outside this machine:
//! `restat` clears its own per-edge dirty flags before the edges downstream
//! are examined (which is why dirtiness is asked lazily), and a dyndep file
//! produced during the build ends the round: running edges are waited for,
//! the file is applied to the graph, and a new scheduler plans the rest.
//! Cycles are not detected by the loader but by the executor's scan; an
//! edge on a cycle would stay `Want` forever, which
//! [`Scheduler::is_stalled`] reports.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::densemap::{DenseMap, Id};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};

/// Where an edge is in the build.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum BuildState {
    /// Not (yet) needed by the build.
    Unknown,
    /// Needed, but an edge producing one of its inputs is not `Done`.
    Want,
    /// Every producing edge is `Done`; waiting to be examined.
    Ready,
    /// Out of date, waiting for room in its pool and under `-j`.
    Queued,
    /// Handed to the runner.
    Running,
    /// Up to date: it was clean, phony, or ran successfully.
    Done,
    /// It ran and failed.
    Failed,
    /// It will not run: an upstream edge failed, or the `-k` budget of
    /// failures stopped the build.
    Skipped,
}

const STATES: usize = 8;

/// Decides whether a `Ready` edge must run.
pub trait Dirtiness {
    /// Whether `edge` is out of date. Called at most once per edge and
    /// never for phony edges.
    fn is_dirty(&mut self, edge: EdgeId) -> bool;
}

impl<F: FnMut(EdgeId) -> bool> Dirtiness for F {
    fn is_dirty(&mut self, edge: EdgeId) -> bool {
        self(edge)
    }
}

/// Limits on the build.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-j`: how many edges may run at once; 0 means no limit.
    pub parallelism: usize,
    /// `-k`: the build stops starting edges after this many failures; 0
    /// means never stop.
    pub failures_allowed: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            parallelism: 1,
            failures_allowed: 1,
        }
    }
}

/// The state of every edge of a graph during one build.
pub struct Scheduler<'g> {
    graph: &'g Graph,
    options: Options,
    states: DenseMap<EdgeId, BuildState>,
    counts: [usize; STATES],
    /// `Ready` edges, highest priority first; ties go to the edge made
    /// ready first, or with [`Scheduler::set_priorities`] to the lower id.
    ready: BinaryHeap<(i64, Reverse<usize>, Reverse<u32>)>,
    /// Per-edge priorities (ninja's critical path weights), if set.
    priorities: Option<Vec<i64>>,
    /// Counts edges made ready, for FIFO ties.
    ready_seq: usize,
    /// `Queued` edges, by pool index.
    pool_queues: Vec<VecDeque<EdgeId>>,
    /// `Running` edges, by pool index.
    pool_running: Vec<usize>,
    failures: usize,
    stopped: bool,
    /// For each `Want` edge, how many of its inputs (counted per listing)
    /// are produced by edges not yet `Done`: it becomes `Ready` at zero.
    /// Counting, rather than re-checking every input each time a producer
    /// finishes, keeps edges with thousands of inputs (links) linear.
    waiting: DenseMap<EdgeId, u32>,
}

impl<'g> Scheduler<'g> {
    /// A scheduler with every edge `Unknown`.
    pub fn new(graph: &'g Graph, options: Options) -> Scheduler<'g> {
        let mut states = DenseMap::default();
        let mut waiting = DenseMap::default();
        for _ in graph.edges.ids() {
            states.push(BuildState::Unknown);
            waiting.push(0);
        }
        let mut counts = [0; STATES];
        counts[BuildState::Unknown as usize] = graph.edges.len();
        Scheduler {
            graph,
            options,
            states,
            counts,
            ready: BinaryHeap::new(),
            priorities: None,
            ready_seq: 0,
            pool_queues: vec![VecDeque::new(); graph.pools.len()],
            pool_running: vec![0; graph.pools.len()],
            failures: 0,
            stopped: false,
            waiting,
        }
    }

    /// Orders `Ready` edges as ninja does: by `weights` (indexed by edge),
    /// highest first, then by edge id, lowest first. Without this, `Ready`
    /// edges are examined in the order they became ready.
    pub fn set_priorities(&mut self, weights: Vec<i64>) {
        self.priorities = Some(weights);
    }

    fn push_ready(&mut self, edge: EdgeId) {
        let key = match &self.priorities {
            Some(w) => (w[edge.index()], Reverse(0), Reverse(edge.0)),
            None => {
                self.ready_seq += 1;
                (0, Reverse(self.ready_seq), Reverse(edge.0))
            }
        };
        self.ready.push(key);
    }

    /// The state of `edge`.
    pub fn state(&self, edge: EdgeId) -> BuildState {
        self.states[edge]
    }

    /// How many edges are in `state`.
    pub fn count(&self, state: BuildState) -> usize {
        self.counts[state as usize]
    }

    /// How many edges failed so far.
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// Whether the `-k` budget is used up: nothing new will start.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn set_state(&mut self, edge: EdgeId, state: BuildState) {
        let old = std::mem::replace(&mut self.states[edge], state);
        self.counts[old as usize] -= 1;
        self.counts[state as usize] += 1;
    }

    /// Wants `target`: marks the edge producing it, and every edge it
    /// depends on through inputs of any kind or names as a validation,
    /// `Want`. Edges whose producing edges are all `Done` become `Ready`.
    /// A source file (no producing edge) needs nothing.
    ///
    /// May be called again later; an edge wanted after an upstream edge
    /// failed, or after the build stopped, becomes `Skipped`.
    pub fn want(&mut self, target: FileId) {
        let graph = self.graph;
        let mut marked = Vec::new();
        let mut stack = vec![target];
        while let Some(file) = stack.pop() {
            let Some(edge) = graph.files[file].in_edge else {
                continue;
            };
            if self.states[edge] != BuildState::Unknown {
                continue;
            }
            self.set_state(edge, BuildState::Want);
            marked.push(edge);
            let e = &graph.edges[edge];
            stack.extend(e.inputs.iter().copied());
            stack.extend(e.validations.iter().copied());
        }
        // Producers are all marked now, so their states are final enough
        // to classify each new edge.
        for edge in marked {
            if self.states[edge] == BuildState::Want {
                self.classify(edge);
            }
        }
    }

    /// Moves a `Want` edge on if its producing edges allow it, or records
    /// how many producing edges it still waits for.
    fn classify(&mut self, edge: EdgeId) {
        let graph = self.graph;
        if self.stopped {
            self.skip_downstream(edge);
            return;
        }
        let mut waiting = 0;
        for &input in &graph.edges[edge].inputs {
            if let Some(producer) = graph.files[input].in_edge {
                match self.states[producer] {
                    BuildState::Done => {}
                    BuildState::Failed | BuildState::Skipped => {
                        self.skip_downstream(edge);
                        return;
                    }
                    _ => waiting += 1,
                }
            }
        }
        self.waiting[edge] = waiting;
        if waiting == 0 {
            self.set_state(edge, BuildState::Ready);
            self.push_ready(edge);
        }
    }

    /// One producing input of the `Want` edge `edge` is now `Done`.
    fn input_done(&mut self, edge: EdgeId) {
        let left = &mut self.waiting[edge];
        *left = left.saturating_sub(1);
        if *left > 0 {
            return;
        }
        if self.stopped {
            self.skip_downstream(edge);
            return;
        }
        self.set_state(edge, BuildState::Ready);
        self.push_ready(edge);
    }

    /// The next edge to start, now `Running`, or `None` when nothing may
    /// start until a running edge finishes (or ever).
    ///
    /// Examines `Ready` edges in order until one can start: phony edges
    /// and clean edges become `Done` (which may make more edges `Ready`),
    /// dirty edges are queued in their pool. A queued edge starts when the
    /// global `-j` limit and its pool's depth (0 = unlimited) allow.
    pub fn next_to_start(&mut self, dirtiness: &mut dyn Dirtiness) -> Option<EdgeId> {
        self.next_to_start_gated(dirtiness, &mut |_| true)
    }

    /// Like [`Scheduler::next_to_start`], but an edge leaves the queues
    /// only if `gate` agrees (the executor's jobserver: whether a job
    /// token is free). The gate is asked for a queued command about to
    /// start, and for a `Ready` phony edge about to complete (ninja takes
    /// a token for those too and gives it back at once). When it refuses,
    /// the edge stays where it is and nothing starts now.
    pub fn next_to_start_gated(
        &mut self,
        dirtiness: &mut dyn Dirtiness,
        gate: &mut dyn FnMut(EdgeId) -> bool,
    ) -> Option<EdgeId> {
        let graph = self.graph;
        loop {
            if self.stopped || !self.has_room() {
                return None;
            }
            match self.start_queued(gate) {
                Err(()) => return None,
                Ok(Some(edge)) => return Some(edge),
                Ok(None) => {}
            }
            let &(_, _, Reverse(id)) = self.ready.peek()?;
            let edge = EdgeId(id);
            debug_assert_eq!(self.states[edge], BuildState::Ready);
            let phony = graph.edges[edge].rule == PHONY_RULE;
            if phony && !gate(edge) {
                return None;
            }
            self.ready.pop();
            if phony || !dirtiness.is_dirty(edge) {
                self.complete(edge);
            } else {
                self.set_state(edge, BuildState::Queued);
                let pool = graph.edges[edge].pool.index();
                self.pool_queues[pool].push_back(edge);
            }
        }
    }

    fn has_room(&self) -> bool {
        let j = self.options.parallelism;
        j == 0 || self.count(BuildState::Running) < j
    }

    /// Starts the first queued edge whose pool has room, if `gate`
    /// agrees (`Err` when it refuses).
    fn start_queued(&mut self, gate: &mut dyn FnMut(EdgeId) -> bool) -> Result<Option<EdgeId>, ()> {
        let graph = self.graph;
        for (pool, p) in graph.pools.iter() {
            let i = pool.index();
            if p.depth != 0 && self.pool_running[i] >= p.depth {
                continue;
            }
            if let Some(&edge) = self.pool_queues[i].front() {
                if !gate(edge) {
                    return Err(());
                }
                self.pool_queues[i].pop_front();
                self.pool_running[i] += 1;
                self.set_state(edge, BuildState::Running);
                return Ok(Some(edge));
            }
        }
        Ok(None)
    }

    /// Reports that a `Running` edge ended.
    ///
    /// Success makes it `Done` (consumers whose producers are then all
    /// `Done` become `Ready`); failure makes it `Failed` and every wanted
    /// edge downstream `Skipped`, and once the `-k` budget is used up every
    /// edge not yet running is `Skipped` too.
    ///
    /// # Panics
    /// If `edge` is not `Running`.
    pub fn finished(&mut self, edge: EdgeId, success: bool) {
        let graph = self.graph;
        assert_eq!(
            self.states[edge],
            BuildState::Running,
            "finished() on an edge that is not running"
        );
        self.pool_running[graph.edges[edge].pool.index()] -= 1;
        if success {
            self.complete(edge);
            return;
        }
        self.set_state(edge, BuildState::Failed);
        self.failures += 1;
        for &out in &graph.edges[edge].outputs {
            for &consumer in &graph.files[out].out_edges {
                self.skip_downstream(consumer);
            }
        }
        let k = self.options.failures_allowed;
        if k != 0 && self.failures >= k {
            self.stop();
        }
    }

    /// Marks `edge` `Done` and promotes consumers that became `Ready`.
    fn complete(&mut self, edge: EdgeId) {
        let graph = self.graph;
        self.set_state(edge, BuildState::Done);
        for &out in &graph.edges[edge].outputs {
            for &consumer in &graph.files[out].out_edges {
                // A consumer listing the file twice is listed here twice,
                // and counted twice in `waiting`.
                if self.states[consumer] == BuildState::Want {
                    self.input_done(consumer);
                }
            }
        }
    }

    /// Skips `edge`, if it is `Want`, and every `Want` edge downstream.
    fn skip_downstream(&mut self, edge: EdgeId) {
        let graph = self.graph;
        let mut stack = vec![edge];
        while let Some(edge) = stack.pop() {
            if self.states[edge] != BuildState::Want {
                continue;
            }
            self.set_state(edge, BuildState::Skipped);
            for &out in &graph.edges[edge].outputs {
                stack.extend(graph.files[out].out_edges.iter().copied());
            }
        }
    }

    /// Uses up the `-k` budget: everything not yet running is skipped.
    fn stop(&mut self) {
        let graph = self.graph;
        self.stopped = true;
        self.ready.clear();
        for queue in &mut self.pool_queues {
            queue.clear();
        }
        for edge in graph.edges.ids() {
            if matches!(
                self.states[edge],
                BuildState::Want | BuildState::Ready | BuildState::Queued
            ) {
                self.set_state(edge, BuildState::Skipped);
            }
        }
    }

    /// Whether no wanted edge is waiting, queued or running.
    pub fn is_finished(&self) -> bool {
        [
            BuildState::Want,
            BuildState::Ready,
            BuildState::Queued,
            BuildState::Running,
        ]
        .iter()
        .all(|&s| self.count(s) == 0)
    }

    /// Whether the build cannot make progress although it is not finished:
    /// only `Want` edges remain, which happens when the graph has a cycle.
    pub fn is_stalled(&self) -> bool {
        !self.is_finished()
            && self.ready.is_empty()
            && self.count(BuildState::Queued) == 0
            && self.count(BuildState::Running) == 0
    }

    /// Whether the build finished and nothing failed.
    pub fn succeeded(&self) -> bool {
        self.is_finished() && self.failures == 0
    }
}

/// How many commands the executor may start now, as ninja's command
/// runner computes it (spec: [build.load-average]); the caller asks again
/// after each start, with the new `running`, and keeps the smaller value.
///
/// - `parallelism`: `-j` (0 = no limit), or `None` in jobserver mode,
///   where only job tokens limit the build;
/// - `running`: commands started and not yet reaped;
/// - `max_load`: `-l` (not positive, or NaN, = no limit); `load`: the
///   current one-minute load average (the caller's `getloadavg`).
///
/// With a limit, the room left is `max_load - load` truncated to an
/// integer the way C converts a `double` to `int` on x86-64 (a value out
/// of range, like `-l 1e10`, becomes `i32::MIN`, so no room). Whatever
/// the limits say, one command may start when none is running, so the
/// build always makes progress.
pub fn start_capacity(
    parallelism: Option<usize>,
    running: usize,
    max_load: f64,
    load: f64,
) -> usize {
    let mut capacity: i64 = match parallelism {
        None => i64::from(i32::MAX),
        Some(0) => i64::from(i32::MAX) - running as i64,
        Some(j) => j.min(i32::MAX as usize) as i64 - running as i64,
    };
    if max_load > 0.0 {
        capacity = capacity.min(i64::from(c_double_to_int(max_load - load)));
    }
    if capacity <= 0 && running == 0 {
        return 1;
    }
    capacity.max(0) as usize
}

/// C's `(int)x` as x86-64 compilers emit it (`cvttsd2si`): truncation
/// toward zero; NaN and values out of `int`'s range give `i32::MIN`.
fn c_double_to_int(x: f64) -> i32 {
    let t = x.trunc();
    if t.is_nan() || t < f64::from(i32::MIN) || t > f64::from(i32::MAX) {
        i32::MIN
    } else {
        t as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{edge, graph};

    fn want(s: &mut Scheduler, g: &Graph, out: &str) {
        s.want(g.lookup_file(out.as_bytes()).unwrap());
    }

    fn all_dirty(_: EdgeId) -> bool {
        true
    }

    const RULE: &str = "rule r\n  command = true\n";

    #[test]
    fn diamond() {
        let g = graph(&format!(
            "{RULE}build a: r src\nbuild b: r a\nbuild c: r a\nbuild d: r b c\n"
        ));
        let (a, b, c, d) = (edge(&g, "a"), edge(&g, "b"), edge(&g, "c"), edge(&g, "d"));
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 4,
                failures_allowed: 1,
            },
        );
        want(&mut s, &g, "d");
        assert_eq!(s.state(d), BuildState::Want);
        assert_eq!(s.state(a), BuildState::Ready);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(a));
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        s.finished(a, true);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(b));
        assert_eq!(s.next_to_start(&mut all_dirty), Some(c));
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        s.finished(c, true);
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        assert_eq!(s.state(d), BuildState::Want);
        s.finished(b, true);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(d));
        s.finished(d, true);
        assert!(s.succeeded());
    }

    #[test]
    fn clean_edges_complete_without_running() {
        let g = graph(&format!(
            "{RULE}build a: r src\nbuild b: r a\nbuild all: phony b\n"
        ));
        let b = edge(&g, "b");
        let mut s = Scheduler::new(&g, Options::default());
        want(&mut s, &g, "all");
        let mut asked = Vec::new();
        let mut only_b = |e: EdgeId| {
            asked.push(e);
            e == b
        };
        assert_eq!(s.next_to_start(&mut only_b), Some(b));
        s.finished(b, true);
        assert_eq!(s.next_to_start(&mut only_b), None);
        assert!(s.succeeded());
        // The phony edge was never asked about.
        assert_eq!(asked, vec![edge(&g, "a"), b]);
    }

    #[test]
    fn pool_depth_one_and_console() {
        let g = graph(&format!(
            "{RULE}pool p\n  depth = 1\n\
             build a: r\n  pool = p\nbuild b: r\n  pool = p\n\
             build c: r\n  pool = console\nbuild d: r\n  pool = console\n\
             build e: r\n"
        ));
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 0,
                failures_allowed: 1,
            },
        );
        for t in ["a", "b", "c", "d", "e"] {
            want(&mut s, &g, t);
        }
        let mut started = Vec::new();
        while let Some(e) = s.next_to_start(&mut all_dirty) {
            started.push(e);
        }
        started.sort();
        let mut expect = vec![edge(&g, "a"), edge(&g, "c"), edge(&g, "e")];
        expect.sort();
        assert_eq!(started, expect);
        s.finished(edge(&g, "a"), true);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(edge(&g, "b")));
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        s.finished(edge(&g, "c"), true);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(edge(&g, "d")));
    }

    #[test]
    fn parallelism_limit() {
        let g = graph(&format!("{RULE}build a: r\nbuild b: r\nbuild c: r\n"));
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 2,
                failures_allowed: 0,
            },
        );
        for t in ["a", "b", "c"] {
            want(&mut s, &g, t);
        }
        let first = s.next_to_start(&mut all_dirty).unwrap();
        assert!(s.next_to_start(&mut all_dirty).is_some());
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        s.finished(first, true);
        assert!(s.next_to_start(&mut all_dirty).is_some());
    }

    #[test]
    fn failure_with_k1_stops_everything() {
        let g = graph(&format!(
            "{RULE}build a: r\nbuild b: r\nbuild c: r a\nbuild d: r b\n"
        ));
        let (a, b, c, d) = (edge(&g, "a"), edge(&g, "b"), edge(&g, "c"), edge(&g, "d"));
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 1,
                failures_allowed: 1,
            },
        );
        want(&mut s, &g, "c");
        want(&mut s, &g, "d");
        assert_eq!(s.next_to_start(&mut all_dirty), Some(a));
        s.finished(a, false);
        assert!(s.is_stopped());
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        assert!(s.is_finished());
        assert!(!s.succeeded());
        assert_eq!(s.state(a), BuildState::Failed);
        for e in [b, c, d] {
            assert_eq!(s.state(e), BuildState::Skipped);
        }
    }

    #[test]
    fn failure_with_k0_keeps_going() {
        let g = graph(&format!(
            "{RULE}build a: r\nbuild b: r\nbuild c: r a\nbuild d: r b\nbuild e: r || c\n"
        ));
        let (a, b, c, d, e) = (
            edge(&g, "a"),
            edge(&g, "b"),
            edge(&g, "c"),
            edge(&g, "d"),
            edge(&g, "e"),
        );
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 1,
                failures_allowed: 0,
            },
        );
        for t in ["e", "d"] {
            want(&mut s, &g, t);
        }
        let mut ran = Vec::new();
        while let Some(x) = s.next_to_start(&mut all_dirty) {
            ran.push(x);
            s.finished(x, x != a);
        }
        ran.sort();
        assert_eq!(ran, vec![a, b, d]);
        assert!(s.is_finished());
        assert!(!s.is_stopped());
        assert_eq!(s.state(c), BuildState::Skipped);
        // Order-only inputs block too.
        assert_eq!(s.state(e), BuildState::Skipped);
        assert_eq!(s.state(d), BuildState::Done);
    }

    #[test]
    fn validations_are_wanted_but_do_not_order() {
        let g = graph(&format!(
            "{RULE}build lib: r src |@ test\nbuild test: r lib\nbuild other: r\n"
        ));
        let (lib, test, other) = (edge(&g, "lib"), edge(&g, "test"), edge(&g, "other"));
        let mut s = Scheduler::new(&g, Options::default());
        want(&mut s, &g, "lib");
        assert_eq!(s.state(test), BuildState::Want);
        assert_eq!(s.state(other), BuildState::Unknown);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(lib));
        s.finished(lib, true);
        assert_eq!(s.next_to_start(&mut all_dirty), Some(test));
        s.finished(test, true);
        assert!(s.succeeded());
    }

    #[test]
    fn load_average_capacity() {
        // No limit: -j minus the running commands.
        assert_eq!(start_capacity(Some(4), 1, -0.0, 9.0), 3);
        // -l 3 with load 1.5: room for 1 (truncated), whatever runs.
        assert_eq!(start_capacity(Some(8), 2, 3.0, 1.5), 1);
        // Overloaded: nothing, unless nothing runs.
        assert_eq!(start_capacity(Some(8), 1, 2.0, 5.0), 0);
        assert_eq!(start_capacity(Some(8), 0, 2.0, 5.0), 1);
        // Out of int's range: no room (x86-64 C conversion).
        assert_eq!(start_capacity(Some(8), 0, 1e10, 0.5), 1);
        assert_eq!(start_capacity(Some(8), 1, 1e10, 0.5), 0);
        // Jobserver mode ignores -j.
        assert_eq!(start_capacity(None, 100, -0.0, 0.0), i32::MAX as usize);
        assert_eq!(start_capacity(None, 100, 3.0, 0.0), 3);
    }

    #[test]
    fn gate_holds_queued_and_phony_edges() {
        let g = graph(&format!("{RULE}build a: r\nbuild p: phony\nbuild b: r p\n"));
        let (a, b) = (edge(&g, "a"), edge(&g, "b"));
        let mut s = Scheduler::new(
            &g,
            Options {
                parallelism: 0,
                failures_allowed: 1,
            },
        );
        want(&mut s, &g, "a");
        want(&mut s, &g, "b");
        let mut refuse = |_: EdgeId| false;
        assert_eq!(s.next_to_start_gated(&mut all_dirty, &mut refuse), None);
        assert_eq!(s.count(BuildState::Running), 0);
        let mut asked = Vec::new();
        let mut allow = |e: EdgeId| {
            asked.push(e);
            true
        };
        let mut started = Vec::new();
        while let Some(e) = s.next_to_start_gated(&mut all_dirty, &mut allow) {
            started.push(e);
        }
        started.sort();
        assert_eq!(started, vec![a, b]);
        // The phony edge asked the gate too.
        assert_eq!(asked.len(), 3);
    }

    #[test]
    fn cycle_stalls() {
        let g = graph(&format!("{RULE}build a: r b\nbuild b: r a\n"));
        let mut s = Scheduler::new(&g, Options::default());
        want(&mut s, &g, "a");
        assert_eq!(s.next_to_start(&mut all_dirty), None);
        assert!(s.is_stalled());
    }
}

//! The executor's scheduling core: an explicit state machine over the
//! graph's edges, with no processes and no file system.
//!
//! Every edge is in exactly one [`BuildState`] at any time; the current
//! state is stored per edge, and the states that need a fast view have side
//! structures: `Ready` edges sit in one priority queue, `Queued` edges in
//! one ordered set per pool, and `Running` edges are counted globally.
//!
//! ```text
//!  Unknown --want--> Want --all producers Done, clean--> Done
//!  Want --all producers Done, dirty--> Queued (pool with a depth) or Ready
//!  Queued --the pool has room--> Ready
//!  Ready --phony--> Done        Ready --command, -j has room--> Running
//!  Running --finished(ok)--> Done        Running --finished(err)--> Failed
//!  Want --a producer Failed or Skipped--> Skipped
//!  Want | Ready | Queued --the -k budget is used up--> Skipped
//! ```
//!
//! The order follows ninja 1.13 exactly (spec: [build.order.priority]
//! [build.order.pools] [build.order.phony] [build.order.finish]): the
//! ready queue is ordered by critical path weight ([`Scheduler::set_priorities`])
//! and then by edge id; a pool's waiting edges by the same key; an edge
//! whose producers are all done is examined at once, and if it is clean it
//! is done at once too, which may make its consumers ready in turn (depth
//! first, in the order of the outputs and of their consumers).
//!
//! A driver loops: call [`Scheduler::next_to_start`] until it returns
//! `None`, starting each edge it returns; wait for a running edge to end
//! and report it with [`Scheduler::finished`]; stop when
//! [`Scheduler::is_finished`] holds. Whether an edge is out of date is
//! asked of a [`Dirtiness`], once, when its producers are all done; the
//! work that needs it (classifying the edges made ready by [`Scheduler::want`]
//! or [`Scheduler::finished`]) is therefore done at the start of the next
//! call to `next_to_start`, in the order the events happened.
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
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

use crate::densemap::{DenseMap, Id};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE, PoolId};

/// Where an edge is in the build.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum BuildState {
    /// Not (yet) needed by the build.
    Unknown,
    /// Needed, but an edge producing one of its inputs is not `Done` (or
    /// it was not examined yet).
    Want,
    /// Out of date and scheduled: waiting in the ready queue for `-j` to
    /// have room (phony edges too, until they are taken from the queue).
    Ready,
    /// Out of date, waiting for room in its pool.
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

/// Decides whether an edge whose producers are all done must run.
pub trait Dirtiness {
    /// Whether `edge` is out of date. Called at most once per edge, also
    /// for phony edges (a dirty phony edge is scheduled like a command and
    /// completes when it is taken from the ready queue; a clean one
    /// completes at once).
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

/// Something that happened and whose consequences need a [`Dirtiness`].
#[derive(Copy, Clone, Debug)]
enum Event {
    /// A running edge ended (successfully or not).
    Finished(EdgeId, bool),
}

/// The state of every edge of a graph during one build.
pub struct Scheduler<'g> {
    graph: &'g Graph,
    options: Options,
    states: DenseMap<EdgeId, BuildState>,
    counts: [usize; STATES],
    /// `Ready` edges: highest weight first, then lowest id.
    ready: BinaryHeap<(i64, Reverse<u32>)>,
    /// Per-edge priorities (ninja's critical path weights); all 0 unless
    /// set.
    weights: Vec<i64>,
    /// `Queued` edges, by pool index: highest weight first, then lowest id.
    delayed: Vec<BTreeSet<(Reverse<i64>, u32)>>,
    /// Per pool: edges scheduled (ready or running) and not yet finished.
    pool_use: Vec<usize>,
    failures: usize,
    stopped: bool,
    /// For each `Want` edge, how many distinct edges producing its inputs
    /// are not yet `Done`: its producers are all done at zero.
    waiting: DenseMap<EdgeId, u32>,
    /// The producer that last counted down `waiting` (so that an edge
    /// reading several outputs of one producer counts it once).
    last_producer: DenseMap<EdgeId, u32>,
    /// Newly wanted edges whose producers are all done, to be examined.
    fresh: Vec<EdgeId>,
    /// Finished edges whose consequences are not yet worked out.
    events: VecDeque<Event>,
    /// Inputs found in depfiles or the deps log, per edge (empty unless
    /// [`Scheduler::set_discovered`] was called).
    extra_inputs: Vec<Vec<FileId>>,
    /// The edges reading each file through a discovered input, in the
    /// order they were found: they come after the file's `out_edges`.
    extra_readers: Vec<Vec<EdgeId>>,
}

impl<'g> Scheduler<'g> {
    /// A scheduler with every edge `Unknown`.
    pub fn new(graph: &'g Graph, options: Options) -> Scheduler<'g> {
        let mut states = DenseMap::default();
        let mut waiting = DenseMap::default();
        let mut last_producer = DenseMap::default();
        for _ in graph.edges.ids() {
            states.push(BuildState::Unknown);
            waiting.push(0);
            last_producer.push(u32::MAX);
        }
        let mut counts = [0; STATES];
        counts[BuildState::Unknown as usize] = graph.edges.len();
        Scheduler {
            graph,
            options,
            states,
            counts,
            ready: BinaryHeap::new(),
            weights: vec![0; graph.edges.len()],
            delayed: vec![BTreeSet::new(); graph.pools.len()],
            pool_use: vec![0; graph.pools.len()],
            failures: 0,
            stopped: false,
            waiting,
            last_producer,
            fresh: Vec::new(),
            events: VecDeque::new(),
            extra_inputs: Vec::new(),
            extra_readers: Vec::new(),
        }
    }

    /// Adds inputs that the graph does not list: those found in depfiles
    /// or the deps log, as `(edge, inputs)` in the order they were read.
    /// They order the build like the edge's other inputs do, and the edge
    /// reads each of them after the edges the manifest lists (as in
    /// ninja, which adds them to its graph). Call before
    /// [`Scheduler::want`].
    pub fn set_discovered(&mut self, discovered: Vec<(EdgeId, Vec<FileId>)>) {
        let graph = self.graph;
        self.extra_inputs = vec![Vec::new(); graph.edges.len()];
        self.extra_readers = vec![Vec::new(); graph.files.len()];
        for (edge, inputs) in discovered {
            for &f in &inputs {
                self.extra_readers[f.index()].push(edge);
            }
            self.extra_inputs[edge.index()].extend(inputs);
        }
    }

    /// Every input of `edge`: the graph's, then the discovered ones.
    fn inputs_of(&self, edge: EdgeId) -> impl Iterator<Item = FileId> + '_ {
        let extra = self.extra_inputs.get(edge.index()).map_or(&[][..], |v| v);
        self.graph.edges[edge]
            .inputs
            .iter()
            .chain(extra.iter())
            .copied()
    }

    /// The edges reading `file`: the graph's, then those reading it
    /// through a discovered input (see [`Scheduler::set_discovered`]).
    pub fn readers(&self, file: FileId) -> impl Iterator<Item = EdgeId> + '_ {
        self.readers_of(file)
    }

    fn readers_of(&self, file: FileId) -> impl Iterator<Item = EdgeId> + '_ {
        let extra = self.extra_readers.get(file.index()).map_or(&[][..], |v| v);
        self.graph.files[file]
            .out_edges
            .iter()
            .chain(extra.iter())
            .copied()
    }

    /// The `c`th reader of `file`, counting the graph's readers first and
    /// then those that read it as a discovered input.
    pub fn reader(&self, file: FileId, c: usize) -> Option<EdgeId> {
        let listed = &self.graph.files[file].out_edges;
        match listed.get(c) {
            Some(&e) => Some(e),
            None => self
                .extra_readers
                .get(file.index())
                .and_then(|v| v.get(c - listed.len()))
                .copied(),
        }
    }

    /// Orders `Ready` and `Queued` edges as ninja does: by `weights`
    /// (indexed by edge), highest first, then by edge id, lowest first.
    /// Without this every weight is 0, so the lowest id goes first.
    pub fn set_priorities(&mut self, weights: Vec<i64>) {
        assert_eq!(weights.len(), self.graph.edges.len());
        self.weights = weights;
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
    /// `Want`. A source file (no producing edge) needs nothing. The edges
    /// whose producers are all done are examined by the next call to
    /// [`Scheduler::next_to_start`], all together: pools release their
    /// waiting edges only once all of them are queued.
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
            stack.extend(self.inputs_of(edge));
            stack.extend(graph.edges[edge].validations.iter().copied());
        }
        // Producers are all marked now, so their states are final enough
        // to count what each new edge waits for.
        for edge in marked {
            if self.states[edge] == BuildState::Want {
                self.count_waiting(edge);
            }
        }
    }

    /// Counts the producers a newly wanted edge waits for; an edge that
    /// waits for none is examined later (it needs a [`Dirtiness`]).
    fn count_waiting(&mut self, edge: EdgeId) {
        let graph = self.graph;
        if self.stopped {
            self.skip_downstream(edge);
            return;
        }
        let mut producers: Vec<EdgeId> = Vec::new();
        let inputs: Vec<FileId> = self.inputs_of(edge).collect();
        for input in inputs {
            if let Some(producer) = graph.files[input].in_edge {
                match self.states[producer] {
                    BuildState::Done => {}
                    BuildState::Failed | BuildState::Skipped => {
                        self.skip_downstream(edge);
                        return;
                    }
                    _ => producers.push(producer),
                }
            }
        }
        producers.sort_unstable();
        producers.dedup();
        self.waiting[edge] = producers.len() as u32;
        if producers.is_empty() {
            self.fresh.push(edge);
        }
    }

    /// Works out what happened since the last call: examines the newly
    /// wanted edges that are ready (as one batch), then the finished edges
    /// in the order they finished.
    fn settle(&mut self, dirtiness: &mut dyn Dirtiness) {
        if !self.fresh.is_empty() {
            let fresh = std::mem::take(&mut self.fresh);
            let mut batch = Vec::new();
            for edge in fresh {
                if self.states[edge] == BuildState::Want && self.waiting[edge] == 0 {
                    self.inputs_ready(edge, dirtiness, Some(&mut batch));
                }
            }
            // spec: [build.order.pools]
            batch.sort_unstable();
            batch.dedup();
            for pool in batch {
                self.release(pool);
            }
        }
        while let Some(event) = self.events.pop_front() {
            match event {
                Event::Finished(edge, success) => {
                    let pool = self.graph.edges[edge].pool.index();
                    self.unschedule(pool);
                    if success {
                        self.outputs_ready(edge, dirtiness);
                    }
                }
            }
        }
    }

    /// The producers of the `Want` edge `edge` are all done: a clean edge
    /// is done at once (spec: [build.order.finish]), a dirty one is
    /// scheduled. With `batch`, pools do not release edges now; the pools
    /// that got edges are listed in it instead.
    fn inputs_ready(
        &mut self,
        edge: EdgeId,
        dirtiness: &mut dyn Dirtiness,
        batch: Option<&mut Vec<usize>>,
    ) {
        if self.stopped {
            self.skip_downstream(edge);
            return;
        }
        if !dirtiness.is_dirty(edge) {
            self.set_state(edge, BuildState::Done);
            self.outputs_ready_batch(edge, dirtiness, batch);
            return;
        }
        self.schedule_dirty(edge, batch);
    }

    /// Moves a pool's best waiting edges to the ready queue while the pool
    /// has room (spec: [build.order.pools]).
    fn release(&mut self, pool: usize) {
        let depth = self.graph.pools[PoolId::from_index(pool)].depth;
        while self.pool_use[pool] < depth {
            let Some((Reverse(weight), id)) = self.delayed[pool].pop_first() else {
                break;
            };
            self.pool_use[pool] += 1;
            self.set_state(EdgeId(id), BuildState::Ready);
            self.ready.push((weight, Reverse(id)));
        }
    }

    /// A scheduled edge of `pool` finished (or, if phony, was taken from
    /// the ready queue): the pool has room for one more.
    fn unschedule(&mut self, pool: usize) {
        let depth = self.graph.pools[PoolId::from_index(pool)].depth;
        if depth != 0 {
            self.pool_use[pool] -= 1;
            self.release(pool);
        }
    }

    /// The `Done` edge `edge` made its outputs ready: examines its
    /// consumers, output by output, in the order they read the file,
    /// depth first through consumers that are clean.
    fn outputs_ready(&mut self, edge: EdgeId, dirtiness: &mut dyn Dirtiness) {
        self.outputs_ready_batch(edge, dirtiness, None);
    }

    fn outputs_ready_batch(
        &mut self,
        edge: EdgeId,
        dirtiness: &mut dyn Dirtiness,
        mut batch: Option<&mut Vec<usize>>,
    ) {
        let graph = self.graph;
        // Frames of the depth-first walk: (edge, output index, consumer
        // index). An edge's readers learn that it is done before any of
        // them is looked at, so a reader met deeper in the walk through
        // another producer is ready there already.
        self.count_down_readers(edge);
        let mut stack = vec![(edge, 0usize, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (done, o, c) = *top;
            let outputs = &graph.edges[done].outputs;
            if o == outputs.len() {
                stack.pop();
                continue;
            }
            let Some(consumer) = self.reader(outputs[o], c) else {
                *top = (done, o + 1, 0);
                continue;
            };
            *top = (done, o, c + 1);
            if self.states[consumer] != BuildState::Want || self.waiting[consumer] > 0 {
                continue;
            }
            if self.stopped {
                self.skip_downstream(consumer);
                continue;
            }
            if !dirtiness.is_dirty(consumer) {
                self.set_state(consumer, BuildState::Done);
                self.count_down_readers(consumer);
                stack.push((consumer, 0, 0));
                continue;
            }
            // Dirty: scheduled (never recurses).
            self.schedule_dirty(consumer, batch.as_deref_mut());
        }
    }

    /// Tells each `Want` reader of the outputs of the edge `done` (once
    /// per reader) that one more of its producers is done.
    fn count_down_readers(&mut self, done: EdgeId) {
        let graph = self.graph;
        for &out in &graph.edges[done].outputs {
            let mut c = 0;
            while let Some(reader) = self.reader(out, c) {
                c += 1;
                if self.states[reader] == BuildState::Want && self.last_producer[reader] != done.0 {
                    self.last_producer[reader] = done.0;
                    let left = &mut self.waiting[reader];
                    *left = left.saturating_sub(1);
                }
            }
        }
    }

    /// Schedules a dirty edge whose producers are all done.
    fn schedule_dirty(&mut self, edge: EdgeId, batch: Option<&mut Vec<usize>>) {
        let graph = self.graph;
        let pool = graph.edges[edge].pool;
        let i = pool.index();
        if graph.pools[pool].depth == 0 {
            self.set_state(edge, BuildState::Ready);
            self.ready
                .push((self.weights[edge.index()], Reverse(edge.0)));
            return;
        }
        self.set_state(edge, BuildState::Queued);
        self.delayed[i].insert((Reverse(self.weights[edge.index()]), edge.0));
        match batch {
            Some(pools) => pools.push(i),
            None => self.release(i),
        }
    }

    /// The next edge to start, now `Running`, or `None` when nothing may
    /// start until a running edge finishes (or ever).
    ///
    /// First works out the consequences of [`Scheduler::want`] and
    /// [`Scheduler::finished`] since the last call, then takes edges from
    /// the ready queue, best first: a phony edge completes at once (which
    /// may make more edges ready), a command starts if `-j` has room.
    pub fn next_to_start(&mut self, dirtiness: &mut dyn Dirtiness) -> Option<EdgeId> {
        self.next_to_start_gated(dirtiness, &mut |_| true)
    }

    /// Like [`Scheduler::next_to_start`], but an edge leaves the ready
    /// queue only if `gate` agrees (the executor's jobserver: whether a job
    /// token is free). The gate is asked for the best ready edge, command
    /// or phony (ninja takes a token for those too and gives it back at
    /// once). When it refuses, the edge stays where it is and nothing
    /// starts now.
    pub fn next_to_start_gated(
        &mut self,
        dirtiness: &mut dyn Dirtiness,
        gate: &mut dyn FnMut(EdgeId) -> bool,
    ) -> Option<EdgeId> {
        let graph = self.graph;
        self.settle(dirtiness);
        loop {
            if self.stopped || !self.has_room() {
                return None;
            }
            // spec: [build.order.priority]
            let &(_, Reverse(id)) = self.ready.peek()?;
            let edge = EdgeId(id);
            debug_assert_eq!(self.states[edge], BuildState::Ready);
            if !gate(edge) {
                return None;
            }
            self.ready.pop();
            if graph.edges[edge].rule == PHONY_RULE {
                // spec: [build.order.phony]
                self.set_state(edge, BuildState::Done);
                self.unschedule(graph.edges[edge].pool.index());
                self.outputs_ready(edge, dirtiness);
                continue;
            }
            self.set_state(edge, BuildState::Running);
            return Some(edge);
        }
    }

    fn has_room(&self) -> bool {
        let j = self.options.parallelism;
        j == 0 || self.count(BuildState::Running) < j
    }

    /// Reports that a `Running` edge ended.
    ///
    /// Success makes it `Done`; consumers whose producers are then all
    /// `Done` are examined by the next [`Scheduler::next_to_start`].
    /// Failure makes it `Failed` and every wanted edge downstream
    /// `Skipped`, and once the `-k` budget is used up every edge not yet
    /// running is `Skipped` too.
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
        self.events.push_back(Event::Finished(edge, success));
        if success {
            self.set_state(edge, BuildState::Done);
            return;
        }
        self.set_state(edge, BuildState::Failed);
        self.failures += 1;
        for &out in &graph.edges[edge].outputs {
            let readers: Vec<EdgeId> = self.readers_of(out).collect();
            for consumer in readers {
                self.skip_downstream(consumer);
            }
        }
        let k = self.options.failures_allowed;
        if k != 0 && self.failures >= k {
            self.stop();
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
                let readers: Vec<EdgeId> = self.readers_of(out).collect();
                stack.extend(readers);
            }
        }
    }

    /// Uses up the `-k` budget: everything not yet running is skipped.
    fn stop(&mut self) {
        let graph = self.graph;
        self.stopped = true;
        self.ready.clear();
        for queue in &mut self.delayed {
            queue.clear();
        }
        self.fresh.clear();
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
            && self.fresh.is_empty()
            && self.events.is_empty()
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
        // Examined (and scheduled) by the first next_to_start.
        assert_eq!(s.state(a), BuildState::Want);
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
        // Each edge was asked once, when its inputs were ready.
        assert_eq!(asked, vec![edge(&g, "a"), b, edge(&g, "all")]);
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

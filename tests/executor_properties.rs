//! Property tests of the whole executor (`n2ref::build`: scan, plan, run
//! loop, restat, build log) over random DAGs, with an in-memory file system
//! ([`MemDisk`], a logical clock for mtimes) and a fake process runner
//! ([`FakeRunner`], which ends running commands in a seeded random order).
//!
//! Commands are a tiny language, `OP STEP VERSION OUTPUT...`:
//! - `touch`: writes every output (each gets a new, later mtime);
//! - `keep`: leaves existing outputs alone, creates missing ones (a
//!   `restat` rule whose output did not change);
//! - `fail`: exits with 1 and writes nothing.
//!
//! Each case builds several times (with random source touches, command
//! changes and removed outputs in between) and checks, per build:
//! inputs (incl. order-only) are done before a step starts; no step runs
//! twice; `-j` and pool depths hold; nothing starts after the `-k`-th
//! failure; the set of commands run equals that of [`oracle`], a
//! separately written model of ninja's dirtiness rules (when `-k` did not
//! stop the build early; otherwise a subset of it); the build log matches
//! what ninja records; a build right after a successful one runs nothing
//! (unless an input-less phony makes a step always dirty).

// The oracle indexes steps and outputs by number, as the model does.
#![allow(clippy::needless_range_loop)]

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use n2ref::build::{self, Config, Disk, Runner, Verbosity};
use n2ref::build_log::{BuildLog, ReadOutcome};
use n2ref::deps_log::{self, DepsLog};
use n2ref::graph::{EdgeId, FileId};
use n2ref::load::{LoadOptions, MemoryReader, load};
use n2ref::log_file::LogFile;

// ---------------------------------------------------------------------
// The in-memory file system.

#[derive(Debug, Default)]
struct MemState {
    /// The logical clock: every write gets the next tick as its mtime.
    clock: i64,
    files: HashMap<Vec<u8>, (i64, Vec<u8>)>,
}

#[derive(Debug, Default)]
struct MemDisk(Mutex<MemState>);

fn bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

impl MemDisk {
    fn state(&self) -> std::sync::MutexGuard<'_, MemState> {
        self.0.lock().unwrap()
    }
    fn touch(&self, path: &[u8]) {
        let _ = Disk::write(self, path, b"");
    }
    fn clock(&self) -> i64 {
        self.state().clock
    }
    fn mtimes(&self) -> HashMap<Vec<u8>, i64> {
        self.state()
            .files
            .iter()
            .map(|(p, (m, _))| (p.clone(), *m))
            .collect()
    }
}

impl Disk for MemDisk {
    fn stat(&self, path: &[u8]) -> i64 {
        self.state().files.get(path).map_or(0, |f| f.0)
    }
    fn read(&self, path: &[u8]) -> io::Result<Vec<u8>> {
        self.state()
            .files
            .get(path)
            .map(|f| f.1.clone())
            .ok_or_else(not_found)
    }
    fn write(&self, path: &[u8], data: &[u8]) -> io::Result<()> {
        let mut s = self.state();
        s.clock += 1;
        let now = s.clock;
        s.files.insert(path.to_vec(), (now, data.to_vec()));
        Ok(())
    }
    fn remove(&self, path: &[u8]) -> io::Result<()> {
        self.state()
            .files
            .remove(path)
            .map(|_| ())
            .ok_or_else(not_found)
    }
    fn create_dir_all(&self, _path: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn exists(&self, path: &[u8]) -> bool {
        self.state().files.contains_key(path)
    }
    fn load_build_log(&self, path: &Path) -> io::Result<(Option<BuildLog>, Option<&'static str>)> {
        let data = match self.read(&bytes(path)) {
            Ok(d) => d,
            Err(_) => return Ok((None, None)),
        };
        match BuildLog::parse(&data) {
            ReadOutcome::Loaded(log) => Ok((Some(log), None)),
            ReadOutcome::Discard(w) => {
                let _ = self.remove(&bytes(path));
                Ok((None, Some(w)))
            }
        }
    }
    fn load_deps_log(&self, path: &Path) -> io::Result<Option<deps_log::ReadResult>> {
        Ok(self.read(&bytes(path)).ok().map(|d| DepsLog::parse(&d)))
    }
    fn recompact_build_log(
        &self,
        log: &mut BuildLog,
        path: &Path,
        is_dead: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        let dead: Vec<Vec<u8>> = log.entries.keys().filter(|o| is_dead(o)).cloned().collect();
        for d in &dead {
            log.entries.remove(d);
        }
        log.total_entries = log.entries.len();
        log.needs_recompaction = false;
        self.write(&bytes(path), &log.compacted_bytes(|_| false))
    }
    fn recompact_deps_log(
        &self,
        log: &mut DepsLog,
        path: &Path,
        is_live: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        let (fresh, data) = log.compacted(is_live)?;
        *log = fresh;
        self.write(&bytes(path), &data)
    }
    fn append_log(&self, log: &mut LogFile, data: &[u8]) -> io::Result<()> {
        let path = bytes(log.path());
        let mut content = self.read(&path).unwrap_or_default();
        if content.is_empty() {
            content = log.header().to_vec();
        }
        content.extend_from_slice(data);
        self.write(&path, &content)
    }
}

// ---------------------------------------------------------------------
// The fake process runner.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    /// A step started; the clock then (the lock file's "now"); whether
    /// the run loop said it is a `console` command.
    Start {
        step: usize,
        clock: i64,
        console: bool,
    },
    /// A step ended; whether it succeeded.
    End { step: usize, ok: bool },
}

#[derive(Debug)]
struct RunState {
    rng: u64,
    running: Vec<(EdgeId, Vec<u8>)>,
    events: Vec<Event>,
}

#[derive(Debug)]
struct FakeRunner {
    disk: Arc<MemDisk>,
    state: Mutex<RunState>,
}

fn step_of(command: &[u8]) -> usize {
    let text = String::from_utf8_lossy(command);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

impl Runner for FakeRunner {
    fn start(&self, edge: EdgeId, command: &[u8], console: bool) -> io::Result<()> {
        let clock = self.disk.clock();
        let mut s = self.state.lock().unwrap();
        s.events.push(Event::Start {
            step: step_of(command),
            clock,
            console,
        });
        s.running.push((edge, command.to_vec()));
        Ok(())
    }
    fn wait(&self) -> Option<(EdgeId, i32, Vec<u8>)> {
        let mut s = self.state.lock().unwrap();
        if s.running.is_empty() {
            return None;
        }
        // xorshift64
        s.rng ^= s.rng << 13;
        s.rng ^= s.rng >> 7;
        s.rng ^= s.rng << 17;
        let i = (s.rng % s.running.len() as u64) as usize;
        let (edge, command) = s.running.swap_remove(i);
        let text = String::from_utf8(command.clone()).unwrap();
        let words: Vec<&str> = text.split(' ').collect();
        // `OP STEP VERSION OUTPUT... [-- DISCOVERED...]`: with `--`, the
        // command also writes the depfile `FIRST_OUTPUT.d`.
        let split = words.iter().position(|w| *w == "--");
        let outputs = &words[3..split.unwrap_or(words.len())];
        if let Some(at) = split
            && words[0] != "fail"
        {
            let depfile = format!("{}: {}\n", outputs[0], words[at + 1..].join(" "));
            let _ = self
                .disk
                .write(format!("{}.d", outputs[0]).as_bytes(), depfile.as_bytes());
        }
        let ok = match words[0] {
            "touch" => {
                for o in outputs {
                    self.disk.touch(o.as_bytes());
                }
                true
            }
            "keep" => {
                for o in outputs {
                    if !self.disk.exists(o.as_bytes()) {
                        self.disk.touch(o.as_bytes());
                    }
                }
                true
            }
            _ => false,
        };
        s.events.push(Event::End {
            step: step_of(&command),
            ok,
        });
        Some((edge, if ok { 0 } else { 1 }, Vec::new()))
    }
}

// ---------------------------------------------------------------------
// The model: random DAGs of steps over a few source files.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Normal,
    /// `restat = 1`; `keep`: the command leaves its outputs alone.
    Restat {
        keep: bool,
    },
    Generator,
    Phony,
}

/// An input: a source file, or an output (0 or 1) of an earlier step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum In {
    Source(usize),
    Out(usize, usize),
}

#[derive(Clone, Debug)]
struct Step {
    kind: Kind,
    /// 1 or 2 (phony: 1).
    outputs: usize,
    explicit: Vec<In>,
    implicit: Vec<In>,
    order_only: Vec<In>,
    /// 0: no pool; 1: `p1` (depth 1); 2: `p2` (depth 2); 3: `console`.
    pool: usize,
    fails: bool,
    version: u32,
    /// `deps = gcc`: the sources the command reports in its depfile.
    deps: Option<Vec<usize>>,
}

#[derive(Clone, Debug)]
struct Model {
    sources: usize,
    steps: Vec<Step>,
}

const POOL_DEPTH: [usize; 4] = [usize::MAX, 1, 2, 1];

fn source_path(i: usize) -> String {
    format!("s{i}")
}

fn out_path(step: usize, which: usize) -> String {
    if which == 0 {
        format!("o{step}")
    } else {
        format!("o{step}x")
    }
}

fn in_path(i: In) -> String {
    match i {
        In::Source(s) => source_path(s),
        In::Out(step, w) => out_path(step, w),
    }
}

impl Step {
    fn outs(&self, index: usize) -> Vec<String> {
        (0..self.outputs).map(|w| out_path(index, w)).collect()
    }
    fn command(&self, index: usize) -> String {
        let op = match self.kind {
            _ if self.fails => "fail",
            Kind::Restat { keep: true } => "keep",
            _ => "touch",
        };
        let mut command = format!(
            "{op} {index} v{} {}",
            self.version,
            self.outs(index).join(" ")
        );
        if let Some(deps) = &self.deps {
            command.push_str(" --");
            for &d in deps {
                command.push_str(&format!(" {}", source_path(d)));
            }
        }
        command
    }
    /// Inputs that make the step dirty (not order-only).
    fn dirtying(&self) -> impl Iterator<Item = In> + '_ {
        self.explicit.iter().chain(&self.implicit).copied()
    }
    fn all_inputs(&self) -> impl Iterator<Item = In> + '_ {
        self.dirtying().chain(self.order_only.iter().copied())
    }
}

impl Model {
    fn manifest(&self) -> String {
        let mut m = String::from(
            "pool p1\n  depth = 1\npool p2\n  depth = 2\n\
             rule touch\n  command = $cmd\n\
             rule restat\n  command = $cmd\n  restat = 1\n\
             rule gen\n  command = $cmd\n  generator = 1\n",
        );
        for (i, s) in self.steps.iter().enumerate() {
            let list = |v: &[In]| v.iter().map(|&x| in_path(x)).collect::<Vec<_>>().join(" ");
            let rule = match s.kind {
                Kind::Normal => "touch",
                Kind::Restat { .. } => "restat",
                Kind::Generator => "gen",
                Kind::Phony => "phony",
            };
            m.push_str(&format!(
                "build {}: {rule} {}",
                s.outs(i).join(" "),
                list(&s.explicit)
            ));
            if !s.implicit.is_empty() {
                m.push_str(&format!(" | {}", list(&s.implicit)));
            }
            if !s.order_only.is_empty() {
                m.push_str(&format!(" || {}", list(&s.order_only)));
            }
            m.push('\n');
            if s.kind != Kind::Phony {
                m.push_str(&format!("  cmd = {}\n", s.command(i)));
                if s.deps.is_some() {
                    m.push_str(&format!("  deps = gcc\n  depfile = {}.d\n", out_path(i, 0)));
                }
                match s.pool {
                    0 => {}
                    3 => m.push_str("  pool = console\n"),
                    p => m.push_str(&format!("  pool = p{p}\n")),
                }
            }
        }
        m
    }

    /// The steps `targets` need (through every kind of input).
    fn wanted(&self, targets: &[usize]) -> Vec<bool> {
        let mut wanted = vec![false; self.steps.len()];
        let mut stack = targets.to_vec();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut wanted[i], true) {
                continue;
            }
            for input in self.steps[i].all_inputs() {
                if let In::Out(j, _) = input {
                    stack.push(j);
                }
            }
        }
        wanted
    }
}

// ---------------------------------------------------------------------
// The oracle: ninja's dirtiness rules, written from the manual and the
// design notes, on the model (not on n2ref's graph or scan).

/// What ninja's build log says about an output: the command that last
/// built it and the mtime recorded.
#[derive(Debug, Default)]
struct Ledger {
    log: HashMap<String, (String, i64)>,
    /// What the deps log says about an output: its mtime when recorded
    /// and the discovered sources.
    deps: HashMap<String, (i64, Vec<usize>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Prediction {
    /// A wanted step needs a source that is missing: nothing runs.
    MissingInput,
    /// The steps whose commands run (with unlimited `-k`).
    Runs(BTreeSet<usize>),
}

fn oracle(
    model: &Model,
    targets: &[usize],
    disk: &HashMap<Vec<u8>, i64>,
    ledger: &Ledger,
    dry_run: bool,
) -> Prediction {
    let wanted = model.wanted(targets);
    let on_disk = |p: &str| disk.get(p.as_bytes()).copied().unwrap_or(0);
    // Whether step `i`'s outputs are out of date given its newest input
    // (ninja looks at the outputs only once no input is dirty).
    let outputs_dirty = |i: usize, newest: Option<i64>| -> bool {
        let s = &model.steps[i];
        match s.kind {
            // An input-less phony is dirty when its output does not exist;
            // any other phony only through its inputs.
            Kind::Phony => s.all_inputs().next().is_none() && on_disk(&out_path(i, 0)) == 0,
            _ => (0..s.outputs).any(|w| {
                let path = out_path(i, w);
                let mtime = on_disk(&path);
                let entry = ledger.log.get(&path);
                let restat = matches!(s.kind, Kind::Restat { .. });
                let generator = s.kind == Kind::Generator;
                // Missing output.
                mtime == 0
                    // Output older than an input (for restat with a log
                    // entry, the recorded mtime below counts instead).
                    || (!(restat && entry.is_some()) && newest.is_some_and(|t| mtime < t))
                    || match entry {
                        // Command changed (generators: never), or recorded
                        // mtime older than an input.
                        Some((command, recorded)) => {
                            (!generator && *command != s.command(i))
                                || newest.is_some_and(|t| *recorded < t)
                        }
                        // Never built by a build that logged it.
                        None => !generator,
                    }
            }),
        }
    };
    let n = model.steps.len();
    // The mtime dependents see for each output: the file's, except that a
    // phony output that does not exist takes its newest input's once the
    // phony is found clean.
    let mut seen: Vec<[i64; 2]> = vec![[0; 2]; n];
    let input_mtime = |x: In, seen: &[[i64; 2]]| match x {
        In::Source(k) => on_disk(&source_path(k)),
        In::Out(j, w) => seen[j][w],
    };
    // `deps`: the discovered sources of a step, or None when the deps log
    // has no usable entry (none, or older than the first output).
    let discovered = |i: usize| -> Option<Vec<In>> {
        let (recorded, inputs) = ledger.deps.get(&out_path(i, 0))?;
        (on_disk(&out_path(i, 0)) <= *recorded)
            .then(|| inputs.iter().map(|&k| In::Source(k)).collect())
    };
    let deps_missing = |i: usize| model.steps[i].deps.is_some() && discovered(i).is_none();
    // The inputs that make a step dirty: explicit, implicit, discovered.
    let dirtying = |i: usize| -> Vec<In> {
        let s = &model.steps[i];
        let mut v: Vec<In> = s.dirtying().collect();
        if s.deps.is_some() {
            v.extend(discovered(i).unwrap_or_default());
        }
        v
    };
    // Scan: dirty outputs, bottom-up from the disk and the logs.
    let mut scan_dirty = vec![false; n];
    for i in 0..n {
        if !wanted[i] {
            continue;
        }
        let s = &model.steps[i];
        for w in 0..s.outputs {
            seen[i][w] = on_disk(&out_path(i, w));
        }
        let inputs_dirty = dirtying(i).into_iter().any(|x| match x {
            In::Source(k) => on_disk(&source_path(k)) == 0,
            In::Out(j, _) => scan_dirty[j],
        });
        scan_dirty[i] = deps_missing(i) || inputs_dirty || {
            let newest = dirtying(i).into_iter().map(|x| input_mtime(x, &seen)).max();
            if s.kind == Kind::Phony && seen[i][0] == 0 {
                seen[i][0] = newest.unwrap_or(0);
            }
            outputs_dirty(i, newest)
        };
    }
    // A missing source is an error when the plan reaches it: through
    // edges whose outputs are not ready (dirty, or waiting for a dirty
    // edge); an input-less phony is always ready.
    let mut ready = vec![true; n];
    for i in 0..n {
        let s = &model.steps[i];
        let no_inputs = s.kind == Kind::Phony && s.all_inputs().next().is_none();
        ready[i] = (!scan_dirty[i] || no_inputs)
            && s.all_inputs().all(|x| match x {
                In::Source(_) => true,
                In::Out(j, _) => ready[j],
            });
    }
    let mut stack = targets.to_vec();
    let mut visited = vec![false; n];
    while let Some(i) = stack.pop() {
        if ready[i] || std::mem::replace(&mut visited[i], true) {
            continue;
        }
        for x in model.steps[i].all_inputs() {
            match x {
                In::Source(k) if on_disk(&source_path(k)) == 0 => return Prediction::MissingInput,
                In::Source(_) => {}
                In::Out(j, _) => stack.push(j),
            }
        }
    }
    // The run, in topological order. A dirty step whose dirty inputs were
    // all cleaned by restat (an output its command left unchanged) is
    // checked again, with the newest of all its inputs, and skipped when
    // its outputs are up to date; a step whose input producer failed (or
    // did not run because of a failure) does not run.
    let mut still_dirty = vec![[false; 2]; n];
    let mut blocked = vec![false; n];
    let mut runs = BTreeSet::new();
    for i in 0..n {
        let s = &model.steps[i];
        // Even a clean step waits for all its inputs (order-only too).
        if wanted[i]
            && s.all_inputs()
                .any(|x| matches!(x, In::Out(j, _) if blocked[j]))
        {
            blocked[i] = true;
            continue;
        }
        if !wanted[i] || !scan_dirty[i] {
            continue;
        }
        let inputs_now_dirty = s
            .dirtying()
            .any(|x| matches!(x, In::Out(j, w) if still_dirty[j][w]));
        // (ninja does not recheck a step whose deps were missing.)
        if !inputs_now_dirty && !deps_missing(i) {
            let newest = dirtying(i).into_iter().map(|x| input_mtime(x, &seen)).max();
            if !outputs_dirty(i, newest) {
                if s.kind == Kind::Phony && seen[i][0] == 0 {
                    seen[i][0] = newest.unwrap_or(0);
                }
                continue;
            }
        }
        if s.kind == Kind::Phony {
            still_dirty[i][0] = true;
            continue;
        }
        runs.insert(i);
        // `-n`: every command "succeeds" and changes its outputs.
        if s.fails && !dry_run {
            blocked[i] = true;
            continue;
        }
        for w in 0..s.outputs {
            // restat: an output the command did not change is clean.
            let unchanged = !dry_run
                && s.kind == (Kind::Restat { keep: true })
                && on_disk(&out_path(i, w)) != 0;
            still_dirty[i][w] = !unchanged;
        }
    }
    Prediction::Runs(runs)
}

// ---------------------------------------------------------------------
// One build through n2ref, and the checks.

struct Outcome {
    code: i32,
    events: Vec<Event>,
    stdout: String,
}

fn run_build(
    model: &Model,
    targets: &[usize],
    disk: &Arc<MemDisk>,
    j: usize,
    k: usize,
    seed: u64,
    dry_run: bool,
) -> Outcome {
    let manifest = model.manifest();
    let mut reader = MemoryReader::new(&[("build.ninja", &manifest)]);
    let mut graph = match load(&mut reader, b"build.ninja", &LoadOptions::default()) {
        Ok(loaded) => loaded.graph,
        Err((e, _)) => panic!("load failed: {e}\n{manifest}"),
    };
    let runner = Arc::new(FakeRunner {
        disk: disk.clone(),
        state: Mutex::new(RunState {
            rng: seed | 1,
            running: Vec::new(),
            events: Vec::new(),
        }),
    });
    let config = Config {
        parallelism: j,
        failures_allowed: k,
        dry_run,
        verbosity: if dry_run {
            Verbosity::Verbose
        } else {
            Verbosity::NoStatusUpdate
        },
        disk: disk.clone(),
        runner: Some(runner.clone()),
        ..Config::default()
    };
    let files: Vec<FileId> = targets
        .iter()
        .map(|&t| graph.lookup_file(out_path(t, 0).as_bytes()).unwrap())
        .collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = build::build(&mut graph, &files, &config, &mut out, &mut err).unwrap();
    let events = runner.state.lock().unwrap().events.clone();
    Outcome {
        code,
        events,
        stdout: String::from_utf8_lossy(&out).into_owned() + &String::from_utf8_lossy(&err),
    }
}

/// Every step `i` transitively depends on (through any kind of input).
fn ancestors(model: &Model, i: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![i];
    while let Some(x) = stack.pop() {
        for input in model.steps[x].all_inputs() {
            if let In::Out(j, _) = input
                && seen.insert(j)
            {
                stack.push(j);
            }
        }
    }
    seen
}

/// A test case: a model, targets, -j, -k, a seed, and a mutation plan
/// (sources to touch, steps whose command changes, outputs to remove).
#[derive(Clone, Debug)]
struct Case {
    model: Model,
    /// Sources that exist at the start (mtimes in this order).
    present: Vec<bool>,
    targets: Vec<usize>,
    j: usize,
    k: usize,
    seed: u64,
    touch: Vec<usize>,
    change: Vec<usize>,
    remove: Vec<usize>,
    /// Steps whose first output exists before the first build.
    pre: Vec<usize>,
    /// Outputs (`o{i}`, also of phony steps) touched before round 2.
    bump: Vec<usize>,
}

/// Runs a case; `Err(text)` describes the first violated property.
fn check_case(case: &Case) -> Result<(), String> {
    let model = &case.model;
    let disk = Arc::new(MemDisk::default());
    for (s, &present) in case.present.iter().enumerate() {
        if present {
            disk.touch(source_path(s).as_bytes());
        }
    }
    for &i in &case.pre {
        disk.touch(out_path(i, 0).as_bytes());
    }
    let mut ledger = Ledger::default();
    let mut model = model.clone();
    let always_dirty = {
        // A step downstream of an input-less phony runs in every build.
        let wanted = model.wanted(&case.targets);
        (0..model.steps.len()).any(|i| {
            wanted[i]
                && model.steps[i].kind == Kind::Phony
                && model.steps[i].all_inputs().next().is_none()
        })
    };
    let mut previous_clean = false;
    for round in 0..4 {
        if round == 2 {
            for &s in &case.touch {
                disk.touch(source_path(s % model.sources.max(1)).as_bytes());
            }
            for &i in &case.change {
                let n = model.steps.len();
                model.steps[i % n].version += 1;
            }
            for &i in &case.bump {
                disk.touch(out_path(i % model.steps.len(), 0).as_bytes());
            }
            for &i in &case.remove {
                let _ = disk.remove(out_path(i % model.steps.len(), 0).as_bytes());
            }
        }
        if round % 2 == 0 {
            // `-n` first: it runs nothing, changes nothing, and lists the
            // commands the oracle's dry run predicts.
            let before = disk.mtimes();
            let dry = oracle(&model, &case.targets, &before, &ledger, true);
            let out = run_build(&model, &case.targets, &disk, case.j, case.k, 0, true);
            let listed: BTreeSet<usize> = out
                .stdout
                .lines()
                .filter(|l| l.starts_with('['))
                .filter_map(|l| l.split_once("] ").map(|(_, c)| step_of(c.as_bytes())))
                .collect();
            // The status total (`[F/TOTAL]`) counts the commands; while a
            // `console` command runs, ninja keeps only the last status line
            // of the others, so with console steps some lines are missing.
            let total = out
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix('[')?.split_once(']'))
                .and_then(|(c, _)| c.split_once('/')?.1.parse::<usize>().ok())
                .unwrap_or(0);
            let consoles = model.steps.iter().any(|s| s.pool == 3);
            let ok = match &dry {
                Prediction::MissingInput => out.code == 1 && listed.is_empty(),
                Prediction::Runs(r) => {
                    out.code == 0
                        && total == r.len()
                        && (listed == *r || (consoles && listed.is_subset(r)))
                }
            };
            if !ok || !out.events.is_empty() || disk.mtimes() != before {
                return Err(format!(
                    "round {round}: -n listed {listed:?} (exit {}), oracle {dry:?}, events {:?}\n{}\n{:?}",
                    out.code,
                    out.events,
                    model.manifest(),
                    out.stdout
                ));
            }
        }
        let prediction = oracle(&model, &case.targets, &disk.mtimes(), &ledger, false);
        let seed = case.seed.wrapping_add(round);
        let out = run_build(&model, &case.targets, &disk, case.j, case.k, seed, false);
        let ctx = |what: String| {
            format!(
                "round {round}: {what}\nmanifest:\n{}events: {:?}\noutput: {}",
                model.manifest(),
                out.events,
                out.stdout
            )
        };
        check_build(&model, case, &prediction, &out, &disk, &mut ledger).map_err(ctx)?;
        if previous_clean && !always_dirty && !out.events.is_empty() {
            return Err(ctx(
                "a build right after a successful one ran commands".into()
            ));
        }
        previous_clean = out.code == 0 && round != 1;
    }
    Ok(())
}

fn check_build(
    model: &Model,
    case: &Case,
    prediction: &Prediction,
    out: &Outcome,
    disk: &MemDisk,
    ledger: &mut Ledger,
) -> Result<(), String> {
    let events = &out.events;
    // Replay: starts, ends, concurrency, order.
    let mut started: HashMap<usize, usize> = HashMap::new(); // step -> event index
    let mut ended: HashMap<usize, (usize, bool)> = HashMap::new();
    let mut running: Vec<usize> = Vec::new();
    let mut failures = 0;
    let mut start_clock = HashMap::new();
    for (t, ev) in events.iter().enumerate() {
        match *ev {
            Event::Start {
                step,
                clock,
                console,
            } => {
                if console != (model.steps[step].pool == 3) {
                    return Err(format!("step {step} started with console = {console}"));
                }
                if started.insert(step, t).is_some() {
                    return Err(format!("step {step} started twice"));
                }
                if case.k > 0 && failures >= case.k {
                    return Err(format!(
                        "step {step} started after {failures} failures (-k {})",
                        case.k
                    ));
                }
                start_clock.insert(step, clock);
                running.push(step);
                if running.len() > case.j {
                    return Err(format!(
                        "{} commands running with -j {}",
                        running.len(),
                        case.j
                    ));
                }
                let pool = model.steps[step].pool;
                let in_pool = running
                    .iter()
                    .filter(|&&r| model.steps[r].pool == pool)
                    .count();
                if pool > 0 && in_pool > POOL_DEPTH[pool] {
                    return Err(format!("pool p{pool} exceeded: {in_pool}"));
                }
                for a in ancestors(model, step) {
                    match (started.get(&a), ended.get(&a)) {
                        (Some(_), Some((_, true))) | (None, None) => {}
                        _ => return Err(format!("step {step} started before step {a} was done")),
                    }
                }
            }
            Event::End { step, ok } => {
                running.retain(|&r| r != step);
                ended.insert(step, (t, ok));
                if !ok {
                    failures += 1;
                }
            }
        }
    }
    // An ancestor that starts after its dependent.
    for (&step, &t) in &started {
        for a in ancestors(model, step) {
            if started.get(&a).is_some_and(|&ta| ta > t) {
                return Err(format!("step {a} started after its dependent {step}"));
            }
        }
    }
    if !running.is_empty() {
        return Err(format!("steps {running:?} never ended"));
    }
    let ran: BTreeSet<usize> = started.keys().copied().collect();
    match prediction {
        Prediction::MissingInput => {
            if !ran.is_empty() || out.code != 1 || !out.stdout.contains("missing and no known rule")
            {
                return Err(format!(
                    "expected a missing-input error, ran {ran:?}, exit {}",
                    out.code
                ));
            }
        }
        Prediction::Runs(expected) => {
            let stopped_early = case.k > 0 && failures >= case.k;
            if stopped_early {
                if !ran.is_subset(expected) {
                    return Err(format!("ran {ran:?}, oracle {expected:?} (stopped by -k)"));
                }
            } else if ran != *expected {
                return Err(format!("ran {ran:?}, oracle {expected:?}"));
            }
            let want_code = if failures > 0 { 1 } else { 0 };
            if out.code != want_code {
                return Err(format!("exit {} with {failures} failures", out.code));
            }
        }
    }
    // What ninja records in the build log for each step that succeeded.
    let mtimes = disk.mtimes();
    for (&step, &(_, ok)) in &ended {
        if !ok {
            continue;
        }
        let s = &model.steps[step];
        let start = start_clock[&step];
        let outs = s.outs(step);
        let now: Vec<i64> = outs
            .iter()
            .map(|o| mtimes.get(o.as_bytes()).copied().unwrap_or(0))
            .collect();
        let recorded = match s.kind {
            Kind::Restat { .. } | Kind::Generator => {
                // The outputs' mtimes before the command started: those it
                // has now unless the command wrote them (then newer).
                let unchanged =
                    matches!(s.kind, Kind::Restat { .. }) && now.iter().any(|&m| m < start);
                if unchanged {
                    start
                } else {
                    now.iter().copied().fold(start, i64::max)
                }
            }
            _ => start,
        };
        for (o, &m) in outs.iter().zip(&now) {
            ledger.log.insert(o.clone(), (s.command(step), recorded));
            if let Some(deps) = &s.deps {
                ledger.deps.insert(o.clone(), (m, deps.clone()));
            }
        }
    }
    let deps_log = disk
        .read(b".ninja_deps")
        .map(|d| DepsLog::parse(&d).log)
        .unwrap_or_default();
    for (output, (mtime, inputs)) in &ledger.deps {
        let got = deps_log.get(output.as_bytes()).map(|d| d.mtime);
        let paths: Vec<Vec<u8>> = deps_log
            .input_paths(output.as_bytes())
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.to_vec())
            .collect();
        let want: Vec<Vec<u8>> = inputs
            .iter()
            .map(|&k| source_path(k).into_bytes())
            .collect();
        if got != Some(*mtime) || paths != want {
            return Err(format!(
                "deps log entry for {output}: {got:?} {paths:?}, expected {mtime} {want:?}"
            ));
        }
    }
    let log = match disk.read(b".ninja_log") {
        Ok(data) => match BuildLog::parse(&data) {
            ReadOutcome::Loaded(log) => log,
            ReadOutcome::Discard(w) => return Err(format!("unreadable build log: {w}")),
        },
        Err(_) => BuildLog::default(),
    };
    for (output, (command, mtime)) in ledger.log.iter() {
        let Some(entry) = log.lookup(output.as_bytes()) else {
            return Err(format!("no build log entry for {output}"));
        };
        if entry.mtime != *mtime
            || entry.command_hash != n2ref::hash::command_hash(command.as_bytes())
        {
            return Err(format!(
                "build log entry for {output}: mtime {} hash {:x}, expected {mtime} for `{command}`",
                entry.mtime, entry.command_hash
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Random cases (from a seed, so proptest and quickcheck share them).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn gen_case(seed: u64, max_steps: usize) -> Case {
    let mut r = Rng(seed);
    let sources = 1 + r.below(4);
    let present: Vec<bool> = (0..sources).map(|_| r.chance(93)).collect();
    let n = 1 + r.below(max_steps.max(1));
    let mut steps: Vec<Step> = Vec::new();
    for i in 0..n {
        let kind = match r.below(100) {
            0..40 => Kind::Normal,
            40..55 => Kind::Restat { keep: true },
            55..65 => Kind::Restat { keep: false },
            65..75 => Kind::Generator,
            _ => Kind::Phony,
        };
        let mut candidates: Vec<In> = (0..sources).map(In::Source).collect();
        for (j, s) in steps.iter().enumerate() {
            for w in 0..s.outputs {
                candidates.push(In::Out(j, w));
            }
        }
        let pick = |r: &mut Rng, most: usize, used: &mut BTreeSet<In>| {
            let mut v = Vec::new();
            for _ in 0..r.below(most + 1) {
                let c = candidates[r.below(candidates.len())];
                if used.insert(c) {
                    v.push(c);
                }
            }
            v
        };
        let mut used = BTreeSet::new();
        let no_inputs = kind == Kind::Phony && r.chance(10);
        let (explicit, implicit, order_only) = if no_inputs {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            let e = pick(&mut r, 3, &mut used);
            let m = pick(&mut r, 1, &mut used);
            let o = pick(&mut r, 2, &mut used);
            (e, m, o)
        };
        let _ = i;
        steps.push(Step {
            kind,
            outputs: if kind != Kind::Phony && r.chance(30) {
                2
            } else {
                1
            },
            explicit,
            implicit,
            order_only,
            pool: [0, 0, 0, 0, 1, 2, 3][r.below(7)],
            fails: kind != Kind::Phony && r.chance(7),
            version: 0,
            deps: (kind != Kind::Phony && r.chance(25)).then(|| {
                let mut d: Vec<usize> = (0..r.below(3))
                    .map(|_| r.below(sources))
                    .filter(|&k| present[k])
                    .collect();
                d.sort_unstable();
                d.dedup();
                d
            }),
        });
    }
    let mut targets = vec![n - 1];
    for _ in 0..r.below(3) {
        let t = r.below(n);
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let list = |r: &mut Rng, most: usize, bound: usize| -> Vec<usize> {
        (0..r.below(most + 1)).map(|_| r.below(bound)).collect()
    };
    let touch = list(&mut r, 2, sources);
    let change = list(&mut r, 2, n);
    let remove = list(&mut r, 2, n);
    let pre = list(&mut r, 3, n);
    let bump = list(&mut r, 2, n);
    Case {
        model: Model { sources, steps },
        present,
        targets,
        j: 1 + r.below(4),
        k: r.below(4),
        seed: r.next(),
        touch,
        change,
        remove,
        pre,
        bump,
    }
}

/// 256 cases per engine; `N2REF_EXECUTOR_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("N2REF_EXECUTOR_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

mod with_proptest {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        #[test]
        fn executor_matches_the_oracle(seed in any::<u64>(), max_steps in 1usize..12) {
            let case = gen_case(seed, max_steps);
            if let Err(e) = check_case(&case) {
                prop_assert!(false, "{e}\ncase: {case:?}");
            }
        }
    }
}

mod with_quickcheck {
    use super::*;
    use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

    #[derive(Clone, Debug)]
    struct Seed(u64, usize);

    impl Arbitrary for Seed {
        fn arbitrary(g: &mut Gen) -> Seed {
            Seed(u64::arbitrary(g), 1 + usize::arbitrary(g) % 12)
        }
    }

    #[test]
    fn executor_matches_the_oracle() {
        fn prop(seed: Seed) -> TestResult {
            let case = gen_case(seed.0, seed.1);
            match check_case(&case) {
                Ok(()) => TestResult::passed(),
                Err(e) => TestResult::error(format!("{e}\ncase: {case:?}")),
            }
        }
        QuickCheck::new()
            .tests(256)
            .quickcheck(prop as fn(Seed) -> TestResult);
    }
}

/// Regression (found by the properties above): when restat cleaned `o0`,
/// the recheck of `o3` re-read its inputs' mtimes, so the phony `o2` (no
/// file) counted as 0 instead of its input's mtime and `o3` was wrongly
/// skipped (spec: [build.restat.recheck]).
#[test]
fn restat_recheck_keeps_a_phony_inputs_mtime() {
    let step = |kind, explicit: Vec<In>, implicit: Vec<In>| Step {
        kind,
        outputs: 1,
        explicit,
        implicit,
        order_only: Vec::new(),
        pool: 0,
        fails: false,
        version: 0,
        deps: None,
    };
    let model = Model {
        sources: 1,
        steps: vec![
            step(Kind::Restat { keep: true }, vec![In::Source(0)], vec![]),
            step(Kind::Normal, vec![In::Source(0)], vec![]),
            step(Kind::Phony, vec![], vec![In::Source(0)]),
            step(Kind::Normal, vec![In::Out(2, 0)], vec![In::Out(0, 0)]),
        ],
    };
    let case = Case {
        model,
        present: vec![true],
        targets: vec![3],
        j: 1,
        k: 1,
        seed: 1,
        touch: vec![0],
        change: vec![],
        remove: vec![],
        pre: vec![],
        bump: vec![],
    };
    check_case(&case).unwrap();
}

/// Regression (found by the properties above): restat cleaned `o0`, and
/// the recheck skipped `o1` although its deps log entry was missing (a
/// generator whose output exists), so its deps were never recorded
/// (spec: [build.restat.recheck]).
#[test]
fn restat_recheck_runs_a_step_whose_deps_are_missing() {
    let gen_with_deps = Step {
        kind: Kind::Generator,
        outputs: 1,
        explicit: vec![In::Out(0, 0)],
        implicit: Vec::new(),
        order_only: Vec::new(),
        pool: 0,
        fails: false,
        version: 0,
        deps: Some(vec![0]),
    };
    let keep = Step {
        kind: Kind::Restat { keep: true },
        explicit: vec![In::Source(0)],
        deps: None,
        ..gen_with_deps.clone()
    };
    let case = Case {
        model: Model {
            sources: 1,
            steps: vec![keep, gen_with_deps],
        },
        present: vec![true],
        targets: vec![1],
        j: 1,
        k: 1,
        seed: 1,
        touch: vec![],
        change: vec![],
        remove: vec![],
        pre: vec![0, 1],
        bump: vec![],
    };
    check_case(&case).unwrap();
}

/// How varied the generated cases are (`cargo test -- --ignored
/// --nocapture distribution`): builds with a missing-input error, with
/// commands run, with failures, and steps skipped by restat.
#[test]
#[ignore]
fn distribution() {
    let (mut missing, mut ran, mut failed, mut builds, mut cleaned) = (0, 0, 0, 0, 0);
    for seed in 0..2000u64 {
        let case = gen_case(seed.wrapping_mul(0x9e37_79b9), 11);
        let disk = MemDisk::default();
        for (s, &p) in case.present.iter().enumerate() {
            if p {
                disk.touch(source_path(s).as_bytes());
            }
        }
        for &i in &case.pre {
            disk.touch(out_path(i, 0).as_bytes());
        }
        check_case(&case).unwrap();
        builds += 1;
        match oracle(
            &case.model,
            &case.targets,
            &disk.mtimes(),
            &Ledger::default(),
            false,
        ) {
            Prediction::MissingInput => missing += 1,
            Prediction::Runs(r) => {
                ran += usize::from(!r.is_empty());
                failed += usize::from(r.iter().any(|&i| case.model.steps[i].fails));
                let wanted = case.model.wanted(&case.targets);
                let commands = (0..case.model.steps.len())
                    .filter(|&i| wanted[i] && case.model.steps[i].kind != Kind::Phony)
                    .count();
                cleaned += usize::from(r.len() < commands);
            }
        }
    }
    println!(
        "first builds: {builds}, missing input {missing}, ran {ran}, with a failure {failed}, \
         not every command ran {cleaned}"
    );
}

//! Watch mode (`n2ref build --watch`, spec/watch.md): build, then wait for
//! a change to a source or a manifest file, and build again, until
//! interrupted.
//!
//! The session owns a [`Backend`] (the operating system's notifications,
//! or polling) that watches the directories of the [`WatchSet`]. Events
//! are sorted out as they arrive (editors' temporary files and anything
//! that is not a watched file are dropped), then debounced: once no event
//! has come for the quiet period, the candidate files are stat-ed, and
//! only those whose state differs from when they were last seen count as
//! changes. A change to a manifest reloads the graph; any other change
//! starts a build, whose own scan decides, by ninja's usual rules, what is
//! dirty (a build with nothing to do prints nothing).

mod backend;
mod events;
mod filter;
#[cfg(target_os = "linux")]
mod inotify_backend;
mod notify_backend;
mod poll;
mod record;
mod set;

pub use backend::{Backend, Batch, FakeBackend, FakeHandle};
pub use events::EventLog;
pub use filter::is_editor_temp;
#[cfg(target_os = "linux")]
pub use inotify_backend::InotifyBackend;
pub use notify_backend::NotifyBackend;
pub use poll::PollBackend;
pub use record::{RecordingDisk, StatLog};
pub use set::{Kind, Source, Stats, WatchSet, collect_sources};

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::build::{Config, Ended, INTERRUPTED_EXIT, StepLog};
use crate::graph::{FileId, Graph};
use events::Result as BuildResult;
use set::Hit;

/// `--debounce`'s default, in milliseconds.
pub const DEFAULT_DEBOUNCE_MS: u64 = 50;

/// Stack for the thread a watched build runs on (the dependency scan
/// recurses along chains of edges).
const BUILD_STACK_BYTES: usize = 1 << 30;

/// How often an idle session looks at the interrupt flag.
const IDLE_TICK: Duration = Duration::from_millis(200);

/// How often a session looks for events while a build runs.
const BUSY_TICK: Duration = Duration::from_millis(20);

/// Watch mode's settings, from the command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--debounce MS`: the quiet period after the last event.
    pub debounce: Duration,
    /// `--watch-restart`: stop a running build when a change arrives.
    pub restart: bool,
    /// `--watch-poll MS`: poll instead of using notifications.
    pub poll: Option<Duration>,
    /// `--watch-events FILE`.
    pub events_file: Option<PathBuf>,
    /// `-d watch`: the events on stderr too.
    pub debug: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debounce: Duration::from_millis(DEFAULT_DEBOUNCE_MS),
            restart: false,
            poll: None,
            events_file: None,
            debug: false,
        }
    }
}

/// What loading the manifest gave.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per load; boxing the graph buys nothing"
)]
pub enum Load {
    /// The graph and the targets to build.
    Ready {
        graph: Graph,
        targets: Vec<FileId>,
        /// Every manifest file read (`build.ninja`, includes, subninjas).
        manifests: Vec<Vec<u8>>,
        /// The manifest's node in the graph, if an edge may regenerate it.
        manifest_node: Option<FileId>,
    },
    /// Loading failed (the error is printed); wait for a manifest change.
    Failed { manifests: Vec<Vec<u8>> },
}

/// Loads the manifest (regenerating it first if it is out of date), as the
/// caller's command line says. Gets the session of the manifest's own
/// build and the output streams.
pub type Loader<'a> =
    dyn FnMut(&mut crate::build::Session, &mut dyn Write, &mut dyn Write) -> io::Result<Load> + 'a;

/// The environment variable that chooses the notification backend on
/// Linux: `notify` for the portable `notify` crate, anything else (or
/// unset) for inotify called directly. Elsewhere `notify` is the only one.
pub const BACKEND_ENV: &str = "N2REF_WATCH_BACKEND";

/// Runs a watch session with the backend the options ask for; returns the
/// exit status.
pub fn run(
    options: &Options,
    config: &Config,
    load: &mut Loader,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> io::Result<i32> {
    let (tx, rx) = mpsc::channel();
    let backend: Box<dyn Backend> = match options.poll {
        Some(interval) => Box::new(PollBackend::new(tx, interval)),
        None => match notifications(tx.clone()) {
            Ok(b) => b,
            Err(reason) => {
                writeln!(
                    err,
                    "ninja: warning: watch: no file notifications ({reason}); polling every 100 ms"
                )?;
                Box::new(PollBackend::new(tx, Duration::from_millis(100)))
            }
        },
    };
    run_with_backend(options, config, backend, rx, load, out, err)
}

/// The operating system's notifications: on Linux inotify directly, for
/// the speed of setting up many watches (ARCHITECTURE.md, "watch/"), or
/// `notify` if [`BACKEND_ENV`] says so; elsewhere `notify`.
fn notifications(tx: Sender<Batch>) -> Result<Box<dyn Backend>, String> {
    #[cfg(target_os = "linux")]
    if std::env::var_os(BACKEND_ENV).is_none_or(|b| b != "notify") {
        return Ok(Box::new(InotifyBackend::new(tx)?));
    }
    Ok(Box::new(NotifyBackend::new(tx)?))
}

/// [`run`] with a given backend and the receiving end of its channel.
pub fn run_with_backend(
    options: &Options,
    config: &Config,
    backend: Box<dyn Backend>,
    rx: Receiver<Batch>,
    load: &mut Loader,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> io::Result<i32> {
    let events = EventLog::open(options.events_file.as_deref(), options.debug)?;
    let mut config = config.clone();
    config.steps = StepLog::enabled();
    let (disk, stats) = RecordingDisk::new(config.disk.clone());
    config.disk = std::sync::Arc::new(disk);
    let cwd = std::env::current_dir()?;
    let mut session = Session {
        options,
        config,
        backend,
        rx,
        set: WatchSet::new(cwd),
        events,
        builds: 0,
        sources: Vec::new(),
        pending: Pending::default(),
        settled: None,
        stats,
    };
    session.run(load, out, err)
}

/// Events seen but not yet settled.
#[derive(Default)]
struct Pending {
    /// Watched files that may have changed.
    candidates: HashSet<PathBuf>,
    /// Files already known to have changed (seen by a refresh).
    changed: Vec<PathBuf>,
    /// Events were lost: check every file.
    overflow: Option<String>,
    /// A watched directory itself was touched: watch it again.
    rewatch: bool,
    /// When the last event that mattered came.
    last: Option<Instant>,
}

/// What a settled batch of events changed.
struct Changes {
    /// A manifest file (or a source of the manifest's edge) changed.
    reload: bool,
}

struct Session<'a> {
    options: &'a Options,
    config: Config,
    backend: Box<dyn Backend>,
    rx: Receiver<Batch>,
    set: WatchSet,
    events: EventLog,
    builds: u64,
    sources: Vec<Source>,
    pending: Pending,
    /// Changes settled while a build ran, not yet acted on.
    settled: Option<Changes>,
    /// What the builds stat (through [`RecordingDisk`]).
    stats: StatLog,
}

/// Why waiting ended without a change.
struct Interrupted;

impl Session<'_> {
    fn run(
        &mut self,
        load: &mut Loader,
        out: &mut (dyn Write + Send),
        err: &mut (dyn Write + Send),
    ) -> io::Result<i32> {
        let mut first = true;
        loop {
            if self.config.interrupt.is_triggered() {
                return Ok(INTERRUPTED_EXIT);
            }
            let loaded = load(&mut crate::build::Session::default(), out, err)?;
            out.flush()?;
            let Load::Ready {
                mut graph,
                targets,
                manifests,
                manifest_node,
            } = loaded
            else {
                let Load::Failed { manifests } = loaded else {
                    unreachable!()
                };
                self.sources = manifests.into_iter().map(Source::manifest).collect();
                self.refresh(err, None)?;
                first = false;
                if self.wait(err)?.is_err() {
                    return Ok(INTERRUPTED_EXIT);
                }
                continue;
            };
            self.sources = collect_sources(&graph, &targets, &manifests, manifest_node);
            // A build follows.
            self.refresh(err, None)?;
            let mut quiet = !std::mem::take(&mut first);
            loop {
                let ended = self.build(&mut graph, &targets, quiet, out, err)?;
                if let Some(status) = ended {
                    return Ok(status);
                }
                quiet = true;
                // spec: [watch.set]
                self.sources = collect_sources(&graph, &targets, &manifests, manifest_node);
                let stats = self.stats.take();
                self.refresh(err, Some(&stats))?;
                match self.wait(err)? {
                    Err(Interrupted) => return Ok(INTERRUPTED_EXIT),
                    Ok(changes) if changes.reload => break,
                    Ok(_) => {}
                }
            }
            // ninja exits without freeing the graph; a reload need not
            // wait for it either.
            std::mem::forget(graph);
        }
    }

    /// Brings the backend's watches in line with `self.sources`; `after`:
    /// what the build that just ended stat'ed (see `WatchSet::refresh`).
    fn refresh(&mut self, err: &mut dyn Write, after: Option<&Stats>) -> io::Result<()> {
        let refresh = self
            .set
            .refresh(&self.sources, self.backend.as_mut(), after);
        for (dir, reason) in &refresh.failed {
            writeln!(
                err,
                "ninja: warning: watch: cannot watch '{}': {reason}",
                dir.display()
            )?;
        }
        if !refresh.changed.is_empty() {
            self.pending.changed.extend(refresh.changed);
            self.pending.last.get_or_insert_with(Instant::now);
        }
        self.events.watching(refresh.generation, refresh.dirs);
        Ok(())
    }

    /// Sorts out one batch from the backend into `self.pending`.
    fn take(&mut self, batch: Batch) {
        match batch {
            Batch::Paths(paths) => {
                for path in paths {
                    // spec: [watch.editor-temp]
                    let temp = path.file_name().is_some_and(is_editor_temp);
                    if temp && self.set.get(&path).is_none() {
                        continue;
                    }
                    match self.set.classify(&path) {
                        Some(Hit::File(key)) => {
                            self.pending.candidates.insert(key);
                        }
                        Some(Hit::Dir(dir)) => {
                            let files = self.set.files_in(&dir);
                            self.pending.candidates.extend(files);
                            self.pending.rewatch = true;
                        }
                        None => continue,
                    }
                    self.pending.last = Some(Instant::now());
                }
            }
            // spec: [watch.overflow]
            Batch::Overflow => {
                self.pending.overflow = Some("event queue overflowed".into());
                self.pending.last = Some(Instant::now());
            }
            Batch::Error(reason) => {
                self.pending.overflow = Some(reason);
                self.pending.last = Some(Instant::now());
            }
        }
    }

    /// Whether the pending events have been quiet for the debounce period.
    fn quiet(&self) -> bool {
        self.pending
            .last
            .is_some_and(|t| t.elapsed() >= self.options.debounce)
    }

    /// Stats the pending candidates; `None` if nothing really changed.
    fn settle(&mut self, err: &mut dyn Write) -> io::Result<Option<Changes>> {
        let mut pending = std::mem::take(&mut self.pending);
        if let Some(reason) = pending.overflow.take() {
            writeln!(
                err,
                "ninja: warning: watch: {reason}; checking every watched file"
            )?;
            self.events.overflow(&reason);
            pending.candidates.extend(self.set.all_files());
        }
        let mut changed = std::mem::take(&mut pending.changed);
        changed.extend(self.set.changed(&pending.candidates));
        let new_dirs = changed
            .iter()
            .any(|c| self.set.get(c).is_some_and(|w| w.kind == Kind::MissingDir));
        if pending.rewatch || new_dirs {
            let before = self.pending.changed.len();
            self.refresh(err, None)?;
            changed.extend(self.pending.changed.drain(before..));
            if self.pending.changed.is_empty() && self.pending.candidates.is_empty() {
                self.pending.last = None;
            }
        }
        if changed.is_empty() {
            return Ok(None);
        }
        changed.sort();
        changed.dedup();
        let mut reload = false;
        let mut shown = Vec::new();
        for key in &changed {
            if let Some(w) = self.set.get(key) {
                reload |= w.kind == Kind::Manifest;
                shown.push(String::from_utf8_lossy(&w.display).into_owned());
            }
        }
        self.events.changes(&shown);
        Ok(Some(Changes { reload }))
    }

    /// Waits for a change that matters, or the interrupt flag.
    fn wait(&mut self, err: &mut dyn Write) -> io::Result<Result<Changes, Interrupted>> {
        if let Some(changes) = self.settled.take() {
            return Ok(Ok(changes));
        }
        loop {
            if self.config.interrupt.is_triggered() {
                return Ok(Err(Interrupted));
            }
            if self.quiet()
                && let Some(changes) = self.settle(err)?
            {
                return Ok(Ok(changes));
            }
            let timeout = match self.pending.last {
                Some(t) => (t + self.options.debounce).saturating_duration_since(Instant::now()),
                None => IDLE_TICK,
            };
            match self.rx.recv_timeout(timeout) {
                Ok(batch) => self.take(batch),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    writeln!(err, "ninja: error: watch: the file watcher stopped")?;
                    return Ok(Err(Interrupted));
                }
            }
        }
    }

    /// Runs one build on a thread of its own while watching for changes;
    /// `Some(status)` when the user interrupted it and the session ends.
    /// `quiet`: a build with nothing to do prints nothing (spec:
    /// [watch.debounce]).
    fn build(
        &mut self,
        graph: &mut Graph,
        targets: &[FileId],
        quiet: bool,
        out: &mut (dyn Write + Send),
        err: &mut (dyn Write + Send),
    ) -> io::Result<Option<i32>> {
        self.builds += 1;
        let build = self.builds;
        self.config.steps.take();
        self.stats.take();
        self.set.build_started();
        self.events.build_start(build);
        let config = self.config.clone();
        let mut restarting = false;
        let result = std::thread::scope(|scope| -> io::Result<(BuildResult, i32)> {
            let config = &config;
            let graph_ref = &mut *graph;
            let handle = std::thread::Builder::new()
                .name("watch-build".into())
                .stack_size(BUILD_STACK_BYTES)
                .spawn_scoped(scope, move || -> io::Result<(BuildResult, i32)> {
                    // Each build reads the logs afresh.
                    let mut session = crate::build::Session::default();
                    let ended =
                        crate::build::run(graph_ref, targets, config, &mut session, out, err)?;
                    let result = match &ended {
                        Ended::UpToDate => BuildResult::UpToDate,
                        Ended::Succeeded { .. } => BuildResult::Succeeded,
                        Ended::Error(_) | Ended::Aborted(_) => BuildResult::Failed,
                        Ended::Stopped { code, .. } if *code == INTERRUPTED_EXIT => {
                            BuildResult::Interrupted
                        }
                        Ended::Stopped { .. } => BuildResult::Failed,
                    };
                    if quiet && result == BuildResult::UpToDate {
                        return Ok((result, 0));
                    }
                    let status = crate::build::report(ended, config, out, err)?;
                    out.flush()?;
                    Ok((result, status))
                })?;
            let mut quiet_err = io::stderr();
            while !handle.is_finished() {
                match self.rx.recv_timeout(BUSY_TICK) {
                    Ok(batch) => self.take(batch),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {}
                }
                // spec: [watch.restart]
                if self.options.restart
                    && !restarting
                    && self.quiet()
                    && let Some(changes) = self.settle(&mut quiet_err)?
                {
                    restarting = true;
                    self.settled = Some(changes);
                    config.interrupt.trigger();
                }
            }
            handle.join().unwrap_or(Ok((BuildResult::Failed, 1)))
        });
        let (result, status) = result?;
        let mut steps = Vec::new();
        let mut failed = Vec::new();
        for (edge, ok) in self.config.steps.take() {
            let e = &graph.edges[edge];
            let name = match e.outputs.first() {
                Some(&o) => String::from_utf8_lossy(&graph.files[o].path).into_owned(),
                None => String::new(),
            };
            if !ok {
                failed.push(name.clone());
            }
            steps.push(name);
        }
        self.events.build_end(build, result, &steps, &failed);
        if result == BuildResult::Interrupted {
            if restarting {
                self.config.interrupt.reset();
                return Ok(None);
            }
            return Ok(Some(status));
        }
        Ok(None)
    }
}

// The session test's rule is a POSIX `cp`.
#[cfg(all(test, unix))]
mod tests;

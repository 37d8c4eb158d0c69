//! The run: start commands as the scheduler allows, report them as they
//! finish, read their depfiles, apply `restat`, append to the logs.

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Instant;

use super::interrupt::SignalHandlers;
use super::jobserver::Slot;
use super::logs::{Logs, OpenMode};
use super::plan::{Plan, critical_path_weights};
use super::process::{self, Collected, Started};
use super::scan::{Input, MostRecent, Scan};
use super::status::{Progress, Status};
use super::{Config, Ended, is_true, lossy, must, now_nanos, path_bytes};
use crate::build_log::{self, LogEntry};
use crate::bytes_to_path;
use crate::densemap::Id;
use crate::depfile::parse_depfile;
use crate::expand::{Escape, edge_binding, edge_binding_escaped, edge_command};
use crate::graph::{CONSOLE_POOL, EdgeId, FileId, Graph, PHONY_RULE};
use crate::hash::command_hash;
use crate::work::{Options, Scheduler};

/// What one scan-plan-run round gave.
pub(super) enum Phase {
    Ended(Ended),
    /// These dyndep files can be loaded now; then scan again.
    LoadDyndeps(Vec<FileId>),
}
/// What a finished command gave.
pub(super) struct Outcome {
    pub(super) edge: EdgeId,
    /// 0 for success.
    pub(super) code: i32,
    pub(super) output: Vec<u8>,
    pub(super) start_ms: i32,
    pub(super) end_ms: i32,
}

/// A command started and not yet reported.
struct Active {
    started: Started,
    /// The how-manieth command of the round it is (commands that end at
    /// the same time are reported in the order they started, as ninja).
    #[cfg_attr(not(unix), allow(dead_code))]
    seq: usize,
    /// Its jobserver token.
    slot: Option<Slot>,
    start_ms: i32,
    /// Its outputs' mtimes before it started (0: missing), for the
    /// clean-up of an interrupted build.
    old_mtimes: Vec<i64>,
}

/// One round of the build: scan, plan and run until the end, or until a
/// dyndep file is ready to be loaded (then the running commands are
/// waited for and the caller loads it and starts a new round).
///
/// `logs` are the build's logs, opened by the first round that needs them
/// and kept for the rounds after it (the manifest's own build, the main
/// build, dyndep rounds), as ninja opens them once: each round leaves the
/// in-memory logs equal to the files it appended to.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_phase(
    graph: &Graph,
    targets: &[FileId],
    config: &Config,
    logs: &mut Option<Logs>,
    loaded: &HashSet<FileId>,
    weights: &mut Option<Vec<i64>>,
    progress: &mut Progress,
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Phase> {
    let logs = match logs {
        Some(logs) => logs,
        None => {
            let mode = if config.dry_run {
                OpenMode::ReadOnly
            } else {
                OpenMode::Write
            };
            match Logs::open_on(graph, mode, &*config.disk, err)? {
                Ok(opened) => logs.insert(opened),
                Err(message) => return Ok(Phase::Ended(Ended::Error(message))),
            }
        }
    };
    // The scan reads the build log and owns the deps log for the round
    // (the run records into it); both go back to `logs` at its end, with
    // the round's build log entries added.
    let build_log = std::mem::take(&mut logs.build_log);
    let deps_log = std::mem::take(&mut logs.deps_log);
    let mut entries = Vec::new();
    let mut scan =
        Scan::new(graph, &build_log, deps_log, loaded, config.explain).with_disk(&*config.disk);
    let phase = run_round(
        graph,
        targets,
        config,
        logs,
        &mut scan,
        &mut entries,
        weights,
        progress,
        build_start,
        out,
        err,
    );
    logs.deps_log = scan.into_deps_log();
    let mut build_log = build_log;
    for (file, entry) in entries {
        build_log.record(&graph.files[file].path, entry);
    }
    logs.build_log = build_log;
    phase
}

/// [`run_phase`] once the logs are open: `scan` holds the deps log and
/// reads the build log; the build log entries the round appends to the
/// file are also pushed to `entries`.
#[allow(clippy::too_many_arguments)]
fn run_round(
    graph: &Graph,
    targets: &[FileId],
    config: &Config,
    logs: &mut Logs,
    scan: &mut Scan<'_>,
    entries: &mut Vec<(FileId, LogEntry)>,
    weights: &mut Option<Vec<i64>>,
    progress: &mut Progress,
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Phase> {
    // Phase 1 and 2: scan and plan, target by target as ninja does.
    let mut plan = Plan {
        wanted: vec![false; graph.edges.len()],
        total: 0,
    };
    for &target in targets {
        if let Err(message) = scan.recompute(target) {
            return Ok(Phase::Ended(Ended::Error(message)));
        }
        if !scan.ready_dyndeps.is_empty() {
            return Ok(Phase::LoadDyndeps(std::mem::take(&mut scan.ready_dyndeps)));
        }
        if let Err(message) = plan.add(scan, target, None) {
            return Ok(Phase::Ended(Ended::Error(message)));
        }
        // Validations met anywhere below the target are targets of their
        // own, even under an edge that is up to date.
        for v in std::mem::take(&mut scan.validations) {
            if graph.files[v].in_edge.is_some()
                && let Err(message) = plan.add(scan, v, None)
            {
                return Ok(Phase::Ended(Ended::Error(message)));
            }
        }
    }
    if plan.total == 0 {
        if progress.finished > 0 {
            return Ok(Phase::Ended(Ended::Succeeded { dirty: false }));
        }
        return Ok(Phase::Ended(Ended::UpToDate));
    }
    let mut pending_dyndeps = std::mem::take(&mut scan.pending_dyndeps);
    if config.dry_run {
        pending_dyndeps.clear();
    }
    let mut restart: Vec<FileId> = Vec::new();

    let mut dirty = scan.edge_dirty.clone();
    let prev_elapsed = previous_durations(graph, scan.build_log);
    let mut status = Status::new(config, progress, prev_elapsed, out, err);
    status.begin_round();
    for (e, &wanted) in plan.wanted.iter().enumerate() {
        let edge = EdgeId::from_index(e);
        if wanted && dirty[e] && graph.edges[edge].rule != PHONY_RULE {
            status.edge_planned(edge);
        }
    }
    let mut sched = Scheduler::new(
        graph,
        Options {
            parallelism: if config.dry_run || config.jobserver.is_some() {
                0
            } else {
                config.parallelism
            },
            failures_allowed: config.failures_allowed,
        },
    );
    // In jobserver mode, job tokens replace -j (spec: [build.jobserver.client]).
    let parallelism = if config.jobserver.is_some() {
        None
    } else {
        Some(config.parallelism)
    };
    // Discovered inputs order the build like the others (ninja adds them
    // to its graph).
    // The weights of the first round that runs anything stay for the whole
    // build, even when a dyndep file adds edges (spec: [build.order.priority]).
    let w = weights.get_or_insert_with(|| {
        let _metric = crate::metrics::record("ComputeCriticalPath");
        critical_path_weights(graph, targets, &scan.discovered)
    });
    sched.set_priorities(w.clone());
    sched.set_discovered(
        scan.discovered_order
            .iter()
            .map(|&e| (e, scan.discovered[e.index()].clone()))
            .collect(),
    );
    for &target in targets {
        sched.want(target);
    }
    let (tx, rx) = mpsc::channel::<Collected<(EdgeId, i32)>>();
    // Commands that ended without running (dry run, failure to spawn);
    // a dry run finishes them first in, first out (spec: [build.order.dry-run]).
    let mut dry_done: VecDeque<Outcome> = VecDeque::new();
    let mut active: HashMap<EdgeId, Active> = HashMap::new();
    let mut running = 0usize;
    let mut started_count = 0usize;
    let mut interrupted_by_command = false;
    let mut exit_code = 0;
    let mut start_mtime = vec![0i64; graph.edges.len()];
    let millis = move |t: Instant| t.duration_since(build_start).as_millis() as i32;
    // Signals stop the build from now on, as in ninja once its command
    // runner exists (spec: [build.interrupt.signal]).
    let _signals = (!config.dry_run).then(SignalHandlers::install);
    // The token the gate took for the edge about to start.
    let token: Cell<Option<Slot>> = Cell::new(None);
    let mut gate = |edge: EdgeId| take_token(config, graph, edge, &token);
    loop {
        // spec: [build.load-average]
        let mut capacity = if config.dry_run {
            usize::MAX
        } else {
            capacity_now(config, parallelism, running)
        };
        while capacity > 0
            && restart.is_empty()
            && !config.interrupt.is_triggered()
            // Out of file descriptors: wait for a running command to end
            // (spec: [build.process.fd-limit]).
            && (running == 0
                || config.dry_run
                || config.runner.is_some()
                || process::descriptors_to_spare(running))
            && let Some(edge) = sched.next_to_start_gated(
                // An edge whose outputs were ready when the build
                // started (a phony edge with no inputs, even if its
                // file is missing) is done at once.
                &mut |e: EdgeId| dirty[e.index()] && !scan.outputs_ready[e.index()],
                &mut gate,
            )
        {
            let _metric = crate::metrics::record("StartEdge");
            let e = &graph.edges[edge];
            let console = e.pool == CONSOLE_POOL;
            let command = must(edge_command(graph, edge, false));
            let start_ms = millis(Instant::now());
            let x = &scan.explanations[edge.index()];
            // A console edge holds back the lines of the others until it
            // ends (spec: [build.order.console]).
            status.edge_started(graph, edge, i64::from(start_ms), x)?;
            if config.dry_run {
                dry_done.push_back(Outcome {
                    edge,
                    code: 0,
                    output: Vec::new(),
                    start_ms,
                    end_ms: start_ms,
                });
                running += 1;
                continue;
            }
            for &o in &e.outputs {
                make_dirs(config, &graph.files[o].path);
            }
            let rspfile = must(edge_binding_escaped(graph, edge, "rspfile", Escape::None));
            if !rspfile.is_empty() {
                let content = must(edge_binding(graph, edge, "rspfile_content"));
                make_dirs(config, &rspfile);
                let _ = config.disk.write(&rspfile, &content);
            }
            // The file system's idea of "now" (ninja touches a lock file).
            let _ = config.disk.write(path_bytes(&logs.lock_path), b"");
            start_mtime[edge.index()] = match config.disk.stat(path_bytes(&logs.lock_path)) {
                0 => now_nanos(),
                m => m,
            };
            let old_mtimes = e.outputs.iter().map(|&o| scan.mtime(o)).collect();
            let slot = token.take();
            running += 1;
            capacity -= 1;
            capacity = capacity.min(capacity_now(config, parallelism, running));
            let spawned = match &config.runner {
                Some(runner) => runner
                    .start(edge, &command, console)
                    .map(|()| Started::external()),
                None => process::spawn(&command, console, (edge, start_ms), tx.clone()),
            };
            match spawned {
                Ok(started) => {
                    active.insert(
                        edge,
                        Active {
                            started,
                            seq: {
                                started_count += 1;
                                started_count
                            },
                            slot,
                            start_ms,
                            old_mtimes,
                        },
                    );
                }
                Err(error) => {
                    if let (Some(js), Some(slot)) = (&config.jobserver, slot) {
                        js.release(slot);
                    }
                    dry_done.push_back(Outcome {
                        edge,
                        code: 127,
                        output: format!("posix_spawn: {error}\n").into_bytes(),
                        start_ms,
                        end_ms: millis(Instant::now()),
                    });
                }
            }
        }
        if running == 0 {
            break;
        }
        let outcome = match dry_done.pop_front() {
            Some(o) => o,
            None => match wait_for_command(config, &rx, &mut active) {
                Some(collected) => {
                    let (edge, _) = collected.tag;
                    let a = active.remove(&edge).expect("a running command");
                    let code = match collected.code {
                        Some(code) => code,
                        None => a.started.reap(),
                    };
                    if let (Some(js), Some(slot)) = (&config.jobserver, a.slot) {
                        js.release(slot);
                    }
                    Outcome {
                        edge,
                        code,
                        output: collected.output,
                        start_ms: a.start_ms,
                        end_ms: millis(Instant::now()),
                    }
                }
                None => {
                    let signal = config.interrupt.signal_for_children();
                    abort(graph, config, active, &rx, Some(signal));
                    break;
                }
            },
        };
        let _metric = crate::metrics::record("FinishCommand");
        running -= 1;
        if outcome.code == super::INTERRUPTED_EXIT && !config.dry_run {
            // A command that exits with 130 (or dies of SIGINT, SIGTERM
            // or SIGHUP) interrupts the build as a signal would: it is not
            // reported, and the others are waited for, not signalled
            // (spec: [build.interrupt.command]).
            interrupted_by_command = true;
            abort(graph, config, std::mem::take(&mut active), &rx, None);
            break;
        }
        let edge = outcome.edge;
        let e = &graph.edges[edge];
        let mut code = outcome.code;
        let mut output = outcome.output;

        // Discovered dependencies before reporting (spec: [depfile.load.gcc],
        // [depfile.msvc]): `deps = msvc` also filters the printed output.
        let deps_type = must(edge_binding(graph, edge, "deps"));
        let deps_inputs = extract_deps(graph, edge, &deps_type, config, &mut code, &mut output);

        // Report.
        let times = (i64::from(outcome.start_ms), i64::from(outcome.end_ms));
        let x = &scan.explanations[edge.index()];
        status.edge_finished(graph, edge, times, x)?;
        config.steps.record(edge, code == 0);
        if code != 0 {
            status.print_failure(graph, edge, code)?;
        }
        if !output.is_empty() {
            status.print_output(&output)?;
        }
        if code != 0 {
            exit_code = code;
            sched.finished(edge, false);
            continue;
        }

        // Success: restat, log.
        let mut record_mtime = start_mtime[edge.index()];
        if !config.dry_run {
            let restat = is_true(graph, edge, "restat");
            let generator = is_true(graph, edge, "generator");
            if restat || generator {
                let mut cleaned = false;
                for &o in &e.outputs {
                    let new_mtime = config.disk.stat(&graph.files[o].path);
                    record_mtime = record_mtime.max(new_mtime);
                    if restat && scan.mtime[o.index()] == Some(new_mtime) {
                        clean_file(scan, &plan, &sched, &mut dirty, &mut status, o);
                        cleaned = true;
                    }
                }
                if cleaned {
                    record_mtime = start_mtime[edge.index()];
                }
            }
            for &o in &e.outputs {
                scan.mtime[o.index()] = None;
            }
        }
        sched.finished(edge, true);
        for &o in &e.outputs {
            if pending_dyndeps.contains(&o) && sched.failures() == 0 {
                restart.push(o);
            }
        }
        if config.dry_run {
            continue;
        }
        let rspfile = must(edge_binding_escaped(graph, edge, "rspfile", Escape::None));
        if !rspfile.is_empty() && !config.keep_rsp {
            let _ = config.disk.remove(&rspfile);
        }
        let hash = command_hash(&must(edge_command(graph, edge, true)));
        for &o in &e.outputs {
            let entry = LogEntry {
                start_ms: outcome.start_ms,
                end_ms: outcome.end_ms,
                mtime: record_mtime,
                command_hash: hash,
            };
            if let Err(error) = config.disk.append_log(
                &mut logs.build_log_file,
                &build_log::format_entry(&graph.files[o].path, &entry),
            ) {
                return log_write_failed(graph, config, active, &rx, &mut status, "build", &error);
            }
            entries.push((o, entry));
        }
        if !deps_type.is_empty() {
            let inputs: Vec<&[u8]> = deps_inputs.iter().map(|v| v.as_slice()).collect();
            for &o in &e.outputs {
                let mtime = config.disk.stat(&graph.files[o].path);
                let written = scan
                    .deps_log
                    .record(&graph.files[o].path, mtime, &inputs)
                    .and_then(|bytes| match bytes.is_empty() {
                        true => Ok(()),
                        false => config.disk.append_log(&mut logs.deps_log_file, &bytes),
                    });
                if let Err(error) = written {
                    return log_write_failed(
                        graph,
                        config,
                        active,
                        &rx,
                        &mut status,
                        "deps",
                        &error,
                    );
                }
            }
        }
    }

    if config.interrupt.is_triggered() || interrupted_by_command {
        status.finish()?;
        return Ok(Phase::Ended(Ended::Stopped {
            message: super::INTERRUPTED_MESSAGE,
            code: super::INTERRUPTED_EXIT,
        }));
    }
    if !restart.is_empty() && sched.failures() == 0 {
        return Ok(Phase::LoadDyndeps(restart));
    }
    status.finish()?;
    if sched.succeeded() {
        let dirty = targets.first().is_some_and(|t| scan.file_dirty[t.index()]);
        return Ok(Phase::Ended(Ended::Succeeded { dirty }));
    }
    let failures = sched.failures();
    let k = config.failures_allowed;
    let message = if sched.is_stopped() {
        if k > 1 {
            "subcommands failed"
        } else {
            "subcommand failed"
        }
    } else if failures > 0 {
        "cannot make progress due to previous errors"
    } else {
        "stuck [this is a bug]"
    };
    Ok(Phase::Ended(Ended::Stopped {
        message,
        code: if exit_code == 0 { 1 } else { exit_code },
    }))
}

/// A log could not be written (a full disk, a deps record too large): as
/// ninja, the build stops at once. No new command starts; the running
/// ones are waited for, not signalled, and cleaned up after as in an
/// interruption ([`abort`]); the build ends with `ninja: build stopped:
/// Error writing to LOG log: ERROR.` (exit status 1). The output whose
/// record was lost has no (or a cut) entry, so the next build runs its
/// edge again: nothing is taken as up to date that is not.
///
/// spec: [build.log.write-error]
fn log_write_failed(
    graph: &Graph,
    config: &Config,
    active: HashMap<EdgeId, Active>,
    rx: &mpsc::Receiver<Collected<(EdgeId, i32)>>,
    status: &mut Status,
    log: &str,
    error: &io::Error,
) -> io::Result<Phase> {
    abort(graph, config, active, rx, None);
    status.finish()?;
    Ok(Phase::Ended(Ended::Aborted(format!(
        "Error writing to {log} log: {}",
        crate::load::io_error_text(error)
    ))))
}

/// Each edge's duration in the previous build: that of the first of its
/// outputs the build log knows (for the status line's time prediction).
fn previous_durations(graph: &Graph, build_log: &build_log::BuildLog) -> Vec<Option<i64>> {
    let mut prev = vec![None; graph.edges.len()];
    for (e, slot) in prev.iter_mut().enumerate() {
        let edge = &graph.edges[EdgeId::from_index(e)];
        *slot = edge.outputs.iter().find_map(|&o| {
            let entry = build_log.lookup(&graph.files[o].path)?;
            Some(i64::from(entry.end_ms) - i64::from(entry.start_ms))
        });
    }
    prev
}

/// How many more commands may start now (`-j`, or the jobserver, and `-l`).
fn capacity_now(config: &Config, parallelism: Option<usize>, running: usize) -> usize {
    let load = if config.max_load_average > 0.0 {
        load_average()
    } else {
        0.0
    };
    crate::work::start_capacity(parallelism, running, config.max_load_average, load)
}

/// The one-minute load average, as ninja reads it (-0.0 if unknown).
#[cfg(unix)]
fn load_average() -> f64 {
    let mut loads = [0.0f64; 3];
    // SAFETY: `loads` has room for the 3 values asked for.
    if unsafe { libc::getloadavg(loads.as_mut_ptr(), 3) } < 0 {
        return -0.0;
    }
    loads[0]
}

/// No load information on Windows (ninja computes its own from CPU
/// times; n2ref does not): -0.0, which never holds a command back.
#[cfg(not(unix))]
fn load_average() -> f64 {
    -0.0
}

/// The scheduler's gate: in jobserver mode an edge may leave the queues
/// only with a token (spec: [build.jobserver.client]). A command keeps its
/// token in `token` until it ends; a phony edge gives it back at once.
fn take_token(config: &Config, graph: &Graph, edge: EdgeId, token: &Cell<Option<Slot>>) -> bool {
    let Some(js) = config.jobserver.as_ref().filter(|_| !config.dry_run) else {
        return true;
    };
    let Some(slot) = js.try_acquire() else {
        return false;
    };
    if graph.edges[edge].rule == PHONY_RULE {
        js.release(slot);
    } else {
        token.set(Some(slot));
    }
    true
}

/// Makes the directory `path` is in, unless it exists: stat it first, as
/// ninja does (a `mkdir` of an existing directory takes the lock of its
/// parent, which the commands creating files there contend for).
fn make_dirs(config: &Config, path: &[u8]) {
    if let Some(parent) = bytes_to_path(path).parent()
        && !parent.as_os_str().is_empty()
        && config.disk.stat(path_bytes(parent)) == 0
    {
        let _ = config.disk.create_dir_all(path_bytes(parent));
    }
}

/// Waits for the next command to end; `None` once the build is
/// interrupted. Starting commands is not retried meanwhile (so neither
/// job tokens nor the load average are polled), as in ninja.
fn wait_for_command(
    config: &Config,
    rx: &mpsc::Receiver<Collected<(EdgeId, i32)>>,
    #[cfg_attr(not(unix), allow(unused_variables))] active: &mut HashMap<EdgeId, Active>,
) -> Option<Collected<(EdgeId, i32)>> {
    if let Some(runner) = &config.runner {
        if config.interrupt.is_triggered() {
            return None;
        }
        let (edge, code, output) = runner.wait()?;
        return Some(Collected {
            tag: (edge, 0),
            output,
            code: Some(code),
        });
    }
    loop {
        if config.interrupt.is_triggered() {
            return None;
        }
        // Unix: captured commands' pipes are polled here; console
        // commands (and, elsewhere, every command) report on `rx`.
        #[cfg(unix)]
        {
            match rx.try_recv() {
                Ok(collected) => return Some(collected),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => return None,
            }
            let mut captured: Vec<(usize, EdgeId, &mut Started)> = active
                .iter_mut()
                .map(|(&edge, a)| (a.seq, edge, &mut a.started))
                .collect();
            captured.sort_by_key(|&(seq, ..)| seq);
            if captured.iter().any(|(_, _, s)| !s.is_console()) {
                let ended = process::wait_any(captured.into_iter().map(|(_, e, s)| (e, s)), 20);
                if let Some((edge, output)) = ended {
                    return Some(Collected {
                        tag: (edge, 0),
                        output,
                        code: None,
                    });
                }
                continue;
            }
        }
        match rx.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok(collected) => return Some(collected),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// An interrupted build (ninja's `Builder::Cleanup`): gives back the job
/// tokens, sends `signal` (if any) to each running command's process
/// group, waits for every command, then removes the outputs they may have
/// left half-written.
///
/// spec: [build.interrupt.signal] [build.interrupt.cleanup]
fn abort(
    graph: &Graph,
    config: &Config,
    active: HashMap<EdgeId, Active>,
    rx: &mpsc::Receiver<Collected<(EdgeId, i32)>>,
    signal: Option<i32>,
) {
    let mut active: Vec<(EdgeId, Active)> = active.into_iter().collect();
    active.sort_by_key(|(edge, _)| *edge);
    let mut consoles = 0;
    for (_, a) in &mut active {
        if let (Some(js), Some(slot)) = (&config.jobserver, a.slot.take()) {
            js.release(slot);
        }
        if let Some(signal) = signal {
            a.started.kill_group(signal);
        }
        consoles += usize::from(a.started.is_console());
    }
    let mut cleanup = Vec::new();
    for (edge, a) in active {
        if !a.started.is_console() {
            a.started.reap();
        }
        cleanup.push((edge, a.old_mtimes));
    }
    // A console command got a terminal's signal itself; wait for it.
    if let Some(runner) = &config.runner {
        for _ in 0..consoles {
            runner.wait();
        }
        consoles = 0;
    }
    while consoles > 0 {
        match rx.recv() {
            Ok(collected) if collected.code.is_some() => consoles -= 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    for (edge, old_mtimes) in cleanup {
        let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
        for (&o, old) in graph.edges[edge].outputs.iter().zip(old_mtimes) {
            // A rule with a depfile may have written the depfile but not
            // yet its output: its outputs always go.
            let path = &graph.files[o].path;
            if !depfile.is_empty() || config.disk.stat(path) != old {
                let _ = config.disk.remove(path);
            }
        }
        if !depfile.is_empty() {
            let _ = config.disk.remove(&depfile);
        }
    }
}

/// The dependencies an edge with `deps` discovered: read from its depfile
/// (`gcc`) or from its output (`msvc`, whose include lines are taken out
/// of `output`). A failure to read them fails a command that succeeded:
/// the error text is appended to its output and `code` becomes 1.
fn extract_deps(
    graph: &Graph,
    edge: EdgeId,
    deps_type: &[u8],
    config: &Config,
    code: &mut i32,
    output: &mut Vec<u8>,
) -> Vec<Vec<u8>> {
    let fail = |message: String, code: &mut i32, output: &mut Vec<u8>| {
        if *code == 0 {
            if !output.is_empty() {
                output.push(b'\n');
            }
            output.extend(message.bytes());
            *code = 1;
        }
    };
    match deps_type {
        b"" => Vec::new(),
        b"msvc" => {
            // spec: [depfile.msvc] even when the command failed.
            let prefix = must(edge_binding(graph, edge, "msvc_deps_prefix"));
            let parsed = crate::msvc_deps::parse(output, &prefix);
            *output = parsed.output;
            parsed.includes.into_iter().collect()
        }
        b"gcc" => {
            if config.dry_run {
                return Vec::new();
            }
            let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
            if depfile.is_empty() {
                // spec: [depfile.load.gcc]
                fail(
                    "edge with deps=gcc but no depfile makes no sense".into(),
                    code,
                    output,
                );
                return Vec::new();
            }
            match config.disk.read(&depfile) {
                Ok(content) => match parse_depfile(&content) {
                    Ok(parsed) => {
                        let inputs = parsed
                            .inputs
                            .into_iter()
                            .map(|mut p| {
                                crate::canon::canonicalize(&mut p);
                                p
                            })
                            .collect();
                        if !config.keep_depfile {
                            let _ = config.disk.remove(&depfile);
                        }
                        inputs
                    }
                    Err(error) => {
                        fail(error.to_string(), code, output);
                        Vec::new()
                    }
                },
                Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
                Err(error) => {
                    let message = format!(
                        "loading '{}': {}",
                        lossy(&depfile),
                        crate::load::io_error_text(&error)
                    );
                    fail(message, code, output);
                    Vec::new()
                }
            }
        }
        other => {
            // ninja: a fatal error once the command has finished.
            let _ = io::stdout().flush();
            eprintln!("ninja: fatal: unknown deps type '{}'", lossy(other));
            std::process::exit(1);
        }
    }
}

/// `restat`: `file` did not change, so edges that were dirty only because
/// of it need not run (ninja's `Plan::CleanNode`). Each edge cleaned this
/// way cleans its own outputs in turn, depth first as in ninja, on a stack
/// of its own (a chain of any length needs no deep call stack).
pub(super) fn clean_file(
    scan: &mut Scan,
    plan: &Plan,
    sched: &Scheduler,
    dirty: &mut [bool],
    status: &mut Status,
    file: FileId,
) {
    /// Where the cleaning of one file or one edge's outputs is.
    enum Frame {
        /// A cleaned file, the next of its readers to look at.
        Readers(FileId, usize),
        /// The outputs of a cleaned edge, the next one to clean.
        Outputs(EdgeId, usize),
    }
    let graph = scan.graph;
    scan.file_dirty[file.index()] = false;
    let mut stack = vec![Frame::Readers(file, 0)];
    while let Some(frame) = stack.last_mut() {
        match frame {
            Frame::Readers(file, next) => {
                let Some(consumer) = sched.reader(*file, *next) else {
                    stack.pop();
                    continue;
                };
                *next += 1;
                if clean_edge(scan, plan, sched, dirty, status, consumer) {
                    stack.push(Frame::Outputs(consumer, 0));
                }
            }
            Frame::Outputs(edge, next) => {
                let Some(&o) = graph.edges[*edge].outputs.get(*next) else {
                    stack.pop();
                    continue;
                };
                *next += 1;
                scan.file_dirty[o.index()] = false;
                stack.push(Frame::Readers(o, 0));
            }
        }
    }
}

/// [`clean_file`] for one reader of a cleaned file: whether `consumer`,
/// wanted and not started, is now clean (then it is taken out of the plan
/// and its outputs are cleaned next).
fn clean_edge(
    scan: &mut Scan,
    plan: &Plan,
    sched: &Scheduler,
    dirty: &mut [bool],
    status: &mut Status,
    consumer: EdgeId,
) -> bool {
    use crate::work::BuildState;
    let graph = scan.graph;
    // Readers through discovered inputs count too (ninja's graph has them).
    let c = consumer.index();
    if !plan.wanted[c] || !dirty[c] {
        return false;
    }
    if !matches!(sched.state(consumer), BuildState::Want | BuildState::Ready) {
        return false;
    }
    // An edge whose deps could not be loaded runs to record them
    // (spec: [build.restat.recheck]).
    if scan.deps_missing[c] {
        return false;
    }
    let e = &graph.edges[consumer];
    let non_order_only = e.inputs.len() - e.order_only_inputs;
    let is_dirty = |f: &FileId| scan.file_dirty[f.index()];
    if e.inputs[..non_order_only].iter().any(is_dirty) || scan.discovered[c].iter().any(is_dirty) {
        return false;
    }
    let mut most_recent = None;
    // The mtimes the scan saw, not re-read: a phony output keeps the
    // mtime of its newest input, as in ninja (spec: [build.restat.recheck]).
    for n in 0..non_order_only + scan.discovered[c].len() {
        let f = match e.inputs[..non_order_only].get(n) {
            Some(&f) => f,
            None => scan.discovered[c][n - non_order_only],
        };
        let m = scan.mtime(f);
        MostRecent::update(&mut most_recent, Input::File(f), m);
    }
    for i in 0..scan.discovered_extra[c].len() {
        let m = scan.discovered_extra[c][i].1;
        MostRecent::update(&mut most_recent, Input::Extra(i), m);
    }
    let saved = scan.explain;
    scan.explain = false;
    let still_dirty = scan.outputs_dirty(consumer, most_recent);
    scan.explain = saved;
    if still_dirty {
        return false;
    }
    dirty[c] = false;
    if e.rule != PHONY_RULE {
        status.edge_unplanned(consumer);
    }
    true
}

// Unix only: the manifests name absolute temp paths, whose drive colon
// (`C:`) would end a build statement's outputs on Windows; the second test
// also needs a shell command line, a pid and kill(2).
#[cfg(all(test, unix))]
mod tests {
    use crate::build::{Config, Ended, INTERRUPTED_EXIT, INTERRUPTED_MESSAGE, run};
    use crate::test_support::graph;

    #[test]
    fn an_interrupted_build_starts_nothing_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let mut g = graph(&format!(
            "builddir = {d}\nrule touch\n  command = touch $out\nbuild {d}/out: touch\n"
        ));
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        let config = Config::default();
        config.interrupt.trigger();
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut session = super::super::Session::default();
        let ended = run(
            &mut g,
            &[out],
            &config,
            &mut session,
            &mut stdout,
            &mut stderr,
        )
        .unwrap();
        assert!(matches!(
            ended,
            Ended::Stopped {
                message: INTERRUPTED_MESSAGE,
                code: INTERRUPTED_EXIT
            }
        ));
        assert!(!dir.path().join("out").exists());
    }

    /// Watch mode's programmatic stop kills the running commands (their
    /// process groups get SIGINT) and cleans up as a signal would.
    #[test]
    fn a_trigger_mid_build_stops_running_commands() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let mut g = graph(&format!(
            "builddir = {d}\nrule slow\n  command = echo $$$$ > $out.pid; printf x > $out; \
             sh -c 'sleep 30'; touch $out\nbuild {d}/out: slow\n"
        ));
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        let config = Config::default();
        let interrupt = config.interrupt.clone();
        let pid_file = dir.path().join("out.pid");
        let trigger = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !std::fs::read_to_string(&pid_file).is_ok_and(|t| t.ends_with('\n')) {
                assert!(start.elapsed().as_secs() < 30, "the command did not start");
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            interrupt.trigger();
            std::fs::read_to_string(&pid_file)
                .unwrap()
                .trim()
                .parse::<i32>()
                .unwrap()
        });
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut session = super::super::Session::default();
        let start = std::time::Instant::now();
        let ended = run(
            &mut g,
            &[out],
            &config,
            &mut session,
            &mut stdout,
            &mut stderr,
        )
        .unwrap();
        let pid = trigger.join().unwrap();
        assert!(start.elapsed().as_secs() < 20, "the command was not killed");
        assert!(matches!(
            ended,
            Ended::Stopped {
                message: INTERRUPTED_MESSAGE,
                code: INTERRUPTED_EXIT
            }
        ));
        // SAFETY: signal 0 only checks whether the process exists; the
        // shell was reaped by the build, so its pid is gone.
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1);
        assert!(!dir.path().join("out").exists(), "partial output removed");
        assert_eq!(config.interrupt.received_signal(), None);
    }
}

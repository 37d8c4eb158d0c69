//! The run: start commands as the scheduler allows, report them as they
//! finish, read their depfiles, apply `restat`, append to the logs.

use std::collections::{HashSet, VecDeque};
use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Instant;

use super::logs::{Logs, OpenMode};
use super::plan::{Plan, critical_path_weights};
use super::process::run_command;
use super::scan::Scan;
use super::status::{Status, strip_ansi_escapes};
use super::{Config, Ended, is_true, lossy, must, now_nanos, path_bytes, stat};
use crate::build_log::{self, LogEntry};
use crate::bytes_to_path;
use crate::densemap::Id;
use crate::depfile::parse_depfile;
use crate::deps_log;
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

/// One round of the build: scan, plan and run until the end, or until a
/// dyndep file is ready to be loaded (then the running commands are
/// waited for and the caller loads it and starts a new round).
#[allow(clippy::too_many_arguments)]
pub(super) fn run_phase(
    graph: &Graph,
    targets: &[FileId],
    config: &Config,
    loaded: &HashSet<FileId>,
    (base, finished, total): (usize, &mut usize, &mut usize),
    build_start: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Phase> {
    let mode = if config.dry_run {
        OpenMode::ReadOnly
    } else {
        OpenMode::Write
    };
    let mut logs = match Logs::open(graph, mode, err)? {
        Ok(logs) => logs,
        Err(message) => return Ok(Phase::Ended(Ended::Error(message))),
    };

    // Phase 1 and 2: scan and plan, target by target as ninja does.
    let build_log = std::mem::take(&mut logs.build_log);
    let scan_deps_log = logs.deps_log.clone();
    let mut scan = Scan::new(graph, &build_log, &scan_deps_log, loaded, config.explain);
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
        if let Err(message) = plan.add(&scan, target, None) {
            return Ok(Phase::Ended(Ended::Error(message)));
        }
    }
    if plan.total == 0 {
        if *finished > 0 {
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
    let mut status = Status {
        out,
        err,
        have_blank_line: true,
        console_locked: false,
        line_buffer: Vec::new(),
        output_buffer: Vec::new(),
        finished: *finished,
        total: base + *finished + plan.total,
        verbosity: config.verbosity,
    };
    let mut sched = Scheduler::new(
        graph,
        Options {
            parallelism: if config.dry_run {
                0
            } else {
                config.parallelism
            },
            failures_allowed: config.failures_allowed,
        },
    );
    sched.set_priorities(critical_path_weights(graph, targets));
    for &target in targets {
        sched.want(target);
    }
    let (tx, rx) = mpsc::channel::<Outcome>();
    let mut dry_done: VecDeque<Outcome> = VecDeque::new();
    let mut running = 0usize;
    let mut exit_code = 0;
    let mut start_mtime = vec![0i64; graph.edges.len()];
    let millis = move |t: Instant| t.duration_since(build_start).as_millis() as i32;
    loop {
        while restart.is_empty()
            && !config.interrupt.is_triggered()
            && let Some(edge) = sched.next_to_start(&mut |e: EdgeId| dirty[e.index()])
        {
            let e = &graph.edges[edge];
            let console = e.pool == CONSOLE_POOL;
            let command = must(edge_command(graph, edge, false));
            let start_ms = millis(Instant::now());
            if console {
                let x = std::mem::take(&mut scan.explanations[edge.index()]);
                status.print_status(graph, edge, &x)?;
                status.set_console_locked(true)?;
            }
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
                if let Some(parent) = bytes_to_path(&graph.files[o].path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    let _ = std::fs::create_dir_all(parent);
                }
            }
            let rspfile = must(edge_binding_escaped(graph, edge, "rspfile", Escape::None));
            if !rspfile.is_empty() {
                let content = must(edge_binding(graph, edge, "rspfile_content"));
                let path = bytes_to_path(&rspfile);
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(path, content);
            }
            // The file system's idea of "now" (ninja touches a lock file).
            let _ = std::fs::write(&logs.lock_path, b"");
            start_mtime[edge.index()] = match stat(path_bytes(&logs.lock_path)) {
                0 => now_nanos(),
                m => m,
            };
            let tx = tx.clone();
            running += 1;
            std::thread::spawn(move || {
                let (code, output) = run_command(&command, console);
                let end_ms = millis(Instant::now());
                let _ = tx.send(Outcome {
                    edge,
                    code,
                    output,
                    start_ms,
                    end_ms,
                });
            });
        }
        if running == 0 {
            break;
        }
        let outcome = match dry_done.pop_front() {
            Some(o) => o,
            None => match rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(o) => o,
                // Look at the interrupt flag now and then.
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
        };
        running -= 1;
        let edge = outcome.edge;
        let e = &graph.edges[edge];
        let mut code = outcome.code;
        let mut output = outcome.output;

        // Discovered dependencies (deps = gcc) before reporting.
        let deps_type = must(edge_binding(graph, edge, "deps"));
        let mut deps_inputs: Vec<Vec<u8>> = Vec::new();
        if !deps_type.is_empty() && !config.dry_run {
            let depfile = must(edge_binding_escaped(graph, edge, "depfile", Escape::None));
            if !depfile.is_empty() {
                match std::fs::read(bytes_to_path(&depfile)) {
                    Ok(content) => match parse_depfile(&content) {
                        Ok(parsed) => {
                            deps_inputs = parsed
                                .inputs
                                .into_iter()
                                .map(|mut p| {
                                    crate::canon::canonicalize(&mut p);
                                    p
                                })
                                .collect();
                            if !config.keep_depfile {
                                let _ = std::fs::remove_file(bytes_to_path(&depfile));
                            }
                        }
                        Err(error) => {
                            if code == 0 {
                                if !output.is_empty() {
                                    output.push(b'\n');
                                }
                                output.extend(error.to_string().bytes());
                                code = 1;
                            }
                        }
                    },
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => {
                        if code == 0 {
                            if !output.is_empty() {
                                output.push(b'\n');
                            }
                            output.extend(
                                format!(
                                    "loading '{}': {}",
                                    lossy(&depfile),
                                    crate::load::io_error_text(&error)
                                )
                                .bytes(),
                            );
                            code = 1;
                        }
                    }
                }
            }
        }

        // Report.
        status.finished += 1;
        config.steps.record(edge, code == 0);
        let console = e.pool == CONSOLE_POOL;
        if console {
            status.set_console_locked(false)?;
        }
        if !console {
            let x = std::mem::take(&mut scan.explanations[edge.index()]);
            status.print_status(graph, edge, &x)?;
        }
        if code != 0 {
            let mut outs = String::new();
            for &o in &e.outputs {
                outs.push_str(&lossy(&graph.files[o].path));
                outs.push(' ');
            }
            status.print_on_new_line(format!("FAILED: [code={code}] {outs}\n").as_bytes())?;
            let mut command = must(edge_command(graph, edge, false));
            command.push(b'\n');
            status.print_on_new_line(&command)?;
        }
        if !output.is_empty() {
            // Not a smart terminal: escape sequences are stripped unless
            // CLICOLOR_FORCE asks for color.
            let color = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
            if !color && output.contains(&0x1b) {
                output = strip_ansi_escapes(&output);
            }
            status.print_on_new_line(&output)?;
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
                    let new_mtime = stat(&graph.files[o].path);
                    record_mtime = record_mtime.max(new_mtime);
                    if restat && scan.mtime[o.index()] == Some(new_mtime) {
                        clean_file(&mut scan, &plan, &sched, &mut dirty, &mut status, o);
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
            let _ = std::fs::remove_file(bytes_to_path(&rspfile));
        }
        let hash = command_hash(&must(edge_command(graph, edge, true)));
        for &o in &e.outputs {
            let entry = LogEntry {
                start_ms: outcome.start_ms,
                end_ms: outcome.end_ms,
                mtime: record_mtime,
                command_hash: hash,
            };
            if let Err(error) =
                build_log::append_entry(&logs.build_log_path, &graph.files[o].path, &entry)
            {
                return Ok(Phase::Ended(Ended::Error(format!(
                    "Error writing to build log: {error}"
                ))));
            }
        }
        if !deps_type.is_empty() {
            let inputs: Vec<&[u8]> = deps_inputs.iter().map(|v| v.as_slice()).collect();
            for &o in &e.outputs {
                let mtime = stat(&graph.files[o].path);
                match logs.deps_log.record(&graph.files[o].path, mtime, &inputs) {
                    Ok(bytes) => {
                        if !bytes.is_empty()
                            && let Err(error) = deps_log::append(&logs.deps_log_path, &bytes)
                        {
                            return Ok(Phase::Ended(Ended::Error(format!(
                                "Error writing to deps log: {error}"
                            ))));
                        }
                    }
                    Err(error) => {
                        return Ok(Phase::Ended(Ended::Error(format!(
                            "Error writing to deps log: {error}"
                        ))));
                    }
                }
            }
        }
    }

    *finished = status.finished;
    *total = status.total;
    if config.interrupt.is_triggered() {
        status.set_console_locked(false)?;
        status.print_on_new_line(b"")?;
        return Ok(Phase::Ended(Ended::Stopped {
            message: super::INTERRUPTED_MESSAGE,
            code: super::INTERRUPTED_EXIT,
        }));
    }
    if !restart.is_empty() && sched.failures() == 0 {
        // The logs were appended to; the next round reads them again.
        return Ok(Phase::LoadDyndeps(restart));
    }
    status.set_console_locked(false)?;
    status.print_on_new_line(b"")?;
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

/// `restat`: `file` did not change, so edges that were dirty only because
/// of it need not run (ninja's `Plan::CleanNode`).
pub(super) fn clean_file(
    scan: &mut Scan,
    plan: &Plan,
    sched: &Scheduler,
    dirty: &mut [bool],
    status: &mut Status,
    file: FileId,
) {
    use crate::work::BuildState;
    let graph = scan.graph;
    scan.file_dirty[file.index()] = false;
    for &consumer in &graph.files[file].out_edges {
        let c = consumer.index();
        if !plan.wanted[c] || !dirty[c] {
            continue;
        }
        if !matches!(sched.state(consumer), BuildState::Want | BuildState::Ready) {
            continue;
        }
        let e = &graph.edges[consumer];
        let non_order_only = e.inputs.len() - e.order_only_inputs;
        let ins: Vec<FileId> = e.inputs[..non_order_only]
            .iter()
            .chain(scan.discovered[c].iter())
            .copied()
            .collect();
        if ins.iter().any(|f| scan.file_dirty[f.index()]) {
            continue;
        }
        let mut most_recent: Option<(Vec<u8>, i64)> = None;
        for &f in &ins {
            scan.mtime[f.index()] = None;
            let m = scan.mtime(f);
            if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((graph.files[f].path.to_vec(), m));
            }
        }
        for (p, m) in scan.discovered_extra[c].clone() {
            if most_recent.as_ref().is_none_or(|r| m > r.1) {
                most_recent = Some((p, m));
            }
        }
        let saved = scan.explain;
        scan.explain = false;
        let still_dirty = scan.outputs_dirty(consumer, most_recent.as_ref());
        scan.explain = saved;
        if !still_dirty {
            dirty[c] = false;
            if e.rule != PHONY_RULE {
                status.total -= 1;
            }
            for &o in &e.outputs {
                clean_file(scan, plan, sched, dirty, status, o);
            }
        }
    }
}

#[cfg(test)]
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
        let (mut stdout, mut stderr, mut total) = (Vec::new(), Vec::new(), 0);
        let ended = run(
            &mut g,
            &[out],
            &config,
            &mut total,
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
}

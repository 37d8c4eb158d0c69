//! ninja's own command line (`n2ref build ...`, or the binary invoked as
//! `ninja`): flags, `-C`, loading the manifest, and the `-t` tools
//! (`spec/tools.md`).

use std::io::{self, Write};

use crate::edit_distance::suggest;
use crate::getopt::{LongOpt, Opt, getopt};
use crate::load::{DiskReader, LoadOptions, NINJA_VERSION, Severity, load};
use crate::tools::{self, ToolContext};

/// When a tool runs: right after flags, or after the manifest is loaded.
#[derive(Copy, Clone, PartialEq, Eq)]
enum RunAfter {
    Flags,
    Load,
    /// After the build and deps logs are opened (and `builddir` created).
    Logs,
}

struct ToolInfo {
    name: &'static str,
    description: Option<&'static str>,
    when: RunAfter,
}

const TOOLS: &[ToolInfo] = &[
    tool("browse", Some("browse dependency graph in a web browser")),
    tool("clean", Some("clean built files")),
    tool(
        "commands",
        Some("list all commands required to rebuild given targets"),
    ),
    tool(
        "inputs",
        Some("list all inputs required to rebuild given targets"),
    ),
    tool(
        "multi-inputs",
        Some("print one or more sets of inputs required to build targets"),
    ),
    ToolInfo {
        name: "deps",
        description: Some("show dependencies stored in the deps log"),
        when: RunAfter::Logs,
    },
    ToolInfo {
        name: "missingdeps",
        description: Some("check deps log dependencies on generated files"),
        when: RunAfter::Logs,
    },
    tool("graph", Some("output graphviz dot file for targets")),
    ToolInfo {
        name: "query",
        description: Some("show inputs/outputs for a path"),
        when: RunAfter::Logs,
    },
    tool(
        "targets",
        Some("list targets by their rule or depth in the DAG"),
    ),
    tool("compdb", Some("dump JSON compilation database to stdout")),
    tool(
        "compdb-targets",
        Some("dump JSON compilation database for a given list of targets to stdout"),
    ),
    tool(
        "recompact",
        Some("recompacts ninja-internal data structures"),
    ),
    ToolInfo {
        name: "restat",
        description: Some("restats all outputs in the build log"),
        when: RunAfter::Flags,
    },
    tool("rules", Some("list all rules")),
    ToolInfo {
        name: "cleandead",
        description: Some("clean built files that are no longer produced by the manifest"),
        when: RunAfter::Logs,
    },
    ToolInfo {
        name: "urtle",
        description: None,
        when: RunAfter::Flags,
    },
];

const fn tool(name: &'static str, description: Option<&'static str>) -> ToolInfo {
    ToolInfo {
        name,
        description,
        when: RunAfter::Load,
    }
}

const LONG_OPTIONS: &[LongOpt] = &[
    ("help", false, Some('h')),
    ("version", false, None),
    ("verbose", false, Some('v')),
    ("quiet", false, None),
];

/// `n2ref build` also takes watch mode's options (ninja has none of them).
const N2REF_LONG_OPTIONS: &[LongOpt] = &[
    ("help", false, Some('h')),
    ("version", false, None),
    ("verbose", false, Some('v')),
    ("quiet", false, None),
    ("watch", false, None),
    ("watch-restart", false, None),
    ("watch-poll", true, None),
    ("watch-events", true, None),
    ("debounce", true, None),
];

/// Which command line: the binary invoked as `ninja` takes exactly ninja's
/// options; `n2ref build` adds watch mode's (spec/watch.md).
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Flavor {
    Ninja,
    N2ref,
}

/// Parsed top-level flags.
struct Options {
    input_file: String,
    working_dir: Option<String>,
    tool: Option<&'static ToolInfo>,
    quiet: bool,
    phony_cycle_err: bool,
    /// `-j` or `-n` given: MAKEFLAGS's jobserver is not used.
    no_jobserver: bool,
    build: crate::build::Config,
    /// `--watch` and its settings (`n2ref build` only).
    watch: Option<crate::watch::Options>,
}

/// Stack for the thread that runs ninja's command line (address space
/// only, touched as used). The walks along the graph (scan, plan, restat,
/// tools) keep their own stacks; what still recurses is bounded by the
/// manifest's nesting (include/subninja depth, rule variables referring
/// to each other), which a generated manifest can make deep.
const BUILD_STACK_BYTES: usize = 1 << 30;

/// Runs ninja's command line; returns the exit status.
pub fn run(args: &[String], flavor: Flavor) -> i32 {
    #[cfg(unix)]
    crate::build::block_child_signal();
    let owned = args.to_vec();
    let thread = std::thread::Builder::new()
        .name("ninja".into())
        .stack_size(BUILD_STACK_BYTES)
        .spawn(move || run_on_this_thread(&owned, flavor));
    match thread {
        Ok(handle) => handle.join().unwrap_or(1),
        Err(_) => run_on_this_thread(args, flavor),
    }
}

/// [`run`] without a thread of its own.
pub fn run_on_this_thread(args: &[String], flavor: Flavor) -> i32 {
    // Not locked: watch mode builds on another thread.
    let mut out = io::BufWriter::new(io::stdout());
    let mut err = io::stderr();
    let status = run_with(args, flavor, &mut out, &mut err).unwrap_or(1);
    let _ = out.flush();
    status
}

fn run_with(
    args: &[String],
    flavor: Flavor,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let longs = match flavor {
        Flavor::Ninja => LONG_OPTIONS,
        Flavor::N2ref => N2REF_LONG_OPTIONS,
    };
    let (opts, rest) = getopt("ninja", args, "d:f:j:k:l:nt:vw:C:h", longs, |o| {
        matches!(o, Opt::Flag('t', _))
    });
    let mut options = Options {
        input_file: "build.ninja".into(),
        working_dir: None,
        tool: None,
        quiet: false,
        phony_cycle_err: false,
        no_jobserver: false,
        build: crate::build::Config::default(),
        watch: None,
    };
    options.build.read_environment();
    let mut watch = crate::watch::Options::default();
    let mut watch_flags: Vec<&str> = Vec::new();
    for opt in opts {
        match opt {
            Opt::Flag('d', Some(mode)) if mode == "watch" && flavor == Flavor::N2ref => {
                watch.debug = true;
                watch_flags.push("-d watch");
            }
            Opt::Flag('d', Some(mode)) => {
                if !debug_enable(&mode, out, err)? {
                    return Ok(1);
                }
                match mode.as_str() {
                    "explain" => options.build.explain = true,
                    // spec: [build.debug.stats]
                    "stats" => crate::metrics::enable(),
                    "keepdepfile" => options.build.keep_depfile = true,
                    "keeprsp" => options.build.keep_rsp = true,
                    _ => {}
                }
            }
            Opt::Flag('f', Some(file)) => options.input_file = file,
            Opt::Flag('j', Some(n)) => {
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return fatal(out, err, "invalid -j parameter");
                }
                options.build.parallelism = n.parse().unwrap_or(usize::MAX);
                options.no_jobserver = true;
            }
            Opt::Flag('k', Some(n)) => {
                let digits = n.strip_prefix('-').unwrap_or(&n);
                if n.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return fatal(out, err, "-k parameter not numeric; did you mean -k 0?");
                }
                // ninja: a value of 0 or less means "never stop".
                let k: i64 = n.parse().unwrap_or(i64::MAX);
                options.build.failures_allowed = if k <= 0 { 0 } else { k as usize };
            }
            Opt::Flag('l', Some(n)) => match c_strtod(&n) {
                // spec: [build.load-average]
                Some(value) => options.build.max_load_average = value,
                None => {
                    return fatal(out, err, "-l parameter not numeric: did you mean -l 0.0?");
                }
            },
            Opt::Flag('n', _) => {
                options.build.dry_run = true;
                options.no_jobserver = true;
            }
            Opt::Flag('v', _) | Opt::Long("verbose", _) => {
                options.build.verbosity = crate::build::Verbosity::Verbose;
            }
            Opt::Long("quiet", _) => {
                options.quiet = true;
                options.build.verbosity = crate::build::Verbosity::NoStatusUpdate;
            }
            Opt::Flag('t', Some(name)) => match choose_tool(&name, out, err)? {
                Ok(t) => options.tool = Some(t),
                Err(status) => return Ok(status),
            },
            Opt::Flag('w', Some(flag)) => match warning_enable(&flag, out, err)? {
                Some(phony_err) => options.phony_cycle_err |= phony_err,
                None => return Ok(1),
            },
            Opt::Flag('C', Some(dir)) => options.working_dir = Some(dir),
            Opt::Long("watch", _) => options.watch = Some(crate::watch::Options::default()),
            Opt::Long("watch-restart", _) => {
                watch.restart = true;
                watch_flags.push("--watch-restart");
            }
            Opt::Long("debounce", Some(ms)) => match parse_millis(&ms) {
                Some(d) => {
                    watch.debounce = d;
                    watch_flags.push("--debounce");
                }
                None => return fatal(out, err, &format!("invalid --debounce parameter: '{ms}'")),
            },
            Opt::Long("watch-poll", Some(ms)) => match parse_millis(&ms) {
                Some(d) if !d.is_zero() => {
                    watch.poll = Some(d);
                    watch_flags.push("--watch-poll");
                }
                _ => return fatal(out, err, &format!("invalid --watch-poll parameter: '{ms}'")),
            },
            Opt::Long("watch-events", Some(file)) => {
                // Relative to where n2ref was started, not to `-C DIR`.
                let path = std::path::PathBuf::from(file);
                watch.events_file = Some(match std::env::current_dir() {
                    Ok(cwd) => cwd.join(path),
                    Err(_) => path,
                });
                watch_flags.push("--watch-events");
            }
            Opt::Long("version", _) => {
                writeln!(out, "{NINJA_VERSION}")?;
                return Ok(0);
            }
            Opt::Invalid(message) => {
                writeln!(err, "{message}")?;
                usage(err)?;
                return Ok(1);
            }
            _ => {
                usage(err)?;
                return Ok(1);
            }
        }
    }

    if options.watch.is_some() {
        options.watch = Some(watch);
    } else if let Some(flag) = watch_flags.first() {
        return fatal(out, err, &format!("{flag} needs --watch"));
    }
    if options.watch.is_some() && options.tool.is_some() {
        return fatal(out, err, "--watch cannot be used with -t");
    }

    if let Some(dir) = &options.working_dir {
        // spec: [tools.chdir.entering]
        if options.tool.is_none() && !options.quiet {
            writeln!(out, "ninja: Entering directory `{dir}'")?;
            out.flush()?;
        }
        if let Err(e) = std::env::set_current_dir(dir) {
            let reason = crate::load::io_error_text(&e);
            return fatal(out, err, &format!("chdir to '{dir}' - {reason}"));
        }
    }

    if let Some(tool) = options.tool
        && tool.when == RunAfter::Flags
    {
        return match tool.name {
            "restat" => restat(&options, &rest, out, err),
            _ => not_implemented(out, err, tool.name),
        };
    }

    let mut session = crate::build::Session::default();
    if let Some(watch) = &options.watch {
        out.flush()?;
        let mut loader =
            |session: &mut crate::build::Session, out: &mut dyn Write, err: &mut dyn Write| {
                load_for_watch(&options, &rest, session, out, err)
            };
        return crate::watch::run(
            watch,
            &options.build,
            &mut loader,
            &mut io::stdout(),
            &mut io::stderr(),
        );
    }
    let mut loaded = match load_for_build(&options, &mut session, out, err)? {
        Loading::Ready(loaded) => loaded,
        Loading::Exit(status, _) => return Ok(status),
    };
    if options.tool.is_none() {
        let status = run_build(&mut loaded.graph, &options, &rest, &mut session, out, err)?;
        if crate::metrics::enabled() {
            // spec: [build.debug.stats] after the build, whatever its end.
            out.flush()?;
            crate::metrics::report(out, loaded.graph.files.len())?;
        }
        // ninja exits without freeing the graph; so do we (it can be large).
        std::mem::forget(loaded);
        return Ok(status);
    }

    let Some(tool) = options.tool else {
        unreachable!("builds return above");
    };
    if tool.when == RunAfter::Logs
        && !options.build.dry_run
        && let Err(message) = ensure_build_dir(&loaded.graph)
    {
        writeln!(err, "ninja: error: {message}")?;
        return Ok(1);
    }
    let mut logs = None;
    if tool.when == RunAfter::Logs || tool.name == "recompact" {
        let mode = if tool.name == "recompact" {
            if !options.build.dry_run
                && let Err(message) = ensure_build_dir(&loaded.graph)
            {
                writeln!(err, "ninja: error: {message}")?;
                return Ok(1);
            }
            crate::build::OpenMode::RecompactOnly
        } else if options.build.dry_run {
            crate::build::OpenMode::ReadOnly
        } else {
            crate::build::OpenMode::Write
        };
        match crate::build::Logs::open(&loaded.graph, mode, err)? {
            Ok(l) => logs = Some(l),
            Err(message) => {
                out.flush()?;
                writeln!(err, "ninja: error: {message}")?;
                return Ok(1);
            }
        }
        if tool.name == "recompact" {
            return Ok(0);
        }
    }
    let cwd = std::env::current_dir()
        .map(|p| p.into_os_string().into_encoded_bytes())
        .unwrap_or_default();
    if tool.name == "query" {
        let rest = match &logs {
            Some(l) => resolve_carets_through_deps(&loaded.graph, &l.deps_log, &rest),
            None => rest,
        };
        return tools::query(&mut loaded.graph, &mut DiskReader, out, err, &rest);
    }
    if tool.name == "browse" {
        // spec: [tools.browse] as a ninja built without browse support.
        return fatal(out, err, "browse tool not supported on this platform");
    }
    if tool.name == "graph" {
        let status = tools::graph(&mut loaded.graph, &mut DiskReader, out, err, &rest)?;
        std::mem::forget(loaded);
        return Ok(status);
    }
    if tool.name == "clean" || tool.name == "cleandead" {
        let mode = if tool.name == "cleandead" {
            let log = logs.map(|l| l.build_log).unwrap_or_default();
            Some(log)
        } else {
            None
        };
        let status = run_clean(&mut loaded.graph, mode.as_ref(), &options, &rest, out, err)?;
        std::mem::forget(loaded);
        return Ok(status);
    }
    let mut cx = ToolContext {
        graph: &loaded.graph,
        out,
        err,
        cwd,
    };
    let status = match tool.name {
        "commands" => tools::commands(&mut cx, &rest)?,
        "targets" => tools::targets(&mut cx, &rest)?,
        "rules" => tools::rules(&mut cx, &rest)?,
        "inputs" => tools::inputs(&mut cx, &rest)?,
        "multi-inputs" => tools::multi_inputs(&mut cx, &rest)?,
        "compdb" => tools::compdb(&mut cx, &rest)?,
        "compdb-targets" => tools::compdb_targets(&mut cx, &rest)?,
        "missingdeps" => {
            let deps_log = logs.map(|l| l.deps_log).unwrap_or_default();
            tools::missingdeps(cx.graph, &deps_log, &mut DiskReader, cx.out, cx.err, &rest)?
        }
        "deps" => {
            let deps_log = logs.map(|l| l.deps_log).unwrap_or_default();
            tools::deps(&mut cx, &deps_log, &crate::build::stat, &rest)?
        }
        other => return not_implemented(cx.out, cx.err, other),
    };
    // ninja exits without freeing the graph; so do we (it can be large).
    std::mem::forget(loaded);
    Ok(status)
}

/// What loading the manifest for a build or a tool gave.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per load; boxing the graph buys nothing"
)]
enum Loading {
    Ready(crate::load::Loaded),
    /// Stop with this status; the manifest files read so far.
    Exit(i32, Vec<Vec<u8>>),
}

/// Loads the manifest; for a build, first brings the manifest itself up to
/// date and loads it again as often as that takes.
fn load_for_build(
    options: &Options,
    session: &mut crate::build::Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Loading> {
    let load_options = LoadOptions {
        keep_sources: false,
        phony_cycle_err: options.phony_cycle_err,
    };
    // The status line's total carries over from manifest rebuilds; the
    // logs are read again with each new load of the manifest.
    let mut cycle = 0;
    loop {
        cycle += 1;
        if cycle > REGEN_CYCLE_LIMIT {
            out.flush()?;
            writeln!(
                err,
                "ninja: error: manifest '{}' still dirty after {REGEN_CYCLE_LIMIT} tries, perhaps system time is not set",
                options.input_file
            )?;
            return Ok(Loading::Exit(
                1,
                vec![options.input_file.as_bytes().to_vec()],
            ));
        }
        let parsed = {
            let _metric = crate::metrics::record(".ninja parse");
            load(
                &mut DiskReader,
                options.input_file.as_bytes(),
                &load_options,
            )
        };
        let mut loaded = match parsed {
            Ok(l) => l,
            Err((e, partial)) => {
                print_warnings(err, &partial.warnings)?;
                out.flush()?;
                let prefix: &[u8] = match e.severity {
                    Severity::Error => b"ninja: error: ",
                    Severity::Fatal => b"ninja: fatal: ",
                };
                err.write_all(prefix)?;
                err.write_all(&e.ninja_text)?;
                err.write_all(b"\n")?;
                let mut manifests = manifest_names(&partial);
                if manifests.is_empty() {
                    manifests.push(options.input_file.as_bytes().to_vec());
                }
                return Ok(Loading::Exit(1, manifests));
            }
        };
        print_warnings(err, &loaded.warnings)?;
        if options.tool.is_some() {
            return Ok(Loading::Ready(loaded));
        }
        match rebuild_manifest(&mut loaded.graph, options, session, out, err)? {
            Regen::Reload => {
                session.logs = None;
                continue;
            }
            Regen::Exit(status) => return Ok(Loading::Exit(status, manifest_names(&loaded))),
            Regen::Build => return Ok(Loading::Ready(loaded)),
        }
    }
}

/// The manifest files a load read, as the loader names them.
fn manifest_names(loaded: &crate::load::Loaded) -> Vec<Vec<u8>> {
    loaded.sources.iter().map(|(_, f)| f.name.clone()).collect()
}

/// [`load_for_build`] for watch mode: also resolves the targets.
fn load_for_watch(
    options: &Options,
    args: &[String],
    session: &mut crate::build::Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<crate::watch::Load> {
    use crate::watch::Load;
    let loaded = match load_for_build(options, session, out, err)? {
        Loading::Ready(loaded) => loaded,
        Loading::Exit(_, manifests) => return Ok(Load::Failed { manifests }),
    };
    let manifests = manifest_names(&loaded);
    let targets = match tools::collect_targets(&loaded.graph, args) {
        Ok(t) => t,
        Err(message) => {
            out.flush()?;
            writeln!(err, "ninja: error: {message}")?;
            return Ok(Load::Failed { manifests });
        }
    };
    let mut path = options.input_file.as_bytes().to_vec();
    crate::canon::canonicalize(&mut path);
    let manifest_node = loaded
        .graph
        .lookup_file(&path)
        .filter(|&f| loaded.graph.files[f].in_edge.is_some());
    Ok(Load::Ready {
        graph: loaded.graph,
        targets,
        manifests,
        manifest_node,
    })
}

/// A count of milliseconds (`--debounce`, `--watch-poll`).
fn parse_millis(text: &str) -> Option<std::time::Duration> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().map(std::time::Duration::from_millis)
}

/// `FILE^` for a file without out edges names, as in ninja, the first
/// output in the deps log that lists FILE as a dependency
/// (spec: [tools.target.caret]).
fn resolve_carets_through_deps(
    graph: &crate::graph::Graph,
    deps: &crate::deps_log::DepsLog,
    args: &[String],
) -> Vec<String> {
    args.iter()
        .map(|arg| {
            let Some(stem) = arg.strip_suffix('^') else {
                return arg.clone();
            };
            let mut path = stem.as_bytes().to_vec();
            crate::canon::canonicalize(&mut path);
            let has_out_edges = graph
                .lookup_file(&path)
                .is_some_and(|f| !graph.files[f].out_edges.is_empty());
            if has_out_edges {
                return arg.clone();
            }
            let Some(id) = deps.id(&path) else {
                return arg.clone();
            };
            let first = deps
                .deps
                .iter()
                .find(|(_, d)| d.inputs.contains(&id))
                .and_then(|(out, _)| deps.nodes.get(*out as usize));
            match first {
                Some(out) => String::from_utf8_lossy(out).into_owned(),
                None => arg.clone(),
            }
        })
        .collect()
}

/// `-t clean` (with its options in `args`), or `-t cleandead` when the
/// build log is given.
fn run_clean(
    graph: &mut crate::graph::Graph,
    dead: Option<&crate::build_log::BuildLog>,
    options: &Options,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    use crate::clean::{CleanMode, CleanOptions, clean};
    let clean_options = CleanOptions {
        dry_run: options.build.dry_run,
        // `--quiet` does not silence the cleaner (ninja's cleaner only
        // knows a quiet mode its command line never selects).
        verbose: options.build.verbosity == crate::build::Verbosity::Verbose,
    };
    let base = std::path::Path::new("");
    if let Some(log) = dead {
        return clean(graph, CleanMode::Dead(log), clean_options, base, out, err);
    }
    let mut cx = ToolContext {
        graph,
        out,
        err,
        cwd: Vec::new(),
    };
    let Some((flags, operands)) = cx.options("clean", args, "hgr", &[], CLEAN_USAGE)? else {
        return Ok(1);
    };
    let mode = if flags.iter().any(|(c, _)| *c == 'r') {
        CleanMode::Rules(&operands)
    } else if !operands.is_empty() {
        CleanMode::Targets(&operands)
    } else {
        CleanMode::All {
            generator: flags.iter().any(|(c, _)| *c == 'g'),
        }
    };
    clean(graph, mode, clean_options, base, out, err)
}

/// `-t restat [OUTPUTS]`: runs before any manifest is read, so the log is
/// always `./.ninja_log` (spec: [tools.restat]).
fn restat(
    options: &Options,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    use crate::build_log::BuildLog;
    let graph = crate::graph::Graph::new();
    let mut cx = ToolContext {
        graph: &graph,
        out,
        err,
        cwd: Vec::new(),
    };
    let usage = "usage: ninja -t restat [outputs]\n";
    let Some((_, outputs)) = cx.options("restat", args, "h", &[], usage)? else {
        return Ok(1);
    };
    let path = std::path::Path::new(crate::build_log::FILE_NAME);
    let mut log = match BuildLog::load(path) {
        Ok((Some(log), _)) => log,
        // Missing, or discarded for its version (deleted without a word).
        Ok((None, _)) => return Ok(0),
        Err(e) => {
            let text = crate::load::io_error_text(&e);
            writeln!(
                err,
                "ninja: error: loading build log {}: {text}",
                crate::build_log::FILE_NAME
            )?;
            return Ok(1);
        }
    };
    let names: Vec<&[u8]> = outputs.iter().map(|o| o.as_bytes()).collect();
    if let Err(e) = log.restat(path, &names, crate::build::stat) {
        let text = crate::load::io_error_text(&e);
        writeln!(err, "ninja: error: failed recompaction: {text}")?;
        return Ok(1);
    }
    // Opening the log for writing recompacts it when it needs it; without
    // a manifest, an output is dead when it does not exist.
    if !options.build.dry_run
        && log.needs_recompaction
        && let Err(e) = log.write_compacted(path, |p| crate::build::stat(p) == 0)
    {
        let text = crate::load::io_error_text(&e);
        writeln!(err, "ninja: error: failed recompaction: {text}")?;
        return Ok(1);
    }
    Ok(0)
}

/// `-t clean -h`.
const CLEAN_USAGE: &str = "usage: ninja -t clean [options] [targets]\n\n\
options:\n  -g     also clean files marked as ninja generator output\n  \
-r     interpret targets as a list of rules to clean instead\n";

/// ninja gives up regenerating the manifest after this many rounds.
const REGEN_CYCLE_LIMIT: usize = 100;

/// What to do after trying to rebuild the manifest.
enum Regen {
    /// It was rebuilt: load it again.
    Reload,
    /// Stop with this exit status.
    Exit(i32),
    /// It is up to date (or has no rule): build the targets.
    Build,
}

/// Brings the manifest itself up to date first, if an edge produces it
/// (spec: [build.regen.first]).
fn rebuild_manifest(
    graph: &mut crate::graph::Graph,
    options: &Options,
    session: &mut crate::build::Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Regen> {
    use crate::build::Ended;
    // ninja leaves `builddir` alone in a dry run.
    if !options.build.dry_run
        && let Err(message) = ensure_build_dir(graph)
    {
        out.flush()?;
        writeln!(err, "ninja: error: {message}")?;
        return Ok(Regen::Exit(1));
    }
    let mut path = options.input_file.as_bytes().to_vec();
    crate::canon::canonicalize(&mut path);
    let Some(node) = graph.lookup_file(&path) else {
        return Ok(Regen::Build);
    };
    if graph.files[node].in_edge.is_none() {
        return Ok(Regen::Build);
    }
    let failure = match crate::build::run(graph, &[node], &options.build, session, out, err)? {
        Ended::UpToDate => return Ok(Regen::Build),
        Ended::Succeeded { dirty: true } if options.build.dry_run => return Ok(Regen::Exit(0)),
        Ended::Succeeded { dirty: true } => return Ok(Regen::Reload),
        Ended::Succeeded { dirty: false } => return Ok(Regen::Build),
        Ended::Error(message) | Ended::Aborted(message) => message,
        Ended::Stopped { message, .. } => message.to_string(),
    };
    out.flush()?;
    writeln!(
        err,
        "ninja: error: rebuilding '{}': {failure}",
        options.input_file
    )?;
    Ok(Regen::Exit(1))
}

/// Runs a build of the targets named in `args` (or the defaults).
fn run_build(
    graph: &mut crate::graph::Graph,
    options: &Options,
    args: &[String],
    session: &mut crate::build::Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let targets = match tools::collect_targets(graph, args) {
        Ok(t) => t,
        Err(message) => {
            out.flush()?;
            writeln!(err, "ninja: error: {message}")?;
            return Ok(1);
        }
    };
    // As ninja, only the main build (not the manifest's) uses the
    // jobserver (spec: [build.jobserver.client]).
    let mut with_jobserver;
    let mut config = &options.build;
    if !options.no_jobserver {
        let makeflags = std::env::var_os("MAKEFLAGS");
        let quiet = config.verbosity == crate::build::Verbosity::NoStatusUpdate;
        if let Some(client) = crate::build::jobserver::setup(makeflags.as_deref(), quiet, out, err)?
        {
            with_jobserver = options.build.clone();
            with_jobserver.jobserver = Some(std::sync::Arc::new(client));
            config = &with_jobserver;
        }
    }
    let ended = crate::build::run(graph, &targets, config, session, out, err)?;
    crate::build::report(ended, config, out, err)
}

/// Creates `$builddir` (where the logs live) if the manifest sets it.
// spec: [tools.query.logs]
fn ensure_build_dir(graph: &crate::graph::Graph) -> Result<(), String> {
    let mut dir = Vec::new();
    graph
        .scopes
        .push_value(graph.scopes.root(), b"builddir", &mut dir);
    if dir.is_empty() {
        return Ok(());
    }
    let path = crate::bytes_to_path(&dir);
    std::fs::create_dir_all(&path).map_err(|e| {
        format!(
            "creating build directory {}: {}",
            String::from_utf8_lossy(&dir),
            crate::load::io_error_text(&e)
        )
    })
}

/// `-l`'s value as C's `strtod` reads it (leading white space, `inf`,
/// `nan`, hexadecimal, trailing junk ignored); `None` if no number starts
/// the text.
fn c_strtod(text: &str) -> Option<f64> {
    let c = std::ffi::CString::new(text).ok()?;
    let mut end: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated and outlives the call; `end` is a
    // valid out-pointer that strtod sets to a position inside `c`.
    let value = unsafe { libc::strtod(c.as_ptr(), &mut end) };
    if std::ptr::eq(end.cast_const(), c.as_ptr()) {
        return None;
    }
    Some(value)
}

fn print_warnings(err: &mut dyn Write, warnings: &[Vec<u8>]) -> io::Result<()> {
    for w in warnings {
        err.write_all(b"ninja: warning: ")?;
        err.write_all(w)?;
        err.write_all(b"\n")?;
    }
    Ok(())
}

fn fatal(out: &mut dyn Write, err: &mut dyn Write, message: &str) -> io::Result<i32> {
    out.flush()?;
    writeln!(err, "ninja: fatal: {message}")?;
    Ok(1)
}

fn not_implemented(out: &mut dyn Write, err: &mut dyn Write, tool: &str) -> io::Result<i32> {
    out.flush()?;
    writeln!(
        err,
        "ninja: error: n2ref does not implement '-t {tool}' yet"
    )?;
    Ok(1)
}

/// `Ok(Ok(tool))`, or `Ok(Err(status))` when ninja exits right away.
fn choose_tool(
    name: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Result<&'static ToolInfo, i32>> {
    if name == "list" {
        writeln!(out, "ninja subtools:")?;
        for t in TOOLS {
            if let Some(d) = t.description {
                writeln!(out, "{:>11}  {}", t.name, d)?;
            }
        }
        return Ok(Err(0));
    }
    if let Some(t) = TOOLS.iter().find(|t| t.name == name) {
        return Ok(Ok(t));
    }
    let message = match suggest(name.as_bytes(), TOOLS.iter().map(|t| t.name)) {
        Some(s) => format!("unknown tool '{name}', did you mean '{s}'?"),
        None => format!("unknown tool '{name}'"),
    };
    fatal(out, err, &message).map(Err)
}

fn debug_enable(mode: &str, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<bool> {
    match mode {
        "list" => {
            out.write_all(
                b"debugging modes:\n  stats        print operation counts/timing info\n  \
                  explain      explain what caused a command to execute\n  \
                  keepdepfile  don't delete depfiles after they're read by ninja\n  \
                  keeprsp      don't delete @response files on success\n\
                  multiple modes can be enabled via -d FOO -d BAR\n",
            )?;
            Ok(false)
        }
        "stats" | "explain" | "keepdepfile" | "keeprsp" | "nostatcache" => Ok(true),
        _ => {
            let modes = ["stats", "explain", "keepdepfile", "keeprsp", "nostatcache"];
            match suggest(mode.as_bytes(), modes) {
                Some(s) => writeln!(
                    err,
                    "ninja: error: unknown debug setting '{mode}', did you mean '{s}'?"
                )?,
                None => writeln!(err, "ninja: error: unknown debug setting '{mode}'")?,
            }
            Ok(false)
        }
    }
}

/// `Some(phonycycle_is_error)` to continue, `None` to exit with status 1.
fn warning_enable(
    flag: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Option<bool>> {
    match flag {
        "list" => {
            out.write_all(b"warning flags:\n  phonycycle={err,warn}  phony build statement references itself\n")?;
            Ok(None)
        }
        "phonycycle=err" => Ok(Some(true)),
        "phonycycle=warn" => Ok(Some(false)),
        "dupbuild=err" | "dupbuild=warn" => {
            writeln!(err, "ninja: warning: deprecated warning 'dupbuild'")?;
            Ok(Some(false))
        }
        "depfilemulti=err" | "depfilemulti=warn" => {
            writeln!(err, "ninja: warning: deprecated warning 'depfilemulti'")?;
            Ok(Some(false))
        }
        _ => {
            match suggest(flag.as_bytes(), ["phonycycle=err", "phonycycle=warn"]) {
                Some(s) => writeln!(
                    err,
                    "ninja: error: unknown warning flag '{flag}', did you mean '{s}'?"
                )?,
                None => writeln!(err, "ninja: error: unknown warning flag '{flag}'")?,
            }
            Ok(None)
        }
    }
}

fn usage(err: &mut dyn Write) -> io::Result<()> {
    let jobs = match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        0 | 1 => 2,
        2 => 3,
        n => n + 2,
    };
    write!(
        err,
        "usage: ninja [options] [targets...]\n\
\n\
if targets are unspecified, builds the 'default' target (see manual).\n\
\n\
options:\n\
\x20 --version      print ninja version (\"{NINJA_VERSION}\")\n\
\x20 -v, --verbose  show all command lines while building\n\
\x20 --quiet        don't show progress status, just command output\n\
\n\
\x20 -C DIR   change to DIR before doing anything else\n\
\x20 -f FILE  specify input build file [default=build.ninja]\n\
\n\
\x20 -j N     run N jobs in parallel (0 means infinity) [default={jobs} on this system]\n\
\x20 -k N     keep going until N jobs fail (0 means infinity) [default=1]\n\
\x20 -l N     do not start new jobs if the load average is greater than N\n\
\x20 -n       dry run (don't run commands but act like they succeeded)\n\
\n\
\x20 -d MODE  enable debugging (use '-d list' to list modes)\n\
\x20 -t TOOL  run a subtool (use '-t list' to list subtools)\n\
\x20   terminates toplevel options; further flags are passed to the tool\n\
\x20 -w FLAG  adjust warnings (use '-w list' to list warnings)\n"
    )
}

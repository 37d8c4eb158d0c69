//! A very long chain of edges must not overflow the stack in any tool: the
//! traversals are iterative. (Test threads have a small stack, which makes
//! this a stronger check than the main thread would be.)

use n2ref::load::{LoadOptions, MemoryReader, load};
use n2ref::tools::{self, ToolContext};

const LENGTH: usize = 50_000;
/// `-t targets depth 0` indents each level, so its output grows with the
/// square of the length; a shorter chain keeps the test fast.
const TREE_LENGTH: usize = 5_000;

fn chain(length: usize) -> n2ref::load::Loaded {
    let mut manifest = String::from("rule r\n  command = c $out\nbuild f0: r src\n");
    for i in 1..length {
        manifest.push_str(&format!("build f{i}: r f{}\n", i - 1));
    }
    let mut reader = MemoryReader::new(&[("build.ninja", &manifest)]);
    load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("chain loads")
}

#[test]
fn tools_walk_long_chains_without_recursion() {
    let loaded = chain(LENGTH);
    let tree = chain(TREE_LENGTH);
    let last = format!("f{}", LENGTH - 1);
    type Tool = fn(&mut ToolContext<'_>, &[String]) -> std::io::Result<i32>;
    let runs: [(&str, Tool, Vec<String>, usize); 5] = [
        ("commands", tools::commands, vec![last.clone()], LENGTH),
        ("inputs", tools::inputs, vec![last.clone()], LENGTH),
        (
            "multi-inputs",
            tools::multi_inputs,
            vec![last.clone()],
            LENGTH,
        ),
        (
            "targets",
            tools::targets,
            vec!["depth".into(), "0".into()],
            TREE_LENGTH + 1,
        ),
        (
            "compdb-targets",
            tools::compdb_targets,
            vec![last.clone()],
            6 * LENGTH + 2,
        ),
    ];
    for (name, tool, args, lines) in runs {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let graph = if name == "targets" {
            &tree.graph
        } else {
            &loaded.graph
        };
        let mut cx = ToolContext {
            graph,
            out: &mut out,
            err: &mut err,
            cwd: b"/".to_vec(),
        };
        let status = tool(&mut cx, &args).expect("writes to memory");
        assert_eq!(status, 0, "{name}: {}", String::from_utf8_lossy(&err));
        let count = out.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(count, lines, "{name} printed {count} lines");
    }
}

/// Builds `target` of `graph` with `config`; its stdout, after checking
/// that the build succeeded.
fn build_succeeds(
    graph: &mut n2ref::graph::Graph,
    target: n2ref::graph::FileId,
    config: &n2ref::build::Config,
) -> Vec<u8> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut session = n2ref::build::Session::default();
    let ended = n2ref::build::run(graph, &[target], config, &mut session, &mut out, &mut err)
        .expect("writes to memory");
    assert!(
        matches!(ended, n2ref::build::Ended::Succeeded { .. }),
        "{}",
        String::from_utf8_lossy(&err)
    );
    out
}

/// The build's dependency scan and plan walk a 100,000-edge chain on a
/// test thread's small stack: both keep their own stacks.
#[test]
fn dry_run_scans_a_long_chain_without_recursion() {
    const EDGES: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    std::fs::write(dir.path().join("src"), "").unwrap();
    let mut manifest =
        format!("builddir = {d}\nrule r\n  command = c $out\nbuild {d}/f0: r {d}/src\n");
    for i in 1..EDGES {
        manifest.push_str(&format!("build {d}/f{i}: r {d}/f{}\n", i - 1));
    }
    let mut reader = MemoryReader::new(&[("build.ninja", &manifest)]);
    let mut loaded =
        load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("chain loads");
    let last = format!("{d}/f{}", EDGES - 1);
    let target = loaded.graph.lookup_file(last.as_bytes()).unwrap();
    let config = n2ref::build::Config {
        dry_run: true,
        ..Default::default()
    };
    let out = build_succeeds(&mut loaded.graph, target, &config);
    let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), EDGES + 1);
    assert_eq!(lines[0], format!("[1/{EDGES}] c {d}/f0").as_bytes());
}

/// `restat` cleans everything below an output that did not change, here a
/// 50,000-edge chain: the first command runs and leaves its output alone,
/// and no other command runs. The cleaning walks the chain on a 256 KiB
/// stack, so it cannot be recursive.
#[cfg(unix)]
#[test]
fn restat_cleans_a_long_chain_without_recursion() {
    use n2ref::build_log::{LogEntry, format_entry, header};
    use std::time::{Duration, SystemTime};
    const EDGES: usize = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs);
    let touch = |name: &str, time: SystemTime| {
        let file = std::fs::File::create(dir.path().join(name)).unwrap();
        file.set_modified(time).unwrap();
    };
    let nanos = |time: SystemTime| {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64
    };
    // f0 is older than its source, so its command runs; it leaves f0 as it
    // is. Every other output is newer than all of that, and logged.
    touch("src", at(20));
    touch("f0", at(10));
    let mut manifest = format!(
        "builddir = {d}\nrule keep\n  command = true\n  restat = 1\n\
         rule r\n  command = c $out\nbuild {d}/f0: keep {d}/src\n"
    );
    let mut log = header();
    for i in 1..EDGES {
        manifest.push_str(&format!("build {d}/f{i}: r {d}/f{}\n", i - 1));
        touch(&format!("f{i}"), at(30));
        let entry = LogEntry {
            start_ms: 0,
            end_ms: 1,
            mtime: nanos(at(30)),
            command_hash: n2ref::hash::command_hash(format!("c {d}/f{i}").as_bytes()),
        };
        log.extend(format_entry(format!("{d}/f{i}").as_bytes(), &entry));
    }
    std::fs::write(dir.path().join(".ninja_log"), log).unwrap();
    let mut reader = MemoryReader::new(&[("build.ninja", &manifest)]);
    let mut loaded =
        load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("chain loads");
    let last = format!("{d}/f{}", EDGES - 1);
    let target = loaded.graph.lookup_file(last.as_bytes()).unwrap();
    let first = loaded
        .graph
        .lookup_file(format!("{d}/f0").as_bytes())
        .unwrap();
    let first_edge = loaded.graph.files[first].in_edge.unwrap();
    let steps = n2ref::build::StepLog::enabled();
    let config = n2ref::build::Config {
        steps: steps.clone(),
        ..Default::default()
    };
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || build_succeeds(&mut loaded.graph, target, &config))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert_eq!(steps.take(), vec![(first_edge, true)]);
}

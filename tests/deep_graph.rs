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

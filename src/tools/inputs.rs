//! `-t inputs [-0] [-E] [-d] [targets]`: every input needed to build the
//! targets (`[tools.inputs.collect]`).

use std::collections::HashSet;

use super::{ToolContext, ToolResult, collect_targets};
use crate::getopt::LongOpt;
use crate::graph::{FileId, Graph, PHONY_RULE};
use crate::shell_escape::push_shell_escaped;

const USAGE: &str = "Usage '-t inputs [options] [targets]\n\
\n\
List all inputs used for a set of targets, sorted in dependency order.\n\
Note that by default, results are shell escaped, and sorted alphabetically,\n\
and never include validation target paths.\n\n\
Options:\n\
\x20 -h, --help          Print this message.\n\
\x20 -0, --print0            Use \\0, instead of \\n as a line terminator.\n\
\x20 -E, --no-shell-escape   Do not shell escape the result.\n\
\x20 -d, --dependency-order  Sort results by dependency order.\n";

const LONGS: &[LongOpt] = &[
    ("help", false, Some('h')),
    ("no-shell-escape", false, Some('E')),
    ("print0", false, Some('0')),
    ("dependency-order", false, Some('d')),
];

pub fn inputs(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((flags, targets)) = cx.options("inputs", args, "h0Ed", LONGS, USAGE)? else {
        return Ok(1);
    };
    let has = |flag: char| flags.iter().any(|(c, _)| *c == flag);
    let (print0, escape, dependency_order) = (has('0'), !has('E'), has('d'));
    let files = match collect_targets(cx.graph, &targets) {
        Ok(f) => f,
        Err(e) => return cx.error(&e),
    };
    let mut collector = Collector::new(cx.graph);
    for file in files {
        collector.visit(file);
    }
    let mut lines = collector.paths(escape);
    if !dependency_order {
        lines.sort();
    }
    let terminator: &[u8] = if print0 { b"\0" } else { b"\n" };
    for line in lines {
        cx.out.write_all(&line)?;
        cx.out.write_all(terminator)?;
    }
    Ok(0)
}

const MULTI_USAGE: &str = "Usage '-t multi-inputs [options] [targets]\n\
\n\
Print one or more sets of inputs required to build targets, sorted in dependency order.\n\
The tool works like inputs tool but with addition of the target for each line.\n\
The output will be a series of lines with the following elements:\n\
<target> <delimiter> <input> <terminator>\n\
Note that a given input may appear for several targets if it is used by more than one targets.\n\
Options:\n\
\x20 -h, --help                   Print this message.\n\
\x20 -d  --delimiter=DELIM        Use DELIM instead of TAB for field delimiter.\n\
\x20 -0, --print0                 Use \\0, instead of \\n as a line terminator.\n";

const MULTI_LONGS: &[LongOpt] = &[
    ("help", false, Some('h')),
    ("delimiter", true, Some('d')),
    ("print0", false, Some('0')),
];

/// `-t multi-inputs [-d DELIM] [-0] [targets]`: like `inputs`, per target,
/// unescaped, in dependency order (`[tools.multi-inputs.format]`).
pub fn multi_inputs(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((flags, targets)) =
        cx.options("multi-inputs", args, "d:h0", MULTI_LONGS, MULTI_USAGE)?
    else {
        return Ok(1);
    };
    let (mut delimiter, mut terminator) = (b"\t".to_vec(), b'\n');
    for (flag, value) in flags {
        match (flag, value) {
            ('d', Some(d)) => delimiter = d.into_bytes(),
            ('0', _) => terminator = 0,
            _ => {}
        }
    }
    let files = match collect_targets(cx.graph, &targets) {
        Ok(f) => f,
        Err(e) => return cx.error(&e),
    };
    for file in files {
        let mut collector = Collector::new(cx.graph);
        collector.visit(file);
        for input in collector.paths(false) {
            cx.out.write_all(cx.graph.path(file))?;
            cx.out.write_all(&delimiter)?;
            cx.out.write_all(&input)?;
            cx.out.write_all(&[terminator])?;
        }
    }
    Ok(0)
}

/// Walks inputs depth-first; phony outputs are traversed but not listed.
struct Collector<'g> {
    graph: &'g Graph,
    visited: HashSet<FileId>,
    inputs: Vec<FileId>,
}

impl<'g> Collector<'g> {
    fn new(graph: &'g Graph) -> Self {
        Collector {
            graph,
            visited: HashSet::new(),
            inputs: Vec::new(),
        }
    }

    fn paths(&self, escape: bool) -> Vec<Vec<u8>> {
        self.inputs
            .iter()
            .map(|&f| {
                let path = self.graph.path(f);
                let mut line = Vec::with_capacity(path.len());
                if escape {
                    push_shell_escaped(&mut line, path);
                } else {
                    line.extend_from_slice(path);
                }
                line
            })
            .collect()
    }

    /// Depth-first, inputs in order, each input listed after its own
    /// inputs; iterative, because chains of edges can be very long.
    fn visit(&mut self, file: FileId) {
        enum Step {
            Expand(FileId),
            Check(FileId),
            Emit(FileId),
        }
        let graph = self.graph;
        let mut stack = vec![Step::Expand(file)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Expand(file) => {
                    if let Some(edge) = graph.files[file].in_edge {
                        stack.extend(
                            graph.edges[edge]
                                .inputs
                                .iter()
                                .rev()
                                .map(|&i| Step::Check(i)),
                        );
                    }
                }
                Step::Check(input) => {
                    if self.visited.insert(input) {
                        stack.push(Step::Emit(input));
                        stack.push(Step::Expand(input));
                    }
                }
                Step::Emit(input) => {
                    let phony = graph.files[input]
                        .in_edge
                        .is_some_and(|e| graph.edges[e].rule == PHONY_RULE);
                    if !phony {
                        self.inputs.push(input);
                    }
                }
            }
        }
    }
}

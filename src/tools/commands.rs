//! `-t commands [-s] [targets]`: the commands that build the targets, inputs
//! first (`[tools.commands.order]`).

use std::collections::HashSet;

use super::{ToolContext, ToolResult, collect_targets, puts};
use crate::expand::edge_command;
use crate::graph::{EdgeId, Graph};

const USAGE: &str = "usage: ninja -t commands [options] [targets]\n\
\n\
options:\n\
\x20 -s     only print the final command to build [target], not the whole chain\n";

pub fn commands(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((flags, targets)) = cx.options("commands", args, "hs", &[], USAGE)? else {
        return Ok(1);
    };
    let single = flags.iter().any(|(c, _)| *c == 's');
    let files = match collect_targets(cx.graph, &targets) {
        Ok(f) => f,
        Err(e) => return cx.error(&e),
    };
    let mut seen = HashSet::new();
    for file in files {
        if let Some(edge) = cx.graph.files[file].in_edge
            && let Err(e) = print_commands(cx.graph, edge, &mut seen, single, cx.out)
        {
            return match e {
                PrintError::Cycle(msg) => cx.fatal(&msg),
                PrintError::Io(e) => Err(e),
            };
        }
    }
    Ok(0)
}

enum PrintError {
    Cycle(String),
    Io(std::io::Error),
}

impl From<std::io::Error> for PrintError {
    fn from(e: std::io::Error) -> Self {
        PrintError::Io(e)
    }
}

/// Prints the commands of `edge` and (unless `single`) of everything it
/// depends on, each edge once, dependencies first.
fn print_commands(
    graph: &Graph,
    root: EdgeId,
    seen: &mut HashSet<EdgeId>,
    single: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), PrintError> {
    // An explicit stack instead of recursion: manifests can be deep.
    enum Step {
        Enter(EdgeId),
        Print(EdgeId),
    }
    let mut stack = vec![Step::Enter(root)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(edge) => {
                if !seen.insert(edge) {
                    continue;
                }
                stack.push(Step::Print(edge));
                if !single {
                    for &input in graph.edges[edge].inputs.iter().rev() {
                        if let Some(producer) = graph.files[input].in_edge {
                            stack.push(Step::Enter(producer));
                        }
                    }
                }
            }
            Step::Print(edge) => {
                if graph.edges[edge].rule == crate::graph::PHONY_RULE {
                    continue;
                }
                let command = edge_command(graph, edge, false)
                    .map_err(|e| PrintError::Cycle(e.to_string()))?;
                puts(out, &command)?;
            }
        }
    }
    Ok(())
}

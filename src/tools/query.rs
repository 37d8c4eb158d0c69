//! `-t query targets`: each target's producing edge, inputs and consumers
//! (`[tools.query.block]`).

use std::collections::HashSet;
use std::io::Write;

use super::{ToolResult, collect_target};
use crate::graph::{Edge, Graph};
use crate::load::FileReader;

/// Needs the graph mutably: a queried edge's dyndep file is loaded and
/// applied first, as in a build.
pub fn query(
    graph: &mut Graph,
    reader: &mut dyn FileReader,
    out: &mut dyn Write,
    err: &mut dyn Write,
    args: &[String],
) -> ToolResult {
    if args.is_empty() {
        writeln!(err, "ninja: error: expected a target to query")?;
        return Ok(1);
    }
    let mut loaded_dyndeps = HashSet::new();
    for arg in args {
        let file = match collect_target(graph, arg) {
            Ok(f) => f,
            Err(e) => {
                out.flush()?;
                writeln!(err, "ninja: error: {e}")?;
                return Ok(1);
            }
        };
        out.write_all(graph.path(file))?;
        out.write_all(b":\n")?;
        // spec: [tools.query.dyndep] the dyndep file is loaded first; a
        // failure is a warning.
        if let Some(edge) = graph.files[file].in_edge
            && let Some(dyndep) = graph.edges[edge].dyndep
            && loaded_dyndeps.insert(dyndep)
            && let Err(e) = crate::dyndep::load(graph, dyndep, reader)
        {
            writeln!(err, "ninja: warning: {e}\n")?;
        }
        let graph = &*graph;
        if let Some(edge) = graph.files[file].in_edge {
            let e = &graph.edges[edge];
            writeln!(
                out,
                "  input: {}",
                String::from_utf8_lossy(&graph.rules[e.rule].name)
            )?;
            let explicit = e.explicit_inputs().len();
            let implicit_end = explicit + e.implicit_inputs;
            for (i, &input) in e.inputs.iter().enumerate() {
                let label: &[u8] = if i < explicit {
                    b""
                } else if i < implicit_end {
                    b"| "
                } else {
                    b"|| "
                };
                out.write_all(b"    ")?;
                out.write_all(label)?;
                out.write_all(graph.path(input))?;
                out.write_all(b"\n")?;
            }
            if !e.validations.is_empty() {
                out.write_all(b"  validations:\n")?;
                for &v in &e.validations {
                    write_indented(out, graph.path(v))?;
                }
            }
        }
        out.write_all(b"  outputs:\n")?;
        let outputs_of = |e: &Edge| e.outputs.clone();
        for &edge in &graph.files[file].out_edges {
            for o in outputs_of(&graph.edges[edge]) {
                write_indented(out, graph.path(o))?;
            }
        }
        let validation_edges = &graph.files[file].validation_out_edges;
        if !validation_edges.is_empty() {
            out.write_all(b"  validation for:\n")?;
            for &edge in validation_edges {
                for &o in &graph.edges[edge].outputs {
                    write_indented(out, graph.path(o))?;
                }
            }
        }
    }
    Ok(0)
}

fn write_indented(out: &mut dyn std::io::Write, path: &[u8]) -> std::io::Result<()> {
    out.write_all(b"    ")?;
    out.write_all(path)?;
    out.write_all(b"\n")
}

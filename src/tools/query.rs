//! `-t query targets`: each target's producing edge, inputs and consumers
//! (`[tools.query.block]`).

use super::{ToolContext, ToolResult, collect_target};
use crate::graph::Edge;

pub fn query(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    if args.is_empty() {
        return cx.error("expected a target to query");
    }
    let graph = cx.graph;
    for arg in args {
        let file = match collect_target(graph, arg) {
            Ok(f) => f,
            Err(e) => return cx.error(&e),
        };
        cx.out.write_all(graph.path(file))?;
        cx.out.write_all(b":\n")?;
        if let Some(edge) = graph.files[file].in_edge {
            let e = &graph.edges[edge];
            // spec: [tools.query.dyndep] the dyndep file is loaded first;
            // a failure is a warning. (Applying its contents comes with the
            // dyndep loader of the executor.)
            if let Some(dyndep) = e.dyndep
                && let Err(e) = std::fs::metadata(crate::bytes_to_path(graph.path(dyndep)))
            {
                let path = String::from_utf8_lossy(graph.path(dyndep));
                let reason = crate::load::io_error_text(&e);
                writeln!(cx.err, "ninja: warning: loading '{path}': {reason}\n")?;
            }
            let out = &mut *cx.out;
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
        let out = &mut *cx.out;
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

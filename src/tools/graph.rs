//! `-t graph [TARGETS]`: the graph below the targets in graphviz's dot
//! language (`[tools.graph]`).

use std::collections::HashSet;
use std::io::Write;

use super::{ToolResult, collect_targets};
use crate::graph::{EdgeId, FileId, Graph};
use crate::load::FileReader;

/// ninja names each node by its address in memory (`%p`); these stand-ins
/// look alike and are unique: one range for files, another for edges.
fn file_name(file: FileId) -> String {
    format!("0x55d0{:08x}", 0x40 * file.0 as u64)
}

fn edge_name(edge: EdgeId) -> String {
    format!("0x55e0{:08x}", 0x40 * edge.0 as u64)
}

/// Prints the dot graph of `args` (or the default targets). Needs the
/// graph mutably: an edge's dyndep file is loaded when the walk reaches it.
// spec: [tools.graph]
pub fn graph(
    graph: &mut Graph,
    reader: &mut dyn FileReader,
    out: &mut dyn Write,
    err: &mut dyn Write,
    args: &[String],
) -> ToolResult {
    let targets = match collect_targets(graph, args) {
        Ok(t) => t,
        Err(e) => {
            writeln!(err, "ninja: error: {e}")?;
            return Ok(1);
        }
    };
    out.write_all(
        b"digraph ninja {\nrankdir=\"LR\"\nnode [fontsize=10, shape=box, height=0.25]\n\
          edge [fontsize=10]\n",
    )?;
    let mut walk = Walk {
        graph,
        reader,
        out,
        err,
        files: HashSet::new(),
        edges: HashSet::new(),
        dyndeps: HashSet::new(),
    };
    for target in targets {
        walk.add(target)?;
    }
    walk.out.write_all(b"}\n")?;
    Ok(0)
}

struct Walk<'a> {
    graph: &'a mut Graph,
    reader: &'a mut dyn FileReader,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    files: HashSet<FileId>,
    edges: HashSet<EdgeId>,
    /// Dyndep files already loaded (or tried: a failure is not retried).
    dyndeps: HashSet<FileId>,
}

impl Walk<'_> {
    fn add(&mut self, file: FileId) -> std::io::Result<()> {
        if !self.files.insert(file) {
            return Ok(());
        }
        // spec: [tools.graph.node] backslashes are shown as slashes.
        let label: Vec<u8> = self
            .graph
            .path(file)
            .iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect();
        write!(self.out, "\"{}\" [label=\"", file_name(file))?;
        self.out.write_all(&label)?;
        self.out.write_all(b"\"]\n")?;
        let Some(edge) = self.graph.files[file].in_edge else {
            return Ok(());
        };
        if !self.edges.insert(edge) {
            return Ok(());
        }
        // spec: [tools.graph.dyndep]
        if let Some(dyndep) = self.graph.edges[edge].dyndep
            && self.dyndeps.insert(dyndep)
            && let Err(e) = crate::dyndep::load(self.graph, dyndep, self.reader)
        {
            self.out.flush()?;
            writeln!(self.err, "ninja: warning: {e}\n")?;
        }
        let graph = &*self.graph;
        let e = &graph.edges[edge];
        let rule = &graph.rules[e.rule].name;
        // spec: [tools.graph.edge]
        if e.inputs.len() == 1 && e.outputs.len() == 1 {
            write!(
                self.out,
                "\"{}\" -> \"{}\" [label=\" ",
                file_name(e.inputs[0]),
                file_name(e.outputs[0])
            )?;
            self.out.write_all(rule)?;
            self.out.write_all(b"\"]\n")?;
        } else {
            write!(self.out, "\"{}\" [label=\"", edge_name(edge))?;
            self.out.write_all(rule)?;
            self.out.write_all(b"\", shape=ellipse]\n")?;
            for &o in &e.outputs {
                writeln!(self.out, "\"{}\" -> \"{}\"", edge_name(edge), file_name(o))?;
            }
            let order_only_from = e.inputs.len() - e.order_only_inputs;
            for (i, &input) in e.inputs.iter().enumerate() {
                let style = if i >= order_only_from {
                    " style=dotted"
                } else {
                    ""
                };
                writeln!(
                    self.out,
                    "\"{}\" -> \"{}\" [arrowhead=none{style}]",
                    file_name(input),
                    edge_name(edge)
                )?;
            }
        }
        let inputs = e.inputs.clone();
        for input in inputs {
            self.add(input)?;
        }
        Ok(())
    }
}

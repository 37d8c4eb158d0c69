//! `-t targets [depth N | rule [NAME] | all]` (`[tools.targets.all]`).

use std::collections::BTreeSet;

use super::{ToolContext, ToolResult, puts, root_targets};
use crate::edit_distance::suggest;
use crate::graph::{FileId, Graph};
use crate::load::c_atoi;

pub fn targets(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let graph = cx.graph;
    let mut depth = 1;
    if let Some(mode) = args.first() {
        match mode.as_str() {
            "rule" => {
                return match args.get(1).filter(|r| !r.is_empty()) {
                    None => source_list(graph, cx.out),
                    Some(rule) => by_rule(graph, rule.as_bytes(), cx.out),
                };
            }
            "depth" => {
                if let Some(n) = args.get(1) {
                    depth = c_atoi(n.as_bytes());
                }
            }
            "all" => return all(graph, cx.out),
            _ => {
                let message = match suggest(mode.as_bytes(), ["rule", "depth", "all"]) {
                    Some(s) => format!("unknown target tool mode '{mode}', did you mean '{s}'?"),
                    None => format!("unknown target tool mode '{mode}'"),
                };
                return cx.error(&message);
            }
        }
    }
    match root_targets(graph) {
        Ok(roots) => {
            tree(graph, &roots, depth, 0, cx.out)?;
            Ok(0)
        }
        Err(e) => cx.error(&e),
    }
}

/// The targets as a tree, `depth` levels deep (0 or less: unlimited);
/// iterative, because chains of edges can be very long.
fn tree(
    graph: &Graph,
    files: &[FileId],
    depth: i32,
    indent: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut stack: Vec<(FileId, i32, usize)> =
        files.iter().rev().map(|&f| (f, depth, indent)).collect();
    while let Some((file, depth, indent)) = stack.pop() {
        write_indent(out, indent)?;
        out.write_all(graph.path(file))?;
        match graph.files[file].in_edge {
            Some(edge) => {
                let e = &graph.edges[edge];
                out.write_all(b": ")?;
                puts(out, &graph.rules[e.rule].name)?;
                if depth > 1 || depth <= 0 {
                    stack.extend(e.inputs.iter().rev().map(|&i| (i, depth - 1, indent + 1)));
                }
            }
            None => out.write_all(b"\n")?,
        }
    }
    Ok(())
}

fn write_indent(out: &mut dyn std::io::Write, levels: usize) -> std::io::Result<()> {
    const SPACES: &[u8; 256] = &[b' '; 256];
    let mut remaining = 2 * levels;
    while remaining > 0 {
        let n = remaining.min(SPACES.len());
        out.write_all(&SPACES[..n])?;
        remaining -= n;
    }
    Ok(())
}

/// `rule` without a name: every input no edge produces, once per use.
fn source_list(graph: &Graph, out: &mut dyn std::io::Write) -> ToolResult {
    for edge in graph.edges.values() {
        for &input in &edge.inputs {
            if graph.files[input].in_edge.is_none() {
                puts(out, graph.path(input))?;
            }
        }
    }
    Ok(0)
}

/// `rule NAME`: the outputs of that rule's edges, sorted and unique.
fn by_rule(graph: &Graph, rule: &[u8], out: &mut dyn std::io::Write) -> ToolResult {
    let mut paths = BTreeSet::new();
    for edge in graph.edges.values() {
        if &*graph.rules[edge.rule].name == rule {
            for &o in &edge.outputs {
                paths.insert(graph.path(o));
            }
        }
    }
    for p in paths {
        puts(out, p)?;
    }
    Ok(0)
}

/// `all`: every output with its rule, in manifest order.
fn all(graph: &Graph, out: &mut dyn std::io::Write) -> ToolResult {
    for edge in graph.edges.values() {
        let rule = &graph.rules[edge.rule].name;
        for &o in &edge.outputs {
            out.write_all(graph.path(o))?;
            out.write_all(b": ")?;
            puts(out, rule)?;
        }
    }
    Ok(0)
}

//! `-t compdb [-x] [rules]` and `-t compdb-targets [-x] targets`: a JSON
//! compilation database (`[tools.compdb.format]`).

use std::collections::HashSet;

use super::{ToolContext, ToolResult, collect_target};
use crate::expand::{Escape, edge_binding, edge_binding_escaped, edge_command};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};

const USAGE: &str = "usage: ninja -t compdb [options] [rules]\n\
\n\
options:\n\
\x20 -x     expand @rspfile style response file invocations\n";

const TARGETS_USAGE: &str = "usage: ninja -t compdb [-hx] target [targets]\n\
\n\
options:\n\
\x20 -h     display this help message\n\
\x20 -x     expand @rspfile style response file invocations\n";

/// Parses `-x`/`-h`; `None` once the usage is printed.
fn parse_options(
    cx: &mut ToolContext<'_>,
    tool: &str,
    args: &[String],
    usage: &str,
) -> std::io::Result<Option<(bool, Vec<String>)>> {
    Ok(cx
        .options(tool, args, "hx", &[], usage)?
        .map(|(flags, rest)| (flags.iter().any(|(c, _)| *c == 'x'), rest)))
}

pub fn compdb(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((expand, rules)) = parse_options(cx, "compdb", args, USAGE)? else {
        return Ok(1);
    };
    let graph = cx.graph;
    let mut edges = Vec::new();
    for (id, edge) in graph.edges.iter() {
        if edge.inputs.is_empty() {
            continue;
        }
        if rules.is_empty() {
            edges.push(id);
        } else {
            let name = &*graph.rules[edge.rule].name;
            // Once per matching argument, as ninja does.
            for rule in &rules {
                if rule.as_bytes() == name {
                    edges.push(id);
                }
            }
        }
    }
    print_compdb(cx, &edges, expand)
}

pub fn compdb_targets(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((expand, targets)) = parse_options(cx, "compdb-targets", args, TARGETS_USAGE)? else {
        return Ok(1);
    };
    if targets.is_empty() {
        writeln!(
            cx.err,
            "ninja: error: compdb-targets expects the name of at least one target"
        )?;
        cx.out.write_all(TARGETS_USAGE.as_bytes())?;
        return Ok(1);
    }
    let graph = cx.graph;
    let mut collector = Collector {
        graph,
        visited_files: HashSet::new(),
        visited_edges: HashSet::new(),
        edges: Vec::new(),
    };
    for target in &targets {
        let file = match collect_target(graph, target) {
            Ok(f) => f,
            Err(e) => return cx.fatal(&e),
        };
        if graph.files[file].in_edge.is_none() {
            let path = String::from_utf8_lossy(graph.path(file));
            return cx.fatal(&format!(
                "'{path}' is not a target (i.e. it is not an output of any `build` statement)"
            ));
        }
        collector.collect(file);
    }
    let edges: Vec<EdgeId> = collector
        .edges
        .into_iter()
        .filter(|&e| graph.edges[e].rule != PHONY_RULE && !graph.edges[e].inputs.is_empty())
        .collect();
    print_compdb(cx, &edges, expand)
}

struct Collector<'g> {
    graph: &'g Graph,
    visited_files: HashSet<FileId>,
    visited_edges: HashSet<EdgeId>,
    edges: Vec<EdgeId>,
}

impl Collector<'_> {
    /// Post-order over inputs, each file and edge once; iterative, because
    /// chains of edges can be very long.
    fn collect(&mut self, file: FileId) {
        enum Step {
            Collect(FileId),
            Emit(EdgeId),
        }
        let graph = self.graph;
        let mut stack = vec![Step::Collect(file)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Collect(file) => {
                    if !self.visited_files.insert(file) {
                        continue;
                    }
                    let Some(edge) = graph.files[file].in_edge else {
                        continue;
                    };
                    if !self.visited_edges.insert(edge) {
                        continue;
                    }
                    stack.push(Step::Emit(edge));
                    stack.extend(
                        graph.edges[edge]
                            .inputs
                            .iter()
                            .rev()
                            .map(|&i| Step::Collect(i)),
                    );
                }
                Step::Emit(edge) => {
                    if graph.edges[edge].rule != PHONY_RULE {
                        self.edges.push(edge);
                    }
                }
            }
        }
    }
}

fn print_compdb(cx: &mut ToolContext<'_>, edges: &[EdgeId], expand: bool) -> ToolResult {
    let graph = cx.graph;
    let mut text = Vec::new();
    text.push(b'[');
    for (i, &edge) in edges.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        let command = match command_for_compdb(graph, edge, expand) {
            Ok(c) => c,
            Err(e) => {
                cx.out.write_all(&text)?;
                return cx.fatal(&e.to_string());
            }
        };
        let e = &graph.edges[edge];
        text.extend_from_slice(b"\n  {\n    \"directory\": \"");
        push_json_string(&mut text, &cx.cwd);
        text.extend_from_slice(b"\",\n    \"command\": \"");
        push_json_string(&mut text, &command);
        text.extend_from_slice(b"\",\n    \"file\": \"");
        push_json_string(&mut text, graph.path(e.inputs[0]));
        text.extend_from_slice(b"\",\n    \"output\": \"");
        push_json_string(&mut text, graph.path(e.outputs[0]));
        text.extend_from_slice(b"\"\n  }");
    }
    text.extend_from_slice(b"\n]\n");
    cx.out.write_all(&text)?;
    Ok(0)
}

/// The command, with `@rspfile` (or `-f rspfile`, `--option-file=rspfile`)
/// replaced by the response file's content under `-x` (`[tools.compdb.expand-rsp]`).
fn command_for_compdb(
    graph: &Graph,
    edge: EdgeId,
    expand: bool,
) -> Result<Vec<u8>, crate::expand::CycleError> {
    let command = edge_command(graph, edge, false)?;
    if !expand {
        return Ok(command);
    }
    let rspfile = edge_binding_escaped(graph, edge, "rspfile", Escape::None)?;
    if rspfile.is_empty() {
        return Ok(command);
    }
    let Some(index) = find(&command, &rspfile, 0) else {
        return Ok(command);
    };
    let preceded_by = |prefix: &[u8]| {
        index >= prefix.len() && find(&command, prefix, 0) == Some(index - prefix.len())
    };
    let at_sign = index > 0 && command[index - 1] == b'@';
    let option_file = preceded_by(b"--option-file=");
    let dash_f = preceded_by(b"-f ");
    if index == 0 || !(at_sign || option_file || dash_f) {
        return Ok(command);
    }
    let content: Vec<u8> = edge_binding(graph, edge, "rspfile_content")?
        .into_iter()
        .map(|b| if b == b'\n' { b' ' } else { b })
        .collect();
    let (start, len) = if at_sign {
        (index - 1, rspfile.len() + 1)
    } else if dash_f {
        (index - 3, rspfile.len() + 3)
    } else {
        (index - 14, rspfile.len() + 14)
    };
    let mut out = command[..start].to_vec();
    out.extend_from_slice(&content);
    out.extend_from_slice(&command[start + len..]);
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// ninja's JSON string escaping (`EncodeJSONString`).
pub fn push_json_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &c in s {
        match c {
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 0xf) as usize]);
            }
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            _ => out.push(c),
        }
    }
}

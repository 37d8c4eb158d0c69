//! ninja's tools that only read (`-t commands|query|targets|rules|inputs|
//! multi-inputs|compdb|compdb-targets|deps|graph|missingdeps`), output byte
//! for byte as ninja 1.13 (`spec/tools.md`). The tools that change files
//! (`clean`, `cleandead`, `restat`, `recompact`) live in `crate::clean`,
//! `crate::build_log` and `crate::build`.
//!
//! Architecture invariant: tools read the graph and write to the streams
//! they are given; files they must read (dyndep files, depfiles) come
//! through a `FileReader` or a `stat` function passed in; they never write
//! to the file system or change the process state.

mod commands;
mod compdb;
mod deps;
mod graph;
mod inputs;
mod missingdeps;
mod query;
mod rules;
mod targets;

use std::io::{self, Write};

use crate::canon::canonicalize;
use crate::edit_distance::suggest;
use crate::getopt::{LongOpt, Opt, getopt};
use crate::graph::{FileId, Graph};

pub use commands::commands;
pub use compdb::{compdb, compdb_targets};
pub use deps::deps;
pub use graph::graph;
pub use inputs::{inputs, multi_inputs};
pub use missingdeps::missingdeps;
pub use query::query;
pub use rules::rules;
pub use targets::targets;

/// A tool's parsed command line: its flags (letter and argument) and its
/// operands.
pub type ToolArgs = (Vec<(char, Option<String>)>, Vec<String>);

/// What a tool needs: the graph and the output streams.
pub struct ToolContext<'a> {
    pub graph: &'a Graph,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// The working directory, for `compdb`'s `directory` fields.
    pub cwd: Vec<u8>,
}

/// How a tool ended: an exit status, or a fatal error (`ninja: fatal: `).
pub type ToolResult = io::Result<i32>;

impl ToolContext<'_> {
    /// Prints `ninja: error: MESSAGE` and returns status 1.
    pub fn error(&mut self, message: &str) -> ToolResult {
        writeln!(self.err, "ninja: error: {message}")?;
        Ok(1)
    }

    /// Reads a tool's options as GNU getopt does (the tool's name is its
    /// `argv[0]`, `[tools.invoke.getopt]`). `-h` or a bad option prints
    /// `usage` on stdout (and getopt's complaint on stderr) and gives `None`:
    /// the tool then exits with status 1.
    pub fn options(
        &mut self,
        tool: &str,
        args: &[String],
        shorts: &str,
        longs: &[LongOpt],
        usage: &str,
    ) -> io::Result<Option<ToolArgs>> {
        let (opts, operands) = getopt(tool, args, shorts, longs, |_| false);
        let mut flags = Vec::new();
        for opt in opts {
            match opt {
                Opt::Flag(c, value) if c != 'h' => flags.push((c, value)),
                Opt::Invalid(message) => {
                    writeln!(self.err, "{message}")?;
                    self.out.write_all(usage.as_bytes())?;
                    return Ok(None);
                }
                _ => {
                    self.out.write_all(usage.as_bytes())?;
                    return Ok(None);
                }
            }
        }
        Ok(Some((flags, operands)))
    }

    /// Prints `ninja: fatal: MESSAGE` and returns status 1.
    pub fn fatal(&mut self, message: &str) -> ToolResult {
        self.out.flush()?;
        writeln!(self.err, "ninja: fatal: {message}")?;
        Ok(1)
    }
}

/// The files a command line names, or the defaults when it names none.
// spec: [tools.target.defaults]
pub fn collect_targets(graph: &Graph, args: &[String]) -> Result<Vec<FileId>, String> {
    if args.is_empty() {
        return default_targets(graph);
    }
    args.iter().map(|a| collect_target(graph, a)).collect()
}

/// The `default` targets, or else the root files (outputs nothing reads).
pub fn default_targets(graph: &Graph) -> Result<Vec<FileId>, String> {
    if !graph.defaults.is_empty() {
        return Ok(graph.defaults.clone());
    }
    root_targets(graph)
}

/// spec: [graph.default.root]
pub fn root_targets(graph: &Graph) -> Result<Vec<FileId>, String> {
    let roots = graph.root_files();
    if !graph.edges.is_empty() && roots.is_empty() {
        return Err("could not determine root nodes of build graph".into());
    }
    Ok(roots)
}

/// Resolves one command-line target, with `file^` meaning "the first output
/// of the first edge reading file" (`[tools.target.caret]`).
pub fn collect_target(graph: &Graph, arg: &str) -> Result<FileId, String> {
    let mut path = arg.as_bytes().to_vec();
    if path.is_empty() {
        return Err("empty path".into());
    }
    canonicalize(&mut path);
    let first_dependent = path.last() == Some(&b'^');
    if first_dependent {
        path.pop();
    }
    let shown = String::from_utf8_lossy(&path).into_owned();
    let Some(file) = graph.lookup_file(&path) else {
        // spec: [tools.target.suggest]
        let mut message = format!("unknown target '{shown}'");
        if shown == "clean" {
            message.push_str(", did you mean 'ninja -t clean'?");
        } else if shown == "help" {
            message.push_str(", did you mean 'ninja -h'?");
        } else if let Some(s) = suggest(&path, graph.files.values().map(|f| &*f.path)) {
            message.push_str(&format!(", did you mean '{}'?", String::from_utf8_lossy(s)));
        }
        return Err(message);
    };
    if !first_dependent {
        return Ok(file);
    }
    match graph.files[file].out_edges.first() {
        Some(&edge) => Ok(graph.edges[edge].outputs[0]),
        None => Err(format!("'{shown}' has no out edge")),
    }
}

/// Writes `bytes` followed by a newline, as C's `puts`.
fn puts(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.write_all(b"\n")
}

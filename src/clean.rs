//! `-t clean` without targets or `-r`: removes the outputs of every
//! non-phony edge (and their depfiles and response files), keeping the
//! outputs of generator edges unless `-g` is given, as ninja's cleaner.

use std::collections::HashSet;
use std::io::{self, Write};

use crate::bytes_to_path;
use crate::expand::{Escape, edge_binding, edge_binding_escaped};
use crate::graph::{Graph, PHONY_RULE};

/// Cleans everything; `generator` also removes generator outputs.
/// `verbose` (`-v` or `-n`) lists each removed file. Returns the status.
pub fn clean_all(
    graph: &Graph,
    generator: bool,
    dry_run: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<i32> {
    let verbose = verbose || dry_run;
    out.write_all(if verbose {
        b"Cleaning...\n"
    } else {
        b"Cleaning... "
    })?;
    let mut removed: HashSet<Vec<u8>> = HashSet::new();
    let mut count = 0;
    let mut status = 0;
    let mut remove = |path: &[u8], out: &mut dyn Write| -> io::Result<()> {
        if path.is_empty() || !removed.insert(path.to_vec()) {
            return Ok(());
        }
        let os = bytes_to_path(path);
        let gone = if dry_run {
            std::fs::symlink_metadata(&os).is_ok()
        } else {
            match std::fs::remove_file(&os) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(_) => {
                    status = 1;
                    false
                }
            }
        };
        if gone {
            count += 1;
            if verbose {
                out.write_all(b"Remove ")?;
                out.write_all(path)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    };
    for (edge, e) in graph.edges.iter() {
        if e.rule == PHONY_RULE {
            continue;
        }
        if !generator && edge_binding(graph, edge, "generator").is_ok_and(|v| !v.is_empty()) {
            continue;
        }
        for &o in &e.outputs {
            remove(&graph.files[o].path, out)?;
        }
        for key in ["depfile", "rspfile"] {
            let path = edge_binding_escaped(graph, edge, key, Escape::None).unwrap_or_default();
            remove(&path, out)?;
        }
    }
    writeln!(out, "{count} files.")?;
    Ok(status)
}

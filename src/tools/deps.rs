//! `-t deps`: the dependencies recorded in the deps log, per output
//! (spec/tools.md).

use super::{ToolContext, ToolResult, collect_targets};
use crate::build::deps_entry_is_live;
use crate::deps_log::DepsLog;

/// Prints the deps of the named targets, or of every output the deps log
/// knows that an edge with `deps` still produces. `stat` gives a file's
/// mtime (0 when missing), to tell `VALID` from `STALE` entries.
pub fn deps(
    cx: &mut ToolContext<'_>,
    log: &DepsLog,
    stat: &dyn Fn(&[u8]) -> i64,
    args: &[String],
) -> ToolResult {
    let paths: Vec<Vec<u8>> = if args.is_empty() {
        log.nodes
            .iter()
            .filter(|p| deps_entry_is_live(cx.graph, p))
            .cloned()
            .collect()
    } else {
        match collect_targets(cx.graph, args) {
            Ok(files) => files
                .into_iter()
                .map(|f| cx.graph.files[f].path.to_vec())
                .collect(),
            Err(e) => return cx.error(&e),
        }
    };
    for path in paths {
        let Some(deps) = log.get(&path) else {
            cx.out.write_all(&path)?;
            cx.out.write_all(b": deps not found\n")?;
            continue;
        };
        let mtime = stat(&path);
        let state = if mtime == 0 || mtime > deps.mtime {
            "STALE"
        } else {
            "VALID"
        };
        cx.out.write_all(&path)?;
        writeln!(
            cx.out,
            ": #deps {}, deps mtime {} ({state})",
            deps.inputs.len(),
            deps.mtime
        )?;
        for &id in &deps.inputs {
            cx.out.write_all(b"    ")?;
            cx.out.write_all(&log.nodes[id as usize])?;
            cx.out.write_all(b"\n")?;
        }
        cx.out.write_all(b"\n")?;
    }
    Ok(0)
}

//! The plan: the edges the targets need that are not up to date, the
//! count of commands to run, and the critical-path priorities.

use super::lossy;
use super::scan::Scan;
use crate::densemap::Id;
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};

/// The plan: which edges the targets want, and how many commands that is.
pub(super) struct Plan {
    pub(super) wanted: Vec<bool>,
    pub(super) total: usize,
}

impl Plan {
    /// Adds `file` (needed by `dependent`, if any) and everything it
    /// needs to the plan: a depth-first walk in ninja's order (inputs,
    /// then discovered inputs, then validations), with its own stack.
    /// The first source file that is missing is the error.
    pub(super) fn add(
        &mut self,
        scan: &Scan,
        file: FileId,
        dependent: Option<FileId>,
    ) -> Result<(), String> {
        let graph = scan.graph;
        let mut stack = vec![(file, dependent)];
        while let Some((file, dependent)) = stack.pop() {
            let Some(edge) = graph.files[file].in_edge else {
                if scan.file_dirty[file.index()] {
                    let referenced = dependent.map_or(String::new(), |d| {
                        format!(", needed by '{}',", lossy(&graph.files[d].path))
                    });
                    return Err(format!(
                        "'{}'{referenced} missing and no known rule to make it",
                        lossy(&graph.files[file].path)
                    ));
                }
                continue;
            };
            if scan.outputs_ready[edge.index()] || self.wanted[edge.index()] {
                continue;
            }
            self.wanted[edge.index()] = true;
            let e = &graph.edges[edge];
            if scan.edge_dirty[edge.index()] && e.rule != PHONY_RULE {
                self.total += 1;
            }
            // Pushed in reverse, so that they are visited in order.
            for &v in e.validations.iter().rev() {
                stack.push((v, None));
            }
            for &input in scan.discovered[edge.index()].iter().rev() {
                // A discovered input with no rule is not an error here.
                if graph.files[input].in_edge.is_some() {
                    stack.push((input, Some(file)));
                }
            }
            for &input in e.inputs.iter().rev() {
                stack.push((input, Some(file)));
            }
        }
        Ok(())
    }
}

/// ninja's critical path weights: each edge counts 1 (phony edges 0) plus
/// the heaviest chain of edges that consume its outputs, among the edges
/// the targets need through inputs of every kind (validation files count
/// as targets of their own: they need their edge, but order nothing).
///
/// spec: [build.order.priority]
pub(super) fn critical_path_weights(
    graph: &Graph,
    targets: &[FileId],
    discovered: &[Vec<FileId>],
) -> Vec<i64> {
    let inputs_of = |e: EdgeId| {
        let extra = discovered.get(e.index()).map_or(&[][..], |v| v);
        graph.edges[e].inputs.iter().chain(extra.iter()).copied()
    };
    let own = |e: EdgeId| i64::from(graph.edges[e].rule != PHONY_RULE);
    // Edges the walk does not reach keep -1, below every weight.
    let mut weights = vec![-1i64; graph.edges.len()];
    let mut visited = vec![false; graph.edges.len()];
    let mut sorted = Vec::new();
    let mut roots: Vec<FileId> = targets.iter().rev().copied().collect();
    while let Some(t) = roots.pop() {
        let Some(root) = graph.files[t].in_edge else {
            continue;
        };
        if visited[root.index()] {
            continue;
        }
        visited[root.index()] = true;
        // Iterative post-order depth-first search.
        let mut stack = vec![(root, 0usize)];
        while let Some((edge, i)) = stack.pop() {
            if let Some(input) = inputs_of(edge).nth(i) {
                stack.push((edge, i + 1));
                if let Some(p) = graph.files[input].in_edge
                    && !visited[p.index()]
                {
                    visited[p.index()] = true;
                    stack.push((p, 0));
                }
            } else {
                sorted.push(edge);
                roots.extend(graph.edges[edge].validations.iter().copied());
            }
        }
    }
    for &e in &sorted {
        weights[e.index()] = own(e);
    }
    for &e in sorted.iter().rev() {
        let w = weights[e.index()];
        for input in inputs_of(e) {
            if let Some(p) = graph.files[input].in_edge {
                let candidate = w + own(p);
                if candidate > weights[p.index()] {
                    weights[p.index()] = candidate;
                }
            }
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use crate::build_log::BuildLog;
    #[cfg(unix)]
    use crate::deps_log::DepsLog;
    use crate::test_support::{edge, graph};
    #[cfg(unix)]
    use std::collections::HashSet;

    #[test]
    fn critical_path_counts_commands_downstream() {
        let g = graph(
            "rule r\n  command = true\n\
             build a: r src\nbuild b: r a\nbuild c: r b\nbuild all: phony c a\n",
        );
        let w = critical_path_weights(&g, &[g.lookup_file(b"all").unwrap()], &[]);
        assert_eq!(w[edge(&g, "all").index()], 0);
        assert_eq!(w[edge(&g, "c").index()], 1);
        assert_eq!(w[edge(&g, "b").index()], 2);
        assert_eq!(w[edge(&g, "a").index()], 3);
    }

    // Unix only: the manifest names absolute temp paths, whose drive colon
    // (`C:`) would end a build statement's outputs on Windows.
    #[cfg(unix)]
    #[test]
    fn scan_reports_missing_sources_in_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let g = graph(&format!(
            "rule r\n  command = true\nbuild {d}/out: r {d}/gone\n"
        ));
        let (log, deps, loaded) = (BuildLog::default(), DepsLog::default(), HashSet::new());
        let mut scan = Scan::new(&g, &log, deps, &loaded, false);
        let out = g.lookup_file(format!("{d}/out").as_bytes()).unwrap();
        scan.recompute(out).unwrap();
        let mut plan = Plan {
            wanted: vec![false; g.edges.len()],
            total: 0,
        };
        assert_eq!(
            plan.add(&scan, out, None),
            Err(format!(
                "'{d}/gone', needed by '{d}/out', missing and no known rule to make it"
            ))
        );
    }
}

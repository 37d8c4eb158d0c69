//! `-t missingdeps [TARGETS]`: discovered dependencies (deps log or
//! depfile) on generated files that the manifest does not order before
//! their user (`[tools.missingdeps]`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;

use super::collect_targets;
use crate::depfile::parse_depfile;
use crate::deps_log::DepsLog;
use crate::expand::{Escape, edge_binding, edge_binding_escaped};
use crate::graph::{EdgeId, FileId, Graph, RuleId};
use crate::load::FileReader;

/// Runs the scan over the targets (or the defaults) and prints ninja's
/// report. Exit status 3 when a missing dependency was found.
pub fn missingdeps(
    graph: &Graph,
    deps_log: &DepsLog,
    reader: &mut dyn FileReader,
    out: &mut dyn Write,
    err: &mut dyn Write,
    args: &[String],
) -> std::io::Result<i32> {
    let targets = match collect_targets(graph, args) {
        Ok(t) => t,
        Err(e) => {
            writeln!(err, "ninja: error: {e}")?;
            return Ok(1);
        }
    };
    let mut scanner = Scanner {
        graph,
        deps_log,
        reader,
        out,
        seen: HashSet::new(),
        paths: HashMap::new(),
        missing_paths: 0,
        nodes_missing: HashSet::new(),
        generated: HashSet::new(),
        generator_rules: HashSet::new(),
    };
    for target in targets {
        scanner.process(target)?;
    }
    scanner.print_stats()
}

struct Scanner<'a> {
    graph: &'a Graph,
    deps_log: &'a DepsLog,
    reader: &'a mut dyn FileReader,
    out: &'a mut dyn Write,
    /// Outputs already processed (only files with a producing edge).
    seen: HashSet<FileId>,
    /// Memo of "is there a path of inputs from edge A up to edge B".
    paths: HashMap<(EdgeId, EdgeId), bool>,
    missing_paths: usize,
    nodes_missing: HashSet<FileId>,
    generated: HashSet<Vec<u8>>,
    generator_rules: HashSet<RuleId>,
}

impl Scanner<'_> {
    // spec: [tools.missingdeps]
    fn process(&mut self, file: FileId) -> std::io::Result<()> {
        let Some(edge) = self.graph.files[file].in_edge else {
            return Ok(());
        };
        if !self.seen.insert(file) {
            return Ok(());
        }
        for &input in &self.graph.edges[edge].inputs {
            self.process(input)?;
        }
        let deps_type = edge_binding(self.graph, edge, "deps").unwrap_or_default();
        let deps: Vec<Vec<u8>> = if !deps_type.is_empty() {
            match self.deps_log.input_paths(&self.graph.files[file].path) {
                Some(paths) => paths.into_iter().map(|p| p.to_vec()).collect(),
                None => return Ok(()),
            }
        } else {
            self.depfile_inputs(edge)
        };
        if !deps.is_empty() {
            self.process_deps(file, edge, &deps)?;
        }
        Ok(())
    }

    /// The inputs of the edge's depfile, when it can be read and names
    /// the edge's outputs as a build would accept; otherwise none.
    fn depfile_inputs(&mut self, edge: EdgeId) -> Vec<Vec<u8>> {
        let graph = self.graph;
        let e = &graph.edges[edge];
        let depfile =
            edge_binding_escaped(graph, edge, "depfile", Escape::None).unwrap_or_default();
        if depfile.is_empty() {
            return Vec::new();
        }
        let Ok(content) = self.reader.read_file(&depfile) else {
            return Vec::new();
        };
        let Ok(parsed) = parse_depfile(&content) else {
            return Vec::new();
        };
        let Some(first) = parsed.outputs.first() else {
            return Vec::new();
        };
        let mut first = first.clone();
        crate::canon::canonicalize(&mut first);
        if *first != *graph.files[e.outputs[0]].path {
            return Vec::new();
        }
        let declared = |o: &[u8]| e.outputs.iter().any(|&f| *graph.files[f].path == *o);
        if !declared(&first) || !parsed.outputs[1..].iter().all(|o| declared(o)) {
            return Vec::new();
        }
        parsed
            .inputs
            .into_iter()
            .map(|mut p| {
                crate::canon::canonicalize(&mut p);
                p
            })
            .collect()
    }

    fn producer(&self, path: &[u8]) -> Option<EdgeId> {
        self.graph
            .lookup_file(path)
            .and_then(|f| self.graph.files[f].in_edge)
    }

    fn process_deps(
        &mut self,
        file: FileId,
        edge: EdgeId,
        deps: &[Vec<u8>],
    ) -> std::io::Result<()> {
        // A dependency on build.ninja stands for "rebuild when the build
        // is reconfigured": such a list is not checked at all.
        if deps.iter().any(|d| d.as_slice() == b"build.ninja") {
            return Ok(());
        }
        // ninja orders these edges by address: manifest order here.
        let producers: BTreeSet<EdgeId> = deps.iter().filter_map(|d| self.producer(d)).collect();
        let missing: Vec<EdgeId> = producers
            .into_iter()
            .filter(|&p| !self.path_exists(p, edge))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut rule_names = BTreeSet::new();
        for &m in &missing {
            let rule = self.graph.edges[m].rule;
            for d in deps {
                if self.producer(d) == Some(m) {
                    self.generated.insert(d.clone());
                    self.generator_rules.insert(rule);
                    rule_names.insert(self.graph.rules[rule].name.clone());
                    self.out.write_all(b"Missing dep: ")?;
                    self.out.write_all(&self.graph.files[file].path)?;
                    self.out.write_all(b" uses ")?;
                    self.out.write_all(d)?;
                    self.out.write_all(b" (generated by ")?;
                    self.out.write_all(&self.graph.rules[rule].name)?;
                    self.out.write_all(b")\n")?;
                }
            }
        }
        self.missing_paths += rule_names.len();
        self.nodes_missing.insert(file);
        Ok(())
    }

    /// Whether `to` reaches `from` through its inputs' producing edges.
    fn path_exists(&mut self, from: EdgeId, to: EdgeId) -> bool {
        if let Some(&known) = self.paths.get(&(from, to)) {
            return known;
        }
        let graph = self.graph;
        let found = graph.edges[to].inputs.iter().any(|&i| {
            graph.files[i]
                .in_edge
                .is_some_and(|e| e == from || self.path_exists(from, e))
        });
        self.paths.insert((from, to), found);
        found
    }

    // spec: [tools.missingdeps.report]
    fn print_stats(&mut self) -> std::io::Result<i32> {
        writeln!(self.out, "Processed {} nodes.", self.seen.len())?;
        if self.nodes_missing.is_empty() {
            writeln!(
                self.out,
                "No missing dependencies on generated files found."
            )?;
            return Ok(0);
        }
        writeln!(
            self.out,
            "Error: There are {} missing dependency paths.",
            self.missing_paths
        )?;
        writeln!(
            self.out,
            "{} targets had depfile dependencies on {} distinct generated inputs (from {} rules)  without a non-depfile dep path to the generator.",
            self.nodes_missing.len(),
            self.generated.len(),
            self.generator_rules.len()
        )?;
        writeln!(
            self.out,
            "There might be build flakiness if any of the targets listed above are built alone, or not late enough, in a clean output directory."
        )?;
        Ok(3)
    }
}

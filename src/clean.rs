//! `-t clean` and `-t cleandead`: removing built files as ninja's cleaner
//! does (`spec/tools.md`, section "clean").
//!
//! Safety invariant: the only paths ever removed are the outputs an edge
//! declares (after dyndep files are applied), the edge's `depfile` and
//! `rspfile`, and for `cleandead` the outputs recorded in the build log. A
//! path is removed as a directory entry: when it is a symbolic link, the
//! link goes, never what it points to; a directory is removed only when it
//! is empty. Nothing is ever removed recursively.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::build_log::BuildLog;
use crate::bytes_to_path;
use crate::canon::canonicalize;
use crate::expand::{Escape, edge_binding, edge_binding_escaped};
use crate::graph::{EdgeId, FileId, Graph, PHONY_RULE};

/// What to clean.
pub enum CleanMode<'a> {
    /// Every output of every non-phony edge; generator outputs only when
    /// the flag is set (`-g`).
    All { generator: bool },
    /// The named targets and everything they are built from.
    Targets(&'a [String]),
    /// The outputs of the edges using the named rules (`-r`).
    Rules(&'a [String]),
    /// Outputs recorded in the build log that no edge mentions any more
    /// (`-t cleandead`).
    Dead(&'a BuildLog),
}

/// How the cleaner reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct CleanOptions {
    /// `-n`: report what would be removed, remove nothing.
    pub dry_run: bool,
    /// `-v`: list each removed file.
    pub verbose: bool,
}

/// Runs the cleaner on `graph` (whose dyndep files are loaded first, as
/// ninja does, so that outputs they add are cleaned too). Paths are
/// relative to `base` (empty: the working directory). Returns the exit
/// status: 1 when a target or rule is unknown or a removal failed.
pub fn clean(
    graph: &mut Graph,
    mode: CleanMode<'_>,
    options: CleanOptions,
    base: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    // spec: [tools.clean.rules] an unknown rule with `-r` but no operand
    // is an error before anything is printed.
    if let CleanMode::Rules(rules) = &mode
        && rules.is_empty()
    {
        writeln!(err, "ninja: error: expected a rule to clean")?;
        return Ok(1);
    }
    let mut cleaner = Cleaner {
        graph,
        options,
        base,
        removed: HashSet::new(),
        visited: HashSet::new(),
        count: 0,
        status: 0,
        out,
        err,
    };
    cleaner.header()?;
    load_dyndeps(cleaner.graph, base);
    match mode {
        CleanMode::All { generator } => cleaner.clean_all(generator)?,
        CleanMode::Targets(targets) => cleaner.clean_targets(targets)?,
        CleanMode::Rules(rules) => cleaner.clean_rules(rules)?,
        CleanMode::Dead(log) => cleaner.clean_dead(log)?,
    }
    cleaner.footer()?;
    Ok(cleaner.status)
}

/// Applies every dyndep file that can be read; errors are ignored, so
/// that as much as is known is cleaned.
// spec: [tools.clean.dyndep]
fn load_dyndeps(graph: &mut Graph, base: &Path) {
    struct BaseReader<'a>(&'a Path);
    impl crate::load::FileReader for BaseReader<'_> {
        fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String> {
            std::fs::read(self.0.join(bytes_to_path(path)))
                .map_err(|e| crate::load::io_error_text(&e))
        }
    }
    let mut loaded = HashSet::new();
    let mut reader = BaseReader(base);
    for edge in 0..graph.edges.len() {
        let Some(dyndep) = graph.edges[EdgeId(edge as u32)].dyndep else {
            continue;
        };
        if loaded.insert(dyndep) {
            let _ = crate::dyndep::load(graph, dyndep, &mut reader);
        }
    }
}

struct Cleaner<'a> {
    graph: &'a mut Graph,
    options: CleanOptions,
    base: &'a Path,
    /// Paths already handled (each is removed or counted once).
    removed: HashSet<Vec<u8>>,
    /// Targets already walked.
    visited: HashSet<FileId>,
    count: usize,
    status: i32,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl Cleaner<'_> {
    /// spec: [tools.clean.verbose] `-n` lists files as `-v` does.
    fn verbose(&self) -> bool {
        self.options.verbose || self.options.dry_run
    }

    // spec: [tools.clean.output]
    fn header(&mut self) -> io::Result<()> {
        self.out.write_all(if self.verbose() {
            b"Cleaning...\n"
        } else {
            b"Cleaning... "
        })?;
        self.out.flush()
    }

    fn footer(&mut self) -> io::Result<()> {
        writeln!(self.out, "{} files.", self.count)
    }

    fn error(&mut self, message: &str) -> io::Result<()> {
        self.out.flush()?;
        writeln!(self.err, "ninja: error: {message}")
    }

    fn full_path(&self, path: &[u8]) -> PathBuf {
        self.base.join(bytes_to_path(path))
    }

    /// Removes one path (once), counting it when it existed.
    // spec: [tools.clean.remove]
    fn remove(&mut self, path: &[u8]) -> io::Result<()> {
        if path.is_empty() || !self.removed.insert(path.to_vec()) {
            return Ok(());
        }
        let os = self.full_path(path);
        let gone = if self.options.dry_run {
            // ninja asks whether the file exists by `stat`, which follows
            // a symbolic link.
            match std::fs::metadata(&os) {
                Ok(_) => true,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) =>
                {
                    false
                }
                Err(e) => {
                    let text = crate::load::io_error_text(&e);
                    self.error(&format!("stat({}): {text}", lossy(path)))?;
                    false
                }
            }
        } else {
            match remove_entry(&os) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => {
                    let text = crate::load::io_error_text(&e);
                    self.error(&format!("remove({}): {text}", lossy(path)))?;
                    self.status = 1;
                    false
                }
            }
        };
        if gone {
            self.count += 1;
            if self.verbose() {
                self.out.write_all(b"Remove ")?;
                self.out.write_all(path)?;
                self.out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// An edge's depfile and response file (names unescaped).
    // spec: [tools.clean.depfile-rspfile]
    fn remove_edge_files(&mut self, edge: EdgeId) -> io::Result<()> {
        for key in ["depfile", "rspfile"] {
            let path =
                edge_binding_escaped(self.graph, edge, key, Escape::None).unwrap_or_default();
            self.remove(&path)?;
        }
        Ok(())
    }

    // spec: [tools.clean.all]
    fn clean_all(&mut self, generator: bool) -> io::Result<()> {
        for edge in 0..self.graph.edges.len() {
            let edge = EdgeId(edge as u32);
            let e = &self.graph.edges[edge];
            if e.rule == PHONY_RULE {
                continue;
            }
            if !generator
                && edge_binding(self.graph, edge, "generator").is_ok_and(|v| !v.is_empty())
            {
                continue;
            }
            let outputs = e.outputs.clone();
            for o in outputs {
                let path = self.graph.files[o].path.to_vec();
                self.remove(&path)?;
            }
            self.remove_edge_files(edge)?;
        }
        Ok(())
    }

    // spec: [tools.clean.targets]
    fn clean_targets(&mut self, targets: &[String]) -> io::Result<()> {
        for target in targets {
            if target.is_empty() {
                self.error("failed to canonicalize '': empty path")?;
                self.status = 1;
                continue;
            }
            let mut path = target.as_bytes().to_vec();
            canonicalize(&mut path);
            match self.graph.lookup_file(&path) {
                Some(file) => {
                    if self.verbose() {
                        self.out.write_all(b"Target ")?;
                        self.out.write_all(&path)?;
                        self.out.write_all(b"\n")?;
                    }
                    self.clean_target(file)?;
                }
                None => {
                    self.error(&format!("unknown target '{}'", lossy(&path)))?;
                    self.status = 1;
                }
            }
        }
        Ok(())
    }

    /// Removes `target` (if an edge other than `phony` builds it) and the
    /// files of its edge, then walks the edge's inputs of every kind.
    fn clean_target(&mut self, target: FileId) -> io::Result<()> {
        // Marked before the walk (ninja marks it after, which only matters
        // for a dependency cycle, where ninja recurses without end).
        self.visited.insert(target);
        let Some(edge) = self.graph.files[target].in_edge else {
            return Ok(());
        };
        if self.graph.edges[edge].rule != PHONY_RULE {
            let path = self.graph.files[target].path.to_vec();
            self.remove(&path)?;
            self.remove_edge_files(edge)?;
        }
        let inputs = self.graph.edges[edge].inputs.clone();
        for input in inputs {
            if !self.visited.contains(&input) {
                self.clean_target(input)?;
            }
        }
        Ok(())
    }

    // spec: [tools.clean.rules]
    fn clean_rules(&mut self, rules: &[String]) -> io::Result<()> {
        let root = self.graph.scopes.root();
        for name in rules {
            if self
                .graph
                .scopes
                .lookup_rule(root, name.as_bytes())
                .is_none()
            {
                self.error(&format!("unknown rule '{name}'"))?;
                self.status = 1;
                continue;
            }
            if self.verbose() {
                writeln!(self.out, "Rule {name}")?;
            }
            for edge in 0..self.graph.edges.len() {
                let edge = EdgeId(edge as u32);
                let e = &self.graph.edges[edge];
                if &*self.graph.rules[e.rule].name != name.as_bytes() {
                    continue;
                }
                let outputs = e.outputs.clone();
                for o in outputs {
                    let path = self.graph.files[o].path.to_vec();
                    self.remove(&path)?;
                    self.remove_edge_files(edge)?;
                }
            }
        }
        Ok(())
    }

    // spec: [tools.cleandead]
    fn clean_dead(&mut self, log: &BuildLog) -> io::Result<()> {
        for path in log.entries.keys() {
            let dead = match self.graph.lookup_file(path) {
                None => true,
                Some(f) => {
                    let file = &self.graph.files[f];
                    file.in_edge.is_none() && file.out_edges.is_empty()
                }
            };
            if dead {
                self.remove(path)?;
            }
        }
        Ok(())
    }
}

/// Removes a directory entry as C's `remove` does: a file or a symbolic
/// link is unlinked (the link, not its target); a directory is removed
/// only if it is empty.
fn remove_entry(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => std::fs::remove_dir(path),
        Err(e) => Err(e),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

//! The watch set (spec: [watch.set]): which files a change to matters,
//! which directories to watch for them, and what each file looked like
//! when last seen, refreshed after every build with a generation counter.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::backend::Backend;
use crate::bytes_to_path;
use crate::deps_log::DepsLog;
use crate::expand::{Escape, edge_binding, edge_binding_escaped};
use crate::graph::{FileId, Graph};

/// Why a file is watched.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A source of the wanted subgraph: a change may make steps dirty.
    Source,
    /// A manifest file, or a source of the edge that regenerates the
    /// manifest: a change reloads the graph.
    Manifest,
    /// The first missing directory on the way to a source: its creation
    /// means new directories to watch.
    MissingDir,
}

/// A file (by path as the manifest names it) the set should watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: Vec<u8>,
    pub kind: Kind,
}

/// The sources of the subgraph that builds `targets`: declared inputs that
/// no edge produces, inputs found in depfiles and the deps log, plus the
/// manifest files and the sources of the edge that regenerates the
/// manifest (`manifest_node`). Outputs are never sources.
pub fn collect_sources(
    graph: &Graph,
    targets: &[FileId],
    manifests: &[Vec<u8>],
    manifest_node: Option<FileId>,
) -> Vec<Source> {
    let deps_log = read_deps_log(graph);
    let mut out: Vec<Source> = manifests
        .iter()
        .map(|m| Source {
            path: m.clone(),
            kind: Kind::Manifest,
        })
        .collect();
    let mut seen_files = vec![false; graph.files.len()];
    let mut seen_paths: HashSet<Vec<u8>> = HashSet::new();
    let mut walk = |roots: &[FileId], kind: Kind, out: &mut Vec<Source>| {
        let mut stack: Vec<FileId> = roots.to_vec();
        while let Some(file) = stack.pop() {
            if std::mem::replace(&mut seen_files[file.0 as usize], true) {
                continue;
            }
            let Some(edge) = graph.files[file].in_edge else {
                let path = graph.files[file].path.to_vec();
                if seen_paths.insert(path.clone()) {
                    out.push(Source { path, kind });
                }
                continue;
            };
            let e = &graph.edges[edge];
            stack.extend(e.inputs.iter().chain(&e.validations).copied());
            stack.extend(e.dyndep);
            for path in discovered_inputs(graph, edge, deps_log.as_ref()) {
                match graph.lookup_file(&path) {
                    Some(f) => stack.push(f),
                    None => {
                        if seen_paths.insert(path.clone()) {
                            out.push(Source { path, kind });
                        }
                    }
                }
            }
        }
    };
    if let Some(node) = manifest_node {
        walk(&[node], Kind::Manifest, &mut out);
    }
    walk(targets, Kind::Source, &mut out);
    out
}

fn read_deps_log(graph: &Graph) -> Option<DepsLog> {
    let mut dir = Vec::new();
    graph
        .scopes
        .push_value(graph.scopes.root(), b"builddir", &mut dir);
    let path = bytes_to_path(&dir).join(crate::deps_log::FILE_NAME);
    let read = DepsLog::load(&path).ok()??;
    Some(read.log)
}

/// Inputs an edge's last run reported: in the deps log for `deps = gcc` or
/// `msvc`, else in the depfile ninja leaves on disk.
fn discovered_inputs(
    graph: &Graph,
    edge: crate::graph::EdgeId,
    deps_log: Option<&DepsLog>,
) -> Vec<Vec<u8>> {
    let e = &graph.edges[edge];
    if e.rule == crate::graph::PHONY_RULE {
        return Vec::new();
    }
    let deps = edge_binding(graph, edge, "deps").unwrap_or_default();
    if !deps.is_empty() {
        let Some(first) = e.outputs.first() else {
            return Vec::new();
        };
        return deps_log
            .and_then(|log| log.input_paths(&graph.files[*first].path))
            .map(|paths| paths.into_iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default();
    }
    let depfile = edge_binding_escaped(graph, edge, "depfile", Escape::None).unwrap_or_default();
    if depfile.is_empty() {
        return Vec::new();
    }
    let Ok(text) = std::fs::read(bytes_to_path(&depfile)) else {
        return Vec::new();
    };
    let Ok(parsed) = crate::depfile::parse_depfile(&text) else {
        return Vec::new();
    };
    parsed
        .inputs
        .into_iter()
        .map(|mut p| {
            crate::canon::canonicalize(&mut p);
            p
        })
        .collect()
}

/// One watched file: how the manifest names it, why it is watched, and
/// its state when last seen.
#[derive(Clone, Debug)]
pub struct Watched {
    pub display: Vec<u8>,
    pub kind: Kind,
    /// Modification time in nanoseconds, 0 when missing (for a missing
    /// directory: 1 once it exists).
    pub seen: i64,
    generation: u64,
}

struct Dir {
    generation: u64,
    /// Watched by the backend now (false after its watch died, e.g. the
    /// directory was removed).
    live: bool,
}

/// What the set looked like after a refresh.
#[derive(Debug, Default)]
pub struct Refresh {
    pub generation: u64,
    pub dirs: usize,
    pub added: usize,
    pub removed: usize,
    /// Files in newly watched directories that changed since last seen.
    pub changed: Vec<PathBuf>,
    /// Directories the backend refused, with its reason.
    pub failed: Vec<(PathBuf, String)>,
}

/// The watch set: watched directories by absolute, canonical path and the
/// files of interest in them. Keys stay the same while a directory is
/// missing, so a file's last-seen state survives its directory being
/// removed and made again.
pub struct WatchSet {
    cwd: PathBuf,
    generation: u64,
    dirs: HashMap<PathBuf, Dir>,
    files: HashMap<PathBuf, Watched>,
    /// Where each source directory was found (see [`locate`]), kept across
    /// refreshes while the directory exists and its watch is alive.
    located: HashMap<PathBuf, Located>,
}

/// The nearest existing ancestor of a directory, and the missing
/// components below it, deepest first.
type Located = (PathBuf, Vec<OsString>);

/// A path in an event, sorted out.
#[derive(Debug, PartialEq, Eq)]
pub enum Hit {
    /// A file of interest.
    File(PathBuf),
    /// A watched directory itself: anything in it may have changed, and
    /// its watch may be gone.
    Dir(PathBuf),
}

impl WatchSet {
    pub fn new(cwd: PathBuf) -> WatchSet {
        WatchSet {
            cwd,
            generation: 0,
            dirs: HashMap::new(),
            files: HashMap::new(),
            located: HashMap::new(),
        }
    }

    pub fn dir_count(&self) -> usize {
        self.dirs.len()
    }

    pub fn get(&self, key: &Path) -> Option<&Watched> {
        self.files.get(key)
    }

    /// Makes the set watch exactly `sources`: watches directories that are
    /// new (or whose watch died), unwatches those of an older generation.
    pub fn refresh(&mut self, sources: &[Source], backend: &mut dyn Backend) -> Refresh {
        self.generation += 1;
        let generation = self.generation;
        // Directories that were missing may exist now.
        self.located.retain(|_, (_, missing)| missing.is_empty());
        let mut located = std::mem::take(&mut self.located);
        for source in sources {
            let path = self.cwd.join(bytes_to_path(&source.path));
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let mut seen = None;
            let (dir, missing) = match located.get(parent) {
                Some(found) => found.clone(),
                None => {
                    // A file that exists says its directory does: one stat
                    // for both, which is also the file's baseline.
                    let found = match lexical_if_exists(&path, source.kind, &mut seen) {
                        Some(dir) => (dir, Vec::new()),
                        None => locate(parent),
                    };
                    located.insert(parent.to_path_buf(), found.clone());
                    found
                }
            };
            let mut key = dir.clone();
            key.extend(missing.iter().rev());
            key.push(name);
            self.note(key, &source.path, source.kind, generation, seen);
            if let Some(first_missing) = missing.last() {
                let marker = dir.join(first_missing);
                let display = self.display(&marker);
                self.note(marker, &display, Kind::MissingDir, generation, None);
            }
            let d = self.dirs.entry(dir).or_insert(Dir {
                generation,
                live: false,
            });
            d.generation = generation;
        }
        self.located = located;
        let mut report = Refresh {
            generation,
            ..Refresh::default()
        };
        self.files.retain(|_, w| w.generation == generation);
        self.dirs.retain(|dir, d| {
            let keep = d.generation == generation;
            if !keep {
                if d.live {
                    backend.unwatch(dir);
                }
                report.removed += 1;
            }
            keep
        });
        let mut fresh = Vec::new();
        for (dir, d) in &mut self.dirs {
            if d.live {
                continue;
            }
            match backend.watch(dir) {
                Ok(()) => {
                    d.live = true;
                    report.added += 1;
                    fresh.push(dir.clone());
                }
                Err(reason) => report.failed.push((dir.clone(), reason)),
            }
        }
        let fresh: HashSet<PathBuf> = fresh.into_iter().collect();
        for (key, w) in &mut self.files {
            let in_fresh = key.parent().is_some_and(|p| fresh.contains(p));
            if in_fresh {
                let now = look(key, w.kind);
                if now != w.seen {
                    w.seen = now;
                    report.changed.push(key.clone());
                }
            }
        }
        report.changed.sort();
        report.dirs = self.dirs.len();
        report
    }

    /// Adds or renews a watched file; `seen` is its state if already known.
    fn note(
        &mut self,
        key: PathBuf,
        display: &[u8],
        kind: Kind,
        generation: u64,
        seen: Option<i64>,
    ) {
        let w = self.files.entry(key).or_insert_with_key(|key| Watched {
            display: display.to_vec(),
            kind,
            seen: seen.unwrap_or_else(|| look(key, kind)),
            generation,
        });
        w.generation = generation;
        w.display = display.to_vec();
        // A file both a manifest and a source reloads the graph.
        if w.kind != kind && kind == Kind::Manifest || w.kind == Kind::MissingDir {
            w.kind = kind;
        }
    }

    fn display(&self, path: &Path) -> Vec<u8> {
        let shown = path.strip_prefix(&self.cwd).unwrap_or(path);
        shown.to_string_lossy().into_owned().into_bytes()
    }

    /// Sorts out one path from an event: `None` for anything that does not
    /// matter (outputs, unrelated files, editors' temporary files).
    pub fn classify(&self, path: &Path) -> Option<Hit> {
        if self.files.contains_key(path) {
            return Some(Hit::File(path.to_path_buf()));
        }
        if self.dirs.contains_key(path) {
            return Some(Hit::Dir(path.to_path_buf()));
        }
        None
    }

    /// Every watched file (after an overflow).
    pub fn all_files(&self) -> Vec<PathBuf> {
        self.files.keys().cloned().collect()
    }

    /// The watched files directly in `dir`, and marks its watch as possibly
    /// dead, so the next refresh watches it again.
    pub fn files_in(&mut self, dir: &Path) -> Vec<PathBuf> {
        if let Some(d) = self.dirs.get_mut(dir) {
            d.live = false;
        }
        self.located.retain(|_, (found, _)| !found.starts_with(dir));
        self.files
            .keys()
            .filter(|k| k.parent() == Some(dir))
            .cloned()
            .collect()
    }

    /// Stats `candidates` and returns those that differ from when they were
    /// last seen (spec: [watch.debounce]), remembering their new state.
    pub fn changed(&mut self, candidates: &HashSet<PathBuf>) -> Vec<PathBuf> {
        let mut changed = Vec::new();
        for key in candidates {
            let Some(w) = self.files.get_mut(key) else {
                continue;
            };
            let now = look(key, w.kind);
            if now != w.seen {
                w.seen = now;
                changed.push(key.clone());
            }
        }
        changed.sort();
        changed
    }
}

/// The nearest existing ancestor of the absolute directory `dir`, and the
/// missing components below it, deepest first. On macOS the ancestor is
/// canonical (FSEvents reports paths with symbolic links resolved);
/// elsewhere it is `dir` with `.` and `..` resolved lexically, as the
/// backends report paths under the one they were given.
fn locate(dir: &Path) -> Located {
    let mut missing = Vec::new();
    let mut at = dir;
    loop {
        if let Some(found) = existing(at) {
            return (found, missing);
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                at = parent;
            }
            _ => return (at.to_path_buf(), missing),
        }
    }
}

/// When the file `path` exists: its directory, resolved lexically, and its
/// state in `seen`. Always `None` on macOS, where directories are
/// canonicalised instead.
#[cfg(not(target_os = "macos"))]
fn lexical_if_exists(path: &Path, kind: Kind, seen: &mut Option<i64>) -> Option<PathBuf> {
    let state = look(path, kind);
    *seen = Some(state);
    if state == 0 {
        return None;
    }
    lexical(path.parent()?)
}

#[cfg(target_os = "macos")]
fn lexical_if_exists(_: &Path, _: Kind, _: &mut Option<i64>) -> Option<PathBuf> {
    None
}

#[cfg(target_os = "macos")]
fn existing(dir: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(dir).ok()
}

#[cfg(not(target_os = "macos"))]
fn existing(dir: &Path) -> Option<PathBuf> {
    if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        return None;
    }
    lexical(dir)
}

/// `dir` with `.` and `..` resolved without looking at the file system.
#[cfg(not(target_os = "macos"))]
fn lexical(dir: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut clean = PathBuf::new();
    for part in dir.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    Some(clean)
}

/// What a file looks like to the dirty check: its modification time in
/// nanoseconds, 0 when missing; for a missing directory, whether it exists.
fn look(path: &Path, kind: Kind) -> i64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if kind == Kind::MissingDir {
        return 1;
    }
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(1, |d| (d.as_nanos() as i64).max(1))
}

//! The watch set (spec: [watch.set]): which files a change to matters,
//! which directories to watch for them, and what each file looked like
//! when last seen, refreshed after every build with a generation counter.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The set's tables: paths are hashed several times per source, and
/// foldhash does that a good deal faster than the standard hasher.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type Set<K> = HashSet<K, foldhash::fast::RandomState>;

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
    /// For an input that a step reported (in its depfile or the deps
    /// log): that step's outputs. Empty otherwise.
    pub outputs: Vec<Vec<u8>>,
}

impl Source {
    pub fn manifest(path: Vec<u8>) -> Source {
        Source {
            path,
            kind: Kind::Manifest,
            outputs: Vec::new(),
        }
    }
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
    let mut out: Vec<Source> = manifests.iter().cloned().map(Source::manifest).collect();
    let mut seen_files = vec![false; graph.files.len()];
    let mut seen_paths: HashSet<Vec<u8>> = HashSet::new();
    let outputs_of = |edge: crate::graph::EdgeId| -> Vec<Vec<u8>> {
        let e = &graph.edges[edge];
        e.outputs
            .iter()
            .map(|&o| graph.files[o].path.to_vec())
            .collect()
    };
    // Files of the graph that a step reported, by the first such step.
    let mut reported: HashMap<FileId, crate::graph::EdgeId> = HashMap::new();
    let mut walk = |roots: &[FileId], kind: Kind, out: &mut Vec<Source>| {
        let mut stack: Vec<FileId> = roots.to_vec();
        while let Some(file) = stack.pop() {
            if std::mem::replace(&mut seen_files[file.0 as usize], true) {
                continue;
            }
            let Some(edge) = graph.files[file].in_edge else {
                let path = graph.files[file].path.to_vec();
                if seen_paths.insert(path.clone()) {
                    let outputs = reported.get(&file).map(|&e| outputs_of(e));
                    out.push(Source {
                        path,
                        kind,
                        outputs: outputs.unwrap_or_default(),
                    });
                }
                continue;
            };
            let e = &graph.edges[edge];
            stack.extend(e.inputs.iter().chain(&e.validations).copied());
            stack.extend(e.dyndep);
            for path in discovered_inputs(graph, edge, deps_log.as_ref()) {
                match graph.lookup_file(&path) {
                    Some(f) => {
                        reported.entry(f).or_insert(edge);
                        stack.push(f);
                    }
                    None => {
                        if seen_paths.insert(path.clone()) {
                            out.push(Source {
                                path,
                                kind,
                                outputs: outputs_of(edge),
                            });
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
    /// directory: 1 once it exists); `None` while not known yet (see
    /// [`WatchSet::refresh`] on baselines).
    pub seen: Option<i64>,
    /// Stat it once the watches are in place: its baseline was taken
    /// while its directory may not have been watched.
    check: bool,
    /// [`Source::outputs`], while `seen` is `None`.
    outputs: Box<[Vec<u8>]>,
    /// The set's build count when the file joined the set: events for a
    /// file are taken only from then on.
    since: u64,
    generation: u64,
}

struct Dir {
    generation: u64,
    /// Watched by the backend now (false after its watch died, e.g. the
    /// directory was removed).
    live: bool,
    /// The set's build count when the watch was added: a build that
    /// started later saw only states whose changes this watch reports.
    since: u64,
}

/// Each path a build stat'ed, as the graph names it, with the
/// modification time it saw (nanoseconds, 0 when missing; the last one
/// when stat'ed more than once).
pub type Stats = HashMap<Vec<u8>, i64>;

/// What the set looked like after a refresh.
#[derive(Debug, Default)]
pub struct Refresh {
    pub generation: u64,
    pub dirs: usize,
    pub added: usize,
    pub removed: usize,
    /// Watched files that changed since the state the session relies on
    /// (see [`WatchSet::refresh`]).
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
    /// Builds started (see [`Dir::since`]).
    builds: u64,
    dirs: Map<PathBuf, Dir>,
    files: Map<PathBuf, Watched>,
    /// Where each source directory was found (see [`locate`]), kept across
    /// refreshes while the directory exists and its watch is alive.
    located: Map<PathBuf, Located>,
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
            builds: 0,
            dirs: Map::default(),
            files: Map::default(),
            located: Map::default(),
        }
    }

    pub fn dir_count(&self) -> usize {
        self.dirs.len()
    }

    pub fn get(&self, key: &Path) -> Option<&Watched> {
        self.files.get(key)
    }

    /// Notes that a build starts now (before its scan stats anything).
    pub fn build_started(&mut self) {
        self.builds += 1;
    }

    /// Makes the set watch exactly `sources`: watches directories that are
    /// new (or whose watch died), unwatches those of an older generation.
    ///
    /// Baselines. A watched file's `seen` state is what a change is judged
    /// against. It must be the state that the last build (or load) used,
    /// or a later one: a change after the build looked, and before the
    /// file's directory was watched, would otherwise never start a build.
    /// Case by case:
    ///
    /// - A source new to the set gets no baseline from this refresh, and
    ///   costs no stat. This refresh either comes right before a build
    ///   (`after` is `None`), or after the build that reported the source.
    ///   An event for a file with no baseline counts as a change.
    /// - `after` is what the build that just ended stat'ed: each file it
    ///   stat'ed takes the state the build saw. If the file was in the set
    ///   and its directory watched since before that build started, that
    ///   is all: every later change has been or will be reported (events
    ///   are taken for the files of the set only). Otherwise (the file is
    ///   new to the set, say an input a dyndep file added; or its
    ///   directory is watched only now, or its watch was added or died
    ///   during the build) the file is stat'ed once the watch is in place
    ///   and counts as changed if it differs, which covers a change between
    ///   the scan and the watch.
    /// - A source that a step of that build reported (in its depfile or
    ///   the deps log) but the build did not stat: the step read it before
    ///   writing its outputs, so it is stat'ed once its watch is in place
    ///   and counts as changed if it is missing or newer than one of those
    ///   outputs, exactly when ninja's rules would find the step dirty. (A
    ///   change made while the step ran, before it wrote its outputs, goes
    ///   unnoticed, as it does in ninja.)
    /// - Any other source the build did not stat (it stopped before, on a
    ///   missing file or a failed step) keeps no baseline until a build
    ///   stats it; an event for it counts as a change.
    /// - A manifest file takes its baseline from a stat once its watch is
    ///   in place, in the refresh right after the load that read it. (A
    ///   change between that load and this stat, a few system calls
    ///   later, goes unnoticed.)
    /// - A file in a directory watched again (removed and made again)
    ///   keeps its baseline and is compared once the watch is in place; so
    ///   is the marker of a missing directory, whose baseline is "missing",
    ///   as `locate` has just seen it.
    pub fn refresh(
        &mut self,
        sources: &[Source],
        backend: &mut dyn Backend,
        after: Option<&Stats>,
    ) -> Refresh {
        self.generation += 1;
        let generation = self.generation;
        // Directories that were missing may exist now.
        self.located.retain(|_, (_, missing)| missing.is_empty());
        let mut located = std::mem::take(&mut self.located);
        let mut fresh: Set<PathBuf> = Set::default();
        for source in sources {
            let path = self.cwd.join(bytes_to_path(&source.path));
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let (dir, missing) = match located.get(parent) {
                Some(found) => found.clone(),
                None => match self.find(parent, backend, &mut fresh) {
                    Some(dir) => (dir, Vec::new()),
                    None => {
                        let found = locate(parent);
                        located.insert(parent.to_path_buf(), found.clone());
                        found
                    }
                },
            };
            let mut key = dir.clone();
            key.extend(missing.iter().rev());
            key.push(name);
            self.note(key, source, generation);
            if let Some(first_missing) = missing.last() {
                let marker = dir.join(first_missing);
                let display = self.display(&marker);
                let source = Source {
                    path: display,
                    kind: Kind::MissingDir,
                    outputs: Vec::new(),
                };
                self.note(marker, &source, generation);
            }
            let builds = self.builds;
            let d = self.dirs.entry(dir).or_insert(Dir {
                generation,
                live: false,
                since: builds,
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
        for (dir, d) in &mut self.dirs {
            if d.live {
                continue;
            }
            match backend.watch(dir) {
                Ok(()) => {
                    d.live = true;
                    d.since = self.builds;
                    fresh.insert(dir.clone());
                }
                Err(reason) => report.failed.push((dir.clone(), reason)),
            }
        }
        report.added = fresh.len();
        // The watches are in place: baselines (see above).
        if let Some(stats) = after {
            for (key, w) in &mut self.files {
                if w.kind == Kind::MissingDir {
                    continue;
                }
                if let Some(&state) = stats.get(&w.display) {
                    w.seen = Some(state);
                    w.outputs = Box::default();
                    let dir = key.parent().and_then(|p| self.dirs.get(p));
                    let watched = dir.is_some_and(|d| d.live && d.since < self.builds);
                    w.check |= !(watched && w.since < self.builds);
                }
            }
        }
        for (key, w) in &mut self.files {
            let in_fresh = || key.parent().is_some_and(|p| fresh.contains(p));
            match w.seen {
                Some(old) if w.check || in_fresh() => {
                    let now = look(key, w.kind);
                    if now != old {
                        w.seen = Some(now);
                        report.changed.push(key.clone());
                    }
                }
                None if w.kind == Kind::Manifest => w.seen = Some(look(key, w.kind)),
                None if after.is_some() && !w.outputs.is_empty() => {
                    let now = look(key, w.kind);
                    let outputs = std::mem::take(&mut w.outputs);
                    // Paths relative to the current directory, as the build's.
                    let newer = |o: &Vec<u8>| {
                        let out = crate::build::stat(o);
                        out == 0 || now > out
                    };
                    if now == 0 || outputs.iter().any(newer) {
                        report.changed.push(key.clone());
                    }
                    w.seen = Some(now);
                }
                _ => {}
            }
            w.check = false;
        }
        report.changed.sort();
        report.dirs = self.dirs.len();
        report
    }

    /// The directory `parent` of a source, if it is watched or can be
    /// watched now, elsewhere than on macOS (with a backend that tells a
    /// missing directory apart, that one call is all it costs); `None`:
    /// [`locate`] it (and cache that, as it costs stats).
    fn find(
        &mut self,
        parent: &Path,
        backend: &mut dyn Backend,
        fresh: &mut Set<PathBuf>,
    ) -> Option<PathBuf> {
        #[cfg(not(target_os = "macos"))]
        if let Some(dir) = lexical(parent) {
            if self.dirs.get(&dir).is_some_and(|d| d.live) {
                return Some(dir);
            }
            // On an error, `locate` decides; the watch is tried again
            // with the other new directories, and the error reported then.
            if let Ok(true) = backend.watch_if_dir(&dir) {
                self.dirs.insert(
                    dir.clone(),
                    Dir {
                        generation: self.generation,
                        live: true,
                        since: self.builds,
                    },
                );
                fresh.insert(dir.clone());
                return Some(dir);
            }
        }
        #[cfg(target_os = "macos")]
        let _ = (parent, backend, fresh);
        None
    }

    /// Adds or renews a watched file. A new missing directory's marker
    /// starts as "missing"; any other new file with no baseline.
    fn note(&mut self, key: PathBuf, source: &Source, generation: u64) {
        let kind = source.kind;
        let w = self.files.entry(key).or_insert_with(|| Watched {
            display: source.path.clone(),
            kind,
            seen: (kind == Kind::MissingDir).then_some(0),
            check: false,
            outputs: Box::default(),
            since: self.builds,
            generation,
        });
        w.generation = generation;
        if w.display != source.path {
            w.display = source.path.clone();
        }
        if w.seen.is_none() && *w.outputs != *source.outputs {
            w.outputs = source.outputs.clone().into_boxed_slice();
        }
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
    /// last seen (spec: [watch.debounce]), remembering their new state. A
    /// file with no baseline yet counts as changed: it had an event.
    pub fn changed(&mut self, candidates: &HashSet<PathBuf>) -> Vec<PathBuf> {
        let mut changed = Vec::new();
        for key in candidates {
            let Some(w) = self.files.get_mut(key) else {
                continue;
            };
            let now = look(key, w.kind);
            if w.seen != Some(now) {
                w.seen = Some(now);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::FakeBackend;
    use std::time::{Duration, SystemTime};

    /// Writes `path` with the modification time `secs` after 2020-01-01.
    fn write_at(path: &Path, secs: u64) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800 + secs);
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    /// The temp dir as the set names it: on macOS the set canonicalises
    /// directories (the temp dir is under a symbolic link there).
    fn root_of(tmp: &tempfile::TempDir) -> PathBuf {
        if cfg!(target_os = "macos") {
            std::fs::canonicalize(tmp.path()).unwrap()
        } else {
            tmp.path().to_path_buf()
        }
    }

    fn source(path: &Path) -> Source {
        Source {
            path: path.to_str().unwrap().as_bytes().to_vec(),
            kind: Kind::Source,
            outputs: Vec::new(),
        }
    }

    fn stats(files: &[&Path]) -> Stats {
        files
            .iter()
            .map(|f| {
                (
                    f.to_str().unwrap().as_bytes().to_vec(),
                    look(f, Kind::Source),
                )
            })
            .collect()
    }

    #[test]
    fn baselines_come_from_the_build_and_are_checked_when_watched_late() {
        let tmp = tempfile::tempdir().unwrap();
        let root = root_of(&tmp);
        let (a, b, c) = (
            root.join("src/a.c"),
            root.join("new/b.c"),
            root.join("src/c.c"),
        );
        write_at(&a, 10);
        write_at(&b, 10);
        write_at(&c, 10);
        let (tx, _rx) = std::sync::mpsc::channel();
        let (mut backend, handle) = FakeBackend::new(tx);
        let mut set = WatchSet::new(root.clone());

        // Before the first build: watched, no baseline yet.
        let r = set.refresh(&[source(&a)], &mut backend, None);
        assert_eq!((r.added, r.changed.len()), (1, 0));
        assert_eq!(handle.watched(), [root.join("src")]);
        assert_eq!(set.get(&a).unwrap().seen, None);

        // The build stats a.c; a change after that is the backend's to
        // report (the directory was watched all along), not the refresh's.
        set.build_started();
        let seen_by_build = stats(&[&a, &b, &c]);
        write_at(&a, 20);
        // b.c and c.c are new to the set (say, inputs a dyndep file added)
        // and changed after the build stat'ed them, before they were
        // watched: b.c's directory is new, c.c's was watched, but events
        // for c.c were not taken.
        write_at(&b, 30);
        write_at(&c, 40);
        let sources = [source(&a), source(&b), source(&c)];
        let r = set.refresh(&sources, &mut backend, Some(&seen_by_build));
        assert_eq!(r.changed, [b.clone(), c.clone()]);
        assert_eq!(
            set.get(&a).unwrap().seen,
            Some(look(&a, Kind::Source) - 10_000_000_000)
        );
        assert_eq!(set.get(&b).unwrap().seen, Some(look(&b, Kind::Source)));

        // An event for a.c: changed against the build's view.
        let changed = set.changed(&[a.clone()].into_iter().collect());
        assert_eq!(changed, [a]);
    }

    #[test]
    fn an_input_a_step_reported_is_judged_against_its_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let root = root_of(&tmp);
        let (c, out) = (root.join("src/a.c"), root.join("out/a.o"));
        let (old, new) = (root.join("inc/old.h"), root.join("inc2/new.h"));
        write_at(&c, 10);
        write_at(&old, 10);
        write_at(&out, 20);
        write_at(&new, 30);
        let (tx, _rx) = std::sync::mpsc::channel();
        let (mut backend, _handle) = FakeBackend::new(tx);
        let mut set = WatchSet::new(root.clone());
        set.refresh(&[source(&c)], &mut backend, None);
        set.build_started();
        let seen_by_build = stats(&[&c]);
        let reported = |h: &Path| Source {
            outputs: vec![out.to_str().unwrap().as_bytes().to_vec()],
            ..source(h)
        };
        let sources = [source(&c), reported(&old), reported(&new)];
        let r = set.refresh(&sources, &mut backend, Some(&seen_by_build));
        // new.h is newer than the output: ninja would run the step again.
        assert_eq!(r.changed, [new]);
        assert!(set.get(&old).unwrap().seen.is_some());
    }

    #[test]
    fn an_event_for_a_file_with_no_baseline_is_a_change() {
        let tmp = tempfile::tempdir().unwrap();
        let root = root_of(&tmp);
        let a = root.join("a.c");
        write_at(&a, 10);
        let (tx, _rx) = std::sync::mpsc::channel();
        let (mut backend, _handle) = FakeBackend::new(tx);
        let mut set = WatchSet::new(root.clone());
        set.refresh(&[source(&a)], &mut backend, None);
        let candidates = [a.clone()].into_iter().collect();
        assert_eq!(set.changed(&candidates), std::slice::from_ref(&a));
        // Now it has one.
        assert_eq!(set.changed(&candidates), Vec::<PathBuf>::new());
    }
}

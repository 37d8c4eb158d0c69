//! Safety of `-t clean` (spec: [tools.clean.remove]): over random graphs
//! and random trees holding outputs, non-output files, directories and
//! symbolic links (to files inside the tree, to files and directories
//! outside it, dangling), the cleaner removes only directory entries that
//! the manifest declares (outputs, depfiles, rspfiles), never changes
//! anything else, never touches anything outside the tree, and with `-n`
//! changes nothing at all.
//!
//! Unix only: the random trees hold symbolic links (on Windows making one
//! needs a privilege).
#![cfg(unix)]
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use n2ref::clean::{CleanMode, CleanOptions, clean};
use n2ref::load::{LoadOptions, MemoryReader, load};
use proptest::prelude::*;

/// Paths that may exist in the tree (under `tree/`).
const CREATABLE: &[&str] = &["f0", "f1", "f2", "f3", "f4", "sub/f0", "sub/f1", "sub/f2"];
/// Paths an edge may name: the creatable ones, the same files seen through
/// `alias` (a symlink to `sub`), the link to a directory outside the tree,
/// and paths that never exist.
const DECLARABLE: &[&str] = &[
    "f0", "f1", "f2", "f3", "f4", "sub/f0", "sub/f1", "sub/f2", "alias/f0", "alias/f1", "outlink",
    "gone", "f0.d",
];

/// Paths a build log may record: outputs of an older manifest, possibly
/// files that are not outputs now.
const LOGGABLE: &[&str] = &[
    "f0", "f1", "f3", "sub/f1", "alias/f0", "outlink", "keep", "src",
];

#[derive(Clone, Debug)]
enum Kind {
    Absent,
    File,
    LinkInside,
    LinkOutsideFile,
    LinkOutsideDir,
    Dangling,
    EmptyDir,
    FullDir,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Absent),
        Just(Kind::File),
        Just(Kind::LinkInside),
        Just(Kind::LinkOutsideFile),
        Just(Kind::LinkOutsideDir),
        Just(Kind::Dangling),
        Just(Kind::EmptyDir),
        Just(Kind::FullDir),
    ]
}

#[derive(Clone, Debug)]
struct EdgeSpec {
    rule: usize,
    outputs: Vec<usize>,
    inputs: Vec<usize>,
    depfile: Option<usize>,
    rspfile: Option<usize>,
}

fn edge() -> impl Strategy<Value = EdgeSpec> {
    let n = DECLARABLE.len();
    (
        0..4usize,
        prop::collection::vec(0..n, 1..3),
        prop::collection::vec(0..n + 1, 0..3),
        prop::option::of(0..n),
        prop::option::of(0..n),
    )
        .prop_map(|(rule, outputs, inputs, depfile, rspfile)| EdgeSpec {
            rule,
            outputs,
            inputs,
            depfile,
            rspfile,
        })
}

#[derive(Clone, Debug)]
enum Mode {
    All(bool),
    Targets(Vec<usize>),
    Rules(Vec<usize>),
    /// `-t cleandead` with a build log naming these paths.
    Dead(Vec<usize>),
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        any::<bool>().prop_map(Mode::All),
        prop::collection::vec(0..DECLARABLE.len() + 1, 1..4).prop_map(Mode::Targets),
        prop::collection::vec(0..5usize, 1..3).prop_map(Mode::Rules),
        prop::collection::vec(0..LOGGABLE.len(), 0..6).prop_map(Mode::Dead),
    ]
}

const RULES: &[&str] = &["r", "g", "phony", "s"];

/// The manifest and the set of paths it declares as removable.
fn manifest(edges: &[EdgeSpec]) -> (String, BTreeSet<&'static str>) {
    let mut text = String::from(
        "rule r\n  command = touch $out\nrule g\n  command = touch $out\n  generator = 1\n\
         rule s\n  command = touch $out\n",
    );
    let mut taken = BTreeSet::new();
    let mut declared = BTreeSet::new();
    for e in edges {
        let outs: Vec<&str> = e
            .outputs
            .iter()
            .map(|&i| DECLARABLE[i])
            .filter(|p| taken.insert(*p))
            .collect();
        if outs.is_empty() {
            continue;
        }
        let ins: Vec<&str> = e
            .inputs
            .iter()
            .map(|&i| DECLARABLE.get(i).copied().unwrap_or("src"))
            .collect();
        declared.extend(outs.iter().copied());
        text.push_str(&format!(
            "build {}: {} {}\n",
            outs.join(" "),
            RULES[e.rule],
            ins.join(" ")
        ));
        if RULES[e.rule] != "phony" {
            for (key, file) in [("depfile", e.depfile), ("rspfile", e.rspfile)] {
                if let Some(i) = file {
                    text.push_str(&format!("  {key} = {}\n", DECLARABLE[i]));
                    declared.insert(DECLARABLE[i]);
                    if key == "rspfile" {
                        text.push_str("  rspfile_content = x\n");
                    }
                }
            }
        }
    }
    (text, declared)
}

/// What a directory entry is, without following links.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut map = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        let t = e.file_type();
        let entry = if t.is_symlink() {
            Entry::Link(std::fs::read_link(e.path()).unwrap())
        } else if t.is_dir() {
            Entry::Dir
        } else {
            Entry::File(std::fs::read(e.path()).unwrap())
        };
        map.insert(e.path().to_path_buf(), entry);
    }
    map
}

fn build_tree(root: &Path, kinds: &[Kind]) {
    let outside = root.join("outside");
    let tree = root.join("tree");
    std::fs::create_dir_all(outside.join("odir")).unwrap();
    std::fs::write(outside.join("ofile"), "outside").unwrap();
    std::fs::write(outside.join("odir/inner"), "inner").unwrap();
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("src"), "source").unwrap();
    std::fs::write(tree.join("keep"), "not an output").unwrap();
    symlink("sub", tree.join("alias")).unwrap();
    symlink(outside.join("odir"), tree.join("outlink")).unwrap();
    for (path, kind) in CREATABLE.iter().zip(kinds) {
        let p = tree.join(path);
        match kind {
            Kind::Absent => {}
            Kind::File => std::fs::write(&p, path).unwrap(),
            Kind::LinkInside => symlink(tree.join("keep"), &p).unwrap(),
            Kind::LinkOutsideFile => symlink(outside.join("ofile"), &p).unwrap(),
            Kind::LinkOutsideDir => symlink(outside.join("odir"), &p).unwrap(),
            Kind::Dangling => symlink("nowhere", &p).unwrap(),
            Kind::EmptyDir => std::fs::create_dir(&p).unwrap(),
            Kind::FullDir => {
                std::fs::create_dir(&p).unwrap();
                std::fs::write(p.join("inner"), "inner").unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn clean_removes_only_declared_entries(
        kinds in prop::collection::vec(kind(), CREATABLE.len()),
        edges in prop::collection::vec(edge(), 0..6),
        mode in mode(),
        dry_run in any::<bool>(),
        verbose in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        build_tree(&root, &kinds);
        let tree = root.join("tree");
        let (text, mut declared) = manifest(&edges);
        let mut reader = MemoryReader::new(&[("build.ninja", &text)]);
        let Ok(mut loaded) = load(&mut reader, b"build.ninja", &LoadOptions::default()) else {
            return Ok(());
        };
        // For cleandead, the recorded outputs the graph no longer mentions
        // are removable too.
        let mut log = n2ref::build_log::BuildLog::default();
        if let Mode::Dead(paths) = &mode {
            for &i in paths {
                let path = LOGGABLE[i];
                log.record(path.as_bytes(), Default::default());
                let graph = &loaded.graph;
                let live = graph.lookup_file(path.as_bytes()).is_some_and(|f| {
                    graph.files[f].in_edge.is_some() || !graph.files[f].out_edges.is_empty()
                });
                if !live {
                    declared.insert(path);
                }
            }
        }
        // Where each declared path's directory entry really is (its
        // parent resolved, the last component not).
        let allowed: BTreeSet<PathBuf> = declared
            .iter()
            .filter_map(|p| {
                let full = tree.join(p);
                let parent = full.parent()?.canonicalize().ok()?;
                Some(parent.join(full.file_name()?))
            })
            .collect();
        let before = snapshot(&root);
        let names: Vec<String>;
        let clean_mode = match &mode {
            Mode::All(g) => CleanMode::All { generator: *g },
            Mode::Targets(t) => {
                names = t
                    .iter()
                    .map(|&i| DECLARABLE.get(i).copied().unwrap_or("src").to_string())
                    .collect();
                CleanMode::Targets(&names)
            }
            Mode::Rules(r) => {
                names = r
                    .iter()
                    .map(|&i| RULES.get(i).copied().unwrap_or("nope").to_string())
                    .collect();
                CleanMode::Rules(&names)
            }
            Mode::Dead(_) => CleanMode::Dead(&log),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let options = CleanOptions { dry_run, verbose };
        clean(&mut loaded.graph, clean_mode, options, &tree, &mut out, &mut err).unwrap();
        let after = snapshot(&root);
        if dry_run {
            prop_assert_eq!(&before, &after);
        }
        for (path, entry) in &before {
            match after.get(path) {
                Some(now) => prop_assert_eq!(now, entry, "{} changed", path.display()),
                None => {
                    // A removed entry, or one inside a removed directory
                    // (impossible: only empty directories go).
                    prop_assert!(
                        allowed.contains(path),
                        "{} removed but not declared\nmanifest:\n{}",
                        path.display(),
                        text
                    );
                    prop_assert!(!path.starts_with(root.join("outside")));
                }
            }
        }
        prop_assert!(after.keys().all(|p| before.contains_key(p)));
    }
}

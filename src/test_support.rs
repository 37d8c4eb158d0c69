//! Helpers shared by the unit tests of several modules.

use crate::graph::{EdgeId, Graph};
use crate::load::{LoadOptions, MemoryReader, load};

/// The graph of a manifest given as text (`build.ninja`, nothing else).
pub fn graph(manifest: &str) -> Graph {
    let mut reader = MemoryReader::new(&[("build.ninja", manifest)]);
    match load(&mut reader, b"build.ninja", &LoadOptions::default()) {
        Ok(loaded) => loaded.graph,
        Err((e, _)) => panic!("load failed: {e}"),
    }
}

/// The edge that produces `out`.
pub fn edge(g: &Graph, out: &str) -> EdgeId {
    g.files[g.lookup_file(out.as_bytes()).unwrap()]
        .in_edge
        .unwrap()
}

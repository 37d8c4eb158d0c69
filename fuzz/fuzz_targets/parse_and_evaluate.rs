//! Fuzzes the whole language core: parse, evaluate (scopes, includes,
//! subninja), build the graph, expand every edge's bindings, and run
//! `n2ref check` (every lint; JSON for all diagnostics, the first few
//! also rendered for people) on the same input.
//!
//! The input is split at the first NUL byte into `build.ninja` and a second
//! file, `sub.ninja`, that the first may `include` or `subninja`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use n2ref::expand::edge_binding;
use n2ref::load::{LoadOptions, MemoryReader, load};

fuzz_target!(|data: &[u8]| {
    let (main, sub) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let mut reader = MemoryReader::default();
    reader.files.insert(b"build.ninja".to_vec(), main.to_vec());
    // A file including itself would recurse forever in ninja too; the
    // second file may not include anything.
    if !sub.windows(7).any(|w| w == b"include" || w == b"subninj") {
        reader.files.insert(b"sub.ninja".to_vec(), sub.to_vec());
    }
    let options = LoadOptions {
        keep_sources: true,
        ..LoadOptions::default()
    };
    if let Ok(loaded) = load(&mut reader.clone(), b"build.ninja", &options) {
        let graph = &loaded.graph;
        for edge in graph.edges.ids() {
            for key in [
                "command",
                "description",
                "depfile",
                "rspfile_content",
                "in",
                "out",
            ] {
                let _ = edge_binding(graph, edge, key);
            }
        }
    }
    let disk = reader.clone();
    let mut report = n2ref::check::check(&mut reader, b"build.ninja", &disk);
    let _ = n2ref::check::render::json_lines(&report);
    // Rendering for people goes through annotate-snippets, one diagnostic
    // at a time, each by the same code: the first few show as much as all
    // of them would, and rendering hundreds (a mutated manifest easily has
    // them) took two thirds of each execution.
    report.diagnostics.truncate(HUMAN_RENDERED);
    let _ = n2ref::check::render::human(
        &report,
        b"build.ninja",
        n2ref::check::render::Style { color: false },
    );
});

/// Diagnostics rendered for people per input (all are rendered as JSON).
const HUMAN_RENDERED: usize = 8;

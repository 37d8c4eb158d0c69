//! Fuzzes the depfile parser (`src/depfile.rs`, spec/depfile.md): any bytes
//! give either a depfile or one of the two ninja errors, never a panic, and
//! a successful parse names no path twice in a list and no empty path. (A
//! path may be a target and, on a later line, an input.)

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use n2ref::depfile::parse_depfile;

fuzz_target!(|data: &[u8]| {
    if let Ok(depfile) = parse_depfile(data) {
        let inputs: HashSet<_> = depfile.inputs.iter().collect();
        let outputs: HashSet<_> = depfile.outputs.iter().collect();
        assert_eq!(inputs.len(), depfile.inputs.len(), "duplicate input");
        assert_eq!(outputs.len(), depfile.outputs.len(), "duplicate output");
        assert!(
            depfile
                .inputs
                .iter()
                .chain(&depfile.outputs)
                .all(|p| !p.is_empty()),
            "empty path"
        );
    }
});

//! Fuzzes the `.ninja_log` loader (`src/build_log.rs`, spec/logs.md
//! `[log.build.*]`): any bytes load or are discarded with a warning, never a
//! panic; a loaded log written back compacted reads back to the same
//! entries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use n2ref::build_log::{BuildLog, ReadOutcome, header};

fuzz_target!(|data: &[u8]| {
    check(data);
    // Most inputs lack the header; try them again behind one.
    let mut with_header = header();
    with_header.extend_from_slice(data);
    check(&with_header);
});

fn check(data: &[u8]) {
    let ReadOutcome::Loaded(log) = BuildLog::parse(data) else {
        return;
    };
    assert!(log.total_entries >= log.entries.len());
    let bytes = log.compacted_bytes(|_| false);
    let ReadOutcome::Loaded(back) = BuildLog::parse(&bytes) else {
        panic!("compacted log not loadable");
    };
    assert_eq!(back.entries, log.entries, "compaction changed entries");
}

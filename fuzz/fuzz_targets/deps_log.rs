//! Fuzzes the `.ninja_deps` loader (`src/deps_log.rs`, spec/logs.md
//! `[log.deps.*]`): any bytes load, possibly with ninja's warning and a
//! truncation, never a panic. Recovery is stable: the truncated file reads
//! back to the same log. Compaction writes a log that reads back to what it
//! wrote.

#![no_main]

use libfuzzer_sys::fuzz_target;
use n2ref::deps_log::{DepsLog, FileAction, header};

fuzz_target!(|data: &[u8]| {
    check(data);
    // Most inputs lack the header; try them again behind one.
    let mut with_header = header();
    with_header.extend_from_slice(data);
    check(&with_header);
});

fn check(data: &[u8]) {
    let read = DepsLog::parse(data);
    let log = &read.log;
    for (out_id, deps) in &log.deps {
        assert!(
            deps.inputs
                .iter()
                .all(|id| (*id as usize) < log.nodes.len())
        );
        if let Some(output) = log.nodes.get(*out_id as usize) {
            assert_eq!(
                log.input_paths(output).map(|p| p.len()),
                Some(deps.inputs.len())
            );
        }
    }
    if let FileAction::Truncate(len) = read.action {
        let len = usize::try_from(len).unwrap();
        assert!(len >= 16 && len <= data.len(), "truncation past the end");
        // What ninja leaves in the file reads back to the same log, either
        // cleanly or stopping at the same (complete but invalid) record.
        let again = DepsLog::parse(&data[..len]);
        assert_eq!(&again.log, log, "recovery is not stable");
        assert!(
            again.action == FileAction::Keep || again.action == FileAction::Truncate(len as u64)
        );
    }
    // Compaction can only write paths the format represents.
    let representable = log
        .nodes
        .iter()
        .all(|p| !p.is_empty() && p.last() != Some(&0));
    if representable && let Ok((fresh, bytes)) = log.compacted(|_| true) {
        let back = DepsLog::parse(&bytes);
        assert_eq!(back.warning, None, "compacted log not clean");
        assert_eq!(back.log, fresh, "compacted log reads back differently");
    }
}

//! Property tests of the `.ninja_log` and `.ninja_deps` loaders through the
//! file system (spec/logs.md): arbitrary bytes and mutated valid logs never
//! panic a load, what a load does to the file (delete, truncate) is what the
//! returned result says, recovery is stable (loading the recovered file again
//! gives the same log), and a loaded log written back compacted reads back
//! unchanged. The same properties are fuzzed by `fuzz/` (targets `build_log`
//! and `deps_log`); the parsers' own unit tests cover arbitrary bytes in
//! memory.

use n2ref::build_log::{self, BuildLog, LogEntry, ReadOutcome};
use n2ref::deps_log::{self, DepsLog, FileAction};
use proptest::prelude::*;

/// A change to a valid log: flip bits, cut it, insert or remove bytes.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mutation::Flip(at, bits)),
        1 => any::<usize>().prop_map(Mutation::Cut),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        1 => (any::<usize>(), 1usize..8).prop_map(|(at, n)| Mutation::Remove(at, n)),
    ]
}

fn apply(data: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let len = data.len();
        match m {
            Mutation::Flip(at, bits) if len > 0 => data[at % len] ^= bits,
            Mutation::Cut(at) => data.truncate(at % (len + 1)),
            Mutation::Insert(at, bytes) => {
                let at = at % (len + 1);
                data.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove(at, n) if len > 0 => {
                let at = at % len;
                data.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
}

fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::sample::select(b"abc./_-019".to_vec()),
            1 => any::<u8>().prop_filter("path byte", |b| *b != b'\t' && *b != b'\n' && *b != 0),
        ],
        1..10,
    )
}

/// A valid build log with a few entries, as bytes.
fn valid_build_log() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            path_bytes(),
            any::<i32>(),
            any::<i32>(),
            any::<i64>(),
            any::<u64>(),
        ),
        0..6,
    )
    .prop_map(|entries| {
        let mut bytes = build_log::header();
        for (output, start_ms, end_ms, mtime, command_hash) in entries {
            let entry = LogEntry {
                start_ms,
                end_ms,
                mtime,
                command_hash,
            };
            bytes.extend(build_log::format_entry(&output, &entry));
        }
        bytes
    })
}

/// A valid deps log with a few records, as bytes.
fn valid_deps_log() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            path_bytes(),
            any::<i64>(),
            proptest::collection::vec(path_bytes(), 0..4),
        ),
        0..5,
    )
    .prop_map(|records| {
        let mut log = DepsLog::default();
        let mut bytes = deps_log::header();
        for (output, mtime, inputs) in records {
            let inputs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
            bytes.extend(log.record(&output, mtime, &inputs).unwrap());
        }
        bytes
    })
}

/// Loads `data` as `.ninja_log` from a file and checks the properties.
fn check_build_log(data: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(build_log::FILE_NAME);
    std::fs::write(&path, data).unwrap();
    let (log, warning) = BuildLog::load(&path).unwrap();
    let expected = BuildLog::parse(data);
    match (&expected, &log) {
        (ReadOutcome::Loaded(parsed), Some(log)) => {
            prop_assert_eq!(parsed, log);
            prop_assert_eq!(warning, None);
            prop_assert!(path.exists());
            // Compaction keeps every entry.
            let ReadOutcome::Loaded(back) = BuildLog::parse(&log.compacted_bytes(|_| false)) else {
                return Err(TestCaseError::fail("compacted log not loadable"));
            };
            prop_assert_eq!(&back.entries, &log.entries);
        }
        (ReadOutcome::Discard(text), None) => {
            prop_assert_eq!(warning, Some(*text));
            prop_assert!(!path.exists(), "a discarded log is deleted");
        }
        _ => return Err(TestCaseError::fail("load and parse disagree")),
    }
    Ok(())
}

/// Loads `data` as `.ninja_deps` from a file and checks the properties.
fn check_deps_log(data: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(deps_log::FILE_NAME);
    std::fs::write(&path, data).unwrap();
    let result = DepsLog::load(&path).unwrap().expect("the file exists");
    prop_assert_eq!(&result, &DepsLog::parse(data));
    match result.action {
        FileAction::Keep => {
            prop_assert_eq!(result.warning, None);
            prop_assert_eq!(std::fs::read(&path).unwrap(), data);
        }
        FileAction::Delete => {
            prop_assert!(result.warning.is_some());
            prop_assert!(!path.exists(), "a log with a bad header is deleted");
        }
        FileAction::Truncate(len) => {
            // A bad record warns; a partial size word is dropped silently
            // ([log.deps.partial-word]).
            prop_assert!(
                result.warning == Some(deps_log::WARN_PREMATURE_END)
                    || (result.warning.is_none() && data.len() - len as usize <= 3)
            );
            let left = std::fs::read(&path).unwrap();
            prop_assert_eq!(&left[..], &data[..len as usize]);
            // Loading what is left gives the same log, stopping at the same
            // record if it was complete but invalid.
            let again = DepsLog::load(&path).unwrap().unwrap();
            prop_assert_eq!(&again.log, &result.log);
            prop_assert!(
                again.action == FileAction::Keep || again.action == FileAction::Truncate(len)
            );
            prop_assert_eq!(std::fs::read(&path).unwrap(), left);
        }
    }
    for deps in result.log.deps.values() {
        prop_assert!(
            deps.inputs
                .iter()
                .all(|id| (*id as usize) < result.log.nodes.len())
        );
    }
    // Compaction writes a log that reads back to what it describes, for
    // paths the format can hold ([log.deps.path-record]: not empty, no NUL
    // at the end).
    let log = &result.log;
    if log
        .nodes
        .iter()
        .all(|p| !p.is_empty() && p.last() != Some(&0))
    {
        let (fresh, bytes) = log.compacted(|_| true).unwrap();
        let back = DepsLog::parse(&bytes);
        prop_assert_eq!(back.warning, None);
        prop_assert_eq!(back.log, fresh);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn build_log_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300), header in any::<bool>()) {
        let mut bytes = if header { build_log::header() } else { Vec::new() };
        bytes.extend(data);
        check_build_log(&bytes)?;
    }

    #[test]
    fn build_log_mutated(mut data in valid_build_log(), mutations in proptest::collection::vec(mutation(), 1..4)) {
        apply(&mut data, &mutations);
        check_build_log(&data)?;
    }

    #[test]
    fn deps_log_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300), header in any::<bool>()) {
        let mut bytes = if header { deps_log::header() } else { Vec::new() };
        bytes.extend(data);
        check_deps_log(&bytes)?;
    }

    #[test]
    fn deps_log_mutated(mut data in valid_deps_log(), mutations in proptest::collection::vec(mutation(), 1..4)) {
        apply(&mut data, &mutations);
        check_deps_log(&data)?;
    }

    #[test]
    fn deps_log_valid_loads_cleanly(data in valid_deps_log()) {
        let read = DepsLog::parse(&data);
        prop_assert_eq!(read.warning, None);
        prop_assert_eq!(read.action, FileAction::Keep);
        check_deps_log(&data)?;
    }
}

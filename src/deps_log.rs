//! The deps log, `.ninja_deps`, as ninja 1.13 reads and writes it
//! (spec/logs.md, rules `[log.deps.*]`).
//!
//! A binary file: the 12-byte signature `# ninjadeps\n`, a 4-byte version
//! (4), then records. Every integer is a 32-bit little-endian word (ninja
//! writes its native order; every supported platform is little-endian).
//!
//! * A *path record* gives the next node id to a path: size word `N`
//!   (high bit clear), the path padded with NULs to a multiple of 4, and the
//!   checksum word `!id`.
//! * A *deps record* gives an output's discovered inputs: size word with the
//!   high bit set, the output's id, the output's mtime as low then high
//!   word, and one id per input.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

/// The file name, relative to `builddir` (or the working directory).
pub const FILE_NAME: &str = ".ninja_deps";
/// The signature at the start of the file.
pub const SIGNATURE: &[u8] = b"# ninjadeps\n";
/// The only version ninja 1.13 reads and the version it writes.
pub const VERSION: u32 = 4;
/// The largest record body ninja accepts or writes.
pub const MAX_RECORD_SIZE: usize = (1 << 19) - 1;
/// Why a record larger than [`MAX_RECORD_SIZE`] cannot be written: ninja
/// sets `errno` to `ERANGE` and reports `strerror`'s text, so a build
/// stops with `Error writing to deps log: Numerical result out of range`
/// (spec: [build.log.write-error]).
pub const RECORD_TOO_LARGE: &str = "Numerical result out of range";
/// Warning for a version-1 log.
pub const WARN_V1: &str = "deps log version change; rebuilding";
/// Warning for any other bad signature or version (including a short file).
pub const WARN_BAD_HEADER: &str = "bad deps log signature or version; starting over";
/// Warning for a corrupt or truncated record; the file is truncated.
pub const WARN_PREMATURE_END: &str = "premature end of file; recovering";
/// Recompaction needs more than this many deps records ([log.deps.recompact]).
pub const RECOMPACT_MIN_RECORDS: usize = 1000;
/// ... and more than this many records per distinct output.
pub const RECOMPACT_RATIO: usize = 3;

/// One output's recorded dependencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deps {
    /// The output's mtime when the deps were recorded.
    pub mtime: i64,
    /// Node ids of the inputs, in order.
    pub inputs: Vec<u32>,
}

/// A loaded deps log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DepsLog {
    /// Node id → path.
    pub nodes: Vec<Vec<u8>>,
    /// Path → node id.
    pub ids: HashMap<Vec<u8>, u32, foldhash::fast::FixedState>,
    /// Output node id → its last deps record.
    pub deps: BTreeMap<u32, Deps>,
    /// Deps records read or written (including superseded ones).
    pub total_deps_records: usize,
    /// Whether ninja would rewrite the log before the next build.
    pub needs_recompaction: bool,
}

/// The result of reading a deps log's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadResult {
    /// What was read (empty when the header was bad).
    pub log: DepsLog,
    /// The warning ninja prints (`ninja: warning: TEXT`), if any.
    pub warning: Option<&'static str>,
    /// What ninja does to the file.
    pub action: FileAction,
}

/// What ninja does to the file after reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Nothing.
    Keep,
    /// Delete it (bad header).
    Delete,
    /// Truncate it to this many bytes (a bad record, or a partial size
    /// word at the end, which is dropped without a warning).
    Truncate(u64),
}

/// Whether ninja 1.13 rewrites a deps log with `total` deps records for
/// `unique` distinct outputs ([log.deps.recompact]).
pub fn needs_recompaction(total: usize, unique: usize) -> bool {
    total > RECOMPACT_MIN_RECORDS && total > unique.saturating_mul(RECOMPACT_RATIO)
}

/// The 16 bytes that start every deps log.
pub fn header() -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend(VERSION.to_le_bytes());
    out
}

fn word(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

impl DepsLog {
    /// Read a deps log from its bytes, as ninja 1.13 does ([log.deps.*]).
    pub fn parse(data: &[u8]) -> ReadResult {
        let mut log = DepsLog::default();
        let signature_ok = data.len() >= SIGNATURE.len() && data.starts_with(SIGNATURE);
        let version = if data.len() >= 16 { word(data, 12) } else { 0 };
        if !signature_ok || version != VERSION {
            // The version is read even after a bad signature.
            let warning = if data.len() >= 16 && version == 1 {
                WARN_V1
            } else {
                WARN_BAD_HEADER
            };
            return ReadResult {
                log,
                warning: Some(warning),
                action: FileAction::Delete,
            };
        }
        let mut offset = 16usize;
        let mut failed = false;
        loop {
            let rest = &data[offset..];
            if rest.len() < 4 {
                // A partial size word at the end is not an error.
                break;
            }
            let raw = word(rest, 0);
            let is_deps = raw & 0x8000_0000 != 0;
            let size = (raw & 0x7fff_ffff) as usize;
            if size == 0 || size > MAX_RECORD_SIZE || rest.len() - 4 < size {
                failed = true;
                break;
            }
            let body = &rest[4..4 + size];
            // ninja counts the record as read before checking its contents,
            // so a record that fails the checks below stays in the file.
            // spec: [log.deps.recovery.sticky]
            offset += 4 + size;
            let ok = if is_deps {
                log.read_deps_record(body)
            } else {
                log.read_path_record(body)
            };
            if !ok {
                failed = true;
                break;
            }
        }
        if failed {
            return ReadResult {
                log,
                warning: Some(WARN_PREMATURE_END),
                action: FileAction::Truncate(offset as u64),
            };
        }
        log.needs_recompaction = needs_recompaction(log.total_deps_records, log.deps.len());
        // ninja leaves a partial size word in the file, and appends after it;
        // n2ref drops it so that what it appends stays readable.
        // spec: [log.deps.partial-word]
        let action = if offset < data.len() {
            FileAction::Truncate(offset as u64)
        } else {
            FileAction::Keep
        };
        ReadResult {
            log,
            warning: None,
            action,
        }
    }

    fn read_deps_record(&mut self, body: &[u8]) -> bool {
        // At least output id and mtime; whole words only. A shorter record
        // and a negative output id crash ninja 1.13.
        // spec: [log.deps.recovery.crash]
        if !body.len().is_multiple_of(4) || body.len() < 12 {
            return false;
        }
        let out_id = word(body, 0);
        if out_id > i32::MAX as u32 {
            return false;
        }
        let mtime = (u64::from(word(body, 8)) << 32 | u64::from(word(body, 4))) as i64;
        let mut inputs = Vec::with_capacity(body.len() / 4 - 3);
        for at in (12..body.len()).step_by(4) {
            let id = word(body, at);
            if id as usize >= self.nodes.len() {
                return false;
            }
            inputs.push(id);
        }
        self.total_deps_records += 1;
        self.deps.insert(out_id, Deps { mtime, inputs });
        true
    }

    fn read_path_record(&mut self, body: &[u8]) -> bool {
        if body.len() <= 4 {
            return false;
        }
        let mut path = &body[..body.len() - 4];
        for _ in 0..3 {
            if let [rest @ .., 0] = path {
                path = rest;
            }
        }
        let checksum = word(body, body.len() - 4);
        let id = self.nodes.len() as u32;
        if !checksum != id || self.ids.contains_key(path) {
            return false;
        }
        self.ids.insert(path.to_vec(), id);
        self.nodes.push(path.to_vec());
        true
    }

    /// Load `path`, applying what ninja does to the file (delete or
    /// truncate). A missing file gives `Ok(None)`.
    pub fn load(path: &Path) -> io::Result<Option<ReadResult>> {
        let _metric = crate::metrics::record(".ninja_deps load");
        let data = match std::fs::read(path) {
            Ok(data) => data,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let result = Self::parse(&data);
        match result.action {
            FileAction::Keep => {}
            FileAction::Delete => {
                let _ = std::fs::remove_file(path);
            }
            FileAction::Truncate(len) => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)?
                    .set_len(len)?;
            }
        }
        Ok(Some(result))
    }

    /// The id of `path`, if it has one.
    pub fn id(&self, path: &[u8]) -> Option<u32> {
        self.ids.get(path).copied()
    }

    /// The deps recorded for `output`.
    pub fn get(&self, output: &[u8]) -> Option<&Deps> {
        self.deps.get(&self.id(output)?)
    }

    /// The input paths recorded for `output`.
    pub fn input_paths(&self, output: &[u8]) -> Option<Vec<&[u8]>> {
        let deps = self.get(output)?;
        Some(
            deps.inputs
                .iter()
                .map(|id| self.nodes[*id as usize].as_slice())
                .collect(),
        )
    }

    fn path_record(&mut self, path: &[u8], out: &mut Vec<u8>) -> io::Result<u32> {
        if let Some(id) = self.id(path) {
            return Ok(id);
        }
        let padding = (4 - path.len() % 4) % 4;
        let size = path.len() + padding + 4;
        if size > MAX_RECORD_SIZE {
            return Err(io::Error::other(RECORD_TOO_LARGE));
        }
        let id = self.nodes.len() as u32;
        out.extend((size as u32).to_le_bytes());
        out.extend(path);
        out.extend(std::iter::repeat_n(0u8, padding));
        out.extend((!id).to_le_bytes());
        self.ids.insert(path.to_vec(), id);
        self.nodes.push(path.to_vec());
        Ok(id)
    }

    /// Record `inputs` as the deps of `output` (with the output's `mtime`)
    /// and return the bytes to append to the file: path records for paths
    /// without an id, then a deps record. Returns no bytes when nothing
    /// changed ([log.deps.deps-record]).
    pub fn record(&mut self, output: &[u8], mtime: i64, inputs: &[&[u8]]) -> io::Result<Vec<u8>> {
        let size = 4 * (3 + inputs.len());
        if size > MAX_RECORD_SIZE {
            return Err(io::Error::other(RECORD_TOO_LARGE));
        }
        let mut out = Vec::new();
        let out_id = self.path_record(output, &mut out)?;
        let mut ids = Vec::with_capacity(inputs.len());
        for input in inputs {
            ids.push(self.path_record(input, &mut out)?);
        }
        let unchanged = out.is_empty()
            && self
                .deps
                .get(&out_id)
                .is_some_and(|d| d.mtime == mtime && d.inputs == ids);
        if unchanged {
            return Ok(out);
        }
        out.extend((size as u32 | 0x8000_0000).to_le_bytes());
        out.extend(out_id.to_le_bytes());
        out.extend((mtime as u64 as u32).to_le_bytes());
        out.extend(((mtime as u64 >> 32) as u32).to_le_bytes());
        for id in &ids {
            out.extend(id.to_le_bytes());
        }
        self.total_deps_records += 1;
        self.deps.insert(out_id, Deps { mtime, inputs: ids });
        Ok(out)
    }

    /// The bytes of a fresh, compacted log holding the deps of every output
    /// for which `is_live` is true, in old id order, with ids reassigned
    /// ([log.deps.recompact]).
    pub fn compacted(
        &self,
        mut is_live: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<(DepsLog, Vec<u8>)> {
        let mut fresh = DepsLog::default();
        let mut bytes = header();
        for (out_id, deps) in &self.deps {
            let Some(output) = self.nodes.get(*out_id as usize) else {
                continue;
            };
            if !is_live(output) {
                continue;
            }
            let inputs: Vec<&[u8]> = deps
                .inputs
                .iter()
                .map(|id| self.nodes[*id as usize].as_slice())
                .collect();
            bytes.extend(fresh.record(output, deps.mtime, &inputs)?);
        }
        Ok((fresh, bytes))
    }

    /// Rewrite the file at `path` compacted, as ninja does (write
    /// `PATH.recompact`, then replace `path` with it), and replace `self`
    /// with the compacted log.
    pub fn write_compacted(
        &mut self,
        path: &Path,
        is_live: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        let _metric = crate::metrics::record(".ninja_deps recompact");
        let (fresh, bytes) = self.compacted(is_live)?;
        let mut temp: PathBuf = path.as_os_str().to_owned().into();
        temp.as_mut_os_string().push(".recompact");
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, path)?;
        *self = fresh;
        Ok(())
    }
}

/// Append `bytes` (from [`DepsLog::record`]) to the file at `path`, writing
/// the header first if the file is empty or missing.
pub fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::log_file::LogFile::new(path.to_path_buf(), header()).append(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The `.ninja_deps` real ninja 1.13 wrote for two outputs that each
    /// depend on `in.c`.
    const REAL: &[u8] = b"# ninjadeps\n\x04\x00\x00\x00\
        \x0c\x00\x00\x00out.o\x00\x00\x00\xff\xff\xff\xff\
        \x08\x00\x00\x00in.c\xfe\xff\xff\xff\
        \x10\x00\x00\x80\x00\x00\x00\x00\x0f\x40\x64\x93\xc9\x6c\xeb\x18\x01\x00\x00\x00\
        \x08\x00\x00\x00b.o\x00\xfd\xff\xff\xff\
        \x10\x00\x00\x80\x02\x00\x00\x00\xae\xd8\x72\x93\xc9\x6c\xeb\x18\x01\x00\x00\x00";

    #[test]
    fn reads_real_ninja_deps() {
        let r = DepsLog::parse(REAL);
        assert_eq!(r.warning, None);
        assert_eq!(
            r.log.nodes,
            vec![b"out.o".to_vec(), b"in.c".to_vec(), b"b.o".to_vec()]
        );
        assert_eq!(r.log.input_paths(b"out.o"), Some(vec![&b"in.c"[..]]));
        assert_eq!(r.log.get(b"out.o").unwrap().mtime, 1795648489454321679);
        assert_eq!(r.log.get(b"b.o").unwrap().mtime, 1795648489455278254);
    }

    #[test]
    fn writes_what_ninja_writes() {
        let mut log = DepsLog::default();
        let mut bytes = header();
        bytes.extend(
            log.record(b"out.o", 1795648489454321679, &[b"in.c"])
                .unwrap(),
        );
        bytes.extend(log.record(b"b.o", 1795648489455278254, &[b"in.c"]).unwrap());
        assert_eq!(bytes, REAL);
        assert!(
            log.record(b"b.o", 1795648489455278254, &[b"in.c"])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_headers() {
        assert_eq!(DepsLog::parse(b"").warning, Some(WARN_BAD_HEADER));
        let mut v3 = SIGNATURE.to_vec();
        v3.extend(3u32.to_le_bytes());
        assert_eq!(DepsLog::parse(&v3).warning, Some(WARN_BAD_HEADER));
        assert_eq!(DepsLog::parse(&v3).action, FileAction::Delete);
        let mut v1 = SIGNATURE.to_vec();
        v1.extend(1u32.to_le_bytes());
        assert_eq!(DepsLog::parse(&v1).warning, Some(WARN_V1));
        assert_eq!(DepsLog::parse(&header()).warning, None);
    }

    /// A version 3 log (ninja 1.3 to 1.9: 32-bit mtimes) with records is
    /// not read at all (spec: [log.deps.old-version]) and is deleted.
    #[test]
    fn hand_written_v3_log_is_discarded() {
        let mut v3 = SIGNATURE.to_vec();
        v3.extend(3u32.to_le_bytes());
        // Path record "out.o" (id 0), path record "in.c" (id 1), deps
        // record for out.o with a 32-bit mtime and one input.
        v3.extend(b"\x08\x00\x00\x00out.o\x00\x00\x00\xff\xff\xff\xff");
        v3.extend(b"\x04\x00\x00\x00in.c\xfe\xff\xff\xff");
        v3.extend(b"\x0c\x00\x00\x80\x00\x00\x00\x00\x00\xf1\x53\x65\x01\x00\x00\x00");
        let r = DepsLog::parse(&v3);
        assert_eq!(r.warning, Some(WARN_BAD_HEADER));
        assert_eq!(r.action, FileAction::Delete);
        assert!(r.log.nodes.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, &v3).unwrap();
        let loaded = DepsLog::load(&path).unwrap().unwrap();
        assert_eq!(loaded.warning, Some(WARN_BAD_HEADER));
        assert!(loaded.log.get(b"out.o").is_none());
        assert!(!path.exists());
    }

    #[test]
    fn truncation_recovery() {
        // Cut inside the last record: everything before it survives.
        let cut = &REAL[..REAL.len() - 3];
        let r = DepsLog::parse(cut);
        assert_eq!(r.warning, Some(WARN_PREMATURE_END));
        assert_eq!(r.action, FileAction::Truncate(REAL.len() as u64 - 20));
        assert!(r.log.get(b"out.o").is_some());
        assert!(r.log.get(b"b.o").is_none());
        // A partial size word is dropped silently.
        let mut extra = REAL.to_vec();
        extra.extend([1, 2]);
        assert_eq!(DepsLog::parse(&extra).warning, None);
        assert_eq!(
            DepsLog::parse(&extra).action,
            FileAction::Truncate(REAL.len() as u64)
        );
        assert_eq!(DepsLog::parse(&extra).log, DepsLog::parse(REAL).log);
        // A bad checksum: the bad record is counted as read.
        let mut bad = REAL.to_vec();
        bad[31] = 0;
        let r = DepsLog::parse(&bad);
        assert_eq!(r.action, FileAction::Truncate(32));
        assert_eq!(r.log.nodes.len(), 0);
    }

    #[test]
    fn recompaction() {
        assert!(!needs_recompaction(1000, 1));
        assert!(needs_recompaction(1001, 333));
        assert!(!needs_recompaction(1001, 334));
        let mut log = DepsLog::default();
        for i in 0..5 {
            log.record(b"a", i, &[b"x", b"y"]).unwrap();
            log.record(b"gone", i, &[b"z"]).unwrap();
        }
        let (fresh, bytes) = log.compacted(|o| o != b"gone").unwrap();
        let back = DepsLog::parse(&bytes);
        assert_eq!(back.log, fresh);
        assert_eq!(back.log.nodes.len(), 3);
        assert_eq!(back.log.get(b"a").unwrap().mtime, 4);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = DepsLog::parse(&data);
            let mut with_header = header();
            with_header.extend(&data);
            let r = DepsLog::parse(&with_header);
            if let FileAction::Truncate(n) = r.action {
                prop_assert!(n as usize <= with_header.len());
            }
        }

        #[test]
        fn corrupted_real_log_never_panics(at in 0usize..REAL.len(), byte in any::<u8>(), cut in 0usize..=REAL.len()) {
            let mut data = REAL.to_vec();
            data[at] = byte;
            data.truncate(cut);
            let _ = DepsLog::parse(&data);
        }

        #[test]
        fn records_round_trip(
            recs in proptest::collection::vec(
                (proptest::collection::vec(1u8..=255, 1..9), any::<i64>(),
                 proptest::collection::vec(proptest::collection::vec(1u8..=255, 1..9), 0..4)),
                0..6)
        ) {
            let mut log = DepsLog::default();
            let mut bytes = header();
            for (out, mtime, ins) in &recs {
                let ins: Vec<&[u8]> = ins.iter().map(Vec::as_slice).collect();
                bytes.extend(log.record(out, *mtime, &ins).unwrap());
            }
            let back = DepsLog::parse(&bytes);
            prop_assert_eq!(back.warning, None);
            prop_assert_eq!(back.log, log);
        }
    }
}

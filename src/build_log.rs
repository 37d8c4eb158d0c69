//! The build log, `.ninja_log`, as ninja 1.13 reads and writes it
//! (spec/logs.md, rules `[log.build.*]`).
//!
//! The log is a text file: a header line `# ninja log v7` and then one line
//! per output a command produced, `START\tEND\tMTIME\tOUTPUT\tHASH\n`. Runs
//! append; when read, the last line for an output wins.

use crate::load::c_atoi;
use hashbrown::HashTable;
use std::io;
use std::path::{Path, PathBuf};

/// The file name, relative to `builddir` (or the working directory).
pub const FILE_NAME: &str = ".ninja_log";
/// The only version ninja 1.13 reads and the version it writes.
pub const VERSION: i64 = 7;
/// Warning when the header names a version below 7 (or no header at all).
pub const WARN_TOO_OLD: &str = "build log version is too old; starting over";
/// Warning when the header names a version above 7.
pub const WARN_TOO_NEW: &str = "build log version is too new; starting over";
/// Recompaction needs more than this many lines ([log.build.recompact]).
pub const RECOMPACT_MIN_ENTRIES: usize = 100;
/// ... and more than this many lines per distinct output.
pub const RECOMPACT_RATIO: usize = 3;

/// One output's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// Milliseconds from the start of the build to the command's start.
    pub start_ms: i32,
    /// Milliseconds from the start of the build to the command's end.
    pub end_ms: i32,
    /// The recorded mtime (ninja's nanosecond time stamp): the command's
    /// start time, or for `restat`/`generator` edges the newest output
    /// mtime ([log.build.mtime]).
    pub mtime: i64,
    /// [`crate::hash::command_hash`] of the evaluated command.
    pub command_hash: u64,
}

/// The entries of a log by output path, in ninja's iteration order: the
/// order in which outputs were first recorded (an output recorded again
/// keeps its place); removing an entry moves the last one into its place
/// (ninja's hash map keeps its values in one array and fills holes so).
/// `-t cleandead`, `-t restat` and recompaction visit entries in this
/// order (spec: [log.build.order]).
#[derive(Clone, Debug, Default)]
pub struct Entries {
    list: Vec<(Vec<u8>, LogEntry)>,
    /// Indices into `list`, hashed by their path (each path stored once).
    index: HashTable<usize>,
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.list == other.list
    }
}

impl Eq for Entries {}

fn hash_path(path: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6e326c67).hash_one(path)
}

impl Entries {
    fn find(&self, output: &[u8]) -> Option<usize> {
        let list = &self.list;
        self.index
            .find(hash_path(output), |&i| list[i].0 == output)
            .copied()
    }

    pub fn get(&self, output: &[u8]) -> Option<&LogEntry> {
        self.find(output).map(|i| &self.list[i].1)
    }

    /// Sets the entry of `output`, appending it when it is new.
    pub fn insert(&mut self, output: Vec<u8>, entry: LogEntry) {
        match self.find(&output) {
            Some(i) => self.list[i].1 = entry,
            None => {
                let list = &self.list;
                self.index
                    .insert_unique(hash_path(&output), list.len(), |&i| hash_path(&list[i].0));
                self.list.push((output, entry));
            }
        }
    }

    /// Removes the entry of `output`; the last entry takes its place.
    pub fn remove(&mut self, output: &[u8]) {
        let list = &self.list;
        let Ok(slot) = self
            .index
            .find_entry(hash_path(output), |&i| list[i].0 == output)
        else {
            return;
        };
        let (i, _) = slot.remove();
        let last = self.list.len() - 1;
        if i != last {
            // The last entry moves to `i`: repoint its index.
            let list = &self.list;
            if let Some(moved) = self
                .index
                .find_mut(hash_path(&list[last].0), |&j| j == last)
            {
                *moved = i;
            }
        }
        self.list.swap_remove(i);
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.list.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &LogEntry)> {
        self.list.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Vec<u8>, &mut LogEntry)> {
        self.list.iter_mut().map(|(k, v)| (&*k, v))
    }
}

/// A loaded build log: output path → last entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildLog {
    /// Entries by output path (bytes, exactly as logged).
    pub entries: Entries,
    /// Entry lines read (including superseded ones).
    pub total_entries: usize,
    /// Whether ninja would rewrite the log before the next build.
    pub needs_recompaction: bool,
}

/// What reading a log file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// A usable log (possibly empty).
    Loaded(BuildLog),
    /// The header names an unsupported version: ninja prints the warning,
    /// deletes the file and starts with an empty log.
    Discard(&'static str),
}

/// Whether ninja 1.13 rewrites a log with `total` entry lines for `unique`
/// distinct outputs ([log.build.recompact]).
pub fn needs_recompaction(total: usize, unique: usize) -> bool {
    total > RECOMPACT_MIN_ENTRIES && total > unique.saturating_mul(RECOMPACT_RATIO)
}

/// The header line ninja writes at the start of an empty log file.
pub fn header() -> Vec<u8> {
    format!("# ninja log v{VERSION}\n").into_bytes()
}

/// One entry line, formatted as ninja writes it (hash in lower-case hex
/// without leading zeros).
pub fn format_entry(output: &[u8], entry: &LogEntry) -> Vec<u8> {
    let mut line = format!("{}\t{}\t{}\t", entry.start_ms, entry.end_ms, entry.mtime).into_bytes();
    line.extend_from_slice(output);
    line.extend_from_slice(format!("\t{:x}\n", entry.command_hash).as_bytes());
    line
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Where the digits of a C number start (after white space and a sign),
/// and whether the sign was `-`.
fn skip_space_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    (i, negative)
}

/// C `strtoll(s, NULL, 10)`: leading white space, a sign, decimal digits;
/// saturates; 0 if there are no digits.
fn c_strtoll(s: &[u8]) -> i64 {
    let (mut i, negative) = skip_space_and_sign(s);
    let mut value: i128 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        value = (value * 10 + i128::from(s[i] - b'0')).min(i128::from(i64::MAX) + 1);
        i += 1;
    }
    let value = if negative { -value } else { value };
    value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// C `strtoull(s, NULL, 16)`: white space, a sign, an optional `0x`,
/// hex digits; saturates to `u64::MAX`; a `-` negates (wrapping).
fn c_strtoull_hex(s: &[u8]) -> u64 {
    let (mut i, negative) = skip_space_and_sign(s);
    if i + 1 < s.len()
        && s[i] == b'0'
        && (s[i + 1] | 0x20) == b'x'
        && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit())
    {
        i += 2;
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    while i < s.len() {
        let Some(digit) = (s[i] as char).to_digit(16) else {
            break;
        };
        match value
            .checked_mul(16)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        u64::MAX
    } else if negative {
        value.wrapping_neg()
    } else {
        value
    }
}

/// The version in a first line, matched as C `sscanf("# ninja log v%d\n")`
/// does: each space in the pattern matches any run of white space (also
/// none); 0 when the line does not match up to the number.
fn header_version(line: &[u8]) -> i64 {
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < line.len() && is_c_space(line[*i]) {
            *i += 1;
        }
    };
    for (n, word) in [&b"#"[..], b"ninja", b"log", b"v"].iter().enumerate() {
        if n > 0 {
            skip_space(&mut i);
        }
        if !line[i..].starts_with(word) {
            return 0;
        }
        i += word.len();
    }
    skip_space(&mut i);
    let digits_at = i + usize::from(line.get(i).is_some_and(|b| *b == b'-' || *b == b'+'));
    if !line.get(digits_at).is_some_and(u8::is_ascii_digit) {
        return 0;
    }
    // %d stores an int; glibc truncates.
    i64::from(c_strtoll(&line[i..]) as i32)
}

/// Parse one complete entry line (without its `\n`); `None` when it has
/// fewer than four tabs ([log.build.line.malformed]).
pub fn parse_entry_line(line: &[u8]) -> Option<(Vec<u8>, LogEntry)> {
    let mut fields = line.splitn(5, |b| *b == b'\t');
    let start = fields.next()?;
    let end = fields.next()?;
    let mtime = fields.next()?;
    let output = fields.next()?;
    let hash = fields.next()?;
    Some((
        output.to_vec(),
        LogEntry {
            start_ms: c_atoi(start),
            end_ms: c_atoi(end),
            mtime: c_strtoll(mtime),
            command_hash: c_strtoull_hex(hash),
        },
    ))
}

impl BuildLog {
    /// Read a log from its bytes, as ninja 1.13 does ([log.build.*]).
    pub fn parse(data: &[u8]) -> ReadOutcome {
        let mut log = BuildLog::default();
        if data.is_empty() {
            // An empty file is a valid, empty log; no version check.
            return ReadOutcome::Loaded(log);
        }
        let first_line_end = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
        let version = header_version(&data[..first_line_end]);
        if version < VERSION {
            return ReadOutcome::Discard(WARN_TOO_OLD);
        }
        if version > VERSION {
            return ReadOutcome::Discard(WARN_TOO_NEW);
        }
        // Only lines ended by `\n` count; a final unterminated line is ignored.
        let mut rest = data;
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            let line = &rest[..nl];
            rest = &rest[nl + 1..];
            if let Some((output, entry)) = parse_entry_line(line) {
                log.entries.insert(output, entry);
                log.total_entries += 1;
            }
        }
        log.needs_recompaction = needs_recompaction(log.total_entries, log.entries.len());
        ReadOutcome::Loaded(log)
    }

    /// Load `path`. A missing file gives `Ok(None)`. An unsupported version
    /// deletes the file (as ninja does) and gives `Ok(None)` plus the
    /// warning text (printed by ninja as `ninja: warning: TEXT`).
    pub fn load(path: &Path) -> io::Result<(Option<BuildLog>, Option<&'static str>)> {
        let _metric = crate::metrics::record(".ninja_log load");
        let data = match std::fs::read(path) {
            Ok(data) => data,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, None)),
            Err(e) => return Err(e),
        };
        match Self::parse(&data) {
            ReadOutcome::Loaded(log) => Ok((Some(log), None)),
            ReadOutcome::Discard(warning) => {
                let _ = std::fs::remove_file(path);
                Ok((None, Some(warning)))
            }
        }
    }

    /// The entry for `output`, if any.
    pub fn lookup(&self, output: &[u8]) -> Option<&LogEntry> {
        self.entries.get(output)
    }

    /// Record an entry in memory (the last record for an output wins).
    pub fn record(&mut self, output: &[u8], entry: LogEntry) {
        self.entries.insert(output.to_vec(), entry);
        self.total_entries += 1;
    }

    /// The bytes of a fresh, compacted log: the header and one line per
    /// output for which `is_dead` is false ([log.build.recompact]).
    pub fn compacted_bytes(&self, mut is_dead: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
        let mut out = header();
        for (output, entry) in self.entries.iter() {
            if !is_dead(output) {
                out.extend(format_entry(output, entry));
            }
        }
        out
    }

    /// Rewrite the log at `path` compacted, as ninja does: write
    /// `PATH.recompact`, then replace `path` with it. Dead entries are
    /// dropped from `self` too.
    pub fn write_compacted(
        &mut self,
        path: &Path,
        mut is_dead: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<()> {
        let _metric = crate::metrics::record(".ninja_log recompact");
        // The file is written in iteration order without the dead
        // entries, which are then removed one by one.
        let dead: Vec<Vec<u8>> = self
            .entries
            .keys()
            .filter(|o| is_dead(o))
            .cloned()
            .collect();
        let dead_set: std::collections::HashSet<&[u8]> =
            dead.iter().map(|d| d.as_slice()).collect();
        let bytes = self.compacted_bytes(|o| dead_set.contains(o));
        for output in &dead {
            self.entries.remove(output);
        }
        self.total_entries = self.entries.len();
        self.needs_recompaction = false;
        let mut temp: PathBuf = path.as_os_str().to_owned().into();
        temp.as_mut_os_string().push(".recompact");
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, path)
    }
}

impl BuildLog {
    /// `-t restat`: sets the recorded mtime of the named outputs (every
    /// output when none is named; names compared byte for byte) to their
    /// current mtime (`stat`, 0 when missing), then rewrites the log at
    /// `path` by way of `PATH.restat` ([tools.restat]).
    pub fn restat(
        &mut self,
        path: &Path,
        outputs: &[&[u8]],
        stat: impl Fn(&[u8]) -> i64,
    ) -> io::Result<()> {
        for (output, entry) in self.entries.iter_mut() {
            if outputs.is_empty() || outputs.contains(&output.as_slice()) {
                entry.mtime = stat(output);
            }
        }
        let bytes = self.compacted_bytes(|_| false);
        let mut temp: PathBuf = path.as_os_str().to_owned().into();
        temp.as_mut_os_string().push(".restat");
        std::fs::write(&temp, bytes)?;
        std::fs::remove_file(path)?;
        std::fs::rename(&temp, path)
    }
}

/// The build log at `path` as a build appends to it ([log.build.append],
/// [log.build.append.newline]).
pub fn log_file(path: &Path) -> crate::log_file::LogFile {
    crate::log_file::LogFile::new(path.to_path_buf(), header()).of_lines()
}

/// Append one entry to the log file at `path`, writing the header first if
/// the file is empty or missing ([log.build.append]), and a newline first
/// if the file does not end with one ([log.build.append.newline]). A build
/// keeps one [`log_file`] open instead.
pub fn append_entry(path: &Path, output: &[u8], entry: &LogEntry) -> io::Result<()> {
    log_file(path).append(&format_entry(output, entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn loaded(data: &[u8]) -> BuildLog {
        match BuildLog::parse(data) {
            ReadOutcome::Loaded(log) => log,
            other => panic!("not loaded: {other:?}"),
        }
    }

    #[test]
    fn reads_real_ninja_log() {
        let log = loaded(
            b"# ninja log v7\n0\t4\t1795648489446129863\tout.o\ta42ecd229b8bf102\n\
              3\t6\t1795648489451996371\tb.o\td9060aee2575b38b\n",
        );
        assert_eq!(log.entries.len(), 2);
        assert_eq!(
            log.lookup(b"out.o"),
            Some(&LogEntry {
                start_ms: 0,
                end_ms: 4,
                mtime: 1795648489446129863,
                command_hash: 0xa42ecd229b8bf102
            })
        );
    }

    #[test]
    fn last_entry_wins_and_malformed_lines_skipped() {
        let log =
            loaded(b"# ninja log v7\n1\t2\t3\ta\tff\njunk\n1\t2\t3\n4\t5\t6\ta\t10\n7\t8\t9\tb\t1");
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.lookup(b"a").unwrap().command_hash, 0x10);
        assert_eq!(log.total_entries, 2);
    }

    #[test]
    fn versions() {
        assert_eq!(
            BuildLog::parse(b"# ninja log v6\n"),
            ReadOutcome::Discard(WARN_TOO_OLD)
        );
        assert_eq!(
            BuildLog::parse(b"# ninja log v5\n"),
            ReadOutcome::Discard(WARN_TOO_OLD)
        );
        assert_eq!(
            BuildLog::parse(b"1\t2\t3\ta\tb\n"),
            ReadOutcome::Discard(WARN_TOO_OLD)
        );
        assert_eq!(
            BuildLog::parse(b"# ninja log v8\n"),
            ReadOutcome::Discard(WARN_TOO_NEW)
        );
        assert_eq!(loaded(b""), BuildLog::default());
        assert!(matches!(
            BuildLog::parse(b"#ninja  log v7"),
            ReadOutcome::Loaded(_)
        ));
    }

    /// Logs as older ninjas wrote them, entries and all (spec:
    /// [log.build.old-version]): none is read, each file is deleted.
    #[test]
    fn hand_written_old_logs_are_discarded_and_deleted() {
        let old: [&[u8]; 4] = [
            // 1.12: v6, rapidhash not yet, same five fields.
            b"# ninja log v6\n0\t4\t1700000000000000000\tout.o\t7f0e1d2c3b4a5968\n",
            // 1.10/1.11: v5, mtimes in nanoseconds, MurmurHash64A hashes.
            b"# ninja log v5\n0\t4\t1700000000000000000\tout.o\t7f0e1d2c3b4a5968\n",
            // Before 1.3: v4 recorded the whole command.
            b"# ninja log v4\n0\t4\t1700000000\tout.o\tcc -c in.c -o out.o\n",
            // No header at all.
            b"0\t4\t1700000000\tout.o\t7f0e1d2c3b4a5968\n",
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for bytes in old {
            assert_eq!(BuildLog::parse(bytes), ReadOutcome::Discard(WARN_TOO_OLD));
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(BuildLog::load(&path).unwrap(), (None, Some(WARN_TOO_OLD)));
            assert!(!path.exists());
        }
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(c_atoi(b" 12x"), 12);
        assert_eq!(c_atoi(b"-3"), -3);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_strtoll(b"99999999999999999999"), i64::MAX);
        assert_eq!(c_strtoull_hex(b"0xff"), 255);
        assert_eq!(c_strtoull_hex(b"0x"), 0);
        assert_eq!(c_strtoull_hex(b"ffffffffffffffffff"), u64::MAX);
        assert_eq!(c_strtoull_hex(b"-1"), u64::MAX);
    }

    #[test]
    fn recompaction_threshold() {
        assert!(!needs_recompaction(100, 1));
        assert!(needs_recompaction(101, 33));
        assert!(!needs_recompaction(101, 34));
    }

    #[test]
    fn round_trip() {
        let mut log = BuildLog::default();
        log.record(
            b"x y",
            LogEntry {
                start_ms: -1,
                end_ms: 9,
                mtime: -5,
                command_hash: 0,
            },
        );
        log.record(
            b"z",
            LogEntry {
                start_ms: 1,
                end_ms: 2,
                mtime: 3,
                command_hash: u64::MAX,
            },
        );
        let bytes = log.compacted_bytes(|_| false);
        let back = loaded(&bytes);
        assert_eq!(back.entries, log.entries);
        let dead = loaded(&log.compacted_bytes(|o| o == b"z"));
        assert_eq!(dead.entries.len(), 1);
    }

    #[test]
    fn append_ends_a_torn_last_line_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let entry = LogEntry {
            start_ms: 1,
            end_ms: 2,
            mtime: 3,
            command_hash: 0xab,
        };
        // A header or an entry line cut before its newline (a crash while
        // writing, a full disk) stays a line of its own.
        for torn in [&b"# ninja log v7"[..], b"# ninja log v7\n0\t1\t2\tx\tab"] {
            std::fs::write(&path, torn).unwrap();
            append_entry(&path, b"out", &entry).unwrap();
            let log = loaded(&std::fs::read(&path).unwrap());
            assert_eq!(log.lookup(b"out"), Some(&entry));
        }
        std::fs::remove_file(&path).unwrap();
        append_entry(&path, b"out", &entry).unwrap();
        append_entry(&path, b"b", &entry).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"# ninja log v7\n1\t2\t3\tout\tab\n1\t2\t3\tb\tab\n"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = BuildLog::parse(&data);
            let mut with_header = header();
            with_header.extend(&data);
            let _ = BuildLog::parse(&with_header);
        }

        #[test]
        fn entries_round_trip(
            entries in proptest::collection::btree_map(
                proptest::collection::vec(any::<u8>().prop_filter("no tab/nl", |b| *b != b'\t' && *b != b'\n'), 0..12),
                (any::<i32>(), any::<i32>(), any::<i64>(), any::<u64>()),
                0..8)
        ) {
            let mut log = BuildLog::default();
            for (o, (s, e, m, h)) in &entries {
                log.record(o, LogEntry { start_ms: *s, end_ms: *e, mtime: *m, command_hash: *h });
            }
            let back = loaded(&log.compacted_bytes(|_| false));
            prop_assert_eq!(back.entries, log.entries);
        }
    }
}

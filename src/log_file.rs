//! An append-only log file (`.ninja_log`, `.ninja_deps`) as a build writes
//! it: opened on the first record and kept open until the build ends, with
//! the format's header written first when the file is new or empty. Every
//! record goes to the file at once (no user-space buffering), so a killed
//! build loses at most the record being written.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

pub struct LogFile {
    path: PathBuf,
    header: Vec<u8>,
    /// Whether the format is made of lines: then a file whose last line was
    /// cut short gets a newline before the first record.
    lines: bool,
    file: Option<File>,
}

impl LogFile {
    /// A log at `path` whose format starts with `header`; nothing is opened yet.
    pub fn new(path: PathBuf, header: Vec<u8>) -> LogFile {
        LogFile {
            path,
            header,
            lines: false,
            file: None,
        }
    }

    /// A log made of lines (`.ninja_log`): before appending to a file that
    /// does not end with a newline, one is written, so that a line cut
    /// short by a crash stays a line of its own.
    ///
    /// spec: [log.build.append.newline]
    pub fn of_lines(mut self) -> LogFile {
        self.lines = true;
        self
    }

    /// The log's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The format's header, written first to a new or empty file.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// Appends `bytes` (whole records), writing the header first if needed.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let mut file = OpenOptions::new()
                    .create(true)
                    .read(true)
                    .append(true)
                    .open(&self.path)?;
                let len = file.metadata()?.len();
                if len == 0 {
                    file.write_all(&self.header)?;
                } else if self.lines {
                    let mut last = [0u8];
                    file.seek(SeekFrom::End(-1))?;
                    file.read_exact(&mut last)?;
                    if last[0] != b'\n' {
                        file.write_all(b"\n")?;
                    }
                }
                self.file.insert(file)
            }
        };
        file.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_written_once_and_only_to_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = LogFile::new(path.clone(), b"# h\n".to_vec());
        log.append(b"a\n").unwrap();
        log.append(b"b\n").unwrap();
        drop(log);
        let mut again = LogFile::new(path.clone(), b"# h\n".to_vec());
        again.append(b"c\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"# h\na\nb\nc\n");
    }

    #[test]
    fn a_line_cut_short_is_ended_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, b"# h\ncut").unwrap();
        let mut log = LogFile::new(path.clone(), b"# h\n".to_vec()).of_lines();
        log.append(b"a\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"# h\ncut\na\n");
        // A binary log is appended to as it is.
        std::fs::write(&path, b"# h\ncut").unwrap();
        let mut log = LogFile::new(path.clone(), b"# h\n".to_vec());
        log.append(b"a\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"# h\ncuta\n");
    }
}

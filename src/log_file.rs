//! An append-only log file (`.ninja_log`, `.ninja_deps`) as a build writes
//! it: opened on the first record and kept open until the build ends, with
//! the format's header written first when the file is new or empty. Every
//! record goes to the file at once (no user-space buffering), so a killed
//! build loses at most the record being written.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;

pub struct LogFile {
    path: PathBuf,
    header: Vec<u8>,
    file: Option<File>,
}

impl LogFile {
    /// A log at `path` whose format starts with `header`; nothing is opened yet.
    pub fn new(path: PathBuf, header: Vec<u8>) -> LogFile {
        LogFile {
            path,
            header,
            file: None,
        }
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
                    .append(true)
                    .open(&self.path)?;
                if file.metadata()?.len() == 0 {
                    file.write_all(&self.header)?;
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
}

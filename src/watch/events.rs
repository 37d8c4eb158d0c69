//! The JSON-lines event stream (spec: [watch.events]): one object per
//! line, written to `--watch-events FILE` and, with `-d watch`, to stderr,
//! so that scripts and editors can follow a watch session.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

/// How a build of the session ended, as `build_end` says it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Result {
    /// Nothing was dirty.
    UpToDate,
    Succeeded,
    /// A step failed (or the build could not start: a missing input, a cycle).
    Failed,
    /// Stopped for a change (`--watch-restart`) or by the user.
    Interrupted,
}

impl Result {
    fn name(self) -> &'static str {
        match self {
            Result::UpToDate => "up_to_date",
            Result::Succeeded => "succeeded",
            Result::Failed => "failed",
            Result::Interrupted => "interrupted",
        }
    }
}

/// One line of the stream; `event` comes first.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event<'a> {
    Watching {
        generation: u64,
        dirs: usize,
    },
    BuildStart {
        build: u64,
    },
    BuildEnd {
        build: u64,
        result: &'static str,
        steps: &'a [String],
        failed: &'a [String],
    },
    Changes {
        paths: &'a [String],
    },
    Overflow {
        reason: &'a str,
    },
}

/// Where events go; writes nothing when neither sink is on.
#[derive(Default)]
pub struct EventLog {
    file: Option<File>,
    stderr: bool,
}

impl EventLog {
    /// Creates (truncates) `file` if given; `stderr` is `-d watch`.
    pub fn open(file: Option<&Path>, stderr: bool) -> io::Result<EventLog> {
        let file = file.map(File::create).transpose()?;
        Ok(EventLog { file, stderr })
    }

    fn emit(&mut self, event: Event) {
        let Ok(mut line) = serde_json::to_string(&event) else {
            return;
        };
        line.push('\n');
        if let Some(f) = &mut self.file {
            let _ = f.write_all(line.as_bytes());
            let _ = f.flush();
        }
        if self.stderr {
            let _ = io::stderr().write_all(line.as_bytes());
        }
    }

    /// The watches are in place; changes from now on are seen.
    pub fn watching(&mut self, generation: u64, dirs: usize) {
        self.emit(Event::Watching { generation, dirs });
    }

    pub fn build_start(&mut self, build: u64) {
        self.emit(Event::BuildStart { build });
    }

    /// `steps` are the first outputs of the steps that ran, in the order
    /// they finished; `failed` those of the steps that failed.
    pub fn build_end(&mut self, build: u64, result: Result, steps: &[String], failed: &[String]) {
        self.emit(Event::BuildEnd {
            build,
            result: result.name(),
            steps,
            failed,
        });
    }

    pub fn changes(&mut self, paths: &[String]) {
        self.emit(Event::Changes { paths });
    }

    pub fn overflow(&mut self, reason: &str) {
        self.emit(Event::Overflow { reason });
    }
}

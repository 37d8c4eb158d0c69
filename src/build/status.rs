//! What the build prints: ninja's line printer (one line per status on a
//! dumb terminal, one rewritten line on a smart terminal) and its status
//! printer (`NINJA_STATUS`), with the `console` pool holding output back.

use std::io::{self, Write};

use super::status_format::{
    Estimate, SlidingRate, Snapshot, UnknownPlaceholder, format_status, predicted_fraction,
};
use super::terminal::{TerminalMode, elide_middle, terminal_width};
use super::{Config, Verbosity, must};
use crate::densemap::Id;
use crate::expand::{edge_binding, edge_command};
use crate::graph::{CONSOLE_POOL, EdgeId, Graph};

/// The status printer's counters: they live as long as one build (its
/// rounds, when dyndep files are loaded), like ninja's status printer.
pub(super) struct Progress {
    /// The total carried over from a manifest rebuild.
    base: i64,
    pub(super) started: i64,
    pub(super) finished: i64,
    pub(super) total: i64,
    pub(super) running: i64,
    /// Milliseconds since the build started at the last start or finish.
    time_millis: i64,
    /// The sum of the finished commands' durations.
    cpu_time_millis: i64,
    /// Finished commands whose previous duration was known, and its sum.
    finished_predictable: i64,
    finished_predictable_millis: i64,
    /// Unfinished planned commands with and without a previous duration.
    predictable_remaining: i64,
    predictable_remaining_millis: i64,
    unpredictable_remaining: i64,
    rate: SlidingRate,
    /// The line printer's state: the cursor is at the start of a line.
    have_blank_line: bool,
}

impl Progress {
    /// A build's counters; `total` carries over from a manifest rebuild.
    pub(super) fn new(config: &Config, total: usize) -> Progress {
        Progress {
            base: total as i64,
            started: 0,
            finished: 0,
            total: total as i64,
            running: 0,
            time_millis: 0,
            cpu_time_millis: 0,
            finished_predictable: 0,
            finished_predictable_millis: 0,
            predictable_remaining: 0,
            predictable_remaining_millis: 0,
            unpredictable_remaining: 0,
            rate: SlidingRate::new(config.parallelism),
            have_blank_line: true,
        }
    }
}

/// ninja's line printer plus its status printer.
pub(super) struct Status<'w> {
    pub(super) out: &'w mut dyn Write,
    pub(super) err: &'w mut dyn Write,
    pub(super) progress: &'w mut Progress,
    verbosity: Verbosity,
    terminal: TerminalMode,
    format: &'w [u8],
    /// Each edge's duration in the previous build (from the build log).
    prev_elapsed: Vec<Option<i64>>,
    /// While a `console` pool edge runs, other output waits here: the
    /// last status line (and whether it may be elided), and everything
    /// printed on new lines.
    console_locked: bool,
    line_buffer: Vec<u8>,
    line_elide: bool,
    output_buffer: Vec<u8>,
}

impl<'w> Status<'w> {
    pub(super) fn new(
        config: &'w Config,
        progress: &'w mut Progress,
        prev_elapsed: Vec<Option<i64>>,
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> Status<'w> {
        let mut terminal = config.terminal;
        // spec: [build.status.smart-terminal]
        // Nothing fancy with -v or --quiet: one line per status.
        if config.verbosity != Verbosity::Normal {
            terminal.smart = false;
        }
        Status {
            out,
            err,
            progress,
            verbosity: config.verbosity,
            terminal,
            format: &config.status_format,
            prev_elapsed,
            console_locked: false,
            line_buffer: Vec::new(),
            line_elide: false,
            output_buffer: Vec::new(),
        }
    }

    /// A new round (after dyndep files were loaded) plans again what is
    /// left; the commands finished so far stay counted.
    pub(super) fn begin_round(&mut self) {
        let p = &mut *self.progress;
        p.total = p.base + p.finished;
        p.predictable_remaining = 0;
        p.predictable_remaining_millis = 0;
        p.unpredictable_remaining = 0;
    }

    /// A command joins the plan (ninja's `EdgeAddedToPlan`).
    pub(super) fn edge_planned(&mut self, edge: EdgeId) {
        let p = &mut *self.progress;
        p.total += 1;
        match self.prev_elapsed[edge.index()] {
            Some(ms) => {
                p.predictable_remaining += 1;
                p.predictable_remaining_millis += ms;
            }
            None => p.unpredictable_remaining += 1,
        }
    }

    /// A planned command turned out not to be needed (`restat`).
    pub(super) fn edge_unplanned(&mut self, edge: EdgeId) {
        let p = &mut *self.progress;
        p.total -= 1;
        match self.prev_elapsed[edge.index()] {
            Some(ms) => {
                p.predictable_remaining -= 1;
                p.predictable_remaining_millis -= ms;
            }
            None => p.unpredictable_remaining -= 1,
        }
    }

    /// A command starts: on a smart terminal (and for the console pool)
    /// its status line is shown now.
    pub(super) fn edge_started(
        &mut self,
        graph: &Graph,
        edge: EdgeId,
        start_ms: i64,
        explanations: &[String],
    ) -> io::Result<()> {
        self.progress.started += 1;
        self.progress.running += 1;
        self.progress.time_millis = start_ms;
        let console = graph.edges[edge].pool == CONSOLE_POOL;
        if console || self.terminal.smart {
            self.print_status(graph, edge, explanations)?;
        }
        if console {
            self.set_console_locked(true)?;
        }
        Ok(())
    }

    /// A command finished: its status line (unless it was the console's).
    pub(super) fn edge_finished(
        &mut self,
        graph: &Graph,
        edge: EdgeId,
        (start_ms, end_ms): (i64, i64),
        explanations: &[String],
    ) -> io::Result<()> {
        let p = &mut *self.progress;
        p.time_millis = end_ms;
        p.finished += 1;
        p.cpu_time_millis += end_ms - start_ms;
        match self.prev_elapsed[edge.index()] {
            Some(ms) => {
                p.predictable_remaining -= 1;
                p.predictable_remaining_millis -= ms;
                p.finished_predictable += 1;
                p.finished_predictable_millis += ms;
            }
            None => p.unpredictable_remaining -= 1,
        }
        let console = graph.edges[edge].pool == CONSOLE_POOL;
        if console {
            self.set_console_locked(false)?;
        } else {
            self.print_status(graph, edge, explanations)?;
        }
        self.progress.running -= 1;
        Ok(())
    }

    /// A failed command: `FAILED:` (red when colors are on), then the
    /// command.
    pub(super) fn print_failure(
        &mut self,
        graph: &Graph,
        edge: EdgeId,
        code: i32,
    ) -> io::Result<()> {
        let mut outputs = Vec::new();
        for &o in &graph.edges[edge].outputs {
            outputs.extend_from_slice(&graph.files[o].path);
            outputs.push(b' ');
        }
        let failed = format!("FAILED: [code={code}] ");
        let mut line = Vec::new();
        if self.terminal.color {
            line.extend_from_slice(b"\x1b[31m");
            line.extend_from_slice(failed.as_bytes());
            line.extend_from_slice(b"\x1b[0m");
        } else {
            line.extend_from_slice(failed.as_bytes());
        }
        line.extend_from_slice(&outputs);
        line.push(b'\n');
        self.print_on_new_line(&line)?;
        let mut command = must(edge_command(graph, edge, false));
        command.push(b'\n');
        self.print_on_new_line(&command)
    }

    /// A command's output, on a new line; its escape sequences are
    /// stripped unless colors are on.
    // spec: [build.status.smart-terminal.color]
    pub(super) fn print_output(&mut self, output: &[u8]) -> io::Result<()> {
        if self.terminal.color || !output.contains(&0x1b) {
            self.print_on_new_line(output)
        } else {
            let stripped = strip_ansi_escapes(output);
            self.print_on_new_line(&stripped)
        }
    }

    /// The build (or this round of it) ends: release the console and end
    /// the status line.
    pub(super) fn finish(&mut self) -> io::Result<()> {
        self.set_console_locked(false)?;
        self.print_on_new_line(b"")
    }

    fn print_or_buffer(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.console_locked {
            self.output_buffer.extend_from_slice(bytes);
            Ok(())
        } else {
            self.out.write_all(bytes)
        }
    }

    pub(super) fn print_on_new_line(&mut self, text: &[u8]) -> io::Result<()> {
        if self.console_locked && !self.line_buffer.is_empty() {
            let line = std::mem::take(&mut self.line_buffer);
            self.output_buffer.extend_from_slice(&line);
            self.output_buffer.push(b'\n');
        }
        if !self.progress.have_blank_line {
            self.print_or_buffer(b"\n")?;
        }
        self.print_or_buffer(text)?;
        self.progress.have_blank_line = text.is_empty() || text.ends_with(b"\n");
        self.out.flush()
    }

    /// A status line: on a smart terminal it replaces the current line
    /// (`\r`, shortened to the terminal's width when `elide`, then
    /// clear-to-end-of-line, no newline); otherwise it is a line of its own.
    // spec: [build.status.smart-terminal]
    fn print_line(&mut self, line: Vec<u8>, elide: bool) -> io::Result<()> {
        if self.console_locked {
            self.line_buffer = line;
            self.line_elide = elide;
            return Ok(());
        }
        if self.terminal.smart {
            self.out.write_all(b"\r")?;
        }
        if self.terminal.smart && elide {
            let line = match terminal_width() {
                Some(width) => elide_middle(&line, width),
                None => line,
            };
            self.out.write_all(&line)?;
            self.out.write_all(b"\x1b[K")?;
            self.progress.have_blank_line = false;
        } else {
            self.out.write_all(&line)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }

    // spec: [build.status.smart-terminal.console]
    fn set_console_locked(&mut self, locked: bool) -> io::Result<()> {
        if locked == self.console_locked {
            return Ok(());
        }
        if locked {
            self.print_on_new_line(b"")?;
        }
        self.console_locked = locked;
        if !locked {
            let output = std::mem::take(&mut self.output_buffer);
            self.print_on_new_line(&output)?;
            let line = std::mem::take(&mut self.line_buffer);
            if !line.is_empty() {
                self.print_line(line, self.line_elide)?;
            }
        }
        Ok(())
    }

    /// The snapshot the status format is expanded with (this updates the
    /// sliding rate, as each expansion does in ninja).
    fn snapshot(&mut self) -> Snapshot {
        let p = &mut *self.progress;
        p.rate.update(p.finished, p.time_millis);
        let estimate = Estimate {
            total: p.total,
            finished: p.finished,
            time_millis: p.time_millis,
            cpu_time_millis: p.cpu_time_millis,
            predictable_total: p.finished_predictable + p.predictable_remaining,
            predictable_total_millis: p.finished_predictable_millis
                + p.predictable_remaining_millis,
            predictable_remaining: p.predictable_remaining,
            predictable_remaining_millis: p.predictable_remaining_millis,
            unpredictable_remaining: p.unpredictable_remaining,
        };
        Snapshot {
            started: p.started,
            finished: p.finished,
            total: p.total,
            running: p.running,
            time_millis: p.time_millis,
            current_rate: p.rate.rate(),
            predicted: predicted_fraction(&estimate),
        }
    }

    fn print_status(
        &mut self,
        graph: &Graph,
        edge: EdgeId,
        explanations: &[String],
    ) -> io::Result<()> {
        if !explanations.is_empty() {
            self.print_on_new_line(b"")?;
            for x in explanations {
                writeln!(self.err, "ninja explain: {x}")?;
            }
        }
        if self.verbosity == Verbosity::NoStatusUpdate {
            return Ok(());
        }
        let verbose = self.verbosity == Verbosity::Verbose;
        let mut text = if verbose {
            Vec::new()
        } else {
            must(edge_binding(graph, edge, "description"))
        };
        if text.is_empty() {
            text = must(edge_command(graph, edge, false));
        }
        let snapshot = self.snapshot();
        let mut line = match format_status(self.format, &snapshot) {
            Ok(line) => line,
            Err(unknown) => self.fatal(unknown),
        };
        line.extend_from_slice(&text);
        self.print_line(line, !verbose)
    }

    /// An unknown placeholder in `NINJA_STATUS` is fatal, as in ninja.
    // spec: [build.status.format.unknown]
    fn fatal(&mut self, unknown: UnknownPlaceholder) -> ! {
        let _ = self.out.flush();
        let mut message = b"ninja: fatal: ".to_vec();
        message.extend_from_slice(&unknown.message());
        message.push(b'\n');
        let _ = self.err.write_all(&message);
        let _ = self.err.flush();
        std::process::exit(1);
    }
}

/// Removes ANSI CSI sequences (`ESC [` up to a letter) as ninja does for
/// command output on a terminal without color; a lone `ESC` is dropped.
pub(super) fn strip_ansi_escapes(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != 0x1b {
            out.push(input[i]);
            i += 1;
            continue;
        }
        if i + 1 >= input.len() {
            break;
        }
        if input[i + 1] != b'[' {
            i += 1;
            continue;
        }
        i += 2;
        while i < input.len() && !input[i].is_ascii_alphabetic() {
            i += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_escapes_are_stripped() {
        assert_eq!(strip_ansi_escapes(b"\x1b[1;31mred\x1b[0m!"), b"red!");
        assert_eq!(strip_ansi_escapes(b"a\x1bb"), b"ab");
        assert_eq!(strip_ansi_escapes(b"a\x1b"), b"a");
    }
}

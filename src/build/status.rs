//! What the build prints: ninja's line printer on a dumb terminal and
//! its status printer, with the `console` pool holding output back.

use std::io::{self, Write};

use super::{Verbosity, must};
use crate::expand::{edge_binding, edge_command};
use crate::graph::{EdgeId, Graph};

/// ninja's line printer on a dumb terminal plus its status printer.
pub(super) struct Status<'w> {
    pub(super) out: &'w mut dyn Write,
    pub(super) err: &'w mut dyn Write,
    pub(super) have_blank_line: bool,
    pub(super) finished: usize,
    pub(super) total: usize,
    pub(super) verbosity: Verbosity,
    /// While a `console` pool edge runs, other output waits here: the
    /// last status line, and everything printed on new lines.
    pub(super) console_locked: bool,
    pub(super) line_buffer: Vec<u8>,
    pub(super) output_buffer: Vec<u8>,
}

impl Status<'_> {
    pub(super) fn print_or_buffer(&mut self, bytes: &[u8]) -> io::Result<()> {
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
        if !self.have_blank_line {
            self.print_or_buffer(b"\n")?;
        }
        self.print_or_buffer(text)?;
        self.have_blank_line = text.is_empty() || text.ends_with(b"\n");
        self.out.flush()
    }

    /// A status line (the dumb terminal's `Print`: no newline first).
    pub(super) fn print_line(&mut self, line: Vec<u8>) -> io::Result<()> {
        if self.console_locked {
            self.line_buffer = line;
            return Ok(());
        }
        self.out.write_all(&line)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    pub(super) fn set_console_locked(&mut self, locked: bool) -> io::Result<()> {
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
                self.print_line(line)?;
            }
        }
        Ok(())
    }

    pub(super) fn print_status(
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
        let mut text = if self.verbosity == Verbosity::Verbose {
            Vec::new()
        } else {
            must(edge_binding(graph, edge, "description"))
        };
        if text.is_empty() {
            text = must(edge_command(graph, edge, false));
        }
        let mut line = format!("[{}/{}] ", self.finished, self.total).into_bytes();
        line.extend_from_slice(&text);
        self.print_line(line)
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

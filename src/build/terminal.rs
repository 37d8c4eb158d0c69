//! The terminal side of the status output: whether stdout is a smart
//! terminal, whether command output keeps its colors, the terminal's
//! width, and how a too-long status line is shortened in the middle.

#[cfg(not(windows))]
use std::io::IsTerminal;

/// How the status is shown, decided once when the build starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TerminalMode {
    /// stdout is a terminal and `TERM` is set and not `dumb`: the status
    /// is one line, rewritten in place.
    pub smart: bool,
    /// Escape sequences in command output are kept (and `FAILED:` is red):
    /// on a smart terminal, or when `CLICOLOR_FORCE` is set and not `0`.
    pub color: bool,
}

impl TerminalMode {
    /// ninja's choice, from stdout and the environment.
    // spec: [build.status.smart-terminal]
    #[cfg(not(windows))]
    pub fn detect() -> TerminalMode {
        let term = std::env::var_os("TERM");
        let smart = std::io::stdout().is_terminal() && term.is_some_and(|t| t != "dumb");
        let color = smart || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
        TerminalMode { smart, color }
    }
}

/// The width of the terminal on stdout, when the system knows it and it
/// is not 0.
#[cfg(unix)]
pub fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we pass.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col != 0).then_some(size.ws_col as usize)
}

/// The width of the console's screen buffer on stdout, as ninja reads it
/// on Windows.
#[cfg(windows)]
pub fn terminal_width() -> Option<usize> {
    use windows_sys::Win32::System::Console::{
        CONSOLE_SCREEN_BUFFER_INFO, GetConsoleScreenBufferInfo, GetStdHandle, STD_OUTPUT_HANDLE,
    };
    // SAFETY: GetStdHandle takes no pointer; GetConsoleScreenBufferInfo
    // writes one struct into the zeroed one we pass.
    unsafe {
        let mut info: CONSOLE_SCREEN_BUFFER_INFO = std::mem::zeroed();
        let ok = GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &mut info) != 0;
        (ok && info.dwSize.X > 0).then_some(info.dwSize.X as usize)
    }
}

#[cfg(windows)]
impl TerminalMode {
    /// ninja's choice on Windows: smart when `TERM` is not `dumb` and
    /// stdout is a console; colors kept when the console accepts escape
    /// sequences (n2ref turns that mode on, as ninja does), or with
    /// `CLICOLOR_FORCE`.
    // spec: [build.status.smart-terminal]
    pub fn detect() -> TerminalMode {
        use windows_sys::Win32::System::Console::{
            ENABLE_VIRTUAL_TERMINAL_PROCESSING, GetConsoleMode, GetStdHandle, STD_OUTPUT_HANDLE,
            SetConsoleMode,
        };
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let smart = !dumb && terminal_width().is_some();
        let mut color = smart;
        if smart {
            // SAFETY: console mode calls on stdout's handle; `mode` is a
            // valid out-pointer.
            unsafe {
                let console = GetStdHandle(STD_OUTPUT_HANDLE);
                let mut mode = 0;
                if GetConsoleMode(console, &mut mode) != 0
                    && SetConsoleMode(console, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) == 0
                {
                    color = false;
                }
            }
        }
        let color = color || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
        TerminalMode { smart, color }
    }
}

#[cfg(not(any(unix, windows)))]
pub fn terminal_width() -> Option<usize> {
    None
}

/// Where the color sequences (`ESC [` digits and `;` then `m`) of `text`
/// are, as (start, end) byte ranges; other escape sequences count as
/// visible text, as in ninja.
fn color_sequences(text: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(off) = text[from..].iter().position(|&b| b == 0x1b) {
        let seq = from + off;
        // The shortest color sequence, `ESC [ 0 m`, has four bytes.
        if seq + 4 > text.len() {
            break;
        }
        if text[seq + 1] != b'[' {
            from = seq + 1;
            continue;
        }
        let mut end = seq + 2;
        while end < text.len() && (text[end].is_ascii_digit() || text[end] == b';') {
            end += 1;
        }
        if end == text.len() {
            break; // no final byte: not a sequence
        }
        if text[end] != b'm' {
            from = seq + 3;
            continue;
        }
        found.push((seq, end + 1));
        from = end + 1;
    }
    found
}

/// Shortens `text` to `width` visible bytes by replacing its middle with
/// `...`: the left part gets half of the room left beside the dots
/// (rounded down), the right part the rest. Color sequences take no room;
/// those of the removed middle are kept so that the colors after the
/// dots stay right. With no room for anything else, only dots remain.
// spec: [build.status.smart-terminal.elide]
pub fn elide_middle(text: &[u8], width: usize) -> Vec<u8> {
    if text.len() <= width {
        return text.to_vec();
    }
    let seqs = color_sequences(text);
    let visible_width = text.len() - seqs.iter().map(|(s, e)| e - s).sum::<usize>();
    if visible_width <= width {
        return text.to_vec();
    }
    let dots = width.min(3);
    let left = (width - dots) / 2;
    let right = width - dots - left;
    let gap_start = left;
    let gap_end = visible_width - right;
    let in_seq = |i: usize| seqs.iter().any(|&(s, e)| s <= i && i < e);

    let mut out = Vec::with_capacity(text.len());
    let mut visible = 0;
    let mut i = 0;
    // The left part, with its color sequences.
    while i < text.len() && visible != gap_start {
        visible += usize::from(!in_seq(i));
        i += 1;
    }
    out.extend_from_slice(&text[..i]);
    out.extend_from_slice(&b"..."[..dots]);
    // The middle: only its color sequences.
    while i < text.len() && visible != gap_end {
        if in_seq(i) {
            out.push(text[i]);
        } else {
            visible += 1;
        }
        i += 1;
    }
    out.extend_from_slice(&text[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn elide(s: &str, w: usize) -> String {
        String::from_utf8(elide_middle(s.as_bytes(), w)).unwrap()
    }

    #[test]
    fn elides_the_middle() {
        assert_eq!(elide("short", 10), "short");
        assert_eq!(elide("0123456789", 10), "0123456789");
        assert_eq!(elide("0123456789a", 10), "012...789a");
        assert_eq!(elide("0123456789", 5), "0...9");
        assert_eq!(elide("0123456789", 4), "...9");
        assert_eq!(elide("0123456789", 3), "...");
        assert_eq!(elide("0123456789", 2), "..");
        assert_eq!(elide("0123456789", 0), "");
    }

    #[test]
    fn colors_take_no_room() {
        let red = "\x1b[31mred\x1b[0m";
        assert_eq!(elide(red, 3), red);
        assert_eq!(
            elide("\x1b[31m0123456789\x1b[0m", 5),
            "\x1b[31m0...9\x1b[0m"
        );
        // Sequences inside the removed middle are kept.
        assert_eq!(elide("01\x1b[1m2345\x1b[0m6789", 5), "0...\x1b[1m\x1b[0m9");
        // Other escape sequences are visible text.
        assert_eq!(elide("\x1b[2K0123456", 5), "\x1b...6");
    }

    proptest! {
        #[test]
        fn plain_text_fits_the_width(text in "[a-z ]{0,60}", width in 0usize..70) {
            let out = elide_middle(text.as_bytes(), width);
            prop_assert_eq!(out.len(), text.len().min(width));
            if text.len() > width && width > 3 {
                let keep = width - 3;
                prop_assert!(text.as_bytes().starts_with(&out[..keep / 2]));
                prop_assert!(text.as_bytes().ends_with(&out[keep / 2 + 3..]));
            }
        }

        #[test]
        fn eliding_never_panics(text in proptest::collection::vec(any::<u8>(), 0..60), width in 0usize..70) {
            let _ = elide_middle(&text, width);
        }
    }
}

//! Fuzzes the `NINJA_STATUS` formatter (`format_status` in
//! `src/build/status_format.rs`, spec/build.md `[build.status.format]`).
//!
//! The input starts with the counters, one selector byte each, in the order
//! started, finished, total, running, time (ms), current rate, predicted
//! fraction (see `int` and `float` for the encoding: small values, extremes,
//! or 8 raw bytes); the rest is the format. Besides "no panic" it checks that
//! the result does not depend on anything but its inputs (two calls agree)
//! and that the formatter works placeholder by placeholder: the output is the
//! format's literal bytes, in order and unchanged, with each placeholder
//! replaced by what the placeholder alone expands to, at most 31 bytes; an
//! error names the first unknown placeholder. Each field is checked against
//! the counters: counts are their decimal values, the others have the shape
//! their placeholder gives.

#![no_main]

use libfuzzer_sys::fuzz_target;
use n2ref::build::{Snapshot, UnknownPlaceholder, format_status};

/// ninja's 32-byte buffer per placeholder.
const FIELD_MAX: usize = 31;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let s = Snapshot {
        started: int(&mut rest),
        finished: int(&mut rest),
        total: int(&mut rest),
        running: int(&mut rest),
        time_millis: int(&mut rest),
        current_rate: float(&mut rest, -1.0),
        predicted: float(&mut rest, 0.0),
    };
    let format = rest;
    let result = format_status(format, &s);
    assert_eq!(result, format_status(format, &s), "not deterministic");

    // Expand the format piece by piece.
    let mut expected = Vec::new();
    let mut error = None;
    let mut i = 0;
    while i < format.len() {
        if format[i] != b'%' {
            expected.push(format[i]);
            i += 1;
            continue;
        }
        let piece = &format[i..format.len().min(i + 2)];
        let p = piece.get(1).copied().unwrap_or(0);
        i += 2;
        match format_status(piece, &s) {
            Ok(field) => {
                check_field(p, &field, &s);
                expected.extend_from_slice(&field);
            }
            Err(e) => {
                assert_eq!(e, UnknownPlaceholder(p));
                error = Some(e);
                break;
            }
        }
    }
    match result {
        Ok(out) => {
            assert_eq!(error, None, "an unknown placeholder was accepted");
            assert_eq!(out, expected, "output differs from its pieces");
            // A 2-byte placeholder grows to at most 31 bytes.
            assert!(out.len() <= format.len() / 2 * FIELD_MAX + 1);
        }
        Err(e) => assert_eq!(Some(e), error, "wrong error"),
    }
});

/// One counter: a selector byte for a small value (0..=223) or an extreme,
/// or (0xff) the next 8 bytes as they are. An exhausted input gives 0.
fn int(rest: &mut &[u8]) -> i64 {
    let Some((&b, tail)) = rest.split_first() else {
        return 0;
    };
    *rest = tail;
    match b {
        0..=0xdf => i64::from(b),
        0xe0 => -1,
        0xe1 => i64::MAX,
        0xe2 => i64::MIN,
        0xe3 => i64::from(i32::MAX),
        0xe4 => i64::from(i32::MIN),
        0xe5 => i64::from(u32::MAX),
        0xe6 => 3_600_000, // an hour, in ms
        0xe7 => 3_599_999,
        0xe8 => 100,
        0xe9 => i64::MAX / 100 + 1,
        0xea => -100,
        0xeb => 1_000_000_007,
        0xec => 9_007_199_254_740_993, // 2^53 + 1: not exact as f64
        0xff => i64::from_le_bytes(raw(rest)),
        _ => i64::from(b) << 32,
    }
}

/// One float: `none` (the "unknown" value of the field), a fraction, an
/// extreme, or (0xff) 8 raw bytes.
fn float(rest: &mut &[u8], none: f64) -> f64 {
    let Some((&b, tail)) = rest.split_first() else {
        return none;
    };
    *rest = tail;
    match b {
        0 => none,
        1..=0xc8 => f64::from(b) / 200.0,
        0xc9 => f64::NAN,
        0xca => -f64::NAN,
        0xcb => f64::INFINITY,
        0xcc => f64::NEG_INFINITY,
        0xcd => -0.0,
        0xce => f64::MIN_POSITIVE,
        0xcf => f64::MAX,
        0xd0 => f64::MIN,
        0xd1 => 1e-300,
        0xd2 => -1.0,
        0xd3 => 0.999_999_999_999,
        0xff => f64::from_le_bytes(raw(rest)),
        _ => f64::from(b) * 1e3,
    }
}

/// The next 8 bytes (zero-padded when the input ends).
fn raw(rest: &mut &[u8]) -> [u8; 8] {
    let n = rest.len().min(8);
    let mut bytes = [0; 8];
    bytes[..n].copy_from_slice(&rest[..n]);
    *rest = &rest[n..];
    bytes
}

/// What placeholder `p` may expand to.
fn check_field(p: u8, field: &[u8], s: &Snapshot) {
    assert!(!field.is_empty() && field.len() <= FIELD_MAX, "field size");
    assert!(
        field.iter().all(|b| b.is_ascii_graphic() || *b == b' '),
        "field not printable"
    );
    let text = std::str::from_utf8(field).unwrap();
    let count = |v: i64| assert_eq!(text, v.to_string(), "%{}", p as char);
    match p {
        b'%' => assert_eq!(text, "%"),
        b's' => count(s.started),
        b't' => count(s.total),
        b'r' => count(s.running),
        b'f' => count(s.finished),
        b'u' => count(s.total.wrapping_sub(s.started)),
        b'p' | b'P' => {
            let n = text.strip_suffix('%').expect("percentage without %");
            assert!(n.len() >= 3, "percentage narrower than 3");
            n.trim_start()
                .parse::<i64>()
                .expect("percentage not a number");
            if p == b'p' && (s.finished == 0 || s.total == 0) {
                assert_eq!(text, "  0%");
            }
        }
        b'c' if s.current_rate == -1.0 => assert_eq!(text, "?"),
        b'o' | b'c' | b'e' | b'E' => assert!(
            text == "?" || is_number(text),
            "%{} gave {text:?}",
            p as char
        ),
        b'w' | b'W' => assert!(
            text == "?"
                || text.split(':').all(|part| part
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit())),
            "%{} gave {text:?}",
            p as char
        ),
        _ => panic!("placeholder %{} accepted", p as char),
    }
    if matches!(p, b'e' | b'w') {
        // Elapsed time is unknown only before the build's start.
        assert_eq!(
            text == "?",
            s.time_millis < 0,
            "%{} gave {text:?}",
            p as char
        );
    }
}

/// A decimal as C's `%.Nf` prints it (maybe cut to 31 bytes), or glibc's
/// spelling of infinity or NaN.
fn is_number(text: &str) -> bool {
    matches!(text, "inf" | "-inf" | "nan" | "-nan")
        || (text
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
            && text.bytes().any(|b| b.is_ascii_digit()))
}

//! The progress status (`NINJA_STATUS`) as a pure function of a snapshot
//! of the build's counters, plus the two computations that feed it: the
//! sliding rate of `%c` and the time prediction of `%E`, `%W` and `%P`.
//!
//! Nothing here does I/O or reads a clock, so the formatter can be unit
//! and property tested (and fuzzed) on its own.

use std::collections::VecDeque;

/// The format used when `NINJA_STATUS` is not set.
// spec: [build.status.format]
pub const DEFAULT_STATUS_FORMAT: &[u8] = b"[%f/%t] ";

/// What the status line can show, at one moment of the build.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    /// Commands started so far (`%s`).
    pub started: i64,
    /// Commands finished so far (`%f`).
    pub finished: i64,
    /// Commands the build must run (`%t`).
    pub total: i64,
    /// Commands running now (`%r`).
    pub running: i64,
    /// Milliseconds since the build started, as of the last command that
    /// started or finished (`%e`, `%w`, `%o`).
    pub time_millis: i64,
    /// Finished commands per second over the last `-j` of them, or -1 when
    /// not known yet (`%c`).
    pub current_rate: f64,
    /// The fraction (0 to 1) of the predicted total time already spent,
    /// 0 when there is no prediction (`%E`, `%W`, `%P`).
    pub predicted: f64,
}

/// `NINJA_STATUS` contains `%` followed by a byte that is no placeholder
/// (the NUL byte stands for a `%` at the very end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownPlaceholder(pub u8);

impl UnknownPlaceholder {
    /// ninja's fatal message (without `ninja: fatal: `), as bytes: the
    /// offending byte is written as it is, even when it is NUL.
    pub fn message(&self) -> Vec<u8> {
        let mut m = b"unknown placeholder '%".to_vec();
        m.push(self.0);
        m.extend_from_slice(b"' in $NINJA_STATUS");
        m
    }
}

/// ninja formats each placeholder into a 32-byte buffer, so no expansion
/// is longer than 31 bytes.
const FIELD_MAX: usize = 31;

/// Expands the placeholders of `format` with the values of `s`.
// spec: [build.status.format]
pub fn format_status(format: &[u8], s: &Snapshot) -> Result<Vec<u8>, UnknownPlaceholder> {
    let mut out = Vec::with_capacity(format.len() + 16);
    let mut i = 0;
    while i < format.len() {
        let c = format[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let p = format.get(i).copied().unwrap_or(0);
        i += 1;
        let field = match p {
            b'%' => "%".to_string(),
            b's' => s.started.to_string(),
            b't' => s.total.to_string(),
            b'r' => s.running.to_string(),
            b'u' => s.total.wrapping_sub(s.started).to_string(),
            b'f' => s.finished.to_string(),
            b'o' => rate(s.finished as f64 / (s.time_millis as f64 / 1e3)),
            b'c' => rate(s.current_rate),
            b'p' => {
                let percent = if s.finished != 0 && s.total != 0 {
                    (100i64.wrapping_mul(s.finished)).wrapping_div(s.total)
                } else {
                    0
                };
                format!("{percent:3}%")
            }
            b'e' | b'w' | b'E' | b'W' => time_field(p, s),
            b'P' => format!("{:3}%", c_int(100.0 * s.predicted)),
            _ => return Err(UnknownPlaceholder(p)),
        };
        let field = field.as_bytes();
        out.extend_from_slice(&field[..field.len().min(FIELD_MAX)]);
    }
    Ok(out)
}

/// C's `%.1f`, with `?` for an unknown rate (-1).
fn rate(r: f64) -> String {
    if r == -1.0 {
        "?".to_string()
    } else {
        c_fixed(r, 1)
    }
}

/// C's `%.Nf` (glibc): like Rust's, except for the spelling of NaN.
fn c_fixed(x: f64, precision: usize) -> String {
    if x.is_nan() {
        if x.is_sign_negative() { "-nan" } else { "nan" }.to_string()
    } else {
        format!("{x:.precision$}")
    }
}

/// A C cast of a double to `int`, as x86 does it: truncation, and the
/// "integer indefinite" value for what does not fit.
fn c_int(x: f64) -> i32 {
    if x.is_nan() || !(-2147483649.0..2147483648.0).contains(&x) || x == -2147483649.0 {
        i32::MIN
    } else {
        x as i32
    }
}

/// A C cast of a double to `int64_t` (x86: the indefinite value when out
/// of range).
fn c_i64(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// `%e` and `%E` (seconds, three decimals) and `%w` and `%W` (`mm:ss`, or
/// `h:mm:ss` once elapsed time or ETA reach an hour); `?` for no ETA.
fn time_field(p: u8, s: &Snapshot) -> String {
    let elapsed = s.time_millis as f64 / 1e3;
    let mut eta = -1.0;
    if s.predicted != 0.0 {
        let total_wall = s.time_millis as f64 / s.predicted;
        eta = (total_wall - s.time_millis as f64) / 1e3;
    }
    let with_hours = elapsed >= 3600.0 || eta >= 3600.0;
    let sec = if p == b'e' || p == b'w' { elapsed } else { eta };
    if sec < 0.0 {
        return "?".to_string();
    }
    if p == b'e' || p == b'E' {
        return c_fixed(sec, 3);
    }
    let t = c_i64(sec);
    if with_hours {
        format!("{}:{:02}:{:02}", t / 3600, (t % 3600) / 60, t % 60)
    } else {
        format!("{:02}:{:02}", t / 60, t % 60)
    }
}

/// `%c`: the finish times of the last N commands (N is `-j`); the rate
/// is their count over the time between the first and the last.
// spec: [build.status.format.rates]
#[derive(Clone, Debug)]
pub struct SlidingRate {
    rate: f64,
    window: usize,
    times: VecDeque<f64>,
    last_update: Option<i64>,
}

impl SlidingRate {
    /// A window of `window` commands (0 stands for no limit, as `-j0`).
    pub fn new(window: usize) -> Self {
        SlidingRate {
            rate: -1.0,
            window: if window == 0 {
                i32::MAX as usize
            } else {
                window
            },
            times: VecDeque::new(),
            last_update: None,
        }
    }

    /// The rate, or -1 while unknown.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Called each time the status is formatted: takes a new sample only
    /// when the finished count changed since the last one.
    pub fn update(&mut self, finished: i64, time_millis: i64) {
        if self.last_update == Some(finished) {
            return;
        }
        self.last_update = Some(finished);
        if self.times.len() == self.window {
            self.times.pop_front();
        }
        self.times.push_back(time_millis as f64);
        let (front, back) = (self.times[0], self.times[self.times.len() - 1]);
        if back != front {
            self.rate = self.times.len() as f64 / ((back - front) / 1e3);
        }
    }
}

/// What the time prediction knows: the counters of the status printer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Commands in the plan, and how many have finished.
    pub total: i64,
    pub finished: i64,
    /// Wall time so far and the sum of the finished commands' durations.
    pub time_millis: i64,
    pub cpu_time_millis: i64,
    /// Planned commands whose previous duration the build log knows, and
    /// the sum of those durations.
    pub predictable_total: i64,
    pub predictable_total_millis: i64,
    /// The same for the commands not finished yet.
    pub predictable_remaining: i64,
    pub predictable_remaining_millis: i64,
    /// Unfinished commands with no previous duration.
    pub unpredictable_remaining: i64,
}

/// The fraction of the predicted total (CPU) time already spent, or 0
/// when nothing can be predicted. Previous durations are used only while
/// some remain and, after 15 s and 5% of the commands, only while this
/// build's average stays within 10x of theirs.
// spec: [build.status.format.eta]
pub fn predicted_fraction(e: &Estimate) -> f64 {
    let mut use_previous = e.predictable_remaining != 0 && e.predictable_remaining_millis != 0;
    if use_previous
        && e.total != 0
        && e.finished != 0
        && (e.time_millis as f64) >= 15.0 * 1e3
        && (e.finished as f64 / e.total as f64) >= 0.05
    {
        let actual = e.cpu_time_millis as f64 / e.finished as f64;
        let previous = e.predictable_total_millis as f64 / e.predictable_total as f64;
        let ratio = actual.max(previous) / actual.min(previous);
        use_previous = ratio < 10.0;
    }
    let mut known = e.finished;
    if use_previous {
        known += e.predictable_remaining;
    }
    if known == 0 {
        return 0.0;
    }
    let unknown = if use_previous {
        e.unpredictable_remaining
    } else {
        e.total - e.finished
    };
    let mut known_millis = e.cpu_time_millis;
    if use_previous {
        known_millis += e.predictable_remaining_millis;
    }
    let average = known_millis as f64 / known as f64;
    let mut remaining = average * unknown as f64;
    if use_previous {
        remaining += e.predictable_remaining_millis as f64;
    }
    let total = e.cpu_time_millis as f64 + remaining;
    if total == 0.0 {
        return 0.0;
    }
    e.cpu_time_millis as f64 / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn snap(started: i64, finished: i64, total: i64, running: i64) -> Snapshot {
        Snapshot {
            started,
            finished,
            total,
            running,
            time_millis: 0,
            current_rate: -1.0,
            predicted: 0.0,
        }
    }

    fn fmt(f: &str, s: &Snapshot) -> String {
        String::from_utf8(format_status(f.as_bytes(), s).unwrap()).unwrap()
    }

    #[test]
    fn counts() {
        let s = snap(3, 2, 10, 1);
        assert_eq!(fmt("[%f/%t] ", &s), "[2/10] ");
        assert_eq!(fmt("%s %t %r %u %f %%", &s), "3 10 1 7 2 %");
        assert_eq!(fmt("%p", &s), " 20%");
        assert_eq!(fmt("%p", &snap(0, 0, 0, 0)), "  0%");
        assert_eq!(fmt("%p", &snap(5, 5, 5, 0)), "100%");
        assert_eq!(fmt("", &s), "");
        assert_eq!(fmt("no placeholders", &s), "no placeholders");
    }

    #[test]
    fn rates() {
        let mut s = snap(4, 4, 8, 0);
        s.time_millis = 3000;
        assert_eq!(fmt("%o", &s), "1.3");
        assert_eq!(fmt("%c", &s), "?");
        s.current_rate = 2.25;
        assert_eq!(fmt("%c", &s), "2.2");
        s.time_millis = 0;
        assert_eq!(fmt("%o", &s), "inf");
        s.finished = 0;
        let nan = fmt("%o", &s);
        assert!(nan == "-nan" || nan == "nan", "{nan}");
    }

    #[test]
    fn times() {
        let mut s = snap(1, 1, 4, 0);
        s.time_millis = 61_500;
        assert_eq!(fmt("%e %w %E %W %P", &s), "61.500 01:01 ? ?   0%");
        s.predicted = 0.25;
        assert_eq!(fmt("%e %w %E %W %P", &s), "61.500 01:01 184.500 03:04  25%");
        s.predicted = 0.01;
        assert_eq!(fmt("%w %W", &s), "0:01:01 1:41:28");
    }

    #[test]
    fn unknown_placeholders() {
        let s = snap(0, 0, 0, 0);
        assert_eq!(format_status(b"[%z]", &s), Err(UnknownPlaceholder(b'z')));
        assert_eq!(format_status(b"50%", &s), Err(UnknownPlaceholder(0)));
        assert_eq!(
            UnknownPlaceholder(0).message(),
            b"unknown placeholder '%\0' in $NINJA_STATUS"
        );
    }

    #[test]
    fn sliding_rate() {
        let mut r = SlidingRate::new(2);
        r.update(1, 1000);
        assert_eq!(r.rate(), -1.0);
        r.update(1, 5000); // same count: no sample
        assert_eq!(r.rate(), -1.0);
        r.update(2, 2000);
        assert_eq!(r.rate(), 2.0);
        r.update(3, 2500);
        assert_eq!(r.rate(), 4.0);
    }

    #[test]
    fn prediction() {
        // Nothing known.
        assert_eq!(predicted_fraction(&Estimate::default()), 0.0);
        // Two of four done in 100 ms each, no history: half.
        let e = Estimate {
            total: 4,
            finished: 2,
            time_millis: 200,
            cpu_time_millis: 200,
            unpredictable_remaining: 2,
            ..Estimate::default()
        };
        assert_eq!(predicted_fraction(&e), 0.5);
        // History says the two remaining take 600 ms.
        let e = Estimate {
            predictable_total: 2,
            predictable_total_millis: 600,
            predictable_remaining: 2,
            predictable_remaining_millis: 600,
            unpredictable_remaining: 0,
            ..e
        };
        assert_eq!(predicted_fraction(&e), 0.25);
    }

    proptest! {
        #[test]
        fn text_without_percent_is_kept(text in proptest::collection::vec(any::<u8>(), 0..40)) {
            let text: Vec<u8> = text.into_iter().filter(|&b| b != b'%').collect();
            prop_assert_eq!(format_status(&text, &snap(1, 2, 3, 4)).unwrap(), text);
        }

        #[test]
        fn formatting_never_panics(
            format in proptest::collection::vec(any::<u8>(), 0..40),
            started in -5i64..100_000, finished in -5i64..100_000, total in -5i64..100_000,
            running in -5i64..100, time_millis in -5i64..100_000_000,
            current_rate in prop_oneof![Just(-1.0), any::<f64>()],
            predicted in prop_oneof![Just(0.0), 0.0f64..1.0, any::<f64>()],
        ) {
            let s = Snapshot { started, finished, total, running, time_millis, current_rate, predicted };
            if let Ok(out) = format_status(&format, &s) {
                let percents = format.iter().filter(|&&b| b == b'%').count();
                prop_assert!(out.len() <= format.len() + percents * FIELD_MAX);
            }
        }

        #[test]
        fn percent_is_width_three(finished in 0i64..1000, extra in 0i64..1000) {
            let out = format_status(b"%p", &snap(finished, finished, finished + extra, 0)).unwrap();
            prop_assert!(out.len() >= 4 && out.ends_with(b"%"));
        }
    }
}

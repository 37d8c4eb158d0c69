//! `-d stats`: how often some operations ran and how long they took, printed
//! after a build as ninja does (spec: [build.debug.stats]).
//!
//! Recording is off until [`enable`] is called; then each [`record`] guard
//! adds one to its metric's count and its lifetime to the metric's total.
//! Metrics are listed in the order they were first recorded, as ninja lists
//! them in the order its recording sites first ran.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static METRICS: Mutex<Vec<Metric>> = Mutex::new(Vec::new());

struct Metric {
    name: &'static str,
    count: u64,
    total: Duration,
}

/// Turns recording on (`-d stats`).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether `-d stats` is on.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Times the rest of the enclosing scope under `name`.
pub fn record(name: &'static str) -> Scoped {
    if !enabled() {
        return Scoped(None);
    }
    let mut metrics = METRICS.lock().unwrap_or_else(|e| e.into_inner());
    if !metrics.iter().any(|m| m.name == name) {
        metrics.push(Metric {
            name,
            count: 0,
            total: Duration::ZERO,
        });
    }
    Scoped(Some((name, Instant::now())))
}

/// A running measurement; it is counted when dropped.
#[must_use = "the measurement ends when this guard is dropped"]
pub struct Scoped(Option<(&'static str, Instant)>);

impl Drop for Scoped {
    fn drop(&mut self) {
        let Some((name, start)) = self.0 else {
            return;
        };
        let elapsed = start.elapsed();
        let mut metrics = METRICS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = metrics.iter_mut().find(|m| m.name == name) {
            m.count += 1;
            m.total += elapsed;
        }
    }
}

/// The bucket count ninja's path table (an emhash8 map: powers of two from
/// 4, at most 80 % full) has after `entries` insertions.
pub fn path_table_buckets(entries: usize) -> usize {
    let mut buckets = 4;
    while entries > buckets * 4 / 5 {
        buckets *= 2;
    }
    buckets
}

/// Prints the table and the path table's load, as ninja's `-d stats` does;
/// `paths` is the number of distinct paths the build knows.
pub fn report(out: &mut dyn Write, paths: usize) -> io::Result<()> {
    let metrics = METRICS.lock().unwrap_or_else(|e| e.into_inner());
    let width = metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
    writeln!(
        out,
        "{:<width$}\t{:<6}\t{:<9}\ttotal (ms)",
        "metric", "count", "avg (us)"
    )?;
    for m in metrics.iter() {
        let micros = m.total.as_micros() as f64;
        let avg = micros / m.count.max(1) as f64;
        writeln!(
            out,
            "{:<width$}\t{:<6}\t{:<8.1}\t{:.1}",
            m.name,
            m.count,
            avg,
            micros / 1000.0
        )?;
    }
    let buckets = path_table_buckets(paths);
    writeln!(out)?;
    writeln!(
        out,
        "path->node hash load {:.2} ({paths} entries / {buckets} buckets)",
        paths as f64 / buckets as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_table_grows_as_ninjas() {
        // Observed with ninja 1.13 -d stats on manifests of N outputs.
        for (entries, buckets) in [
            (0, 4),
            (1, 4),
            (3, 4),
            (4, 8),
            (6, 8),
            (7, 16),
            (12, 16),
            (13, 32),
            (25, 32),
            (26, 64),
            (51, 64),
            (52, 128),
            (102, 128),
            (103, 256),
        ] {
            assert_eq!(path_table_buckets(entries), buckets, "{entries} entries");
        }
    }
}

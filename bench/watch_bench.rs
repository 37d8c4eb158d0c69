//! Watch mode benchmark (bench/README.md, "Watch mode"): with N watched
//! directories (default 10,000), measures
//!
//! 1. in process: the time to set up the watches (`WatchSet::refresh` with
//!    the session's backend, inotify called directly, and with `notify`
//!    for comparison; several runs each) and the memory that takes per
//!    directory;
//! 2. against a real `n2ref build --watch` (release build): the CPU time it
//!    uses while idle, and the latency from a file write to the
//!    `build_start` event, over 100 edits.
//!
//! Run with `bench/watch.sh` (or `cargo run --release --example watch_bench
//! -- [N] [EDITS]`); Linux only (it reads /proc).

// Linux only: it reads /proc and measures the inotify backend.
#[cfg(target_os = "linux")]
mod linux {
    use std::fs;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use n2ref::load::{DiskReader, LoadOptions, load};
    use n2ref::watch::{Backend, InotifyBackend, NotifyBackend, Stats, WatchSet, collect_sources};

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        let dirs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
        let edits: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
        let bin = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("n2ref");
        let tree = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tree.path()).unwrap();
        make_tree(&root, dirs);
        println!("tree: {dirs} source directories, one source and one step each");

        // 1. Setup time and memory, in process.
        std::env::set_current_dir(&root).unwrap();
        let loaded = match load(&mut DiskReader, b"build.ninja", &LoadOptions::default()) {
            Ok(l) => l,
            Err(_) => panic!("the manifest loads"),
        };
        let targets = n2ref::tools::collect_targets(&loaded.graph, &[]).unwrap();
        let sources = collect_sources(&loaded.graph, &targets, &[b"build.ninja".to_vec()], None);
        let reps: usize = std::env::var("WATCH_BENCH_REPS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(5);

        // Memory first, before anything else has grown the heap.
        let (tx, _rx) = mpsc::channel();
        let mut backend = InotifyBackend::new(tx).unwrap();
        let rss_before = rss_kib(std::process::id());
        let start = Instant::now();
        let mut set = WatchSet::new(root.clone());
        let refresh = set.refresh(&sources, &mut backend, None);
        let first = start.elapsed();
        let rss_after = rss_kib(std::process::id());
        assert_eq!(refresh.failed, [], "every directory is watched");
        println!(
            "first watch setup, {} directories, inotify directly: {:.1} ms",
            refresh.dirs,
            ms(first)
        );
        let per_dir = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / refresh.dirs as f64;
        println!(
            "memory (inotify): RSS {rss_before} KiB before, {rss_after} KiB after: {per_dir:.0} bytes per watched directory"
        );
        // The refresh after a build: the baselines from what the build
        // stat'ed (here: every source), nothing new to watch.
        let stats: Stats = sources
            .iter()
            .map(|s| (s.path.clone(), n2ref::build::stat(&s.path)))
            .collect();
        let mut again = Vec::new();
        for _ in 0..reps {
            set.build_started();
            let start = Clock::start();
            let refresh = set.refresh(&sources, &mut backend, Some(&stats));
            again.push(start.elapsed());
            assert_eq!((refresh.added, refresh.changed.len()), (0, 0));
        }
        println!(
            "refresh after a build (baselines from its stats), nothing new: {}",
            runs(&mut again)
        );
        drop(set);
        drop(backend);
        // The kernel drops the watches when the descriptor closes, on the
        // backend's thread: let that finish before the next measurement.
        std::thread::sleep(Duration::from_millis(300));

        // The set alone: finding each directory, no system call at all.
        let mut set_only = Vec::new();
        for _ in 0..reps {
            let start = Clock::start();
            WatchSet::new(root.clone()).refresh(&sources, &mut NullBackend, None);
            set_only.push(start.elapsed());
        }
        println!(
            "watch set alone (a backend that does nothing): {}",
            runs(&mut set_only)
        );
        let mut inotify = Vec::new();
        let mut notify = Vec::new();
        let mut dirs_watched = 0;
        for _ in 0..reps {
            let (tx, _rx) = mpsc::channel();
            let mut backend = InotifyBackend::new(tx).unwrap();
            let start = Clock::start();
            let refresh = WatchSet::new(root.clone()).refresh(&sources, &mut backend, None);
            inotify.push(start.elapsed());
            assert_eq!(refresh.failed, []);
            dirs_watched = refresh.dirs;
            drop(backend);
            // The kernel drops the watches when the descriptor closes, on the
            // backend's thread: let that finish before the next measurement.
            std::thread::sleep(Duration::from_millis(300));
            let (tx, _rx) = mpsc::channel();
            let mut backend = NotifyBackend::new(tx).unwrap();
            let start = Clock::start();
            let refresh = WatchSet::new(root.clone()).refresh(&sources, &mut backend, None);
            notify.push(start.elapsed());
            assert_eq!(refresh.failed, []);
            drop(backend);
            // The kernel drops the watches when the descriptor closes, on the
            // backend's thread: let that finish before the next measurement.
            std::thread::sleep(Duration::from_millis(300));
        }
        println!(
            "watch setup, {dirs_watched} directories, inotify directly (the session's backend): {}",
            runs(&mut inotify)
        );
        println!(
            "watch setup, {dirs_watched} directories, notify: {}",
            runs(&mut notify)
        );

        if std::env::var_os("WATCH_BENCH_SETUP_ONLY").is_some() {
            return;
        }

        // 2. A real session.
        let events = root.join("events.jsonl");
        let mut child = Command::new(&bin)
            .args(["build", "--watch", "--watch-events"])
            .arg(&events)
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = Events {
            path: events,
            consumed: 0,
        };
        let start = Instant::now();
        reader.until("\"generation\":2,");
        println!(
            "first build of {dirs} steps and watches: {:.1} s",
            start.elapsed().as_secs_f64()
        );
        let pid = child.id();
        println!("session RSS after the first build: {} KiB", rss_kib(pid));

        let idle = Duration::from_secs(5);
        let cpu_before = cpu_ticks(pid);
        std::thread::sleep(idle);
        let cpu_after = cpu_ticks(pid);
        let hz = 100.0; // USER_HZ
        let idle_cpu = (cpu_after - cpu_before) as f64 / hz / idle.as_secs_f64() * 100.0;
        println!(
            "idle CPU: {} ticks in {} s = {idle_cpu:.2}%",
            cpu_after - cpu_before,
            idle.as_secs()
        );

        let mut latencies = Vec::new();
        for i in 0..edits {
            let dir = (i * 97) % dirs;
            let path = root.join(format!("src/d{dir}/s.c"));
            let t0 = Instant::now();
            fs::write(&path, format!("edit {i}\n")).unwrap();
            reader.until(&format!("\"build_start\",\"build\":{}", i + 2));
            latencies.push(t0.elapsed());
            reader.until(&format!("\"generation\":{},", i + 3));
        }
        latencies.sort();
        let p = |q: f64| ms(latencies[((latencies.len() - 1) as f64 * q).round() as usize]);
        println!(
            "write -> build_start over {edits} edits (debounce 50 ms): p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            p(0.5),
            p(0.9),
            p(1.0)
        );
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Watches nothing and says every directory exists: measures the watch
    /// set's own work.
    struct NullBackend;

    impl Backend for NullBackend {
        fn watch(&mut self, _: &Path) -> Result<(), String> {
            Ok(())
        }
        fn watch_if_dir(&mut self, _: &Path) -> Result<bool, String> {
            Ok(true)
        }
        fn unwatch(&mut self, _: &Path) {}
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    /// Wall time and the process's CPU time (user + system, all threads).
    struct Clock {
        wall: Instant,
        cpu: Duration,
    }

    impl Clock {
        fn start() -> Clock {
            Clock {
                wall: Instant::now(),
                cpu: process_cpu(),
            }
        }

        fn elapsed(&self) -> (Duration, Duration) {
            (self.wall.elapsed(), process_cpu().saturating_sub(self.cpu))
        }
    }

    fn process_cpu() -> Duration {
        // SAFETY: getrusage fills the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        tv(usage.ru_utime) + tv(usage.ru_stime)
    }

    /// "wall median M ms (min-max, N runs: a, b, ...); CPU median C ms".
    fn runs(times: &mut [(Duration, Duration)]) -> String {
        let all: Vec<String> = times.iter().map(|t| format!("{:.0}", ms(t.0))).collect();
        let mut cpu: Vec<Duration> = times.iter().map(|t| t.1).collect();
        times.sort();
        cpu.sort();
        format!(
            "wall median {:.1} ms (min {:.1}, max {:.1} over {} runs: {} ms); CPU median {:.1} ms (min {:.1})",
            ms(times[times.len() / 2].0),
            ms(times[0].0),
            ms(times[times.len() - 1].0),
            times.len(),
            all.join(", "),
            ms(cpu[cpu.len() / 2]),
            ms(cpu[0]),
        )
    }

    fn make_tree(root: &Path, dirs: usize) {
        let mut manifest = String::from("rule cp\n  command = cp $in $out\n");
        for i in 0..dirs {
            let dir = root.join(format!("src/d{i}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("s.c"), format!("{i}\n")).unwrap();
            manifest.push_str(&format!("build out/{i}.o: cp src/d{i}/s.c\n"));
        }
        fs::File::create(root.join("build.ninja"))
            .unwrap()
            .write_all(manifest.as_bytes())
            .unwrap();
    }

    /// The events file, read as it grows.
    struct Events {
        path: PathBuf,
        consumed: usize,
    }

    impl Events {
        fn until(&mut self, needle: &str) {
            let deadline = Instant::now() + Duration::from_secs(600);
            loop {
                let text = fs::read(&self.path).unwrap_or_default();
                while let Some(end) = text[self.consumed..].iter().position(|&b| b == b'\n') {
                    let line = String::from_utf8_lossy(&text[self.consumed..self.consumed + end]);
                    self.consumed += end + 1;
                    if line.contains(needle) {
                        return;
                    }
                }
                assert!(Instant::now() < deadline, "no {needle}");
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }

    fn rss_kib(pid: u32) -> u64 {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// utime + stime of a process, in clock ticks.
    fn cpu_ticks(pid: u32) -> u64 {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // After the command name: state is field 0, utime 11, stime 12.
        field(11) + field(12)
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("the watch benchmark runs on Linux only");
}

//! A whole session against the fake backend: what is watched, and what an
//! overflow does.
//!
//! Unix only: the manifests name absolute temp paths (a Windows drive's
//! colon would end a build statement's outputs) and run `cp`.
#![cfg(unix)]

use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Batch, FakeBackend, Load, Options, run_with_backend};
use crate::build::{Config, INTERRUPTED_EXIT};
use crate::load::{DiskReader, LoadOptions, load};

/// Waits until the events file has a line containing `needle`.
fn wait_for(events: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(events).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "no {needle} in:\n{text}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn overflow_checks_every_watched_file_and_watches_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let d = root.display();
    let manifest = format!(
        "builddir = {d}\nrule cp\n  command = cp $in $out\n\
         build {d}/out/a.o: cp {d}/src/a.c\n"
    );
    std::fs::create_dir_all(format!("{d}/src")).unwrap();
    std::fs::write(format!("{d}/src/a.c"), "a").unwrap();
    std::fs::write(format!("{d}/build.ninja"), manifest).unwrap();
    let events = root.join("events.jsonl");
    let options = Options {
        events_file: Some(events.clone()),
        ..Options::default()
    };
    let config = Config::default();
    let interrupt = config.interrupt.clone();
    let (tx, rx) = mpsc::channel();
    let (backend, handle) = FakeBackend::new(tx);
    let manifest_path = format!("{d}/build.ninja");
    let session = std::thread::spawn(move || {
        let mut loader =
            |_: &mut crate::build::Session, _: &mut dyn io::Write, _: &mut dyn io::Write| {
                let loaded = match load(
                    &mut DiskReader,
                    manifest_path.as_bytes(),
                    &LoadOptions::default(),
                ) {
                    Ok(l) => l,
                    Err(_) => panic!("the manifest loads"),
                };
                let targets = crate::tools::collect_targets(&loaded.graph, &[]).unwrap();
                Ok(Load::Ready {
                    graph: loaded.graph,
                    targets,
                    manifests: vec![manifest_path.clone().into_bytes()],
                    manifest_node: None,
                })
            };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run_with_backend(
            &options,
            &config,
            Box::new(backend),
            rx,
            &mut loader,
            &mut out,
            &mut err,
        )
        .unwrap()
    });
    wait_for(&events, r#""build":1,"result":"succeeded""#);
    wait_for(&events, r#""generation":2"#);
    let mut watched = handle.watched();
    watched.sort();
    assert_eq!(watched, [root.clone(), root.join("src")]);

    // A change the backend lost: only the overflow tells.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(format!("{d}/src/a.c"), "a2").unwrap();
    handle.inject(Batch::Overflow);
    let text = wait_for(&events, r#""build":2,"result":"succeeded""#);
    assert!(text.contains(r#"{"event":"overflow","reason":"event queue overflowed"}"#));
    assert!(
        text.contains(&format!(r#"{{"event":"changes","paths":["{d}/src/a.c"]}}"#)),
        "{text}"
    );
    assert!(text.contains(&format!(r#""steps":["{d}/out/a.o"]"#)));

    // An overflow when nothing changed starts no build.
    wait_for(&events, r#""generation":3"#);
    handle.inject(Batch::Error("the backend hiccuped".into()));
    wait_for(&events, "the backend hiccuped");
    // Still watching: an ordinary event works.
    std::fs::write(format!("{d}/src/a.c"), "a3").unwrap();
    handle.inject(Batch::Paths(vec![root.join("src/a.c")]));
    let text = wait_for(&events, r#""build":3,"result":"succeeded""#);
    assert_eq!(text.matches("build_start").count(), 3);

    interrupt.trigger();
    assert_eq!(session.join().unwrap(), INTERRUPTED_EXIT);
}

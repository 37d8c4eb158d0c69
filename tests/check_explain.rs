//! `n2ref check --explain TARGET[:VAR]`: snapshots of the lookup chains.

use n2ref::check::{self, explain};
use n2ref::load::MemoryReader;

const MANIFEST: &str = "\
base = -O2
cc = gcc
cflags = $base -Wall
description = compiling
rule cc
  command = $cc $cflags -c $in -o $out
  description = CC $out
  depfile = $out.d
  deps = gcc
include more.ninja
build plain.o: cc plain.c
build tuned.o: cc tuned.c | config.h
  cflags = $cflags -DTUNED $later
later = -g
subninja sub/build.ninja
build all: phony plain.o tuned.o
";

const MORE: &str = "base = $base -pipe\n";

const SUB: &str = "\
cflags = $cflags -DSUB
build sub/s.o: cc sub/s.c
";

fn explain_text(arg: &str) -> String {
    let mut reader = MemoryReader::new(&[
        ("build.ninja", MANIFEST),
        ("more.ninja", MORE),
        ("sub/build.ninja", SUB),
    ]);
    let disk = reader.clone();
    let report = check::check(&mut reader, b"build.ninja", &disk);
    assert!(report.load_error.is_none());
    match explain::explain(&report.loaded, arg.as_bytes()) {
        Ok(e) => explain::to_text(&e),
        Err(message) => format!("error: {message}\n"),
    }
}

#[test]
fn edge_with_bindings() {
    insta::assert_snapshot!(explain_text("tuned.o"));
}

#[test]
fn edge_without_bindings_sees_file_scope_first() {
    insta::assert_snapshot!(explain_text("plain.o"));
}

#[test]
fn one_variable() {
    insta::assert_snapshot!(explain_text("tuned.o:cflags"));
}

#[test]
fn edge_in_subninja() {
    insta::assert_snapshot!(explain_text("sub/s.o:command"));
}

#[test]
fn phony_edge() {
    insta::assert_snapshot!(explain_text("all"));
}

#[test]
fn target_paths_are_canonicalised() {
    assert_eq!(explain_text("./sub/../tuned.o"), explain_text("tuned.o"));
}

#[test]
fn unknown_target_suggests() {
    assert_eq!(
        explain_text("tunde.o"),
        "error: unknown target `tunde.o`; did you mean `tuned.o`?\n"
    );
}

#[test]
fn source_file_is_not_built() {
    assert_eq!(
        explain_text("plain.c"),
        "error: no build statement produces `plain.c` (it is only an input, a source file)\n"
    );
}

#[test]
fn json_has_the_tree() {
    let mut reader = MemoryReader::new(&[
        ("build.ninja", MANIFEST),
        ("more.ninja", MORE),
        ("sub/build.ninja", SUB),
    ]);
    let disk = reader.clone();
    let report = check::check(&mut reader, b"build.ninja", &disk);
    let e = explain::explain(&report.loaded, b"tuned.o:command").unwrap();
    let v: serde_json::Value = serde_json::to_value(&e).unwrap();
    assert_eq!(v["target"], "tuned.o");
    let command = &v["variables"][0];
    assert_eq!(command["name"], "command");
    assert_eq!(command["source"]["kind"], "rule");
    assert_eq!(command["parts"][0]["name"], "cc");
    assert_eq!(command["parts"][0]["source"]["kind"], "file-scope");
}

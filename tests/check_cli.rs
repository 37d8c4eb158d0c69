//! The `n2ref check` command line: exit statuses, formats, `--explain`.

use std::path::Path;
use std::process::{Command, Output};

fn n2ref(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_n2ref"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("n2ref runs")
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const CLEAN: &str = "rule cc\n  command = cc -c $in -o $out\nbuild a.o: cc a.c\n";
const WARNS: &str =
    "rule cc\n  command = cc -c $in -o $out\nrule unused\n  command = x\nbuild a.o: cc a.c\n";
const ERRS: &str = "rule cc\n  command = cc\n  depfle = x\n";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn clean_exits_zero() {
    let d = dir_with(&[("build.ninja", CLEAN), ("a.c", "")]);
    let o = n2ref(d.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "build.ninja: no problems found\n");
    let o = n2ref(d.path(), &["--deny", "warnings"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn warnings_exit_zero_unless_denied() {
    let d = dir_with(&[("build.ninja", WARNS), ("a.c", "")]);
    assert_eq!(n2ref(d.path(), &[]).status.code(), Some(0));
    assert_eq!(
        n2ref(d.path(), &["--deny", "warnings"]).status.code(),
        Some(1)
    );
    assert_eq!(
        n2ref(d.path(), &["build.ninja", "--deny=warnings"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn errors_exit_two() {
    let d = dir_with(&[("build.ninja", ERRS)]);
    assert_eq!(n2ref(d.path(), &[]).status.code(), Some(2));
    assert_eq!(
        n2ref(d.path(), &["--deny", "warnings"]).status.code(),
        Some(2)
    );
    let missing = n2ref(d.path(), &["nonexistent.ninja"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stdout(&missing).contains("loading 'nonexistent.ninja': No such file or directory"));
}

#[test]
fn usage_errors_exit_two() {
    let d = dir_with(&[("build.ninja", CLEAN)]);
    let o = n2ref(d.path(), &["--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("xml"));
}

#[test]
fn json_is_one_object_per_line() {
    let d = dir_with(&[("build.ninja", WARNS), ("a.c", "")]);
    let o = n2ref(d.path(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["code"], "N2R0010");
    assert_eq!(v["rule"], "check.unused-rule");
    assert_eq!(v["file"], "build.ninja");
    assert_eq!(v["line"], 3);
    assert_eq!(v["column"], 6);
}

#[test]
fn manifest_in_another_directory_loads_like_ninja_dash_c() {
    let d = dir_with(&[
        (
            "proj/build.ninja",
            "include rules.ninja\nbuild a.o: cc a.c\nbuild b.o: cc b.c\n",
        ),
        (
            "proj/rules.ninja",
            "rule cc\n  command = cc -c $in -o $out\n",
        ),
        ("proj/a.c", ""),
    ]);
    let o = n2ref(d.path(), &["proj/build.ninja"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    // b.c is missing (relative to proj/), a.c is not.
    assert!(out.contains("input `b.c` does not exist"), "{out}");
    assert!(!out.contains("`a.c`"), "{out}");
    assert!(out.contains("--> proj/build.ninja:3:"), "{out}");
}

#[test]
fn explain_prints_the_chain() {
    let d = dir_with(&[
        (
            "build.ninja",
            "flags = -O2\nrule cc\n  command = cc $flags -c $in -o $out\nbuild a.o: cc a.c\n",
        ),
        ("a.c", ""),
    ]);
    let o = n2ref(d.path(), &["--explain", "a.o:command"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("command = cc -O2 -c a.c -o a.o\n"), "{out}");
    assert!(
        out.contains("<- file scope 0 at build.ninja:1: flags = -O2"),
        "{out}"
    );
    let o = n2ref(d.path(), &["--explain", "b.o"]);
    assert_eq!(o.status.code(), Some(2));
    let o = n2ref(d.path(), &["--explain", "a.o", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rule"], "cc");
}

#[test]
fn explain_on_a_broken_manifest_shows_the_errors() {
    let d = dir_with(&[("build.ninja", ERRS)]);
    let o = n2ref(d.path(), &["--explain", "a.o"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("unknown variable `depfle`"));
}

/// The bundled example: what the README shows.
#[test]
fn showcase() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = n2ref(root, &["examples/showcase/build.ninja"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("showcase", stdout(&o));
    let o = n2ref(
        root,
        &["examples/showcase/build.ninja", "--explain", "out/util.o"],
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("showcase_explain", stdout(&o));
    let o = n2ref(root, &["examples/showcase/errors.ninja"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("showcase_errors", stdout(&o));
}

/// `--scopes` prints the file scopes as data: the root, a subninja's child
/// scope with its own value shadowing the parent's, and where each value
/// was last assigned.
#[test]
fn scopes_are_printed() {
    let d = dir_with(&[
        (
            "build.ninja",
            "x = 1\nx = ${x}2\nrule r\n  command = echo $x\nsubninja sub.ninja\n",
        ),
        ("sub.ninja", "x = child\nbuild o: r\n"),
    ]);
    let o = n2ref(d.path(), &["--scopes"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        stdout(&o),
        "scope 0 (build.ninja, root):\n  x = 12    # build.ninja:2, assigned 2 times\n  rule phony\n  rule r\n\
         scope 1 (sub.ninja, subninja at build.ninja:5, child of scope 0):\n  x = child    # sub.ninja:1\n"
    );
}

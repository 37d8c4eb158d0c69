//! One small manifest per lint of `n2ref check` (`spec/check.md`), with
//! snapshots of the human and the JSON output.

use n2ref::check::{self, ALL_LINTS, Lint, Report, render};
use n2ref::load::MemoryReader;

/// Checks `build.ninja` among `files`; every file given "exists on disk".
fn report(files: &[(&str, &str)]) -> Report {
    let mut reader = MemoryReader::new(files);
    let disk = reader.clone();
    check::check(&mut reader, b"build.ninja", &disk)
}

/// Human output, then JSON Lines, then the exit codes.
fn output(report: &Report) -> String {
    let human = render::human(report, b"build.ninja", render::Style::default());
    let json = render::json_lines(report);
    format!(
        "{human}\n---- json ----\n{json}---- exit: {} (with --deny warnings: {})\n",
        report.exit_code(false),
        report.exit_code(true)
    )
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.diagnostics.iter().map(|d| d.lint.code).collect()
}

/// Asserts that the manifest triggers `lint` (and only the lints in
/// `also`), and snapshots the output.
macro_rules! lint_case {
    ($test:ident, $lint:expr, [$($also:expr),*], $files:expr) => {
        #[test]
        fn $test() {
            let report = report($files);
            let lint: &Lint = &$lint;
            let mut expected: Vec<&str> = vec![lint.code $(, $also.code)*];
            expected.sort();
            expected.dedup();
            let mut got = codes(&report);
            got.sort();
            got.dedup();
            assert_eq!(got, expected, "{}", output(&report));
            insta::assert_snapshot!(output(&report));
        }
    };
}

use n2ref::check::{
    DEPENDENCY_CYCLE, DEPS_WITHOUT_DEPFILE, DUPLICATE_OUTPUT, FALSE_FLAG, IN_OUT_OUTSIDE_RULE,
    LOAD_ERROR, MISSING_INPUT, NINJA_WARNING, OUTPUT_OUTSIDE_TREE, RSPFILE_PAIR,
    RULE_VARIABLE_CYCLE, SHADOWED_RULE_BINDING, UNDEFINED_VARIABLE, UNKNOWN_KEY,
    UNQUOTED_SPACE_PATH, UNUSED_POOL, UNUSED_RULE,
};

const CC: &str = "rule cc\n  command = cc -c $in -o $out\n";

#[test]
fn clean_manifest() {
    let build = format!("{CC}build a.o: cc a.c\n");
    let report = report(&[("build.ninja", &build), ("a.c", "")]);
    assert!(report.diagnostics.is_empty(), "{}", output(&report));
    assert_eq!(report.exit_code(true), 0);
    insta::assert_snapshot!(output(&report));
}

lint_case!(
    load_error_unknown_rule,
    LOAD_ERROR,
    [],
    &[("build.ninja", "rule cc\n  command = cc\nbuild a: ccc\n")]
);

lint_case!(
    load_error_bad_escape,
    LOAD_ERROR,
    [],
    &[("build.ninja", "x = 1\ny = a$%b\n")]
);

#[test]
fn load_error_missing_manifest() {
    let report = report(&[]);
    assert_eq!(codes(&report), [LOAD_ERROR.code]);
    assert_eq!(report.exit_code(false), 2);
    insta::assert_snapshot!(output(&report));
}

lint_case!(
    ninja_warning_phony_self_reference,
    NINJA_WARNING,
    [],
    &[("build.ninja", "build all: phony all\n")]
);

lint_case!(
    unknown_key_in_rule,
    UNKNOWN_KEY,
    [],
    &[(
        "build.ninja",
        "rule cc\n  command = cc -MMD -MF $out.d -c $in -o $out\n  depfle = $out.d\n\
         build a.o: cc a.c\n"
    )]
);

lint_case!(
    unknown_key_custom_variable,
    UNKNOWN_KEY,
    [],
    &[(
        "build.ninja",
        "rule cc\n  command = cc $flags -c $in\n  flags = -O2\n"
    )]
);

lint_case!(
    unknown_key_in_pool,
    UNKNOWN_KEY,
    [],
    &[("build.ninja", "pool link\n  dept = 1\n")]
);

lint_case!(
    rspfile_without_content,
    RSPFILE_PAIR,
    [],
    &[(
        "build.ninja",
        "rule link\n  command = ld @$out.rsp -o $out\n  rspfile = $out.rsp\n"
    )]
);

lint_case!(
    rspfile_content_without_rspfile,
    RSPFILE_PAIR,
    [],
    &[(
        "build.ninja",
        "rule link\n  command = ld @$out.rsp -o $out\n  rspfile_content = $in\n"
    )]
);

lint_case!(
    undefined_top_level,
    UNDEFINED_VARIABLE,
    [],
    &[("build.ninja", "cflags = -O2\nflags = $cflags $cflag\n")]
);

lint_case!(
    undefined_used_before_defined,
    UNDEFINED_VARIABLE,
    [],
    &[("build.ninja", "ldflags = -L$libdir\nlibdir = /opt/lib\n")]
);

lint_case!(
    undefined_dash_in_name,
    UNDEFINED_VARIABLE,
    [],
    &[("build.ninja", "arch = x86\ntriple = $arch-linux\n")]
);

lint_case!(
    undefined_in_rule,
    UNDEFINED_VARIABLE,
    [],
    &[
        (
            "build.ninja",
            "cflags = -O2\nrule cc\n  command = cc $cflgs -c $in -o $out\nbuild a.o: cc a.c\n"
        ),
        ("a.c", "")
    ]
);

lint_case!(
    undefined_in_build_path,
    UNDEFINED_VARIABLE,
    // `$outdir` undefined puts `a.o` at the root of the file system.
    [OUTPUT_OUTSIDE_TREE],
    &[
        ("build.ninja", &format!("{CC}build $outdir/a.o: cc a.c\n")),
        ("a.c", "")
    ]
);

#[test]
fn defined_by_some_edges_is_fine() {
    let build = "rule cc\n  command = cc $extra -c $in -o $out\nbuild a.o: cc a.c\n\
                 build b.o: cc b.c\n  extra = -g\n";
    let report = report(&[("build.ninja", build), ("a.c", ""), ("b.c", "")]);
    assert!(report.diagnostics.is_empty(), "{}", output(&report));
}

lint_case!(
    in_out_in_build_binding,
    IN_OUT_OUTSIDE_RULE,
    [],
    &[
        (
            "build.ninja",
            &format!("{CC}build a.o: cc a.c\n  description = CC $out\n")
        ),
        ("a.c", "")
    ]
);

lint_case!(
    in_out_at_top_level,
    IN_OUT_OUTSIDE_RULE,
    [],
    &[("build.ninja", "msg = building $out\n")]
);

lint_case!(
    rule_variable_cycle,
    RULE_VARIABLE_CYCLE,
    [],
    &[(
        "build.ninja",
        "rule r\n  command = echo $description\n  description = $command\nbuild a: r\n"
    )]
);

lint_case!(
    rule_variable_cycle_unused_rule,
    RULE_VARIABLE_CYCLE,
    [UNUSED_RULE],
    &[(
        "build.ninja",
        "rule r\n  command = echo $description\n  description = $command\n"
    )]
);

lint_case!(
    rule_variable_cycle_fatal_while_loading,
    RULE_VARIABLE_CYCLE,
    [],
    &[(
        "build.ninja",
        "rule r\n  command = touch $out\n  pool = $pool\nbuild a: r\n"
    )]
);

lint_case!(
    false_flag_in_rule,
    FALSE_FLAG,
    [],
    &[
        (
            "build.ninja",
            "rule gen\n  command = ./gen.sh > $out\n  generator = false\nbuild a: gen\n"
        ),
        ("gen.sh", "")
    ]
);

lint_case!(
    false_flag_on_build,
    FALSE_FLAG,
    [],
    &[
        (
            "build.ninja",
            &format!("{CC}build a.o: cc a.c\n  restat = 0\n")
        ),
        ("a.c", "")
    ]
);

lint_case!(
    deps_without_depfile,
    DEPS_WITHOUT_DEPFILE,
    [],
    &[
        (
            "build.ninja",
            "rule cc\n  command = cc -MD -MF $out.d -c $in -o $out\n  deps = gcc\n\
             build a.o: cc a.c\nbuild b.o: cc b.c\n"
        ),
        ("a.c", ""),
        ("b.c", "")
    ]
);

#[test]
fn deps_msvc_needs_no_depfile() {
    let build = "rule cc\n  command = cl /showIncludes $in\n  deps = msvc\nbuild a.obj: cc a.c\n";
    let report = report(&[("build.ninja", build), ("a.c", "")]);
    assert!(report.diagnostics.is_empty(), "{}", output(&report));
}

lint_case!(
    unused_rule,
    UNUSED_RULE,
    [],
    &[
        (
            "build.ninja",
            &format!("{CC}rule strip\n  command = strip $in\nbuild a.o: cc a.c\n")
        ),
        ("a.c", "")
    ]
);

lint_case!(
    unused_pool,
    UNUSED_POOL,
    [],
    &[
        (
            "build.ninja",
            &format!("pool heavy\n  depth = 2\n{CC}build a.o: cc a.c\n")
        ),
        ("a.c", "")
    ]
);

lint_case!(
    duplicate_output_two_statements,
    DUPLICATE_OUTPUT,
    [],
    &[
        (
            "build.ninja",
            &format!("{CC}build a.o: cc a.c\ninclude more.ninja\n")
        ),
        ("more.ninja", "build b.o: cc b.c\nbuild a.o: cc a2.c\n"),
        ("a.c", ""),
        ("b.c", ""),
        ("a2.c", "")
    ]
);

lint_case!(
    duplicate_output_same_statement,
    DUPLICATE_OUTPUT,
    [],
    &[
        ("build.ninja", &format!("{CC}build a.o a.o: cc a.c\n")),
        ("a.c", "")
    ]
);

lint_case!(
    dependency_cycle,
    DEPENDENCY_CYCLE,
    [],
    &[(
        "build.ninja",
        "rule cp\n  command = cp $in $out\nbuild a: cp b\nbuild b: cp c || a\nbuild c: cp a\n"
    )]
);

lint_case!(
    missing_input,
    MISSING_INPUT,
    [],
    &[
        (
            "build.ninja",
            &format!("{CC}build main.o: cc src/mian.c\nbuild util.o: cc src/util.c\n")
        ),
        ("src/util.c", "")
    ]
);

lint_case!(
    missing_input_near_an_output,
    MISSING_INPUT,
    [],
    &[
        (
            "build.ninja",
            "rule gen\n  command = ./gen > $out\nrule cp\n  command = cp $in $out\n\
         build gen/config.h: gen | gen\nbuild out.h: cp gen/confg.h\n"
        ),
        ("gen", "")
    ]
);

lint_case!(
    shadowed_rule_binding,
    SHADOWED_RULE_BINDING,
    [],
    &[
        (
            "build.ninja",
            "description = working\nrule cc\n  command = cc -c $in -o $out\n  description = CC $out\n\
             build a.o: cc a.c\nbuild b.o: cc b.c\n  flags = -g\n"
        ),
        ("a.c", ""),
        ("b.c", "")
    ]
);

lint_case!(
    unquoted_space_path_via_variable,
    UNQUOTED_SPACE_PATH,
    [],
    &[
        (
            "build.ninja",
            "rule copy\n  command = cp $in $dest\nbuild out/my$ notes.txt: copy notes.txt\n  \
             dest = out/my notes.txt\n"
        ),
        ("notes.txt", "")
    ]
);

lint_case!(
    output_outside_tree,
    OUTPUT_OUTSIDE_TREE,
    [],
    &[(
        "build.ninja",
        "rule gen\n  command = touch $out\nbuild ../shared/version.h out/ok.h: gen\n\
         build ../alias: phony out/ok.h\n"
    )]
);

#[test]
fn space_path_through_in_out_is_quoted() {
    let build = "rule copy\n  command = cp $in $out\nbuild out/my$ notes.txt: copy my$ notes.txt\n";
    let report = report(&[("build.ninja", build), ("my notes.txt", "")]);
    assert!(report.diagnostics.is_empty(), "{}", output(&report));
}

#[test]
fn every_lint_has_a_distinct_code_and_name() {
    let mut codes: Vec<&str> = ALL_LINTS.iter().map(|l| l.code).collect();
    let mut names: Vec<&str> = ALL_LINTS.iter().map(|l| l.name).collect();
    codes.sort();
    codes.dedup();
    names.sort();
    names.dedup();
    assert_eq!(codes.len(), ALL_LINTS.len());
    assert_eq!(names.len(), ALL_LINTS.len());
    for lint in ALL_LINTS {
        assert_eq!(check::find_lint(lint.code), Some(*lint));
        assert_eq!(check::find_lint(lint.name), Some(*lint));
    }
}

#[test]
fn json_lines_are_objects_with_the_documented_fields() {
    let build = format!("x = $out\n{CC}build a.o: cc a.c\n  restat = no\n");
    let report = report(&[("build.ninja", &build), ("a.c", "")]);
    let json = render::json_lines(&report);
    assert_eq!(json.lines().count(), report.diagnostics.len());
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "code", "name", "rule", "severity", "message", "file", "line", "column", "span",
            "label", "related", "notes", "help",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
        assert!(v["rule"].as_str().unwrap().starts_with("check."));
    }
}

#[test]
fn spans_inside_multibyte_characters_render() {
    // ninja reports the lexing error at the first byte of `é`.
    let report = report(&[("build.ninja", "é = 1\n")]);
    assert_eq!(codes(&report), [LOAD_ERROR.code]);
    insta::assert_snapshot!(output(&report));
}

#[test]
fn invalid_utf8_is_shown_as_question_marks() {
    let mut reader = MemoryReader::default();
    reader
        .files
        .insert(b"build.ninja".to_vec(), b"x = \xff\xfe $y\n".to_vec());
    let disk = reader.clone();
    let report = check::check(&mut reader, b"build.ninja", &disk);
    let human = render::human(&report, b"build.ninja", render::Style::default());
    assert!(human.contains("x = ?? $y"), "{human}");
    assert!(human.contains("undefined variable `$y`"), "{human}");
}

/// A variable doubled by each assignment makes a value far longer than the
/// manifest (fuzzing found 10 KB manifests whose check printed 400 MB, a
/// message per 20 MB path): messages quote such paths shortened, so the
/// output stays a page long (spec: [check.format.long-value]).
#[test]
fn paths_doubled_by_each_assignment_are_quoted_shortened() {
    let mut build = String::from("rule cc\n  command = cc $x -o $out\nx = a b\n");
    for _ in 0..18 {
        build.push_str("x = $x$x\n");
    }
    build.push_str("build out: cc $x\n");
    let report = report(&[("build.ninja", &build)]);
    let text = output(&report);
    let mut got = codes(&report);
    got.sort();
    assert_eq!(
        got,
        [MISSING_INPUT.code, UNQUOTED_SPACE_PATH.code],
        "{}",
        &text[..text.len().min(4000)]
    );
    let length = 3 << 18;
    assert!(
        text.matches(&format!("…[{length} bytes]…")).count() >= 4,
        "{}",
        &text[..text.len().min(4000)]
    );
    assert!(text.len() < 20_000, "{} bytes of output", text.len());
}

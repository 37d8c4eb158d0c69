//! Property tests of the parser and evaluator: arbitrary bytes never panic,
//! printing a random syntax tree and parsing it back gives the same tree,
//! and the expansion laws of `spec/evaluation.md` hold.

use n2ref::ast::*;
use n2ref::eval_string::{EvalString, Part};
use n2ref::expand::edge_binding;
use n2ref::load::{LoadOptions, MemoryReader, load};
use n2ref::parse::parse_all;
use n2ref::print::print_statements;
use n2ref::source::{SourceId, Span};
use proptest::prelude::*;

// ---- a span-free view of statements, for comparison ----------------------

#[derive(Debug, PartialEq, Eq, Clone)]
enum Piece {
    Text(Vec<u8>),
    Var(Vec<u8>),
}

fn pieces<S: AsRef<[u8]>>(s: &EvalString<S>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for part in &s.parts {
        match part {
            Part::Literal(t, _) => match out.last_mut() {
                Some(Piece::Text(prev)) => prev.extend_from_slice(t.as_ref()),
                _ => out.push(Piece::Text(t.as_ref().to_vec())),
            },
            Part::Var(n, _) => out.push(Piece::Var(n.as_ref().to_vec())),
        }
    }
    out
}

fn shape(stmts: &[Stmt<'_>]) -> Vec<String> {
    let paths = |ps: &[PathExpr<'_>]| ps.iter().map(|p| pieces(&p.value)).collect::<Vec<_>>();
    let bindings = |bs: &[Binding<'_>]| {
        bs.iter()
            .map(|b| (b.name.to_vec(), pieces(&b.value)))
            .collect::<Vec<_>>()
    };
    stmts
        .iter()
        .map(|s| match s {
            Stmt::Binding(b) => format!("let {:?}", bindings(std::slice::from_ref(b))),
            Stmt::Rule(r) => format!("rule {:?} {:?}", r.name, bindings(&r.bindings)),
            Stmt::Pool(p) => format!("pool {:?} {:?}", p.name, bindings(&p.bindings)),
            Stmt::Build(b) => format!(
                "build {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                paths(&b.outputs),
                paths(&b.implicit_outputs),
                b.rule.map(|r| r.0),
                paths(&b.inputs),
                paths(&b.implicit_inputs),
                paths(&b.order_only_inputs),
                paths(&b.validations),
                bindings(&b.bindings)
            ),
            Stmt::Default(d) => format!("default {:?}", paths(&d.paths)),
            Stmt::Include(i) => format!("include {} {:?}", i.new_scope, pieces(&i.path.value)),
        })
        .collect()
}

// ---- generators ----------------------------------------------------------

const NO_SPAN: Span = Span {
    source: SourceId(0),
    start: 0,
    end: 0,
};

fn leak(v: Vec<u8>) -> &'static [u8] {
    Box::leak(v.into_boxed_slice())
}

const KEYWORDS: [&str; 6] = ["build", "rule", "pool", "default", "include", "subninja"];

fn ident() -> impl Strategy<Value = &'static [u8]> {
    "[a-z_][a-z0-9_-]{0,6}"
        .prop_filter("keywords are not identifiers at statement start", |s| {
            !KEYWORDS.contains(&s.as_str())
        })
        .prop_map(|s| leak(s.into_bytes()))
}

fn var_name() -> impl Strategy<Value = &'static [u8]> {
    "[a-z_][a-z0-9_.-]{0,5}".prop_map(|s| leak(s.into_bytes()))
}

/// Literal text: anything but CR, LF and NUL (which cannot be escaped),
/// plus `|` when `in_path` is false.
fn literal(in_path: bool) -> impl Strategy<Value = &'static [u8]> {
    let representable = move |&b: &u8| match b {
        b'\r' | b'\n' | 0 => false,
        b'|' => !in_path,
        _ => true,
    };
    let byte = any::<u8>().prop_filter("unrepresentable byte", representable);
    prop::collection::vec(byte, 1..6).prop_map(leak)
}

fn eval_string(in_path: bool) -> impl Strategy<Value = Str<'static>> {
    let part = prop_oneof![
        literal(in_path).prop_map(|t| Part::Literal(t, NO_SPAN)),
        var_name().prop_map(|n| Part::Var(n, NO_SPAN)),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| EvalString { parts })
}

fn path() -> impl Strategy<Value = PathExpr<'static>> {
    eval_string(true)
        .prop_filter("paths are non-empty", |s| !s.is_empty())
        .prop_map(|value| PathExpr {
            value,
            span: NO_SPAN,
            error_at: 0,
        })
}

fn binding(name: impl Strategy<Value = &'static [u8]>) -> impl Strategy<Value = Binding<'static>> {
    (name, eval_string(false)).prop_map(|(name, value)| Binding {
        name,
        name_span: NO_SPAN,
        value,
        span: NO_SPAN,
        error_at: 0,
    })
}

fn paths(max: usize) -> impl Strategy<Value = Vec<PathExpr<'static>>> {
    prop::collection::vec(path(), 0..max)
}

fn statement() -> impl Strategy<Value = Stmt<'static>> {
    let block = || prop::collection::vec(binding(var_name()), 0..3);
    prop_oneof![
        binding(ident()).prop_map(Stmt::Binding),
        (ident(), block()).prop_map(|(name, bindings)| Stmt::Rule(RuleStmt {
            name,
            name_span: NO_SPAN,
            header_end: 0,
            bindings,
            end: 0,
        })),
        (ident(), block()).prop_map(|(name, bindings)| Stmt::Pool(PoolStmt {
            name,
            name_span: NO_SPAN,
            header_end: 0,
            bindings,
            end: 0,
        })),
        (
            paths(3),
            paths(2),
            var_name(),
            paths(3),
            paths(2),
            paths(2),
            paths(2),
            block()
        )
            .prop_filter("a build needs an output", |t| !t.0.is_empty()
                || !t.1.is_empty())
            .prop_map(
                |(outputs, implicit_outputs, rule, inputs, ii, oo, v, bindings)| {
                    Stmt::Build(BuildStmt {
                        outputs,
                        implicit_outputs,
                        rule: Some((rule, NO_SPAN)),
                        inputs,
                        implicit_inputs: ii,
                        order_only_inputs: oo,
                        validations: v,
                        bindings,
                        span: NO_SPAN,
                        end: 0,
                    })
                }
            ),
        prop::collection::vec(path(), 1..3).prop_map(|paths| Stmt::Default(DefaultStmt {
            paths,
            span: NO_SPAN
        })),
        (path(), any::<bool>()).prop_map(|(path, new_scope)| Stmt::Include(IncludeStmt {
            path,
            new_scope,
            span: NO_SPAN
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// spec: [syntax.grammar] printing then parsing is the identity.
    #[test]
    fn print_then_parse_round_trips(stmts in prop::collection::vec(statement(), 0..6)) {
        let text = print_statements(&stmts);
        let parsed = parse_all(SourceId(0), &text)
            .map_err(|e| TestCaseError::fail(format!("{e:?} in {:?}", String::from_utf8_lossy(&text))))?;
        prop_assert_eq!(shape(&parsed), shape(&stmts), "text: {:?}", String::from_utf8_lossy(&text));
    }

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_all(SourceId(0), &bytes);
    }

    /// Arbitrary manifests built from ninja's own tokens never panic the
    /// loader, whatever they include.
    #[test]
    fn loader_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "build ", "rule ", "pool ", "default ", "include ", "subninja ", "a", "b.ninja", " ", "  ",
        "\n", "\r\n", ":", "|", "||", "|@", "=", "$", "$$", "$ ", "$:", "$\n", "${x}", "$x", "#",
        "\t", "command", "depth", "phony", "x", "0", "-1", "dyndep", "pool", "console", "\0",
    ]), 0..40)) {
        let text: String = tokens.concat();
        let mut reader = MemoryReader::new(&[("build.ninja", &text), ("b.ninja", &text)]);
        // The include recursion is bounded by the reader: b.ninja including
        // itself would recurse, so give it content without includes.
        reader.files.insert(b"b.ninja".to_vec(), text.replace("include", "x").replace("subninja", "x").into_bytes());
        let _ = load(&mut reader, b"build.ninja", &LoadOptions::default());
    }

    /// spec: [lex.escape.dollar] [lex.escape.space] [lex.escape.colon]
    /// escaping then expanding literal text gives the text back.
    #[test]
    fn escapes_round_trip(text in literal(false)) {
        let value = EvalString { parts: vec![Part::Literal(text, NO_SPAN)] };
        let mut manifest = b"x = ".to_vec();
        manifest.extend_from_slice(&value.to_manifest_syntax());
        manifest.extend_from_slice(b"\nrule r\n  command = $x\nbuild out: r\n");
        let command = command_of(&manifest);
        prop_assert_eq!(command, text.to_vec());
    }

    /// spec: [eval.var.undefined] an undefined variable expands to nothing.
    #[test]
    fn undefined_is_empty(a in "[a-z]{0,4}", b in "[a-z]{0,4}") {
        let manifest = format!("rule r\n  command = {a}${{undefined_var}}{b}\nbuild out: r\n");
        prop_assert_eq!(command_of(manifest.as_ref()), format!("{a}{b}").into_bytes());
    }

    /// spec: [eval.subninja.child-scope] a subninja sees its parent's values
    /// and its own assignments shadow them without leaking out.
    #[test]
    fn subninja_shadows_without_leaking(parent in "[a-z]{1,4}", child in "[a-z]{1,4}") {
        let top = format!("x = {parent}\nrule r\n  command = echo $x\nsubninja sub.ninja\nbuild top: r\n");
        let sub = format!("y = $x\nx = {child}\nbuild inner: r\nbuild inner2: r\n  z = $y\n");
        let mut reader = MemoryReader::new(&[("build.ninja", &top), ("sub.ninja", &sub)]);
        let loaded = load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("loads");
        let g = &loaded.graph;
        let cmd = |target: &str| {
            let file = g.lookup_file(target.as_bytes()).unwrap();
            edge_binding(g, g.files[file].in_edge.unwrap(), "command").unwrap()
        };
        prop_assert_eq!(cmd("inner"), format!("echo {child}").into_bytes());
        prop_assert_eq!(cmd("top"), format!("echo {parent}").into_bytes());
        let inner2 = g.files[g.lookup_file(b"inner2").unwrap()].in_edge.unwrap();
        prop_assert_eq!(&*g.edges[inner2].binding(b"z").unwrap().value, parent.as_bytes());
    }

    /// spec: [eval.file.top-down] each assignment sees the values before it.
    #[test]
    fn top_down_assignment(parts in prop::collection::vec("[a-z0-9]{1,3}", 1..6)) {
        let mut manifest = String::from("x =\n");
        for p in &parts {
            manifest.push_str(&format!("x = ${{x}}{p}\n"));
        }
        manifest.push_str("rule r\n  command = $x\nbuild out: r\n");
        prop_assert_eq!(command_of(manifest.as_ref()), parts.concat().into_bytes());
    }
}

fn command_of(manifest: &[u8]) -> Vec<u8> {
    let mut reader = MemoryReader::default();
    reader
        .files
        .insert(b"build.ninja".to_vec(), manifest.to_vec());
    let loaded =
        load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("manifest loads");
    let g = &loaded.graph;
    let out = g.lookup_file(b"out").expect("out exists");
    edge_binding(g, g.files[out].in_edge.unwrap(), "command").unwrap()
}

/// Found by the fuzzer: the `pool` binding is expanded before the edge's
/// paths are added, so `$in` and `$out` are empty there (as in ninja) and
/// must not underflow the input counts.
#[test]
fn pool_binding_sees_no_paths_yet() {
    let manifest = b"pool p\n  depth = 1\nrule r\n  command = c $in\n  pool = p$in$out\nbuild o | io: r i | ii || oo\n";
    let mut reader = MemoryReader::default();
    reader
        .files
        .insert(b"build.ninja".to_vec(), manifest.to_vec());
    let loaded = load(&mut reader, b"build.ninja", &LoadOptions::default()).expect("pool p exists");
    let g = &loaded.graph;
    let edge = g.files[g.lookup_file(b"o").unwrap()].in_edge.unwrap();
    assert_eq!(&*g.pools[g.edges[edge].pool].name, b"p");
    assert_eq!(edge_binding(g, edge, "command").unwrap(), b"c i");
}

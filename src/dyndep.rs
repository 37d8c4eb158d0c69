//! Dyndep files (`spec/build.md`, `[build.dyndep.*]`): the implicit inputs
//! and outputs (and `restat`) that a build step discovers while the build
//! runs, read and applied to the graph as ninja 1.13 does.
//!
//! The file is read with the manifest parser's token rules; its own grammar
//! is small: `ninja_dyndep_version = 1` first, then statements
//! `build OUT | IMPLICIT_OUTS: dyndep | IMPLICIT_INS` with an optional
//! indented `restat = VALUE`.

use crate::ast::{PathExpr, Str, SyntaxError};
use crate::canon::canonicalize;
use crate::diag::ninja_error_text;
use crate::graph::{EdgeBinding, EdgeId, FileId, Graph};
use crate::load::{FileReader, parse_version};
use crate::parse::{Parser, Token};
use crate::source::SourceId;

/// What a dyndep file says about one build statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dyndeps {
    pub edge: Option<EdgeId>,
    pub restat: bool,
    pub implicit_inputs: Vec<Vec<u8>>,
    pub implicit_outputs: Vec<Vec<u8>>,
}

/// Parses a dyndep file against the graph (each statement must name an
/// output of an existing build statement). Errors are ninja's full text.
pub fn parse(graph: &Graph, name: &[u8], text: &[u8]) -> Result<Vec<Dyndeps>, String> {
    let mut parser = Parser::new(SourceId(0), text);
    let fail = |e: SyntaxError| {
        String::from_utf8_lossy(&ninja_error_text(name, text, e.at, &e.message)).into_owned()
    };
    let mut entries: Vec<Dyndeps> = Vec::new();
    let mut have_version = false;
    loop {
        let token = parser.read_token();
        match token {
            Token::Newline => continue,
            // spec: [build.dyndep.version]
            Token::Build if !have_version => {
                return Err(fail(parser.error("expected 'ninja_dyndep_version = ...'")));
            }
            Token::Build => {
                let entry = parse_entry(&mut parser, graph, &entries).map_err(fail)?;
                entries.push(entry);
            }
            Token::Ident if !have_version => {
                parser.unread_token();
                let binding = parser.parse_let().map_err(fail)?;
                if binding.name != b"ninja_dyndep_version" {
                    return Err(fail(parser.error("expected 'ninja_dyndep_version = ...'")));
                }
                let version = evaluate(&binding.value);
                let (major, minor) = parse_version(&String::from_utf8_lossy(&version));
                if major != 1 || minor != 0 {
                    let v = String::from_utf8_lossy(&version);
                    return Err(fail(
                        parser.error(format!("unsupported 'ninja_dyndep_version = {v}'")),
                    ));
                }
                have_version = true;
            }
            Token::Error => return Err(fail(parser.error(parser.describe_last_error()))),
            Token::Eof if !have_version => {
                return Err(fail(parser.error("expected 'ninja_dyndep_version = ...'")));
            }
            Token::Eof => return Ok(entries),
            other => return Err(fail(parser.error(format!("unexpected {}", other.name())))),
        }
    }
}

/// Variables in a dyndep file have no values: its scope is empty.
fn evaluate(s: &Str<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    s.evaluate_into(&mut out, |_, _| {});
    out
}

/// Reads paths until an empty one, evaluated and canonicalised.
fn read_paths<'a>(parser: &mut Parser<'a>) -> Result<Vec<PathExpr<'a>>, SyntaxError> {
    let mut paths = Vec::new();
    loop {
        let path = parser.read_path()?;
        if path.value.is_empty() {
            return Ok(paths);
        }
        paths.push(path);
    }
}

fn canonical(parser: &Parser<'_>, path: &PathExpr<'_>) -> Result<Vec<u8>, SyntaxError> {
    let mut value = evaluate(&path.value);
    if value.is_empty() {
        return Err(parser.error("empty path"));
    }
    canonicalize(&mut value);
    Ok(value)
}

// spec: [build.dyndep.syntax]
fn parse_entry(
    parser: &mut Parser<'_>,
    graph: &Graph,
    seen: &[Dyndeps],
) -> Result<Dyndeps, SyntaxError> {
    let out0 = parser.read_path()?;
    if out0.value.is_empty() {
        return Err(parser.error("expected path"));
    }
    let path = canonical(parser, &out0)?;
    let Some(edge) = graph
        .lookup_file(&path)
        .and_then(|f| graph.files[f].in_edge)
    else {
        let p = String::from_utf8_lossy(&path);
        return Err(parser.error(format!("no build statement exists for '{p}'")));
    };
    if seen.iter().any(|d| d.edge == Some(edge)) {
        let p = String::from_utf8_lossy(&path);
        return Err(parser.error(format!("multiple statements for '{p}'")));
    }
    if !parser.read_path()?.value.is_empty() {
        return Err(parser.error("explicit outputs not supported"));
    }
    let outs = if parser.peek_token(Token::Pipe) {
        read_paths(parser)?
    } else {
        Vec::new()
    };
    parser.expect_token(Token::Colon)?;
    if parser
        .read_ident()
        .is_none_or(|(name, _)| name != b"dyndep")
    {
        return Err(parser.error("expected build command name 'dyndep'"));
    }
    if !parser.read_path()?.value.is_empty() {
        return Err(parser.error("explicit inputs not supported"));
    }
    let ins = if parser.peek_token(Token::Pipe) {
        read_paths(parser)?
    } else {
        Vec::new()
    };
    if parser.peek_token(Token::Pipe2) {
        return Err(parser.error("order-only inputs not supported"));
    }
    parser.expect_token(Token::Newline)?;
    let mut entry = Dyndeps {
        edge: Some(edge),
        ..Dyndeps::default()
    };
    if parser.peek_token(Token::Indent) {
        let binding = parser.parse_let()?;
        if binding.name != b"restat" {
            return Err(parser.error("binding is not 'restat'"));
        }
        entry.restat = !evaluate(&binding.value).is_empty();
    }
    for path in &ins {
        entry.implicit_inputs.push(canonical(parser, path)?);
    }
    for path in &outs {
        entry.implicit_outputs.push(canonical(parser, path)?);
    }
    Ok(entry)
}

/// Loads the dyndep file `file` and applies it to every edge whose `dyndep`
/// binding names it. Errors are ninja's text (without `ninja: error: `).
pub fn load(graph: &mut Graph, file: FileId, reader: &mut dyn FileReader) -> Result<(), String> {
    let name = graph.path(file).to_vec();
    let shown = String::from_utf8_lossy(&name).into_owned();
    let text = reader
        .read_file(&name)
        .map_err(|reason| format!("loading '{shown}': {reason}"))?;
    let mut entries = parse(graph, &name, &text)?;
    let mut used = vec![false; entries.len()];
    let edges: Vec<EdgeId> = graph.files[file]
        .out_edges
        .iter()
        .copied()
        .filter(|&e| graph.edges[e].dyndep == Some(file))
        .collect();
    for edge in edges {
        let Some(i) = entries.iter().position(|d| d.edge == Some(edge)) else {
            let out =
                String::from_utf8_lossy(graph.path(graph.edges[edge].outputs[0])).into_owned();
            return Err(format!(
                "'{out}' not mentioned in its dyndep file '{shown}'"
            ));
        };
        used[i] = true;
        apply(graph, edge, std::mem::take(&mut entries[i]))?;
    }
    if let Some(i) = used.iter().position(|u| !u) {
        let edge = entries[i].edge.expect("entries name an edge");
        let out = String::from_utf8_lossy(graph.path(graph.edges[edge].outputs[0])).into_owned();
        return Err(format!(
            "dyndep file '{shown}' mentions output '{out}' whose build statement does not have a dyndep binding for the file"
        ));
    }
    Ok(())
}

/// spec: [build.dyndep.implicit-in] [build.dyndep.implicit-out] [build.dyndep.restat]
fn apply(graph: &mut Graph, edge: EdgeId, dyndeps: Dyndeps) -> Result<(), String> {
    if dyndeps.restat {
        let span = graph.edges[edge].span;
        graph.edges[edge].bindings.push(EdgeBinding {
            name: b"restat"[..].into(),
            value: b"1"[..].into(),
            span,
        });
    }
    for path in &dyndeps.implicit_outputs {
        let file = graph.file_id(path);
        if graph.files[file].in_edge.is_some() {
            return Err(format!(
                "multiple rules generate {}",
                String::from_utf8_lossy(path)
            ));
        }
        graph.files[file].in_edge = Some(edge);
        let e = &mut graph.edges[edge];
        e.outputs.push(file);
        e.implicit_outputs += 1;
    }
    for path in &dyndeps.implicit_inputs {
        let file = graph.file_id(path);
        let e = &mut graph.edges[edge];
        let at = e.inputs.len() - e.order_only_inputs;
        e.inputs.insert(at, file);
        e.implicit_inputs += 1;
        graph.files[file].out_edges.push(edge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, MemoryReader};

    const MANIFEST: &str =
        "rule r\n  command = r $out\nbuild out: r in || dd\n  dyndep = dd\nbuild dd: r\n";

    fn graph() -> Graph {
        let mut reader = MemoryReader::new(&[("build.ninja", MANIFEST)]);
        crate::load::load(&mut reader, b"build.ninja", &LoadOptions::default())
            .expect("loads")
            .graph
    }

    fn load_text(text: &str) -> (Graph, Result<(), String>) {
        let mut g = graph();
        let dd = g.lookup_file(b"dd").unwrap();
        let mut reader = MemoryReader::new(&[("dd", text)]);
        let result = load(&mut g, dd, &mut reader);
        (g, result)
    }

    #[test]
    fn applies_implicit_inputs_outputs_and_restat() {
        let (g, result) = load_text(
            "ninja_dyndep_version = 1\nbuild out | extra.out: dyndep | extra.in\n  restat = 1\n",
        );
        result.unwrap();
        let edge = g.files[g.lookup_file(b"out").unwrap()].in_edge.unwrap();
        let e = &g.edges[edge];
        let paths = |files: &[FileId]| {
            files
                .iter()
                .map(|&f| g.path(f).to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            paths(&e.inputs),
            [b"in".to_vec(), b"extra.in".to_vec(), b"dd".to_vec()]
        );
        assert_eq!((e.implicit_inputs, e.order_only_inputs), (1, 1));
        assert_eq!(paths(&e.outputs), [b"out".to_vec(), b"extra.out".to_vec()]);
        assert_eq!(
            g.files[g.lookup_file(b"extra.out").unwrap()].in_edge,
            Some(edge)
        );
        assert_eq!(&*e.binding(b"restat").unwrap().value, b"1");
    }

    #[test]
    fn version_errors() {
        let (_, r) = load_text("build out: dyndep\n");
        assert_eq!(
            r.unwrap_err(),
            "dd:1: expected 'ninja_dyndep_version = ...'\n"
        );
        let (_, r) = load_text("ninja_dyndep_version = 2\n");
        assert_eq!(
            r.unwrap_err(),
            "dd:1: unsupported 'ninja_dyndep_version = 2'\nninja_dyndep_version = 2\n                        ^ near here"
        );
    }

    #[test]
    fn statement_errors() {
        let cases = [
            (
                "build nope: dyndep\n",
                "no build statement exists for 'nope'",
            ),
            ("build out x: dyndep\n", "explicit outputs not supported"),
            ("build out: dyndep x\n", "explicit inputs not supported"),
            (
                "build out: dyndep || x\n",
                "order-only inputs not supported",
            ),
            ("build out: r\n", "expected build command name 'dyndep'"),
            ("build out: dyndep\n  x = 1\n", "binding is not 'restat'"),
            (
                "build out: dyndep\nbuild out: dyndep\n",
                "multiple statements for 'out'",
            ),
        ];
        for (body, message) in cases {
            let (_, r) = load_text(&format!("ninja_dyndep_version = 1\n{body}"));
            let err = r.unwrap_err();
            assert!(err.contains(message), "{body:?}: {err}");
        }
    }

    #[test]
    fn every_user_must_be_mentioned() {
        let (_, r) = load_text("ninja_dyndep_version = 1\n");
        assert_eq!(
            r.unwrap_err(),
            "'out' not mentioned in its dyndep file 'dd'"
        );
        let mut g = graph();
        let dd = g.lookup_file(b"dd").unwrap();
        let mut reader = MemoryReader::default();
        assert_eq!(
            load(&mut g, dd, &mut reader).unwrap_err(),
            "loading 'dd': No such file or directory"
        );
    }
}

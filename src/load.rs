//! The loader: reads manifest files, runs the parser, and evaluates each
//! statement as it arrives (`[eval.file.top-down]`), building the [`Graph`].
//!
//! Semantic checks happen in ninja's order, at the positions ninja reports
//! them (`[diag.first-error]`, `[diag.manifest.position]`), so errors match ninja 1.13 byte
//! for byte.
//!
//! Architecture invariant: all file access goes through [`FileReader`], so
//! the loader runs on an in-memory file system in tests and fuzzing.

use std::collections::HashMap;

use crate::ast::*;
use crate::canon::canonicalize;
use crate::diag::ninja_error_text;
use crate::eval_string::{EvalString, Part};
use crate::expand::{EdgeEnv, Escape};
use crate::graph::*;
use crate::parse::Parser;
use crate::scope::ScopeId;
use crate::source::{SourceFile, SourceId, SourceMap, Span};

/// The ninja version whose behaviour n2ref implements.
pub const NINJA_VERSION: &str = "1.13.2";

/// Reads manifest files.
pub trait FileReader {
    /// The file's bytes, or the system's error text (`No such file or directory`).
    fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String>;
}

/// Reads from the real file system, relative to the working directory.
pub struct DiskReader;

impl FileReader for DiskReader {
    fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String> {
        std::fs::read(crate::bytes_to_path(path)).map_err(|e| io_error_text(&e))
    }
}

/// The C library's text for an I/O error, without Rust's `(os error N)`.
pub fn io_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// An in-memory file system, for tests and fuzzing.
#[derive(Default, Clone)]
pub struct MemoryReader {
    pub files: HashMap<Vec<u8>, Vec<u8>>,
}

impl MemoryReader {
    pub fn new(files: &[(&str, &str)]) -> MemoryReader {
        MemoryReader {
            files: files
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        }
    }
}

impl FileReader for MemoryReader {
    fn read_file(&mut self, path: &[u8]) -> Result<Vec<u8>, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "No such file or directory".to_string())
    }
}

/// Whether ninja reports the problem as `error` (load fails) or `fatal`
/// (ninja exits at once: version mismatch, rule variable cycle).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

/// Why a load failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub severity: Severity,
    /// The message alone (`expected '=', got eof`).
    pub message: String,
    /// Where: the file and byte offset ninja reports.
    pub location: Option<(SourceId, Option<usize>)>,
    /// ninja's complete text after `ninja: error: ` / `ninja: fatal: `.
    pub ninja_text: Vec<u8>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.ninja_text))
    }
}

/// Options for a load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Keep every file's text in the [`SourceMap`] (for diagnostics and
    /// `--explain`); builds do not need it.
    pub keep_sources: bool,
    /// `-w phonycycle=err`: keep `build a: phony a` self-references
    /// instead of dropping them with a warning.
    pub phony_cycle_err: bool,
}

/// The result of loading a manifest.
#[derive(Debug, Default)]
pub struct Loaded {
    pub graph: Graph,
    pub sources: SourceMap,
    /// Warnings, in the order ninja prints them (without `ninja: warning: `).
    pub warnings: Vec<Vec<u8>>,
}

/// Loads `path` and everything it includes.
///
/// On error, what was loaded so far is returned too (with the warnings
/// already emitted), because `n2ref check` still reports on it.
#[expect(
    clippy::result_large_err,
    reason = "both variants carry a whole Loaded; boxing one would not shrink the other"
)]
pub fn load(
    reader: &mut dyn FileReader,
    path: &[u8],
    options: &LoadOptions,
) -> Result<Loaded, (LoadError, Loaded)> {
    let mut loader = Loader {
        reader,
        options,
        out: Loaded::default(),
        seq: 0,
        buf: Vec::new(),
        stack: Vec::new(),
    };
    let root = loader.out.graph.scopes.root();
    match loader.load_file(path, root, None) {
        Ok(()) => Ok(loader.out),
        Err(e) => Err((e, loader.out)),
    }
}

struct Loader<'r> {
    reader: &'r mut dyn FileReader,
    options: &'r LoadOptions,
    out: Loaded,
    /// Statement counter, for the assignment history of scopes.
    seq: u32,
    buf: Vec<u8>,
    /// The files being loaded, outermost first: (as written, canonical).
    stack: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A file being parsed: what error positions refer to.
struct Current<'t> {
    source: SourceId,
    name: &'t [u8],
    text: &'t [u8],
}

impl Current<'_> {
    fn error(&self, at: Option<usize>, message: String) -> LoadError {
        LoadError {
            severity: Severity::Error,
            ninja_text: ninja_error_text(self.name, self.text, at, &message),
            message,
            location: Some((self.source, at)),
        }
    }
}

fn fatal(message: String) -> LoadError {
    LoadError {
        severity: Severity::Fatal,
        ninja_text: message.clone().into_bytes(),
        message,
        location: None,
    }
}

impl Loader<'_> {
    /// Loads one file into `scope`. `from` is the including file and the
    /// offset its errors point at.
    fn load_file(
        &mut self,
        path: &[u8],
        scope: ScopeId,
        from: Option<(&Current<'_>, usize, Span)>,
    ) -> Result<(), LoadError> {
        let mut canonical = path.to_vec();
        canonicalize(&mut canonical);
        // spec: [eval.include.cycle] (ninja itself recurses until it crashes)
        if let Some(first) = self.stack.iter().position(|(_, c)| *c == canonical) {
            let mut chain: Vec<String> = self.stack[first..]
                .iter()
                .map(|(written, _)| String::from_utf8_lossy(written).into_owned())
                .collect();
            chain.push(String::from_utf8_lossy(path).into_owned());
            let message = format!("include cycle: {}", chain.join(" -> "));
            return Err(match from {
                Some((parent, at, _)) => parent.error(Some(at), message),
                None => fatal(message),
            });
        }
        let text = match self.reader.read_file(path) {
            Ok(t) => t,
            Err(reason) => {
                // spec: [diag.include.missing]
                let message = format!("loading '{}': {}", String::from_utf8_lossy(path), reason);
                return Err(match from {
                    Some((parent, at, _)) => parent.error(Some(at), message),
                    None => LoadError {
                        severity: Severity::Error,
                        ninja_text: message.clone().into_bytes(),
                        message,
                        location: None,
                    },
                });
            }
        };
        let source = self.out.sources.add(SourceFile {
            name: path.to_vec(),
            text: None,
            included_from: from.map(|(_, _, span)| span),
        });
        if self.out.graph.scopes.get(scope).source.is_none() {
            self.out.graph.scopes.get_mut(scope).source = Some(source);
        }
        let current = Current {
            source,
            name: path,
            text: &text,
        };
        self.stack.push((path.to_vec(), canonical));
        let result = self.parse_file(&current, scope);
        self.stack.pop();
        if self.options.keep_sources {
            self.out.sources.get_mut(source).text = Some(text);
        }
        result
    }

    fn parse_file(&mut self, cur: &Current<'_>, scope: ScopeId) -> Result<(), LoadError> {
        let mut parser = Parser::new(cur.source, cur.text);
        while let Some(parsed) = parser.next_statement() {
            self.seq += 1;
            if let Some(stmt) = parsed.stmt {
                self.statement(cur, scope, stmt, parsed.error.is_some())?;
            }
            if let Some(e) = parsed.error {
                return Err(cur.error(e.at, e.message));
            }
        }
        Ok(())
    }

    /// Applies one statement. `incomplete` means a syntax error follows, so
    /// only the checks ninja makes before that point may run.
    fn statement(
        &mut self,
        cur: &Current<'_>,
        scope: ScopeId,
        stmt: Stmt<'_>,
        incomplete: bool,
    ) -> Result<(), LoadError> {
        match stmt {
            Stmt::Binding(b) => self.top_level_binding(scope, b),
            Stmt::Rule(r) => self.rule(cur, scope, r, incomplete),
            Stmt::Pool(p) => self.pool(cur, scope, p, incomplete),
            Stmt::Build(b) => self.build(cur, scope, b, incomplete),
            Stmt::Default(d) => self.default(cur, scope, d),
            Stmt::Include(i) => {
                let path = self.eval_in_scope(scope, &i.path.value);
                // spec: [eval.include.shared-scope] [eval.subninja.child-scope]
                let target = if i.new_scope {
                    self.out.graph.scopes.new_child(scope, i.span, self.seq)
                } else {
                    scope
                };
                self.load_file(&path, target, Some((cur, i.path.error_at, i.span)))
            }
        }
    }

    /// Expands a string in a file scope (values as of now).
    fn eval_in_scope(&mut self, scope: ScopeId, s: &Str<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        let scopes = &self.out.graph.scopes;
        s.evaluate_into(&mut out, |name, out| scopes.push_value(scope, name, out));
        out
    }

    fn top_level_binding(&mut self, scope: ScopeId, b: Binding<'_>) -> Result<(), LoadError> {
        // spec: [eval.file.top-down]
        let value = self.eval_in_scope(scope, &b.value);
        // spec: [eval.required-version.check]
        if b.name == b"ninja_required_version" {
            self.check_version(&value)?;
        }
        let seq = self.seq;
        self.out
            .graph
            .scopes
            .assign(scope, b.name, value.into(), b.span, seq);
        Ok(())
    }

    fn check_version(&mut self, value: &[u8]) -> Result<(), LoadError> {
        let file = String::from_utf8_lossy(value).into_owned();
        let (bin_major, bin_minor) = parse_version(NINJA_VERSION);
        let (file_major, file_minor) = parse_version(&file);
        if bin_major > file_major {
            self.out.warnings.push(
                format!(
                    "ninja executable version ({NINJA_VERSION}) greater than build file \
                     ninja_required_version ({file}); versions may be incompatible."
                )
                .into_bytes(),
            );
            return Ok(());
        }
        if (bin_major == file_major && bin_minor < file_minor) || bin_major < file_major {
            return Err(fatal(format!(
                "ninja version ({NINJA_VERSION}) incompatible with build file \
                 ninja_required_version version ({file})."
            )));
        }
        Ok(())
    }

    fn rule(
        &mut self,
        cur: &Current<'_>,
        scope: ScopeId,
        r: RuleStmt<'_>,
        incomplete: bool,
    ) -> Result<(), LoadError> {
        let scopes = &self.out.graph.scopes;
        // spec: [eval.rule.scope]
        if scopes.get(scope).rule(r.name).is_some() {
            let name = String::from_utf8_lossy(r.name);
            return Err(cur.error(Some(r.header_end), format!("duplicate rule '{name}'")));
        }
        let mut bindings: [Option<RuleBinding>; 11] = Default::default();
        for b in &r.bindings {
            // spec: [eval.rule.reserved]
            let Some(key) = RuleKey::from_name(b.name) else {
                let name = String::from_utf8_lossy(b.name);
                return Err(cur.error(Some(b.error_at), format!("unexpected variable '{name}'")));
            };
            bindings[key as usize] = Some(RuleBinding {
                value: b.value.to_owned_string(),
                span: Some(b.span),
            });
        }
        if incomplete {
            return Ok(());
        }
        let is_empty = |k: RuleKey| {
            bindings[k as usize]
                .as_ref()
                .is_none_or(|b| b.value.is_empty())
        };
        // spec: [eval.rule.rspfile-pair]
        if is_empty(RuleKey::Rspfile) != is_empty(RuleKey::RspfileContent) {
            return Err(cur.error(
                Some(r.end),
                "rspfile and rspfile_content need to be both specified".into(),
            ));
        }
        // spec: [eval.rule.command-required]
        if is_empty(RuleKey::Command) {
            return Err(cur.error(Some(r.end), "expected 'command =' line".into()));
        }
        // spec: [eval.rule.rspfile-pair] ninja's check leaves empty
        // `rspfile` and `rspfile_content` bindings on every rule.
        for key in [RuleKey::Rspfile, RuleKey::RspfileContent] {
            bindings[key as usize].get_or_insert_with(|| RuleBinding {
                value: EvalString::default(),
                span: None,
            });
        }
        let rule = self.out.graph.rules.push(Rule {
            name: r.name.into(),
            bindings,
            span: Some(r.name_span),
            scope,
        });
        self.out.graph.scopes.add_rule(scope, r.name, rule);
        Ok(())
    }

    fn pool(
        &mut self,
        cur: &Current<'_>,
        scope: ScopeId,
        p: PoolStmt<'_>,
        incomplete: bool,
    ) -> Result<(), LoadError> {
        // spec: [eval.pool.duplicate]
        if self.out.graph.lookup_pool(p.name).is_some() {
            let name = String::from_utf8_lossy(p.name);
            return Err(cur.error(Some(p.header_end), format!("duplicate pool '{name}'")));
        }
        let mut depth: i64 = -1;
        for b in &p.bindings {
            if b.name == b"depth" {
                let value = self.eval_in_scope(scope, &b.value);
                // spec: [eval.pool.declare]
                depth = c_atoi(&value) as i64;
                if depth < 0 {
                    return Err(cur.error(Some(b.error_at), "invalid pool depth".into()));
                }
            } else {
                let name = String::from_utf8_lossy(b.name);
                return Err(cur.error(Some(b.error_at), format!("unexpected variable '{name}'")));
            }
        }
        if incomplete {
            return Ok(());
        }
        if depth < 0 {
            return Err(cur.error(Some(p.end), "expected 'depth =' line".into()));
        }
        self.out.graph.pools.push(Pool {
            name: p.name.into(),
            depth: depth as usize,
            span: Some(p.name_span),
        });
        Ok(())
    }

    fn default(
        &mut self,
        cur: &Current<'_>,
        scope: ScopeId,
        d: DefaultStmt<'_>,
    ) -> Result<(), LoadError> {
        for path in &d.paths {
            let mut value = self.eval_in_scope(scope, &path.value);
            if value.is_empty() {
                return Err(cur.error(Some(path.error_at), "empty path".into()));
            }
            canonicalize(&mut value);
            // spec: [graph.default.explicit]
            match self.out.graph.lookup_file(&value) {
                Some(file) => self.out.graph.defaults.push(file),
                None => {
                    let name = String::from_utf8_lossy(&value);
                    return Err(cur.error(Some(path.error_at), format!("unknown target '{name}'")));
                }
            }
        }
        Ok(())
    }

    fn build(
        &mut self,
        cur: &Current<'_>,
        scope: ScopeId,
        b: BuildStmt<'_>,
        incomplete: bool,
    ) -> Result<(), LoadError> {
        let Some((rule_name, rule_span)) = b.rule else {
            return Ok(());
        };
        let graph = &mut self.out.graph;
        // spec: [eval.rule.lookup]
        let Some(rule) = graph.scopes.lookup_rule(scope, rule_name) else {
            let name = String::from_utf8_lossy(rule_name);
            return Err(cur.error(
                Some(rule_span.start as usize),
                format!("unknown build rule '{name}'"),
            ));
        };
        if incomplete {
            return Ok(());
        }
        // spec: [eval.build.in-out-empty] bindings see the file scope only.
        let bindings: Vec<EdgeBinding> = b
            .bindings
            .iter()
            .map(|binding| {
                let mut value = Vec::new();
                binding.value.evaluate_into(&mut value, |name, out| {
                    graph.scopes.push_value(scope, name, out)
                });
                EdgeBinding {
                    name: binding.name.into(),
                    value: value.into(),
                    span: binding.span,
                }
            })
            .collect();
        let edge = graph.edges.push(Edge {
            rule,
            scope,
            bindings,
            pool: DEFAULT_POOL,
            // The counts are set once the paths are in, as ninja does: the
            // `pool` binding is expanded before, and sees `$in`/`$out` empty.
            outputs: Vec::with_capacity(b.outputs.len() + b.implicit_outputs.len()),
            implicit_outputs: 0,
            inputs: Vec::with_capacity(
                b.inputs.len() + b.implicit_inputs.len() + b.order_only_inputs.len(),
            ),
            implicit_inputs: 0,
            order_only_inputs: 0,
            validations: Vec::new(),
            dyndep: None,
            span: b.span,
        });
        let end = Some(b.end);

        // spec: [eval.pool.edge]
        let mut pool_name = Vec::new();
        EdgeEnv::new(graph, edge, Escape::Shell)
            .lookup(b"pool", &mut pool_name)
            .map_err(|e| fatal(e.to_string()))?;
        if !pool_name.is_empty() {
            match graph.lookup_pool(&pool_name) {
                Some(pool) => graph.edges[edge].pool = pool,
                None => {
                    let name = String::from_utf8_lossy(&pool_name);
                    return Err(cur.error(end, format!("unknown pool name '{name}'")));
                }
            }
        }

        // spec: [eval.build.paths-after-bindings]
        let outputs = b.outputs.iter().chain(&b.implicit_outputs);
        for path in outputs {
            let file = self.build_path(cur, edge, &path.value, end)?;
            let graph = &mut self.out.graph;
            // spec: [graph.output.duplicate]
            if let Some(other) = graph.files[file].in_edge {
                let p = String::from_utf8_lossy(graph.path(file)).into_owned();
                let message = if other == edge {
                    format!("{p} is defined as an output multiple times")
                } else {
                    format!("multiple rules generate {p}")
                };
                return Err(cur.error(end, message));
            }
            graph.files[file].in_edge = Some(edge);
            graph.edges[edge].outputs.push(file);
        }
        self.out.graph.edges[edge].implicit_outputs = b.implicit_outputs.len();
        let inputs = b
            .inputs
            .iter()
            .chain(&b.implicit_inputs)
            .chain(&b.order_only_inputs);
        for path in inputs {
            let file = self.build_path(cur, edge, &path.value, end)?;
            let graph = &mut self.out.graph;
            graph.edges[edge].inputs.push(file);
            graph.files[file].out_edges.push(edge);
        }
        let e = &mut self.out.graph.edges[edge];
        e.implicit_inputs = b.implicit_inputs.len();
        e.order_only_inputs = b.order_only_inputs.len();
        for path in &b.validations {
            let file = self.build_path(cur, edge, &path.value, end)?;
            let graph = &mut self.out.graph;
            graph.edges[edge].validations.push(file);
            graph.files[file].validation_out_edges.push(edge);
        }
        self.drop_phony_self_reference(edge);
        self.dyndep(cur, edge, end)
    }

    /// Evaluates, checks and interns one path of a build line.
    // spec: [eval.build.paths-after-bindings] paths see the build's bindings and the
    // file scope, not the rule's bindings nor `$in`/`$out`.
    fn build_path(
        &mut self,
        cur: &Current<'_>,
        edge: EdgeId,
        value: &Str<'_>,
        end: Option<usize>,
    ) -> Result<FileId, LoadError> {
        let graph = &mut self.out.graph;
        let e = &graph.edges[edge];
        let buf = &mut self.buf;
        buf.clear();
        for part in &value.parts {
            match part {
                Part::Literal(text, _) => buf.extend_from_slice(text),
                Part::Var(name, _) => match e.binding(name) {
                    Some(b) => buf.extend_from_slice(&b.value),
                    None => graph.scopes.push_value(e.scope, name, buf),
                },
            }
        }
        if buf.is_empty() {
            // spec: [graph.path.empty]
            return Err(cur.error(end, "empty path".into()));
        }
        canonicalize(buf);
        Ok(graph.file_id(buf))
    }

    /// spec: [graph.phony.self-reference] CMake 2.8/3.0 wrote `build a: phony a`;
    /// ninja drops the self-reference with a warning.
    fn drop_phony_self_reference(&mut self, edge: EdgeId) {
        let graph = &mut self.out.graph;
        if self.options.phony_cycle_err {
            return;
        }
        let e = &mut graph.edges[edge];
        if !(e.rule == PHONY_RULE
            && e.outputs.len() == 1
            && e.implicit_outputs == 0
            && e.implicit_inputs == 0)
        {
            return;
        }
        let out = e.outputs[0];
        let before = e.inputs.len();
        e.inputs.retain(|&f| f != out);
        if e.inputs.len() != before {
            e.order_only_inputs = e.order_only_inputs.min(e.inputs.len());
            let path = String::from_utf8_lossy(graph.path(out));
            self.out.warnings.push(
                format!(
                    "phony target '{path}' names itself as an input; ignoring [-w phonycycle=warn]"
                )
                .into_bytes(),
            );
        }
    }

    /// spec: [graph.dyndep.input]
    fn dyndep(
        &mut self,
        cur: &Current<'_>,
        edge: EdgeId,
        end: Option<usize>,
    ) -> Result<(), LoadError> {
        let graph = &mut self.out.graph;
        let mut dyndep = Vec::new();
        EdgeEnv::new(graph, edge, Escape::None)
            .lookup(b"dyndep", &mut dyndep)
            .map_err(|e| fatal(e.to_string()))?;
        if dyndep.is_empty() {
            return Ok(());
        }
        canonicalize(&mut dyndep);
        let file = graph.file_id(&dyndep);
        graph.edges[edge].dyndep = Some(file);
        if !graph.edges[edge].inputs.contains(&file) {
            let path = String::from_utf8_lossy(&dyndep);
            return Err(cur.error(end, format!("dyndep '{path}' is not an input")));
        }
        Ok(())
    }
}

/// `MAJOR.MINOR` of a version string, as ninja's `ParseVersion` reads it.
pub fn parse_version(version: &str) -> (i32, i32) {
    let mut parts = version.splitn(3, '.');
    let major = c_atoi(parts.next().unwrap_or("").as_bytes());
    let minor = parts.next().map_or(0, |m| c_atoi(m.as_bytes()));
    (major, minor)
}

/// C's `atoi`: leading whitespace, an optional sign, digits; anything else
/// ends the number. Out-of-range values wrap as glibc's `(int)strtol` does.
pub fn c_atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as i64))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    let long = match (overflow, negative) {
        (true, false) => i64::MAX,
        (true, true) => i64::MIN,
        (false, true) => -value,
        (false, false) => value,
    };
    long as i32
}

//! Re-reads the loaded manifest files statement by statement, in the order
//! the loader evaluated them, so lints can see the statements as written
//! together with the scope and the statement number (`seq`) the loader gave
//! each one. With the number, [`crate::scope::Scopes::lookup_before`] tells
//! what a variable held when the statement was evaluated.

use crate::ast::Stmt;
use crate::load::{LoadError, Loaded};
use crate::parse::Parser;
use crate::scope::ScopeId;
use crate::source::{SourceId, Span};

/// One statement with its context.
#[derive(Debug)]
pub struct StmtCtx<'a> {
    pub source: SourceId,
    pub scope: ScopeId,
    /// The loader's statement counter for this statement.
    pub seq: u32,
    pub stmt: Stmt<'a>,
    /// Whether the loader evaluated the statement before it stopped (always
    /// true when the load succeeded). Statements after a load error were
    /// parsed here but never took effect.
    pub evaluated: bool,
}

/// Every statement of every loaded file, in evaluation order.
pub fn walk<'a>(loaded: &'a Loaded, error: Option<&LoadError>) -> Vec<StmtCtx<'a>> {
    let mut w = Walker {
        loaded,
        out: Vec::new(),
        seq: 0,
        next_source: 1,
        next_scope: 1,
        cutoff: error.and_then(|e| match e.location {
            Some((source, Some(at))) => Some((source, at)),
            _ => None,
        }),
        past_error: false,
    };
    if !loaded.sources.is_empty() {
        w.file(SourceId(0), loaded.graph.scopes.root());
    }
    w.out
}

struct Walker<'a> {
    loaded: &'a Loaded,
    out: Vec<StmtCtx<'a>>,
    seq: u32,
    next_source: u32,
    next_scope: u32,
    /// Where the load error is: statements starting at or after it were not
    /// evaluated.
    cutoff: Option<(SourceId, usize)>,
    past_error: bool,
}

impl<'a> Walker<'a> {
    /// Returns false when the walk must stop (the loader stopped here).
    fn file(&mut self, source: SourceId, scope: ScopeId) -> bool {
        let Some(text) = self.loaded.sources.get(source).text.as_deref() else {
            return false;
        };
        let mut parser = Parser::new(source, text);
        while let Some(parsed) = parser.next_statement() {
            self.seq += 1;
            let Some(stmt) = parsed.stmt else {
                return false;
            };
            let start = stmt_start(&stmt);
            if let Some((err_source, at)) = self.cutoff
                && err_source == source
                && start >= at
            {
                self.past_error = true;
            }
            let include = match &stmt {
                Stmt::Include(i) => Some((i.span, i.new_scope)),
                _ => None,
            };
            self.out.push(StmtCtx {
                source,
                scope,
                seq: self.seq,
                stmt,
                evaluated: !self.past_error,
            });
            if parsed.error.is_some() {
                return false;
            }
            if let Some((span, new_scope)) = include {
                if self.past_error {
                    continue;
                }
                // The loader makes the child scope before reading the file.
                let target = if new_scope {
                    let id = ScopeId(self.next_scope);
                    self.next_scope += 1;
                    id
                } else {
                    scope
                };
                let sources = &self.loaded.sources;
                let next = SourceId(self.next_source);
                if (next.0 as usize) >= sources.len()
                    || sources.get(next).included_from != Some(span)
                {
                    // The loader could not read the file and stopped.
                    return false;
                }
                self.next_source += 1;
                if !self.file(next, target) {
                    return false;
                }
            }
        }
        true
    }
}

/// Where a statement starts, for ordering against the load error.
pub fn stmt_start(stmt: &Stmt<'_>) -> usize {
    stmt_span(stmt).start as usize
}

/// A span that identifies the statement: its first line, or for rules and
/// pools, the name.
pub fn stmt_span(stmt: &Stmt<'_>) -> Span {
    match stmt {
        Stmt::Binding(b) => b.span,
        Stmt::Rule(r) => r.name_span,
        Stmt::Pool(p) => p.name_span,
        Stmt::Build(b) => b.span,
        Stmt::Default(d) => d.span,
        Stmt::Include(i) => i.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, MemoryReader, load};

    /// The walker numbers statements and assigns scopes exactly as the
    /// loader did: every top-level assignment it sees is recorded in the
    /// same scope with the same statement number.
    #[test]
    fn matches_the_loader() {
        let mut reader = MemoryReader::new(&[
            (
                "build.ninja",
                "a = 1\ninclude inc.ninja\nsubninja sub.ninja\nb = 2\nsubninja sub2.ninja\nc = 3\n",
            ),
            ("inc.ninja", "i = 1\nsubninja sub3.ninja\nj = 2\n"),
            ("sub.ninja", "s = 1\ninclude sinc.ninja\nt = 2\n"),
            ("sinc.ninja", "u = 1\n"),
            ("sub2.ninja", "v = 1\n"),
            ("sub3.ninja", "w = 1\n"),
        ]);
        let options = LoadOptions {
            keep_sources: true,
            ..LoadOptions::default()
        };
        let loaded = load(&mut reader, b"build.ninja", &options).unwrap();
        let stmts = walk(&loaded, None);
        let mut seen = 0;
        for ctx in &stmts {
            let Stmt::Binding(b) = &ctx.stmt else {
                continue;
            };
            let scope = loaded.graph.scopes.get(ctx.scope);
            let (_, list) = scope.vars().find(|(n, _)| *n == b.name).expect("assigned");
            assert!(
                list.iter().any(|a| a.span == b.span && a.seq == ctx.seq),
                "{} in scope {}",
                String::from_utf8_lossy(b.name),
                ctx.scope.0
            );
            assert!(ctx.evaluated);
            seen += 1;
        }
        assert_eq!(seen, 10);
    }

    #[test]
    fn statements_after_a_load_error_are_not_evaluated() {
        let mut reader =
            MemoryReader::new(&[("build.ninja", "a = 1\nbuild x: nosuchrule\nb = 2\n")]);
        let options = LoadOptions {
            keep_sources: true,
            ..LoadOptions::default()
        };
        let (error, loaded) = load(&mut reader, b"build.ninja", &options).unwrap_err();
        let stmts = walk(&loaded, Some(&error));
        let evaluated: Vec<bool> = stmts.iter().map(|c| c.evaluated).collect();
        assert_eq!(evaluated, [true, true, false]);
    }
}

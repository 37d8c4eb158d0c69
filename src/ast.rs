//! The statements of a manifest as the parser produces them: syntax only,
//! with spans, and with the byte offsets at which ninja reports the semantic
//! errors of each statement (see `[diag.manifest.position]` in `spec/diagnostics.md`).

use crate::eval_string::EvalString;
use crate::source::Span;

/// A borrowed string from the manifest being parsed.
pub type Str<'a> = EvalString<&'a [u8]>;

/// `name = value`, at top level or indented inside a rule, build or pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding<'a> {
    pub name: &'a [u8],
    pub name_span: Span,
    pub value: Str<'a>,
    /// The whole `name = value` statement, without its newline.
    pub span: Span,
    /// Where ninja reports errors about this binding (the end of its value).
    pub error_at: usize,
}

/// `rule NAME` or `pool NAME`, followed by indented bindings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockStmt<'a> {
    pub name: &'a [u8],
    pub name_span: Span,
    /// Where `duplicate rule`/`duplicate pool` is reported (the newline
    /// after the name).
    pub header_end: usize,
    pub bindings: Vec<Binding<'a>>,
    /// Where errors about the block as a whole are reported (the token after it).
    pub end: usize,
}

/// A `rule` statement.
pub type RuleStmt<'a> = BlockStmt<'a>;
/// A `pool` statement.
pub type PoolStmt<'a> = BlockStmt<'a>;

/// One path on a `build` or `default` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathExpr<'a> {
    pub value: Str<'a>,
    pub span: Span,
    /// Where errors about this path are reported when it is evaluated at once
    /// (`default`): just after it.
    pub error_at: usize,
}

/// `build OUTS | IMPLICIT_OUTS: RULE INS | IMPLICIT || ORDER_ONLY |@ VALIDATIONS`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BuildStmt<'a> {
    pub outputs: Vec<PathExpr<'a>>,
    pub implicit_outputs: Vec<PathExpr<'a>>,
    pub rule: Option<(&'a [u8], Span)>,
    pub inputs: Vec<PathExpr<'a>>,
    pub implicit_inputs: Vec<PathExpr<'a>>,
    pub order_only_inputs: Vec<PathExpr<'a>>,
    pub validations: Vec<PathExpr<'a>>,
    pub bindings: Vec<Binding<'a>>,
    /// The `build` keyword to the end of the build line.
    pub span: Span,
    /// Where errors found after the whole statement is read are reported.
    pub end: usize,
}

/// `default PATHS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultStmt<'a> {
    pub paths: Vec<PathExpr<'a>>,
    pub span: Span,
}

/// `include PATH` (shares the scope) or `subninja PATH` (child scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeStmt<'a> {
    pub path: PathExpr<'a>,
    pub new_scope: bool,
    pub span: Span,
}

/// A statement of the manifest language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt<'a> {
    Binding(Binding<'a>),
    Rule(RuleStmt<'a>),
    Build(BuildStmt<'a>),
    Pool(PoolStmt<'a>),
    Default(DefaultStmt<'a>),
    Include(IncludeStmt<'a>),
}

/// A syntax error: ninja's message and the offset of the token it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte offset ninja's caret points at; `None` before any token was read.
    pub at: Option<usize>,
}

/// What the parser yields for one statement.
///
/// On a syntax error inside a statement, `stmt` holds what was read before
/// the error, so the loader can first apply the semantic checks ninja makes
/// earlier in the same statement (`[diag.first-error]`), then report `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub stmt: Option<Stmt<'a>>,
    pub error: Option<SyntaxError>,
}

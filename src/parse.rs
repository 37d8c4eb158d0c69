//! The manifest parser: bytes in, [`Stmt`]s out, one statement at a time.
//!
//! Built from nom combinators over `&[u8]` with no separate lexer. The token
//! rules (what ends a path, where comments may appear, which escapes exist)
//! are those of `spec/lexical.md`; the statement shapes are `spec/syntax.md`.
//! The parser tracks the start of the last token it read, because ninja
//! reports every error there (`[diag.manifest.position]`).
//!
//! Architecture invariant: the parser knows nothing about scopes, rules or
//! the file system. It never evaluates a string.

use nom::Parser as _;
use nom::bytes::complete::{take_while, take_while1};

use crate::ast::*;
use crate::eval_string::{EvalString, Part};
use crate::source::{SourceId, Span};

/// The tokens ninja's lexer distinguishes at statement level.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Error,
    Build,
    Colon,
    Default,
    Equals,
    Ident,
    Include,
    Indent,
    Newline,
    Pipe2,
    Pipe,
    PipeAt,
    Pool,
    Rule,
    Subninja,
    Eof,
}

impl Token {
    /// The token's name in ninja's error messages (`expected '=', got eof`).
    pub fn name(self) -> &'static str {
        match self {
            Token::Error => "lexing error",
            Token::Build => "'build'",
            Token::Colon => "':'",
            Token::Default => "'default'",
            Token::Equals => "'='",
            Token::Ident => "identifier",
            Token::Include => "'include'",
            Token::Indent => "indent",
            Token::Newline => "newline",
            Token::Pipe2 => "'||'",
            Token::Pipe => "'|'",
            Token::PipeAt => "'|@'",
            Token::Pool => "'pool'",
            Token::Rule => "'rule'",
            Token::Subninja => "'subninja'",
            Token::Eof => "eof",
        }
    }
}

type NomResult<'a> = nom::IResult<&'a [u8], &'a [u8]>;

/// spec: [lex.ident.charset] identifiers and `${...}` names: `[a-zA-Z0-9_.-]+`.
pub fn is_varname_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// spec: [lex.escape.var] `$name` without braces allows no dots.
pub fn is_simple_varname_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

fn varname(i: &[u8]) -> NomResult<'_> {
    take_while1(is_varname_byte).parse(i)
}

fn simple_varname(i: &[u8]) -> NomResult<'_> {
    take_while1(is_simple_varname_byte).parse(i)
}

fn spaces(i: &[u8]) -> NomResult<'_> {
    take_while(|b| b == b' ').parse(i)
}

/// A run of bytes that are literal text in both paths and values.
fn literal_run(i: &[u8]) -> NomResult<'_> {
    take_while1(|b| !matches!(b, b'$' | b' ' | b':' | b'\r' | b'\n' | b'|' | 0)).parse(i)
}

fn len_of(r: NomResult<'_>) -> usize {
    r.map_or(0, |(_, m)| m.len())
}

/// Parses one manifest file, statement by statement.
pub struct Parser<'a> {
    input: &'a [u8],
    source: SourceId,
    pos: usize,
    last_token: Option<usize>,
}

impl<'a> Parser<'a> {
    pub fn new(source: SourceId, input: &'a [u8]) -> Parser<'a> {
        Parser {
            input,
            source,
            pos: 0,
            last_token: None,
        }
    }

    /// The offset of the last token read: where ninja would report an error now.
    pub fn last_token(&self) -> Option<usize> {
        self.last_token
    }

    fn rest(&self) -> &'a [u8] {
        &self.input[self.pos.min(self.input.len())..]
    }

    /// The byte at `pos`, with 0 past the end: ninja's input is
    /// NUL-terminated and treats any NUL byte as the end (`[lex.input.nul]`).
    fn byte_at(&self, pos: usize) -> u8 {
        self.input.get(pos).copied().unwrap_or(0)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.source, start, end)
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            at: self.last_token,
        }
    }

    // ---- token level -------------------------------------------------

    /// Reads the next statement-level token, skipping comment lines.
    pub fn read_token(&mut self) -> Token {
        let mut p = self.pos;
        let (start, token) = loop {
            let start = p;
            let rest = &self.input[p.min(self.input.len())..];
            let n_spaces = len_of(spaces(rest));
            let after = p + n_spaces;
            // spec: [lex.comment.token-position] `[ ]*#...\n` is skipped as a whole.
            if self.byte_at(after) == b'#' {
                let body = &self.input[after..];
                let stop = body.iter().position(|&b| b == b'\n' || b == 0);
                if let Some(i) = stop.filter(|&i| body[i] == b'\n') {
                    p = after + i + 1;
                    continue;
                }
            }
            match (self.byte_at(after), self.byte_at(after + 1)) {
                (b'\n', _) => break (start, (Token::Newline, after + 1)),
                (b'\r', b'\n') => break (start, (Token::Newline, after + 2)),
                _ if n_spaces > 0 => break (start, (Token::Indent, after)),
                _ => {}
            }
            if let Ok((_, word)) = varname(rest) {
                let token = match word {
                    b"build" => Token::Build,
                    b"pool" => Token::Pool,
                    b"rule" => Token::Rule,
                    b"default" => Token::Default,
                    b"include" => Token::Include,
                    b"subninja" => Token::Subninja,
                    _ => Token::Ident,
                };
                break (start, (token, p + word.len()));
            }
            let token = match (self.byte_at(p), self.byte_at(p + 1)) {
                (b'=', _) => (Token::Equals, p + 1),
                (b':', _) => (Token::Colon, p + 1),
                (b'|', b'@') => (Token::PipeAt, p + 2),
                (b'|', b'|') => (Token::Pipe2, p + 2),
                (b'|', _) => (Token::Pipe, p + 1),
                (0, _) => (Token::Eof, p),
                _ => (Token::Error, p + 1),
            };
            break (start, token);
        };
        let (token, end) = token;
        self.last_token = Some(start);
        self.pos = end;
        if token != Token::Newline && token != Token::Eof {
            self.eat_whitespace();
        }
        token
    }

    /// Reads a token and keeps it if it is `token`; otherwise puts it back.
    pub fn peek_token(&mut self, token: Token) -> bool {
        if self.read_token() == token {
            return true;
        }
        self.unread_token();
        false
    }

    pub(crate) fn unread_token(&mut self) {
        if let Some(at) = self.last_token {
            self.pos = at;
        }
    }

    /// Skips spaces and `$`-newline continuations between tokens.
    fn eat_whitespace(&mut self) {
        loop {
            let n = len_of(spaces(self.rest()));
            if n > 0 {
                self.pos += n;
                continue;
            }
            match (self.byte_at(self.pos), self.byte_at(self.pos + 1)) {
                (b'$', b'\n') => self.pos += 2,
                (b'$', b'\r') if self.byte_at(self.pos + 2) == b'\n' => self.pos += 3,
                _ => return,
            }
        }
    }

    /// Reads an identifier (rule, pool or variable name).
    pub(crate) fn read_ident(&mut self) -> Option<(&'a [u8], Span)> {
        let start = self.pos;
        match varname(self.rest()) {
            Ok((_, word)) => {
                self.last_token = Some(start);
                self.pos = start + word.len();
                self.eat_whitespace();
                Some((word, self.span(start, start + word.len())))
            }
            Err(_) => {
                self.last_token = Some(start);
                None
            }
        }
    }

    pub(crate) fn expect_token(&mut self, expected: Token) -> Result<(), SyntaxError> {
        let got = self.read_token();
        if got == expected {
            return Ok(());
        }
        // spec: [diag.catalogue.expect] "expected X, got Y" plus a hint for ':'.
        let hint = if expected == Token::Colon {
            " ($ also escapes ':')"
        } else {
            ""
        };
        Err(self.error(format!(
            "expected {}, got {}{}",
            expected.name(),
            got.name(),
            hint
        )))
    }

    /// Reads a string with `$` escapes and references.
    ///
    /// In a path, a space, `:`, `|` or newline ends the string (and is not
    /// consumed); in a value only a newline does (and is consumed).
    fn read_eval_string(&mut self, path: bool) -> Result<(Str<'a>, Span), SyntaxError> {
        let input = self.input;
        let first = self.pos;
        let mut parts: Vec<Part<&'a [u8]>> = Vec::new();
        let mut p = self.pos;
        let mut end_of_text;
        let mut start;
        loop {
            start = p;
            end_of_text = p;
            let rest = &input[p.min(input.len())..];
            if let Ok((_, run)) = literal_run(rest) {
                p += run.len();
                parts.push(Part::Literal(run, self.span(start, p)));
                continue;
            }
            match (self.byte_at(p), self.byte_at(p + 1)) {
                // spec: [lex.newline.crlf] CRLF ends a line like LF.
                (b'\r', b'\n') => {
                    if !path {
                        p += 2;
                    }
                    break;
                }
                (b' ' | b':' | b'|' | b'\n', _) => {
                    if path {
                        break;
                    }
                    if input[p] == b'\n' {
                        p += 1;
                        break;
                    }
                    parts.push(Part::Literal(&input[p..p + 1], self.span(p, p + 1)));
                    p += 1;
                }
                (b'$', next) => {
                    let escaped: Option<&'static [u8]> = match next {
                        // spec: [lex.escape.dollar]
                        b'$' => Some(b"$"),
                        // spec: [lex.escape.space]
                        b' ' => Some(b" "),
                        // spec: [lex.escape.colon]
                        b':' => Some(b":"),
                        _ => None,
                    };
                    if let Some(text) = escaped {
                        parts.push(Part::Literal(text, self.span(p, p + 2)));
                        p += 2;
                        continue;
                    }
                    // spec: [lex.escape.newline] `$` + newline joins lines,
                    // eating the next line's leading spaces.
                    let newline = match (next, self.byte_at(p + 2)) {
                        (b'\n', _) => 2,
                        (b'\r', b'\n') => 3,
                        _ => 0,
                    };
                    if newline > 0 {
                        p += newline;
                        p += len_of(spaces(&input[p.min(input.len())..]));
                        continue;
                    }
                    // spec: [lex.escape.var-braced] `${name}` may contain dots.
                    if next == b'{'
                        && let Ok((after, name)) = varname(&input[(p + 2).min(input.len())..])
                        && after.first() == Some(&b'}')
                    {
                        let end = p + 2 + name.len() + 1;
                        parts.push(Part::Var(name, self.span(p, end)));
                        p = end;
                        continue;
                    }
                    // spec: [lex.escape.var]
                    if let Ok((_, name)) = simple_varname(&input[(p + 1).min(input.len())..]) {
                        let end = p + 1 + name.len();
                        parts.push(Part::Var(name, self.span(p, end)));
                        p = end;
                        continue;
                    }
                    // spec: [lex.escape.bad]
                    self.last_token = Some(start);
                    return Err(self.error("bad $-escape (literal $ must be written as $$)"));
                }
                (0, _) => {
                    // spec: [lex.eof.text]
                    self.last_token = Some(start);
                    return Err(self.error("unexpected EOF"));
                }
                _ => {
                    self.last_token = Some(start);
                    return Err(self.error(self.describe_last_error()));
                }
            }
        }
        self.last_token = Some(start);
        self.pos = p;
        if path {
            self.eat_whitespace();
        }
        Ok((EvalString { parts }, self.span(first, end_of_text)))
    }

    pub(crate) fn read_path(&mut self) -> Result<PathExpr<'a>, SyntaxError> {
        let (value, span) = self.read_eval_string(true)?;
        Ok(PathExpr {
            value,
            span,
            error_at: self.last_token.unwrap_or(0),
        })
    }

    /// spec: [syntax.indent.tabs] a tab where a token should start.
    pub(crate) fn describe_last_error(&self) -> &'static str {
        match self.last_token.map(|at| self.byte_at(at)) {
            Some(b'\t') => "tabs are not allowed, use spaces",
            _ => "lexing error",
        }
    }

    // ---- statement level ---------------------------------------------

    /// Parses the next statement; `None` at the end of the file.
    pub fn next_statement(&mut self) -> Option<Parsed<'a>> {
        loop {
            let start = self.pos;
            let token = self.read_token();
            let stmt_start = self.last_token.unwrap_or(start);
            let parsed = match token {
                Token::Newline => continue,
                Token::Eof => return None,
                Token::Pool => self.parse_named_block("expected pool name", Stmt::Pool),
                Token::Rule => self.parse_named_block("expected rule name", Stmt::Rule),
                Token::Build => self.parse_build(stmt_start),
                Token::Default => self.parse_default(stmt_start),
                Token::Include | Token::Subninja => {
                    self.parse_include(stmt_start, token == Token::Subninja)
                }
                Token::Ident => {
                    self.unread_token();
                    match self.parse_let() {
                        Ok(b) => ok(Stmt::Binding(b)),
                        Err(e) => fail(e),
                    }
                }
                Token::Error => fail(self.error(self.describe_last_error())),
                // spec: [syntax.stmt.start]
                other => fail(self.error(format!("unexpected {}", other.name()))),
            };
            return Some(parsed);
        }
    }

    /// `name = value` (the name is the next token).
    pub(crate) fn parse_let(&mut self) -> Result<Binding<'a>, SyntaxError> {
        let Some((name, name_span)) = self.read_ident() else {
            return Err(self.error("expected variable name"));
        };
        self.expect_token(Token::Equals)?;
        let (value, value_span) = self.read_eval_string(false)?;
        let end = if value.is_empty() {
            name_span.end as usize
        } else {
            value_span.end as usize
        };
        Ok(Binding {
            name,
            name_span,
            value,
            span: self.span(name_span.start as usize, end),
            error_at: self.last_token.unwrap_or(0),
        })
    }

    /// The indented bindings of a rule, pool or build; `Err` carries the
    /// bindings read before a syntax error.
    fn parse_block(&mut self) -> Result<Vec<Binding<'a>>, (Vec<Binding<'a>>, SyntaxError)> {
        let mut bindings = Vec::new();
        while self.peek_token(Token::Indent) {
            match self.parse_let() {
                Ok(b) => bindings.push(b),
                Err(e) => return Err((bindings, e)),
            }
        }
        Ok(bindings)
    }

    /// Reads `NAME newline` after `rule`/`pool`.
    fn parse_block_header(
        &mut self,
        missing: &str,
    ) -> Result<(&'a [u8], Span, usize), SyntaxError> {
        let Some((name, name_span)) = self.read_ident() else {
            return Err(self.error(missing));
        };
        self.expect_token(Token::Newline)?;
        Ok((name, name_span, self.last_token.unwrap_or(0)))
    }

    /// `rule NAME` or `pool NAME` and its block; `make` picks the statement.
    fn parse_named_block(
        &mut self,
        missing: &str,
        make: fn(BlockStmt<'a>) -> Stmt<'a>,
    ) -> Parsed<'a> {
        let (name, name_span, header_end) = match self.parse_block_header(missing) {
            Ok(h) => h,
            Err(e) => return fail(e),
        };
        let (bindings, error) = split(self.parse_block());
        let end = self.last_token.unwrap_or(0);
        let stmt = make(BlockStmt {
            name,
            name_span,
            header_end,
            bindings,
            end,
        });
        Parsed {
            stmt: Some(stmt),
            error,
        }
    }

    /// Reads paths until an empty one (the list's end).
    fn read_paths(&mut self, into: &mut Vec<PathExpr<'a>>) -> Result<(), SyntaxError> {
        loop {
            let path = self.read_path()?;
            if path.value.is_empty() {
                return Ok(());
            }
            into.push(path);
        }
    }

    fn parse_build(&mut self, start: usize) -> Parsed<'a> {
        let mut build = BuildStmt::default();
        let result = self.parse_build_into(&mut build, start);
        build.end = self.last_token.unwrap_or(0);
        let error = result.err();
        Parsed {
            stmt: Some(Stmt::Build(build)),
            error,
        }
    }

    fn parse_build_into(&mut self, b: &mut BuildStmt<'a>, start: usize) -> Result<(), SyntaxError> {
        b.span = self.span(start, start);
        self.read_paths(&mut b.outputs)?;
        // spec: [syntax.build.groups]
        if self.peek_token(Token::Pipe) {
            self.read_paths(&mut b.implicit_outputs)?;
        }
        if b.outputs.is_empty() && b.implicit_outputs.is_empty() {
            return Err(self.error("expected path"));
        }
        self.expect_token(Token::Colon)?;
        let Some(rule) = self.read_ident() else {
            return Err(self.error("expected build command name"));
        };
        b.rule = Some(rule);
        self.read_paths(&mut b.inputs)?;
        // spec: [syntax.build.groups]
        if self.peek_token(Token::Pipe) {
            self.read_paths(&mut b.implicit_inputs)?;
        }
        // spec: [syntax.build.groups]
        if self.peek_token(Token::Pipe2) {
            self.read_paths(&mut b.order_only_inputs)?;
        }
        // spec: [syntax.build.validations]
        if self.peek_token(Token::PipeAt) {
            self.read_paths(&mut b.validations)?;
        }
        let line_end = self.pos;
        self.expect_token(Token::Newline)?;
        b.span = self.span(start, self.last_token.unwrap_or(line_end));
        match self.parse_block() {
            Ok(bindings) => b.bindings = bindings,
            Err((bindings, e)) => {
                b.bindings = bindings;
                return Err(e);
            }
        }
        Ok(())
    }

    fn parse_default(&mut self, start: usize) -> Parsed<'a> {
        let mut paths = Vec::new();
        let result = (|| {
            let first = self.read_path()?;
            if first.value.is_empty() {
                return Err(self.error("expected target name"));
            }
            paths.push(first);
            self.read_paths(&mut paths)?;
            self.expect_token(Token::Newline)
        })();
        let end = paths.last().map_or(start, |p| p.span.end as usize);
        let stmt = Stmt::Default(DefaultStmt {
            paths,
            span: self.span(start, end),
        });
        Parsed {
            stmt: Some(stmt),
            error: result.err(),
        }
    }

    fn parse_include(&mut self, start: usize, new_scope: bool) -> Parsed<'a> {
        let path = match self.read_path() {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        let span = self.span(start, path.span.end as usize);
        let error = self.expect_token(Token::Newline).err();
        Parsed {
            stmt: Some(Stmt::Include(IncludeStmt {
                path,
                new_scope,
                span,
            })),
            error,
        }
    }
}

fn ok(stmt: Stmt<'_>) -> Parsed<'_> {
    Parsed {
        stmt: Some(stmt),
        error: None,
    }
}

fn fail<'a>(error: SyntaxError) -> Parsed<'a> {
    Parsed {
        stmt: None,
        error: Some(error),
    }
}

fn split<T>(r: Result<Vec<T>, (Vec<T>, SyntaxError)>) -> (Vec<T>, Option<SyntaxError>) {
    match r {
        Ok(v) => (v, None),
        Err((v, e)) => (v, Some(e)),
    }
}

/// Parses a whole file into statements, stopping at the first syntax error.
///
/// This is the parser alone, for tools and tests; loading a manifest goes
/// through [`crate::load`], which interleaves parsing with evaluation as
/// ninja does.
pub fn parse_all(source: SourceId, input: &[u8]) -> Result<Vec<Stmt<'_>>, SyntaxError> {
    let mut parser = Parser::new(source, input);
    let mut out = Vec::new();
    while let Some(parsed) = parser.next_statement() {
        if let Some(stmt) = parsed.stmt {
            out.push(stmt);
        }
        if let Some(e) = parsed.error {
            return Err(e);
        }
    }
    Ok(out)
}

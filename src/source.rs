//! Manifest sources: the files the loader read, their names, and the spans
//! (source, byte range) that every parsed item carries.

/// Identifies one loaded manifest file (`build.ninja`, an include, a subninja).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A byte range within one source file.
///
/// Spans are small (12 bytes) and `Copy`, so every statement, binding, path
/// and variable reference keeps one and any later diagnostic can point at it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span {
            source,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One manifest file as the loader read it.
#[derive(Debug)]
pub struct SourceFile {
    /// The name as ninja reports it: the path given on the command line or
    /// the evaluated `include`/`subninja` path.
    pub name: Vec<u8>,
    /// The file's bytes; dropped after parsing unless the loader was asked to
    /// keep sources (diagnostics and `--explain` need them, builds do not).
    pub text: Option<Vec<u8>>,
    /// Where this file was pulled in from (`include`/`subninja` statement).
    pub included_from: Option<Span>,
}

/// All manifest files of one load, indexed by [`SourceId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// A 1-based line and 0-based byte column, as ninja counts them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn get_mut(&mut self, id: SourceId) -> &mut SourceFile {
        &mut self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(i as u32), f))
    }

    /// The text a span covers, if the source was kept.
    pub fn text(&self, span: Span) -> Option<&[u8]> {
        self.get(span.source)
            .text
            .as_deref()
            .and_then(|t| t.get(span.range()))
    }

    /// Line and column of a span's start, if the source was kept.
    pub fn line_col(&self, span: Span) -> Option<LineCol> {
        let text = self.get(span.source).text.as_deref()?;
        Some(line_col(text, span.start as usize))
    }
}

/// Line (1-based) and column (0-based, in bytes) of `offset` in `text`.
pub fn line_col(text: &[u8], offset: usize) -> LineCol {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    LineCol {
        line,
        col: offset - line_start,
    }
}

/// The bytes of the line containing `offset`, without its newline.
pub fn line_at(text: &[u8], offset: usize) -> &[u8] {
    let offset = offset.min(text.len());
    let start = text[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let end = text[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| offset + p);
    &text[start..end]
}

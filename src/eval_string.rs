//! Represents ninja strings with embedded variable references (`a$x${y}b`)
//! as parsed, before any scope gives the variables values.

use crate::source::Span;

/// One piece of an [`EvalString`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part<S> {
    /// Literal bytes, escapes already resolved (`$$` is stored as `$`).
    Literal(S, Span),
    /// A reference `$name` or `${name}`; the span covers the whole reference.
    Var(S, Span),
}

/// A parsed string: a sequence of literal text and variable references.
///
/// `S` is `&[u8]` while parsing (pieces borrow the manifest text) and
/// `Box<[u8]>` once a string is kept beyond its source, as rule bindings are.
///
/// ```
/// use n2ref::eval_string::{EvalString, Part};
/// use n2ref::source::{Span, SourceId};
/// let span = Span::new(SourceId(0), 0, 0);
/// let s = EvalString { parts: vec![Part::Literal(&b"cc "[..], span), Part::Var(&b"in"[..], span)] };
/// assert_eq!(s.to_manifest_syntax(), b"cc ${in}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalString<S> {
    pub parts: Vec<Part<S>>,
}

/// An owned string, as stored in rules.
pub type OwnedEvalString = EvalString<Box<[u8]>>;

impl<S> Default for EvalString<S> {
    fn default() -> Self {
        EvalString { parts: Vec::new() }
    }
}

impl<S: AsRef<[u8]>> EvalString<S> {
    /// True when the string has no pieces at all. ninja treats `rspfile =`
    /// (nothing after `=`) as "not set", which is what this tests.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Copies the pieces so the string outlives the manifest text.
    pub fn to_owned_string(&self) -> OwnedEvalString {
        EvalString {
            parts: self
                .parts
                .iter()
                .map(|p| match p {
                    Part::Literal(s, span) => Part::Literal(s.as_ref().into(), *span),
                    Part::Var(s, span) => Part::Var(s.as_ref().into(), *span),
                })
                .collect(),
        }
    }

    /// Expands the string, asking `lookup` for each variable's value.
    pub fn evaluate_into(&self, out: &mut Vec<u8>, mut lookup: impl FnMut(&[u8], &mut Vec<u8>)) {
        for part in &self.parts {
            match part {
                Part::Literal(s, _) => out.extend_from_slice(s.as_ref()),
                Part::Var(name, _) => lookup(name.as_ref(), out),
            }
        }
    }

    /// The names this string refers to, in order.
    pub fn var_refs(&self) -> impl Iterator<Item = (&[u8], Span)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(name, span) => Some((name.as_ref(), *span)),
            Part::Literal(..) => None,
        })
    }

    /// Writes the string back in manifest syntax for a value (after `=`):
    /// `$` is escaped, and so is a leading space, which the parser would
    /// otherwise skip. Variables are written in braces so any name round-trips.
    pub fn to_manifest_syntax(&self) -> Vec<u8> {
        self.write(|b, at_start| match b {
            b'$' => Some(&b"$$"[..]),
            b' ' if at_start => Some(&b"$ "[..]),
            _ => None,
        })
    }

    /// Writes the string back in manifest syntax for a path: `$`, space and
    /// `:` are escaped. (`|` cannot be written in a path at all.)
    pub fn to_path_syntax(&self) -> Vec<u8> {
        self.write(|b, _| match b {
            b'$' => Some(&b"$$"[..]),
            b' ' => Some(&b"$ "[..]),
            b':' => Some(&b"$:"[..]),
            _ => None,
        })
    }

    fn write(&self, escape: impl Fn(u8, bool) -> Option<&'static [u8]>) -> Vec<u8> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(s, _) => {
                    for &b in s.as_ref() {
                        match escape(b, out.is_empty()) {
                            Some(esc) => out.extend_from_slice(esc),
                            None => out.push(b),
                        }
                    }
                }
                Part::Var(name, _) => {
                    out.extend_from_slice(b"${");
                    out.extend_from_slice(name.as_ref());
                    out.push(b'}');
                }
            }
        }
        out
    }
}

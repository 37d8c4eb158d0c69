//! File scopes as data (`spec/evaluation.md`): the variables and rules that
//! top-level statements define, chained for `subninja` and shared for
//! `include`.
//!
//! Each variable keeps every assignment it received, with its span and the
//! loader's statement sequence number, so `--explain` can say which binding
//! a lookup saw at any point of the load (`[eval.file.top-down]`).
//!
//! Architecture invariant: a scope stores values already expanded; it never
//! expands anything itself (that is the loader's and [`crate::expand`]'s job).

use std::collections::HashMap;
use std::fmt;

use crate::define_id;
use crate::densemap::DenseMap;
use crate::graph::RuleId;
use crate::source::{SourceId, SourceMap, Span};

define_id!(
    /// A file scope: the root `build.ninja` scope or one per `subninja`.
    ScopeId
);

/// One assignment `name = value` at top level of a file scope.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub value: Box<[u8]>,
    pub span: Span,
    /// The loader's statement counter when the assignment ran.
    pub seq: u32,
}

/// A file scope.
#[derive(Debug, Default)]
pub struct Scope {
    pub parent: Option<ScopeId>,
    /// The file that opened the scope (the root manifest or the subninja).
    pub source: Option<SourceId>,
    /// The `subninja` statement that created the scope.
    pub created_by: Option<Span>,
    /// The statement counter when the scope was created.
    pub created_at: u32,
    vars: HashMap<Box<[u8]>, Vec<Assignment>>,
    rules: HashMap<Box<[u8]>, RuleId>,
}

impl Scope {
    /// The variable's current value in this scope only.
    pub fn get_own(&self, name: &[u8]) -> Option<&Assignment> {
        self.vars.get(name).and_then(|v| v.last())
    }

    /// The value the variable had in this scope just before statement `seq`.
    pub fn get_own_before(&self, name: &[u8], seq: u32) -> Option<&Assignment> {
        self.vars.get(name)?.iter().rev().find(|a| a.seq < seq)
    }

    /// All assignments, grouped by variable, in no particular order.
    pub fn vars(&self) -> impl Iterator<Item = (&[u8], &[Assignment])> {
        self.vars.iter().map(|(k, v)| (&**k, v.as_slice()))
    }

    pub fn rules(&self) -> impl Iterator<Item = (&[u8], RuleId)> {
        self.rules.iter().map(|(k, v)| (&**k, *v))
    }

    pub fn rule(&self, name: &[u8]) -> Option<RuleId> {
        self.rules.get(name).copied()
    }
}

/// All file scopes of a load.
#[derive(Debug, Default)]
pub struct Scopes {
    scopes: DenseMap<ScopeId, Scope>,
}

/// The result of looking a variable up through the scope chain.
#[derive(Copy, Clone, Debug)]
pub struct Found<'a> {
    pub scope: ScopeId,
    pub assignment: &'a Assignment,
}

impl Scopes {
    pub fn new_root(&mut self) -> ScopeId {
        self.scopes.push(Scope::default())
    }

    /// spec: [eval.subninja.child-scope]
    pub fn new_child(&mut self, parent: ScopeId, created_by: Span, created_at: u32) -> ScopeId {
        self.scopes.push(Scope {
            parent: Some(parent),
            created_by: Some(created_by),
            created_at,
            ..Scope::default()
        })
    }

    pub fn root(&self) -> ScopeId {
        ScopeId(0)
    }

    pub fn get(&self, id: ScopeId) -> &Scope {
        &self.scopes[id]
    }

    pub fn get_mut(&mut self, id: ScopeId) -> &mut Scope {
        &mut self.scopes[id]
    }

    pub fn iter(&self) -> impl Iterator<Item = (ScopeId, &Scope)> {
        self.scopes.iter()
    }

    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// spec: [eval.file.top-down] a later assignment replaces the value for
    /// everything evaluated after it.
    pub fn assign(&mut self, scope: ScopeId, name: &[u8], value: Box<[u8]>, span: Span, seq: u32) {
        let assignment = Assignment { value, span, seq };
        let vars = &mut self.scopes[scope].vars;
        match vars.get_mut(name) {
            Some(list) => list.push(assignment),
            None => {
                vars.insert(name.into(), vec![assignment]);
            }
        }
    }

    /// The current value through the chain of parents; undefined is `None`.
    // spec: [eval.var.undefined]
    pub fn lookup(&self, mut scope: ScopeId, name: &[u8]) -> Option<Found<'_>> {
        loop {
            let s = &self.scopes[scope];
            if let Some(assignment) = s.get_own(name) {
                return Some(Found { scope, assignment });
            }
            scope = s.parent?;
        }
    }

    /// The value a lookup from `scope` saw just before statement `seq`.
    pub fn lookup_before(&self, mut scope: ScopeId, name: &[u8], seq: u32) -> Option<Found<'_>> {
        loop {
            let s = &self.scopes[scope];
            if let Some(assignment) = s.get_own_before(name, seq) {
                return Some(Found { scope, assignment });
            }
            scope = s.parent?;
        }
    }

    /// Appends the variable's current value (nothing if undefined).
    pub fn push_value(&self, scope: ScopeId, name: &[u8], out: &mut Vec<u8>) {
        if let Some(found) = self.lookup(scope, name) {
            out.extend_from_slice(&found.assignment.value);
        }
    }

    pub fn add_rule(&mut self, scope: ScopeId, name: &[u8], rule: RuleId) {
        self.scopes[scope].rules.insert(name.into(), rule);
    }

    /// spec: [eval.rule.lookup] rules are looked up through the parent chain.
    pub fn lookup_rule(&self, mut scope: ScopeId, name: &[u8]) -> Option<RuleId> {
        loop {
            let s = &self.scopes[scope];
            if let Some(rule) = s.rule(name) {
                return Some(rule);
            }
            scope = s.parent?;
        }
    }

    /// The scopes as text, with file names and the line of each variable's
    /// last assignment: what `n2ref check --scopes` prints.
    pub fn describe(&self, sources: &SourceMap) -> Vec<u8> {
        let name = |id: SourceId| String::from_utf8_lossy(&sources.get(id).name).into_owned();
        let at = |span: Span| match sources.line_col(span) {
            Some(lc) => format!("{}:{}", name(span.source), lc.line),
            None => name(span.source),
        };
        let mut out = String::new();
        for (id, scope) in self.scopes.iter() {
            let file = scope.source.map(&name).unwrap_or_default();
            match (scope.parent, scope.created_by) {
                (Some(parent), Some(by)) => out.push_str(&format!(
                    "scope {} ({file}, subninja at {}, child of scope {}):\n",
                    id.0,
                    at(by),
                    parent.0
                )),
                _ => out.push_str(&format!("scope {} ({file}, root):\n", id.0)),
            }
            let mut vars: Vec<_> = scope.vars().collect();
            vars.sort_by(|a, b| a.0.cmp(b.0));
            for (var, assignments) in vars {
                if let Some(last) = assignments.last() {
                    out.push_str(&format!(
                        "  {} = {}    # {}{}\n",
                        String::from_utf8_lossy(var),
                        String::from_utf8_lossy(&last.value),
                        at(last.span),
                        match assignments.len() {
                            1 => String::new(),
                            n => format!(", assigned {n} times"),
                        }
                    ));
                }
            }
            let mut rules: Vec<_> = scope.rules().map(|(n, _)| n).collect();
            rules.sort();
            for rule in rules {
                out.push_str(&format!("  rule {}\n", String::from_utf8_lossy(rule)));
            }
        }
        out.into_bytes()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, scope) in self.scopes.iter() {
            match scope.parent {
                Some(parent) => writeln!(f, "scope {} (child of {}):", id.0, parent.0)?,
                None => writeln!(f, "scope {} (root):", id.0)?,
            }
            let mut vars: Vec<_> = scope.vars().collect();
            vars.sort_by(|a, b| a.0.cmp(b.0));
            for (name, assignments) in vars {
                if let Some(last) = assignments.last() {
                    writeln!(
                        f,
                        "  {} = {}",
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(&last.value)
                    )?;
                }
            }
            let mut rules: Vec<_> = scope.rules().map(|(n, _)| n).collect();
            rules.sort();
            for name in rules {
                writeln!(f, "  rule {}", String::from_utf8_lossy(name))?;
            }
        }
        Ok(())
    }
}

//! Expansion of an edge's variables (`spec/evaluation.md`, "Edge scope"):
//! `$in`/`$out`, then the build's bindings, then the rule's bindings
//! (expanded lazily, may refer forward), then the file scope chain.
//!
//! Optionally records a trace: for every variable looked up, where its value
//! came from. `n2ref check --explain` prints it.

use crate::eval_string::{EvalString, Part};
use crate::graph::{Edge, EdgeId, FileId, Graph, RuleId};
use crate::scope::ScopeId;
use crate::shell_escape::push_shell_escaped;
use crate::source::Span;

/// Whether `$in`/`$out` paths are quoted for the shell.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Escape {
    /// For `command` and everything else looked up through it.
    Shell,
    /// For `depfile`, `dyndep` and `rspfile`, which name files.
    None,
}

/// A cycle among rule bindings: fatal in ninja (`[eval.rule.cycle]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleError {
    /// The variables of the cycle, the first repeated at the end.
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Display for CycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .chain
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        write!(f, "cycle in rule variables: {}", names.join(" -> "))
    }
}

/// Where one looked-up value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `$in`, `$in_newline` or `$out`, made from the edge's paths.
    EdgePaths,
    /// A binding on the build statement.
    BuildBinding { span: Span },
    /// A binding of the edge's rule, expanded for this edge.
    RuleBinding { rule: RuleId, span: Option<Span> },
    /// A top-level assignment in a file scope.
    FileScope { scope: ScopeId, span: Span },
    /// Defined nowhere: expands to nothing (`[eval.var.undefined]`).
    Undefined,
}

/// One lookup in a trace; `depth` is its nesting under the lookups that
/// needed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub depth: usize,
    pub name: Vec<u8>,
    pub origin: Origin,
    pub value: Vec<u8>,
}

/// The environment of one edge, as ninja's lookups see it.
pub struct EdgeEnv<'g> {
    graph: &'g Graph,
    edge: &'g Edge,
    escape: Escape,
    lookups: Vec<Box<[u8]>>,
    recursive: bool,
    trace: Option<Vec<TraceStep>>,
    depth: usize,
}

impl<'g> EdgeEnv<'g> {
    pub fn new(graph: &'g Graph, edge: EdgeId, escape: Escape) -> EdgeEnv<'g> {
        EdgeEnv {
            graph,
            edge: &graph.edges[edge],
            escape,
            lookups: Vec::new(),
            recursive: false,
            trace: None,
            depth: 0,
        }
    }

    /// Records every lookup from now on; see [`EdgeEnv::take_trace`].
    pub fn with_trace(mut self) -> Self {
        self.trace = Some(Vec::new());
        self
    }

    pub fn take_trace(&mut self) -> Vec<TraceStep> {
        self.trace.take().unwrap_or_default()
    }

    /// Expands the variable `name` as seen from the edge.
    pub fn lookup(&mut self, name: &[u8], out: &mut Vec<u8>) -> Result<(), CycleError> {
        let start = out.len();
        let step = self.begin_step(name);
        let origin = self.lookup_untraced(name, out)?;
        self.end_step(step, origin, &out[start..]);
        Ok(())
    }

    fn lookup_untraced(&mut self, name: &[u8], out: &mut Vec<u8>) -> Result<Origin, CycleError> {
        let edge = self.edge;
        // spec: [eval.edge.in-out] [eval.edge.in-newline] [eval.edge.in-out]
        match name {
            b"in" => return Ok(self.push_paths(edge.explicit_inputs(), b' ', out)),
            b"in_newline" => return Ok(self.push_paths(edge.explicit_inputs(), b'\n', out)),
            b"out" => return Ok(self.push_paths(edge.explicit_outputs(), b' ', out)),
            _ => {}
        }
        // spec: [eval.rule.cycle]
        if self.recursive
            && let Some(at) = self.lookups.iter().position(|l| &**l == name)
        {
            let mut chain: Vec<Vec<u8>> = self.lookups[at..].iter().map(|l| l.to_vec()).collect();
            chain.push(name.to_vec());
            return Err(CycleError { chain });
        }
        let rule = &self.graph.rules[edge.rule];
        let rule_binding = rule.binding_by_name(name);
        let record = self.recursive && rule_binding.is_some();
        if record {
            self.lookups.push(name.into());
        }
        self.recursive = true;
        let result = self.lookup_with_fallback(name, edge.rule, rule_binding, out);
        if record {
            self.lookups.pop();
        }
        result
    }

    /// spec: [eval.edge.lookup-order] build bindings, then the rule's, then
    /// the file scopes. An edge without bindings has no scope of its own, so
    /// its file scope's own variables come before the rule's
    /// (`[eval.edge.scope-shadows-rule]`).
    fn lookup_with_fallback(
        &mut self,
        name: &[u8],
        rule: RuleId,
        rule_binding: Option<&'g crate::graph::RuleBinding>,
        out: &mut Vec<u8>,
    ) -> Result<Origin, CycleError> {
        let edge = self.edge;
        let scopes = &self.graph.scopes;
        let parent_chain_start = if edge.bindings.is_empty() {
            if let Some(own) = scopes.get(edge.scope).get_own(name) {
                out.extend_from_slice(&own.value);
                return Ok(Origin::FileScope {
                    scope: edge.scope,
                    span: own.span,
                });
            }
            scopes.get(edge.scope).parent
        } else {
            if let Some(b) = edge.binding(name) {
                out.extend_from_slice(&b.value);
                return Ok(Origin::BuildBinding { span: b.span });
            }
            Some(edge.scope)
        };
        if let Some(binding) = rule_binding {
            self.evaluate(&binding.value, out)?;
            return Ok(Origin::RuleBinding {
                rule,
                span: binding.span,
            });
        }
        match parent_chain_start.and_then(|s| scopes.lookup(s, name)) {
            Some(found) => {
                out.extend_from_slice(&found.assignment.value);
                Ok(Origin::FileScope {
                    scope: found.scope,
                    span: found.assignment.span,
                })
            }
            None => Ok(Origin::Undefined),
        }
    }

    /// Expands a rule binding's text in this edge's environment.
    pub fn evaluate(
        &mut self,
        value: &'g EvalString<Box<[u8]>>,
        out: &mut Vec<u8>,
    ) -> Result<(), CycleError> {
        self.depth += 1;
        let result = (|| {
            for part in &value.parts {
                match part {
                    Part::Literal(text, _) => out.extend_from_slice(text),
                    Part::Var(name, _) => self.lookup(name, out)?,
                }
            }
            Ok(())
        })();
        self.depth -= 1;
        result
    }

    fn push_paths(&self, files: &[FileId], sep: u8, out: &mut Vec<u8>) -> Origin {
        for (i, &file) in files.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            let path = self.graph.path(file);
            match self.escape {
                Escape::Shell => push_shell_escaped(out, path),
                Escape::None => out.extend_from_slice(path),
            }
        }
        Origin::EdgePaths
    }

    fn begin_step(&mut self, name: &[u8]) -> Option<usize> {
        let trace = self.trace.as_mut()?;
        trace.push(TraceStep {
            depth: self.depth,
            name: name.to_vec(),
            origin: Origin::Undefined,
            value: Vec::new(),
        });
        Some(trace.len() - 1)
    }

    fn end_step(&mut self, step: Option<usize>, origin: Origin, value: &[u8]) {
        if let (Some(i), Some(trace)) = (step, self.trace.as_mut()) {
            trace[i].origin = origin;
            trace[i].value = value.to_vec();
        }
    }
}

/// An edge's binding `key`, as `Edge::GetBinding` gives it (shell-quoted paths).
pub fn edge_binding(graph: &Graph, edge: EdgeId, key: &str) -> Result<Vec<u8>, CycleError> {
    edge_binding_escaped(graph, edge, key, Escape::Shell)
}

/// An edge's binding with the chosen quoting of `$in`/`$out`.
pub fn edge_binding_escaped(
    graph: &Graph,
    edge: EdgeId,
    key: &str,
    escape: Escape,
) -> Result<Vec<u8>, CycleError> {
    let mut out = Vec::new();
    EdgeEnv::new(graph, edge, escape).lookup(key.as_bytes(), &mut out)?;
    Ok(out)
}

/// The command of an edge (`Edge::EvaluateCommand`), optionally followed by
/// `;rspfile=CONTENT` as ninja hashes it for the build log.
pub fn edge_command(
    graph: &Graph,
    edge: EdgeId,
    include_rspfile: bool,
) -> Result<Vec<u8>, CycleError> {
    let mut command = edge_binding(graph, edge, "command")?;
    if include_rspfile {
        let content = edge_binding(graph, edge, "rspfile_content")?;
        if !content.is_empty() {
            command.extend_from_slice(b";rspfile=");
            command.extend_from_slice(&content);
        }
    }
    Ok(command)
}

//! `-t rules [-d]`: the rules of the top-level scope, sorted by name
//! (`[tools.rules.list]`).

use super::{ToolContext, ToolResult};

const USAGE: &str = "usage: ninja -t rules [options]\n\
\n\
options:\n\
\x20 -d     also print the description of the rule\n\
\x20 -h     print this message\n";

pub fn rules(cx: &mut ToolContext<'_>, args: &[String]) -> ToolResult {
    let Some((flags, _)) = cx.options("rules", args, "hd", &[], USAGE)? else {
        return Ok(1);
    };
    let describe = flags.iter().any(|(c, _)| *c == 'd');
    let graph = cx.graph;
    let root = graph.scopes.get(graph.scopes.root());
    let mut rules: Vec<_> = root.rules().collect();
    rules.sort_by(|a, b| a.0.cmp(b.0));
    for (name, id) in rules {
        cx.out.write_all(name)?;
        if describe && let Some(d) = graph.rules[id].binding(crate::graph::RuleKey::Description) {
            cx.out.write_all(b": ")?;
            cx.out.write_all(&unparse(&d.value))?;
        }
        cx.out.write_all(b"\n")?;
    }
    Ok(0)
}

/// ninja's `EvalString::Unparse`: literal text as is, references as `${name}`.
fn unparse(s: &crate::eval_string::OwnedEvalString) -> Vec<u8> {
    let mut out = Vec::new();
    for part in &s.parts {
        match part {
            crate::eval_string::Part::Literal(t, _) => out.extend_from_slice(t),
            crate::eval_string::Part::Var(n, _) => {
                out.extend_from_slice(b"${");
                out.extend_from_slice(n);
                out.push(b'}');
            }
        }
    }
    out
}

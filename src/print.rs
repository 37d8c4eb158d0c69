//! Writes statements back as manifest text: the inverse of [`crate::parse`]
//! (parsing the output gives the same statements, up to spans).

use crate::ast::*;

/// Appends `stmts` as manifest text.
pub fn print_statements(stmts: &[Stmt<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for stmt in stmts {
        print_statement(&mut out, stmt);
    }
    out
}

fn print_statement(out: &mut Vec<u8>, stmt: &Stmt<'_>) {
    match stmt {
        Stmt::Binding(b) => print_binding(out, b, ""),
        Stmt::Rule(r) => {
            print_header(out, b"rule", r.name);
            for b in &r.bindings {
                print_binding(out, b, "  ");
            }
        }
        Stmt::Pool(p) => {
            print_header(out, b"pool", p.name);
            for b in &p.bindings {
                print_binding(out, b, "  ");
            }
        }
        Stmt::Build(b) => {
            out.extend_from_slice(b"build");
            print_paths(out, &b.outputs);
            if !b.implicit_outputs.is_empty() {
                out.extend_from_slice(b" |");
                print_paths(out, &b.implicit_outputs);
            }
            out.extend_from_slice(b": ");
            if let Some((rule, _)) = b.rule {
                out.extend_from_slice(rule);
            }
            print_paths(out, &b.inputs);
            for (sep, paths) in [
                (&b" |"[..], &b.implicit_inputs),
                (b" ||", &b.order_only_inputs),
                (b" |@", &b.validations),
            ] {
                if !paths.is_empty() {
                    out.extend_from_slice(sep);
                    print_paths(out, paths);
                }
            }
            out.push(b'\n');
            for binding in &b.bindings {
                print_binding(out, binding, "  ");
            }
        }
        Stmt::Default(d) => {
            out.extend_from_slice(b"default");
            print_paths(out, &d.paths);
            out.push(b'\n');
        }
        Stmt::Include(i) => {
            out.extend_from_slice(if i.new_scope {
                b"subninja "
            } else {
                b"include "
            });
            out.extend_from_slice(&i.path.value.to_path_syntax());
            out.push(b'\n');
        }
    }
}

fn print_header(out: &mut Vec<u8>, keyword: &[u8], name: &[u8]) {
    out.extend_from_slice(keyword);
    out.push(b' ');
    out.extend_from_slice(name);
    out.push(b'\n');
}

fn print_binding(out: &mut Vec<u8>, b: &Binding<'_>, indent: &str) {
    out.extend_from_slice(indent.as_bytes());
    out.extend_from_slice(b.name);
    out.extend_from_slice(b" = ");
    out.extend_from_slice(&b.value.to_manifest_syntax());
    out.push(b'\n');
}

fn print_paths(out: &mut Vec<u8>, paths: &[PathExpr<'_>]) {
    for p in paths {
        out.push(b' ');
        out.extend_from_slice(&p.value.to_path_syntax());
    }
}

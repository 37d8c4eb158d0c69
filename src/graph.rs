//! The build graph: files (interned by canonical path), edges, rules and
//! pools, all addressed by typed ids (`spec/graph.md`).
//!
//! Architecture invariant: the graph is data. Building it is the loader's
//! job ([`crate::load`]); expanding an edge's variables is
//! [`crate::expand`]'s.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::define_id;
use crate::densemap::DenseMap;
use crate::eval_string::OwnedEvalString;
use crate::scope::{ScopeId, Scopes};
use crate::source::Span;

define_id!(
    /// A file (ninja's "node"): a path that edges produce or consume.
    FileId
);
define_id!(
    /// A build statement that survived loading.
    EdgeId
);
define_id!(
    /// A `rule` (or the built-in `phony`).
    RuleId
);
define_id!(
    /// A `pool` (or the built-in default and `console` pools).
    PoolId
);

/// A file known to the graph.
#[derive(Debug)]
pub struct File {
    /// The canonical path (`[graph.path.canonical]`).
    pub path: Box<[u8]>,
    /// The edge that produces this file, if any.
    pub in_edge: Option<EdgeId>,
    /// Edges that read this file as an input of any kind.
    pub out_edges: Vec<EdgeId>,
    /// Edges that name this file as a validation (`|@`).
    pub validation_out_edges: Vec<EdgeId>,
}

/// The keys a rule may bind (`[eval.rule.reserved]`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKey {
    Command,
    Depfile,
    Dyndep,
    Description,
    Deps,
    Generator,
    Pool,
    Restat,
    Rspfile,
    RspfileContent,
    MsvcDepsPrefix,
}

impl RuleKey {
    pub const ALL: [RuleKey; 11] = [
        RuleKey::Command,
        RuleKey::Depfile,
        RuleKey::Dyndep,
        RuleKey::Description,
        RuleKey::Deps,
        RuleKey::Generator,
        RuleKey::Pool,
        RuleKey::Restat,
        RuleKey::Rspfile,
        RuleKey::RspfileContent,
        RuleKey::MsvcDepsPrefix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RuleKey::Command => "command",
            RuleKey::Depfile => "depfile",
            RuleKey::Dyndep => "dyndep",
            RuleKey::Description => "description",
            RuleKey::Deps => "deps",
            RuleKey::Generator => "generator",
            RuleKey::Pool => "pool",
            RuleKey::Restat => "restat",
            RuleKey::Rspfile => "rspfile",
            RuleKey::RspfileContent => "rspfile_content",
            RuleKey::MsvcDepsPrefix => "msvc_deps_prefix",
        }
    }

    pub fn from_name(name: &[u8]) -> Option<RuleKey> {
        RuleKey::ALL
            .into_iter()
            .find(|k| k.name().as_bytes() == name)
    }
}

/// One binding of a rule, kept unexpanded: rules are expanded per edge.
#[derive(Clone, Debug)]
pub struct RuleBinding {
    pub value: OwnedEvalString,
    /// The `key = value` line; `None` for the empty `rspfile` and
    /// `rspfile_content` bindings every parsed rule carries
    /// (`[eval.rule.rspfile-pair]`).
    pub span: Option<Span>,
}

/// A `rule` statement.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: Box<[u8]>,
    /// Indexed by `RuleKey as usize`.
    pub bindings: [Option<RuleBinding>; 11],
    /// The rule name in its `rule` line; `None` for `phony`.
    pub span: Option<Span>,
    /// The scope the rule was defined in.
    pub scope: ScopeId,
}

impl Rule {
    pub fn binding(&self, key: RuleKey) -> Option<&RuleBinding> {
        self.bindings[key as usize].as_ref()
    }

    pub fn binding_by_name(&self, name: &[u8]) -> Option<&RuleBinding> {
        RuleKey::from_name(name).and_then(|k| self.binding(k))
    }

    pub fn is_phony(&self) -> bool {
        self.span.is_none() && &*self.name == b"phony"
    }
}

/// A `pool` statement (or a built-in pool).
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: Box<[u8]>,
    /// 0 means unlimited (the default pool).
    pub depth: usize,
    pub span: Option<Span>,
}

/// A binding on a build statement, evaluated when the statement was read.
#[derive(Clone, Debug)]
pub struct EdgeBinding {
    pub name: Box<[u8]>,
    pub value: Box<[u8]>,
    pub span: Span,
}

/// A build edge.
///
/// Inputs are stored in one list: explicit, then implicit, then order-only;
/// outputs likewise: explicit, then implicit.
#[derive(Debug)]
pub struct Edge {
    pub rule: RuleId,
    /// The file scope the build statement appeared in.
    pub scope: ScopeId,
    /// The build statement's own bindings (`[eval.build.bindings]`).
    pub bindings: Vec<EdgeBinding>,
    pub pool: PoolId,
    pub outputs: Vec<FileId>,
    pub implicit_outputs: usize,
    pub inputs: Vec<FileId>,
    pub implicit_inputs: usize,
    pub order_only_inputs: usize,
    pub validations: Vec<FileId>,
    pub dyndep: Option<FileId>,
    /// The build line.
    pub span: Span,
}

impl Edge {
    pub fn explicit_inputs(&self) -> &[FileId] {
        &self.inputs[..self.inputs.len() - self.implicit_inputs - self.order_only_inputs]
    }

    pub fn implicit_inputs(&self) -> &[FileId] {
        let end = self.inputs.len() - self.order_only_inputs;
        &self.inputs[end - self.implicit_inputs..end]
    }

    pub fn order_only_inputs(&self) -> &[FileId] {
        &self.inputs[self.inputs.len() - self.order_only_inputs..]
    }

    /// Explicit and implicit inputs: those whose changes make the edge dirty.
    pub fn non_order_only_inputs(&self) -> &[FileId] {
        &self.inputs[..self.inputs.len() - self.order_only_inputs]
    }

    pub fn explicit_outputs(&self) -> &[FileId] {
        &self.outputs[..self.outputs.len() - self.implicit_outputs]
    }

    pub fn binding(&self, name: &[u8]) -> Option<&EdgeBinding> {
        self.bindings.iter().rev().find(|b| &*b.name == name)
    }
}

/// The loaded build graph.
#[derive(Debug)]
pub struct Graph {
    pub files: DenseMap<FileId, File>,
    file_index: HashTable<FileId>,
    hasher: foldhash::fast::FixedState,
    pub edges: DenseMap<EdgeId, Edge>,
    pub rules: DenseMap<RuleId, Rule>,
    pub pools: DenseMap<PoolId, Pool>,
    pub scopes: Scopes,
    /// Targets named by `default` statements, in order.
    pub defaults: Vec<FileId>,
}

/// The built-in `phony` rule.
pub const PHONY_RULE: RuleId = RuleId(0);
/// The default pool (unlimited).
pub const DEFAULT_POOL: PoolId = PoolId(0);
/// The built-in `console` pool (`[eval.pool.console]`).
pub const CONSOLE_POOL: PoolId = PoolId(1);

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    /// An empty graph with the built-in rule, pools and root scope.
    pub fn new() -> Graph {
        let mut scopes = Scopes::default();
        let root = scopes.new_root();
        let mut graph = Graph {
            files: DenseMap::default(),
            file_index: HashTable::new(),
            hasher: foldhash::fast::FixedState::with_seed(0x6e326566),
            edges: DenseMap::default(),
            rules: DenseMap::default(),
            pools: DenseMap::default(),
            scopes,
            defaults: Vec::new(),
        };
        // spec: [eval.rule.phony]
        let phony = graph.rules.push(Rule {
            name: b"phony"[..].into(),
            bindings: Default::default(),
            span: None,
            scope: root,
        });
        graph.scopes.add_rule(root, b"phony", phony);
        graph.pools.push(Pool {
            name: b""[..].into(),
            depth: 0,
            span: None,
        });
        graph.pools.push(Pool {
            name: b"console"[..].into(),
            depth: 1,
            span: None,
        });
        graph
    }

    fn hash_path(&self, path: &[u8]) -> u64 {
        self.hasher.hash_one(path)
    }

    /// The file with this canonical path, if any edge mentions it.
    pub fn lookup_file(&self, path: &[u8]) -> Option<FileId> {
        let hash = self.hash_path(path);
        self.file_index
            .find(hash, |&id| &*self.files[id].path == path)
            .copied()
    }

    /// Interns a canonical path.
    pub fn file_id(&mut self, path: &[u8]) -> FileId {
        let hash = self.hash_path(path);
        let files = &self.files;
        if let Some(&id) = self.file_index.find(hash, |&id| &*files[id].path == path) {
            return id;
        }
        let id = self.files.push(File {
            path: path.into(),
            in_edge: None,
            out_edges: Vec::new(),
            validation_out_edges: Vec::new(),
        });
        let files = &self.files;
        let hasher = &self.hasher;
        self.file_index
            .insert_unique(hash, id, |&id| hasher.hash_one(&*files[id].path));
        id
    }

    pub fn path(&self, file: FileId) -> &[u8] {
        &self.files[file].path
    }

    pub fn lookup_pool(&self, name: &[u8]) -> Option<PoolId> {
        self.pools
            .iter()
            .find(|(_, p)| &*p.name == name && !name.is_empty())
            .map(|(id, _)| id)
    }

    /// Files no edge reads: the default targets when `default` is absent
    /// (`[graph.default.root]`).
    pub fn root_files(&self) -> Vec<FileId> {
        let mut roots = Vec::new();
        for (_, edge) in self.edges.iter() {
            for &out in &edge.outputs {
                if self.files[out].out_edges.is_empty() {
                    roots.push(out);
                }
            }
        }
        roots
    }
}

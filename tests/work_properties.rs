//! Property tests of the build-state machine (`src/work.rs`): random DAGs
//! written as manifests, loaded, and built with a fake runner that ends
//! running edges in random order, against a separately written oracle.

use std::collections::{BTreeSet, HashSet};

use n2ref::graph::{EdgeId, Graph};
use n2ref::load::{LoadOptions, MemoryReader, load};
use n2ref::work::{BuildState, Options, Scheduler};
use proptest::prelude::*;
use quickcheck::{Arbitrary, Gen, QuickCheck};

const SOURCES: usize = 3;
const USER_POOLS: usize = 3;

#[derive(Clone, Debug)]
struct RawEdge {
    phony: bool,
    /// `0..USER_POOLS`: a user pool; `USER_POOLS`: console; above: default.
    pool: u8,
    /// (reference, kind): kind % 3 is explicit / implicit / order-only,
    /// kind & 4 picks the implicit output of the referenced edge if any.
    inputs: Vec<(u16, u8)>,
    validations: Vec<u16>,
    implicit_out: bool,
    dirty: bool,
    fail: bool,
}

#[derive(Clone, Debug)]
struct RawCase {
    edges: Vec<RawEdge>,
    depths: [u8; USER_POOLS],
    wanted: Vec<u16>,
    parallelism: u8,
    failures_allowed: u8,
    seed: u64,
}

/// The case as the oracle sees it: edge `i` is the build statement for
/// `o{i}`; every dependency points at an earlier edge.
struct Model {
    phony: Vec<bool>,
    /// Pool index into `depths` (`USER_POOLS` = console), `None` = default.
    pool: Vec<Option<usize>>,
    depths: [usize; USER_POOLS + 1],
    /// Producing edges of each edge's inputs (all kinds).
    deps: Vec<BTreeSet<usize>>,
    validations: Vec<BTreeSet<usize>>,
    dirty: Vec<bool>,
    fail: Vec<bool>,
    targets: Vec<usize>,
    manifest: String,
}

fn model(case: &RawCase) -> Model {
    let n = case.edges.len();
    let mut m = Model {
        phony: Vec::new(),
        pool: Vec::new(),
        depths: [1; USER_POOLS + 1],
        deps: Vec::new(),
        validations: Vec::new(),
        dirty: Vec::new(),
        fail: Vec::new(),
        targets: case.wanted.iter().map(|&w| w as usize % n).collect(),
        manifest: String::from("rule r\n  command = true\n"),
    };
    for (i, d) in case.depths.iter().enumerate() {
        m.depths[i] = 1 + *d as usize % 3;
        m.manifest += &format!("pool p{i}\n  depth = {}\n", m.depths[i]);
    }
    for (i, e) in case.edges.iter().enumerate() {
        let mut lists: [Vec<String>; 3] = Default::default();
        let mut deps = BTreeSet::new();
        for &(r, kind) in &e.inputs {
            let r = r as usize % (SOURCES + i);
            let path = if r < SOURCES {
                format!("s{r}")
            } else {
                let j = r - SOURCES;
                deps.insert(j);
                if kind & 4 != 0 && case.edges[j].implicit_out {
                    format!("o{j}x")
                } else {
                    format!("o{j}")
                }
            };
            lists[kind as usize % 3].push(path);
        }
        let validations: BTreeSet<usize> = e
            .validations
            .iter()
            .map(|&v| v as usize % n)
            .filter(|&v| v != i)
            .collect();
        let pool = if e.phony || e.pool as usize > USER_POOLS {
            None
        } else {
            Some(e.pool as usize)
        };
        let mut line = format!("build o{i}");
        if e.implicit_out {
            line += &format!(" | o{i}x");
        }
        line += if e.phony { ": phony" } else { ": r" };
        for (sep, list) in ["", " |", " ||"].iter().zip(&lists) {
            if !list.is_empty() {
                line += sep;
                for p in list {
                    line += " ";
                    line += p;
                }
            }
        }
        if !validations.is_empty() {
            line += " |@";
            for v in &validations {
                line += &format!(" o{v}");
            }
        }
        line += "\n";
        match pool {
            Some(USER_POOLS) => line += "  pool = console\n",
            Some(p) => line += &format!("  pool = p{p}\n"),
            None => {}
        }
        m.manifest += &line;
        m.phony.push(e.phony);
        m.pool.push(pool);
        m.deps.push(deps);
        m.validations.push(validations);
        m.dirty.push(e.dirty);
        m.fail.push(e.fail);
    }
    m
}

/// Edges the build needs: targets, their dependencies and validations.
fn wanted(m: &Model) -> Vec<bool> {
    let mut w = vec![false; m.phony.len()];
    let mut stack = m.targets.clone();
    while let Some(e) = stack.pop() {
        if !w[e] {
            w[e] = true;
            stack.extend(m.deps[e].iter().copied());
            stack.extend(m.validations[e].iter().copied());
        }
    }
    w
}

/// Whether some edge upstream of `e` (through dependencies) is in `set`.
fn upstream_in(m: &Model, e: usize, set: &HashSet<usize>) -> bool {
    let mut seen = HashSet::new();
    let mut stack: Vec<usize> = m.deps[e].iter().copied().collect();
    while let Some(d) = stack.pop() {
        if set.contains(&d) {
            return true;
        }
        if seen.insert(d) {
            stack.extend(m.deps[d].iter().copied());
        }
    }
    false
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn load_graph(m: &Model) -> Graph {
    let mut reader = MemoryReader::new(&[("build.ninja", &m.manifest)]);
    match load(&mut reader, b"build.ninja", &LoadOptions::default()) {
        Ok(loaded) => loaded.graph,
        Err((e, _)) => panic!("load failed: {e}\n{}", m.manifest),
    }
}

fn edge_ids(g: &Graph, n: usize) -> Vec<EdgeId> {
    (0..n)
        .map(|i| {
            let f = g.lookup_file(format!("o{i}").as_bytes()).unwrap();
            g.files[f].in_edge.unwrap()
        })
        .collect()
}

/// Builds the case and checks every property; panics on a violation.
fn check(case: &RawCase) {
    let m = model(case);
    let n = m.phony.len();
    let g = load_graph(&m);
    let ids = edge_ids(&g, n);
    let index = |e: EdgeId| ids.iter().position(|&x| x == e).unwrap();
    let want = wanted(&m);
    let j = case.parallelism as usize % 5;
    let k = case.failures_allowed as usize % 4;
    let options = Options {
        parallelism: j,
        failures_allowed: k,
    };
    let ctx = &m.manifest;

    let mut s = Scheduler::new(&g, options);
    for &t in &m.targets {
        s.want(g.lookup_file(format!("o{t}").as_bytes()).unwrap());
    }
    let mut asked = HashSet::new();
    let mut rng = Rng(case.seed | 1);
    let mut running: Vec<usize> = Vec::new();
    let mut pool_running = [0usize; USER_POOLS + 1];
    let mut started = HashSet::new();
    let mut succeeded = HashSet::new();
    let mut failed = HashSet::new();
    loop {
        loop {
            let mut dirtiness = |e: EdgeId| {
                let i = index(e);
                // Phony edges are asked too: a dirty one waits in the
                // ready queue (spec: [build.order.phony]).
                assert!(asked.insert(i), "edge {i} examined twice\n{ctx}");
                m.dirty[i]
            };
            let Some(e) = s.next_to_start(&mut dirtiness) else {
                break;
            };
            let i = index(e);
            assert!(
                k == 0 || failed.len() < k,
                "edge {i} started after {} failures with -k {k}\n{ctx}",
                failed.len()
            );
            assert!(want[i], "unwanted edge {i} started\n{ctx}");
            assert!(!m.phony[i], "phony edge {i} started\n{ctx}");
            assert!(m.dirty[i], "clean edge {i} started\n{ctx}");
            assert!(started.insert(i), "edge {i} started twice\n{ctx}");
            assert_eq!(s.state(e), BuildState::Running);
            for &d in &m.deps[i] {
                assert_eq!(
                    s.state(ids[d]),
                    BuildState::Done,
                    "edge {i} started before its input edge {d} was done\n{ctx}"
                );
                assert!(
                    !started.contains(&d) || succeeded.contains(&d),
                    "edge {i} started before {d} finished\n{ctx}"
                );
            }
            running.push(i);
            assert!(j == 0 || running.len() <= j, "-j {j} exceeded\n{ctx}");
            if let Some(p) = m.pool[i] {
                pool_running[p] += 1;
                assert!(pool_running[p] <= m.depths[p], "pool {p} overfull\n{ctx}");
            }
            if rng.below(3) == 0 {
                break;
            }
        }
        if running.is_empty() {
            break;
        }
        let i = running.swap_remove(rng.below(running.len()));
        if let Some(p) = m.pool[i] {
            pool_running[p] -= 1;
        }
        let ok = !m.fail[i];
        if ok {
            succeeded.insert(i);
        } else {
            failed.insert(i);
        }
        s.finished(ids[i], ok);
    }
    assert!(s.is_finished(), "build did not finish\n{ctx}");
    assert_eq!(s.failures(), failed.len());

    // The oracle: with no -k stop, an edge runs iff it is wanted, dirty,
    // not phony, and every edge it depends on ended up done.
    let mut ok = vec![false; n];
    let mut deps_ok = vec![false; n];
    let mut oracle_run = HashSet::new();
    for i in 0..n {
        deps_ok[i] = m.deps[i].iter().all(|&d| ok[d]);
        let runs = want[i] && deps_ok[i] && m.dirty[i] && !m.phony[i];
        if runs {
            oracle_run.insert(i);
        }
        ok[i] = deps_ok[i] && !(runs && m.fail[i]);
    }
    let stopped = k != 0 && failed.len() >= k;
    assert_eq!(s.is_stopped(), stopped);
    if stopped {
        assert!(started.is_subset(&oracle_run), "ran too much\n{ctx}");
    } else {
        assert_eq!(started, oracle_run, "run set differs from oracle\n{ctx}");
    }
    for i in 0..n {
        let state = s.state(ids[i]);
        if !want[i] {
            assert_eq!(state, BuildState::Unknown, "edge {i}\n{ctx}");
            continue;
        }
        match state {
            BuildState::Done => {
                assert!(!failed.contains(&i));
                assert!(started.contains(&i) || m.phony[i] || !m.dirty[i]);
            }
            BuildState::Failed => assert!(failed.contains(&i)),
            BuildState::Skipped => assert!(
                !started.contains(&i) && (stopped || upstream_in(&m, i, &failed)),
                "edge {i} skipped without cause\n{ctx}"
            ),
            other => panic!("wanted edge {i} ended {other:?}\n{ctx}"),
        }
        if !stopped {
            let expect = if !deps_ok[i] {
                BuildState::Skipped
            } else if oracle_run.contains(&i) && m.fail[i] {
                BuildState::Failed
            } else {
                BuildState::Done
            };
            assert_eq!(state, expect, "edge {i}\n{ctx}");
        }
    }

    // A second build where nothing is dirty runs nothing.
    let mut s = Scheduler::new(&g, options);
    for &t in &m.targets {
        s.want(g.lookup_file(format!("o{t}").as_bytes()).unwrap());
    }
    let mut clean = |_: EdgeId| false;
    assert_eq!(s.next_to_start(&mut clean), None, "\n{ctx}");
    assert!(s.succeeded());
    for i in 0..n {
        let expect = if want[i] {
            BuildState::Done
        } else {
            BuildState::Unknown
        };
        assert_eq!(s.state(ids[i]), expect);
    }
}

// --- proptest -------------------------------------------------------------

fn raw_edge() -> impl Strategy<Value = RawEdge> {
    (
        prop::bool::weighted(0.2),
        0u8..6,
        prop::collection::vec((any::<u16>(), 0u8..8), 0..4),
        prop::collection::vec(any::<u16>(), 0..2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(phony, pool, inputs, validations, implicit_out, dirty, fail)| RawEdge {
                phony,
                pool,
                inputs,
                validations: if validations.len() == 1 && validations[0] % 4 != 0 {
                    Vec::new()
                } else {
                    validations
                },
                implicit_out,
                dirty,
                fail,
            },
        )
}

fn raw_case() -> impl Strategy<Value = RawCase> {
    (
        prop::collection::vec(raw_edge(), 1..16),
        any::<[u8; USER_POOLS]>(),
        prop::collection::vec(any::<u16>(), 1..4),
        any::<u8>(),
        any::<u8>(),
        any::<u64>(),
    )
        .prop_map(
            |(edges, depths, wanted, parallelism, failures_allowed, seed)| RawCase {
                edges,
                depths,
                wanted,
                parallelism,
                failures_allowed,
                seed,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn proptest_schedules_correctly(case in raw_case()) {
        check(&case);
    }
}

// --- quickcheck -----------------------------------------------------------

impl Arbitrary for RawCase {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = 1 + usize::arbitrary(g) % 15;
        let edges = (0..n)
            .map(|_| RawEdge {
                phony: u8::arbitrary(g) % 5 == 0,
                pool: u8::arbitrary(g) % 6,
                inputs: (0..usize::arbitrary(g) % 4)
                    .map(|_| (u16::arbitrary(g), u8::arbitrary(g) % 8))
                    .collect(),
                validations: if u8::arbitrary(g) % 6 == 0 {
                    vec![u16::arbitrary(g)]
                } else {
                    Vec::new()
                },
                implicit_out: u8::arbitrary(g) % 5 == 0,
                dirty: u8::arbitrary(g) % 5 < 3,
                fail: u8::arbitrary(g) % 7 == 0,
            })
            .collect();
        RawCase {
            edges,
            depths: [u8::arbitrary(g), u8::arbitrary(g), u8::arbitrary(g)],
            wanted: (0..1 + usize::arbitrary(g) % 3)
                .map(|_| u16::arbitrary(g))
                .collect(),
            parallelism: u8::arbitrary(g),
            failures_allowed: u8::arbitrary(g),
            seed: u64::arbitrary(g),
        }
    }
}

#[test]
fn quickcheck_schedules_correctly() {
    fn prop(case: RawCase) -> bool {
        check(&case);
        true
    }
    QuickCheck::new()
        .tests(500)
        .quickcheck(prop as fn(RawCase) -> bool);
}

/// The oracle itself, on a fixed case: a chain with a failure in the middle
/// under -k 0 runs the prefix and skips the rest.
#[test]
fn fixed_chain_with_failure() {
    let edge = |inputs: Vec<(u16, u8)>, fail| RawEdge {
        phony: false,
        pool: 5,
        inputs,
        validations: Vec::new(),
        implicit_out: false,
        dirty: true,
        fail,
    };
    let case = RawCase {
        edges: vec![
            edge(vec![], false),
            edge(vec![(3, 0)], true),
            edge(vec![(4, 2)], false),
        ],
        depths: [0; USER_POOLS],
        wanted: vec![2],
        parallelism: 1,
        failures_allowed: 0,
        seed: 7,
    };
    let m = model(&case);
    assert_eq!(
        m.manifest
            .lines()
            .filter(|l| l.starts_with("build"))
            .collect::<Vec<_>>(),
        ["build o0: r", "build o1: r o0", "build o2: r || o1"]
    );
    check(&case);
}

#!/usr/bin/env python3
"""Generate a large, GN-shaped ninja build tree for manifest-loading benchmarks.

The output imitates what `gn gen out/Default` writes for a Chromium-sized
project on Linux:

    OUT/build.ninja          top-level variables, pools, the toolchain rules,
                             `subninja toolchain.ninja`, phony aliases for
                             every target, `build all: phony ...`, `default all`
    OUT/toolchain.ninja      toolchain-scoped variables, one extra rule and one
                             `subninja obj/<dir>/<target>.ninja` per target
    OUT/obj/<dir>/<t>.ninja  one file per target: file-scoped variables
                             (defines, include_dirs, cflags, ...) followed by
                             the target's build edges (compiles with implicit
                             header deps and order-only stamp deps, archives,
                             shared-library and executable links, stamps,
                             copies, actions with per-target rules)

Nothing is executed: the tree is meant for `ninja -t commands all`,
`ninja -t rules` and the n2ref equivalents.  Source paths are written
relative to OUT, as GN does (`../../base/foo.cc`), so OUT is meant to be
SRC/out/<name> of some source root SRC.  Without --sources those files do
not exist.  With --sources the generator also creates, under SRC = OUT/../..,
every file that a build statement reads and no build statement produces
(the .cc/.c/.h sources, action scripts and their .json inputs, copied data
files, ...), each a tiny placeholder (a one-line comment), like a checkout:

    SRC/.gen_sources         stamp listing what --sources created in SRC
    SRC/base/..., SRC/net/... the source files
    SRC/out/Release/...      the build tree (OUT)

SRC must be empty, hold only the path to OUT, or have been written by an
earlier --sources run (then the entries listed in its stamp are replaced).

Output is a pure function of (--targets, --seed): the generator only uses its
own seeded random.Random and insertion-ordered containers, so the same
arguments always produce byte-identical files (PYTHONHASHSEED does not matter).
--sources does not change the .ninja files, and creates the same set of
source files with the same contents every time.

With --touch-commands every rule's command becomes `touch ${out}` (the
regeneration rule excepted), so that the tree can be built for real to
measure an executor's scheduling overhead (bench/build.sh).

Usage:
    gen_manifest.py --out bench/out/chromium            # full size (~2,000 files)
    gen_manifest.py --out /tmp/small --small            # ~50 files, for tests
    gen_manifest.py --out DIR --targets 3000 --seed 7   # custom
    gen_manifest.py --out bench/out/chromium/out/Release --sources
                                 # checkout-like: ~175,000 sources in bench/out/chromium
"""

import argparse
import hashlib
import os
import random
import re
import shutil
import sys

# Average number of compiled sources per compiling target at full size.  With
# the type mix below this gives ~47 non-phony build edges per target, i.e.
# ~94,000 edges for the default 2,000 targets.
SOURCES_PER_COMPILE_TARGET = 59

DEFAULT_TARGETS = 2000
SMALL_TARGETS = 48  # + build.ninja + toolchain.ninja = 50 files

# Top-level source areas with relative weights (roughly how Chromium's targets
# are spread over the tree).
AREAS = [
    ("base", 3), ("net", 4), ("url", 1), ("crypto", 1), ("ipc", 1),
    ("mojo/public/cpp", 3), ("mojo/core", 1), ("gpu/command_buffer", 3),
    ("cc", 3), ("ui/gfx", 3), ("ui/views", 5), ("ui/base", 3), ("ui/events", 2),
    ("ui/accessibility", 2), ("ui/gl", 1), ("media", 5), ("media/gpu", 2),
    ("storage/browser", 2), ("services/network", 3), ("services/device", 2),
    ("services/viz", 3), ("components/autofill", 4), ("components/sync", 4),
    ("components/policy", 3), ("components/password_manager", 3),
    ("components/omnibox", 2), ("components/history", 2),
    ("components/signin", 2), ("components/viz", 3), ("content/browser", 8),
    ("content/renderer", 4), ("content/common", 2), ("content/public", 3),
    ("extensions/browser", 4), ("extensions/common", 2),
    ("chrome/browser", 12), ("chrome/browser/ui", 9), ("chrome/common", 2),
    ("chrome/renderer", 2), ("chrome/test", 2), ("device/bluetooth", 2),
    ("printing", 1), ("skia", 1), ("sql", 1), ("pdf", 1),
    ("third_party/blink/renderer/core", 10),
    ("third_party/blink/renderer/modules", 10),
    ("third_party/blink/renderer/platform", 6),
    ("third_party/blink/common", 2), ("third_party/skia", 3),
    ("third_party/angle/src", 3), ("third_party/boringssl", 2),
    ("third_party/abseil-cpp/absl", 3), ("third_party/protobuf", 1),
    ("third_party/icu", 1), ("third_party/ffmpeg", 2), ("third_party/webrtc", 6),
    ("third_party/perfetto/src", 3), ("third_party/dawn/src", 3),
    ("v8/src", 5), ("tools/gn", 1),
]

WORDS = [
    "accessibility", "account", "address", "animation", "app", "audio", "auth",
    "autofill", "background", "bitmap", "blob", "bookmark", "bridge", "browser",
    "buffer", "cache", "canvas", "capture", "cert", "channel", "client", "clipboard",
    "codec", "color", "compositor", "config", "connection", "consent", "content",
    "context", "cookie", "crypto", "cursor", "data", "database", "decoder",
    "delegate", "device", "dialog", "display", "document", "download", "drag",
    "driver", "element", "encoder", "engine", "event", "extension", "favicon",
    "feature", "fetch", "file", "filter", "font", "frame", "geometry", "gesture",
    "handle", "handler", "history", "host", "http", "icon", "image", "impl",
    "input", "ipc", "job", "key", "layer", "layout", "list", "loader", "manager",
    "media", "memory", "menu", "message", "metrics", "model", "monitor", "navigation",
    "network", "node", "notification", "observer", "paint", "parser", "password",
    "permission", "pipe", "platform", "policy", "pool", "prefs", "printer", "process",
    "profile", "provider", "proxy", "quic", "queue", "reader", "registry", "render",
    "request", "resolver", "resource", "response", "scheduler", "script", "scroll",
    "search", "service", "session", "settings", "shader", "shell", "signin",
    "socket", "storage", "store", "stream", "style", "surface", "sync", "tab",
    "task", "texture", "theme", "thread", "timer", "token", "tracker", "transport",
    "tree", "url", "util", "validator", "video", "view", "watcher", "web",
    "widget", "window", "worker", "writer",
]
SUFFIXES = ["", "", "", "", "_impl", "_util", "_utils", "_factory", "_linux",
            "_posix", "_x11", "_ozone", "_base", "_internal", "_helper", "_win",
            "_unittest", "_browsertest", "_test_util", "_mojom"]

# Target types: (type, weight).  "component" is a shared library in GN's
# component build; "loadable_module" uses the toolchain file's extra rule.
TYPE_WEIGHTS = [
    ("source_set", 44), ("static_library", 17), ("component", 7),
    ("loadable_module", 1), ("executable", 5), ("group", 9),
    ("action", 12), ("copy", 5),
]
COMPILING = ("source_set", "static_library", "component", "loadable_module",
             "executable")
LINKABLE = ("source_set", "static_library", "component", "loadable_module", "group")

LLVM = "../../third_party/llvm-build/Release+Asserts/bin"

COMMON_CFLAGS = (
    "-fno-delete-null-pointer-checks -fno-ident -fno-strict-aliasing "
    "--param=ssp-buffer-size=4 -fstack-protector -funwind-tables -fPIC -pthread "
    "-fcolor-diagnostics -fmerge-all-constants -fcrash-diagnostics-dir=../../tools/clang/crashreports "
    "-mllvm -instcombine-lower-dbg-declare=0 -mllvm -split-threshold-for-reg-with-hint=0 "
    "-ffp-contract=off -fcomplete-member-pointers -m64 -msse3 -Wno-builtin-macro-redefined "
    "-D__DATE__= -D__TIME__= -D__TIMESTAMP__= -ffile-compilation-dir=. -no-canonical-prefixes "
    "-ftrivial-auto-var-init=pattern -O0 -fno-omit-frame-pointer -gdwarf-4 -g2 -gdwarf-aranges "
    "-gsplit-dwarf -ggnu-pubnames -Xclang -fuse-ctor-homing -fvisibility=hidden "
    "-Wheader-hygiene -Wstring-conversion -Wtautological-overlap-compare -Wall -Wextra "
    "-Wimplicit-fallthrough -Wextra-semi -Wunreachable-code-aggressive -Wthread-safety "
    "-Wgnu -Wno-gnu-anonymous-struct -Wno-gnu-conditional-omitted-operand "
    "-Wno-gnu-include-next -Wno-gnu-label-as-value -Wno-gnu-redeclared-enum "
    "-Wno-gnu-statement-expression -Wno-gnu-zero-variadic-macro-arguments "
    "-Wno-zero-length-array -Wno-missing-field-initializers -Wno-unused-parameter "
    "-Wno-psabi -Wloop-analysis -Wno-unneeded-internal-declaration "
    "-Wno-cast-function-type -Wno-thread-safety-reference-return "
    "-Wshadow -Werror -Wno-nonportable-include-path -Wno-invalid-offsetof "
    "-Wenum-compare-conditional -Wno-c++11-narrowing-const-reference "
    "-Wno-missing-template-arg-list-after-template-kw -Wno-dangling-assignment-gsl"
)
COMMON_CFLAGS_CC = (
    "-Wno-undefined-bool-conversion -Wno-tautological-undefined-compare "
    "-std=c++20 -Wno-trigraphs -gsimple-template-names -fno-exceptions -fno-rtti "
    "-nostdinc++ -isystem../../third_party/libc++/src/include "
    "-isystem../../third_party/libc++abi/src/include "
    "-fvisibility-inlines-hidden -Wno-invalid-offsetof -Wenum-compare-conditional"
)
COMMON_CFLAGS_C = "-std=c11 -Wno-implicit-fallthrough"
COMMON_DEFINES = [
    "-DDCHECK_ALWAYS_ON=1", "-DUSE_UDEV", "-DUSE_AURA=1", "-DUSE_GLIB=1",
    "-DUSE_OZONE=1", "-DOFFICIAL_BUILD=0", "-D__STDC_CONSTANT_MACROS",
    "-D__STDC_FORMAT_MACROS", "-D_FORTIFY_SOURCE=2", "-D_FILE_OFFSET_BITS=64",
    "-D_LARGEFILE_SOURCE", "-D_LARGEFILE64_SOURCE", "-D_GNU_SOURCE",
    "-DCR_CLANG_REVISION=\\\"llvmorg-19-init-2941-ga0b3dbaf-22\\\"",
    "-DCOMPONENT_BUILD", "-DCR_LIBCXX_REVISION=e3b94d0e5b86883fd77696bf10dc33ba250ba99b",
    "-D_LIBCPP_HARDENING_MODE=_LIBCPP_HARDENING_MODE_EXTENSIVE",
    "-DCR_SYSROOT_KEY=20230611T210420Z-2", "-D_DEBUG", "-DDYNAMIC_ANNOTATIONS_ENABLED=1",
    "-DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_56",
    "-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_56",
    "-DPROTOBUF_ENABLE_DEBUG_LOGGING_MAY_LEAK_PII=0", "-DABSL_CONSUME_DLL",
    "-DBORINGSSL_SHARED_LIBRARY", "-DGOOGLE_PROTOBUF_NO_RTTI",
    "-DGOOGLE_PROTOBUF_NO_STATIC_INITIALIZER", "-DHAVE_PTHREAD",
]
COMMON_INCLUDES = [
    "-I../..", "-Igen", "-I../../buildtools/third_party/libc++",
    "-I../../third_party/perfetto/include", "-Igen/third_party/perfetto/build_config",
    "-Igen/third_party/perfetto", "-I../../third_party/abseil-cpp",
    "-I../../third_party/boringssl/src/include", "-I../../third_party/protobuf/src",
    "-Igen/protoc_out",
]


class Target:
    __slots__ = ("idx", "dir", "name", "type", "deps", "sources", "headers",
                 "objs", "final", "stamp", "ninja_path", "carry_objs",
                 "carry_libs", "carry_solibs", "gen_outputs", "public_headers")

    def __init__(self, idx, tdir, name, ttype):
        self.idx = idx
        self.dir = tdir
        self.name = name
        self.type = ttype
        self.deps = []
        self.sources = []
        self.headers = []
        self.objs = []
        self.final = None        # the output other targets depend on
        self.stamp = None
        self.ninja_path = "obj/%s/%s.ninja" % (tdir, name)
        self.carry_objs = {}     # dicts used as insertion-ordered sets
        self.carry_libs = {}
        self.carry_solibs = {}
        self.gen_outputs = []
        self.public_headers = []

    @property
    def label(self):
        return "//%s:%s" % (self.dir, self.name)


def pick_weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    r = rng.uniform(0, total)
    acc = 0.0
    for item, w in pairs:
        acc += w
        if r <= acc:
            return item
    return pairs[-1][0]


def word_name(rng, parts_lo=1, parts_hi=3):
    n = rng.randint(parts_lo, parts_hi)
    return "_".join(rng.sample(WORDS, n))


def plan(num_targets, seed):
    """Decide every target's identity, type, sources and dependencies."""
    rng = random.Random(seed)
    targets = []
    labels = set()
    root_names = set()
    subdirs = {}  # area -> list of subdirectories already used (to cluster)

    # Types: make sure every type appears even in the small preset.
    types = [t for t, _ in TYPE_WEIGHTS]
    for i in range(num_targets):
        ttype = types[i] if i < len(types) else pick_weighted(rng, TYPE_WEIGHTS)
        area = pick_weighted(rng, AREAS)
        used = subdirs.setdefault(area, [])
        if used and rng.random() < 0.6:
            tdir = rng.choice(used)
        else:
            tdir = area if rng.random() < 0.3 else area + "/" + word_name(rng, 1, 2)
            if tdir not in used:
                used.append(tdir)
        for _ in range(100):
            base = word_name(rng, 1, 2)
            if ttype == "executable":
                name = base + rng.choice(["_unittests", "_browsertests", "_perftests",
                                          "_fuzzer", "_shell", "_tool"])
            elif ttype == "action":
                name = base + rng.choice(["_mojom_gen", "_proto_gen", "_grit",
                                          "_jni_headers", "_buildflags", "_generate"])
            elif ttype == "copy":
                name = "copy_" + base + rng.choice(["_resources", "_data", "_test_data"])
            elif ttype == "group":
                name = base + rng.choice(["", "_all", "_deps", "_test_support"])
            else:
                name = base
            # Shared libraries and executables land in the root of the
            # output directory, so their names must be globally unique.
            if (tdir, name) not in labels and name not in root_names:
                break
        else:
            raise SystemExit("could not find a unique target name")
        labels.add((tdir, name))
        if ttype in ("component", "loadable_module", "executable"):
            root_names.add(name)
        targets.append(Target(i, tdir, name, ttype))

    # Sources: heavy-tailed sizes, rescaled so the total is predictable.
    compiling = [t for t in targets if t.type in COMPILING]
    weights = [rng.paretovariate(1.6) for _ in compiling]
    wsum = sum(weights)
    total_sources = SOURCES_PER_COMPILE_TARGET * len(compiling)
    for t, w in zip(compiling, weights):
        n = max(1, int(round(w / wsum * total_sources)))
        seen = {}
        while len(seen) < n:
            stem = word_name(rng, 1, 3) + rng.choice(SUFFIXES)
            if len(seen) >= len(WORDS) * 4:
                stem += "_%d" % len(seen)
            if stem in seen:
                continue
            ext = ".c" if (t.dir.startswith("third_party") and rng.random() < 0.5) \
                or rng.random() < 0.04 else ".cc"
            seen[stem] = ext
        sub = rng.choice(["", "", "", "internal/", "public/", "common/"])
        for stem, ext in seen.items():
            t.sources.append("../../%s/%s%s%s" % (t.dir, sub, stem, ext))
            if rng.random() < 0.8:
                t.headers.append("../../%s/%s%s.h" % (t.dir, sub, stem))
        t.public_headers = t.headers[: max(1, min(8, len(t.headers)))] if t.headers \
            else ["../../%s/%s.h" % (t.dir, t.name)]

    # Dependencies: only on earlier targets (a DAG), mostly nearby/same area.
    by_area = {}
    for t in targets:
        cands_all = [d for d in targets[: t.idx]]
        area = t.dir.split("/")[0]
        big = False
        if t.type == "executable":
            # Test binaries link large parts of the tree; a fifth of them are
            # "big" ones (think unit_tests / browser_tests).
            big = rng.random() < 0.2
            ndeps = rng.randint(300, 900) if big else rng.randint(8, 30)
        elif t.type == "action":
            ndeps = rng.randint(0, 2)
        elif t.type == "copy":
            ndeps = rng.randint(0, 1)
        elif t.type == "group":
            ndeps = rng.randint(1, 6)
        else:
            ndeps = rng.randint(1, 6)
        chosen = {}
        local = by_area.get(area, [])
        for _ in range(ndeps * 4):
            if len(chosen) >= ndeps or not cands_all:
                break
            if t.type == "action":
                pool = [d for d in local[-20:] if d.type == "action"] or cands_all[-50:]
            elif big:
                pool = cands_all
            elif local and rng.random() < 0.7:
                pool = local[-40:]
            else:
                pool = cands_all[-400:]
            d = rng.choice(pool)
            # Executables are never dependencies.  Libraries only use source
            # sets of their own directory (as in Chromium, where source sets
            # are mostly internal pieces of one component); this bounds the
            # object lists that link steps inherit through source sets.
            if d.type == "executable":
                continue
            if d.type == "source_set" and d.dir != t.dir and t.type != "executable":
                continue
            chosen[d.idx] = d
        t.deps = list(chosen.values())
        by_area.setdefault(area, []).append(t)
    return targets


def finalize_outputs(targets, rng):
    """Compute output paths and the transitive link carries."""
    for t in targets:
        od = "obj/" + t.dir
        t.stamp = "%s/%s.stamp" % (od, t.name)
        if t.type in COMPILING:
            for src in t.sources:
                stem = os.path.splitext(os.path.basename(src))[0]
                t.objs.append("%s/%s/%s.o" % (od, t.name, stem))
        if t.type == "action":
            n = rng.randint(1, 4)
            for k in range(n):
                stem = "%s_%d" % (t.name, k) if k else t.name
                t.gen_outputs.append("gen/%s/%s.h" % (t.dir, stem))
                t.gen_outputs.append("gen/%s/%s.cc" % (t.dir, stem))
        if t.type == "copy":
            for k in range(rng.randint(2, 12)):
                t.gen_outputs.append("test_data/%s/%s/%s_%d.%s" % (
                    t.dir, t.name, word_name(rng, 1, 2), k,
                    rng.choice(["json", "html", "png", "pak"])))

        deps_objs, deps_libs, deps_solibs = {}, {}, {}
        for d in t.deps:
            deps_objs.update(d.carry_objs)
            deps_libs.update(d.carry_libs)
            deps_solibs.update(d.carry_solibs)
        if t.type == "source_set":
            t.final = t.stamp
            t.carry_objs = dict.fromkeys(t.objs)
            t.carry_objs.update(deps_objs)
            t.carry_libs = deps_libs
            t.carry_solibs = deps_solibs
        elif t.type == "static_library":
            t.final = "%s/lib%s.a" % (od, t.name)
            t.carry_libs = {t.final: None}
            t.carry_libs.update(deps_libs)
            t.carry_solibs = deps_solibs
        elif t.type in ("component", "loadable_module"):
            t.final = "./lib%s.so" % t.name
            if t.type == "component":
                t.carry_solibs = {t.final: None}
        elif t.type == "executable":
            t.final = "./" + t.name
        elif t.type == "group":
            t.final = t.stamp
            t.carry_objs = deps_objs
            t.carry_libs = deps_libs
            t.carry_solibs = deps_solibs
        else:  # action, copy
            t.final = t.stamp


def hard_deps(t):
    """Stamps of dependencies that produce generated files (actions, copies,
    groups): compile edges wait for them via order-only deps."""
    return [d.stamp for d in t.deps if d.type in ("action", "copy", "group")]


def target_vars(t, rng):
    defines = list(COMMON_DEFINES)
    for _ in range(rng.randint(8, 50)):
        w = rng.choice(WORDS).upper()
        defines.append(rng.choice(["-D%s_IMPLEMENTATION" % w, "-DENABLE_%s=1" % w,
                                   "-DUSE_%s=0" % w, "-D%s_VERSION=%d" % (w, rng.randint(1, 99)),
                                   "-DCR_%s_BUILDFLAG_%s" % (w, rng.choice(WORDS).upper())]))
    includes = list(COMMON_INCLUDES)
    for d in t.deps[:30]:
        includes.append("-I../../%s/include" % d.dir)
    for _ in range(rng.randint(0, 8)):
        includes.append("-I../../third_party/%s/src" % rng.choice(WORDS))
    includes.append("-Igen/%s" % t.dir)
    extra = " ".join(rng.sample(["-Wno-shadow", "-Wno-unused-function", "-Wno-sign-compare",
                                 "-Wno-deprecated-declarations", "-Wexit-time-destructors",
                                 "-Wglobal-constructors", "-Wno-c99-designator",
                                 "-Wno-unused-variable", "-Wno-ambiguous-reversed-operator"],
                                rng.randint(0, 4)))
    return [
        ("defines", " ".join(defines)),
        ("include_dirs", " ".join(dict.fromkeys(includes))),
        ("cflags", (COMMON_CFLAGS + " " + extra).strip()),
        ("cflags_c", COMMON_CFLAGS_C),
        ("cflags_cc", COMMON_CFLAGS_CC),
        ("label_name", t.name),
        ("root_out_dir", "."),
        ("target_gen_dir", "gen/" + t.dir),
        ("target_out_dir", "obj/" + t.dir),
        ("target_output_name", t.name if t.type not in ("component", "loadable_module",
                                                         "static_library") else "lib" + t.name),
    ]


def write_target(out, t, rng, scan=None):
    lines = []
    emit = lines.append
    hd = hard_deps(t)
    # GN collapses several hard deps into one "inputdeps" stamp.
    if len(hd) > 1 and t.type in COMPILING:
        inputdeps = "obj/%s/%s.inputdeps.stamp" % (t.dir, t.name)
        order_only = [inputdeps]
    else:
        inputdeps = None
        order_only = hd

    if t.type in COMPILING:
        for k, v in target_vars(t, rng):
            emit("%s = %s" % (k, v))
        emit("")
        if inputdeps:
            emit("build %s: stamp %s" % (inputdeps, " ".join(hd)))
        gen_cc = [g for d in t.deps if d.type == "action"
                  for g in d.gen_outputs if g.endswith(".cc")][:3]
        gen_h = [g for d in t.deps if d.type == "action"
                 for g in d.gen_outputs if g.endswith(".h")]
        dep_headers = [h for d in t.deps for h in d.public_headers]
        oo = (" || " + " ".join(order_only)) if order_only else ""
        for src, obj in zip(t.sources, t.objs):
            rule = "cc" if src.endswith(".c") else "cxx"
            implicit = []
            own_h = os.path.splitext(src)[0] + ".h"
            implicit.append(own_h)
            pool = dep_headers + t.headers + gen_h
            for _ in range(rng.randint(0, 3)):
                if pool:
                    implicit.append(rng.choice(pool))
            implicit = list(dict.fromkeys(implicit))
            emit("build %s: %s %s | %s%s" % (obj, rule, src, " ".join(implicit), oo))
            base = os.path.basename(src)
            emit("  source_file_part = " + base)
            emit("  source_name_part = " + os.path.splitext(base)[0])
        extra_objs = []
        for g in gen_cc:
            obj = "obj/%s/%s/gen_%s.o" % (t.dir, t.name,
                                          os.path.splitext(os.path.basename(g))[0])
            emit("build %s: cxx %s%s" % (obj, g, oo))
            base = os.path.basename(g)
            emit("  source_file_part = " + base)
            emit("  source_name_part = " + os.path.splitext(base)[0])
            extra_objs.append(obj)
        own_objs = t.objs + extra_objs
        if t.type == "source_set":
            # Keep the carried object list in sync with the generated objects.
            for o in extra_objs:
                t.carry_objs[o] = None
            emit("build %s: stamp %s" % (t.stamp, " ".join(own_objs)))
        elif t.type == "static_library":
            dep_objs = {}
            for d in t.deps:
                dep_objs.update(d.carry_objs)
            emit("build %s: alink %s%s" % (t.final, " ".join(own_objs + list(dep_objs)),
                                           (" || " + " ".join(hd)) if hd else ""))
            emit("  arflags = -T -S")
            emit("  output_extension = .a")
            emit("  output_dir = obj/" + t.dir)
        else:
            dep_objs, dep_libs, dep_solibs = {}, {}, {}
            for d in t.deps:
                dep_objs.update(d.carry_objs)
                dep_libs.update(d.carry_libs)
                dep_solibs.update(d.carry_solibs)
            inputs = own_objs + list(dep_objs) + list(dep_libs)
            tocs = [s + ".TOC" for s in dep_solibs]
            imp = (" | " + " ".join(tocs)) if tocs else ""
            ord_ = (" || " + " ".join(hd)) if hd else ""
            ldflags = ("-Wl,--version-script=../../build/linux/chrome.map -Werror "
                       "-fuse-ld=lld -Wl,--fatal-warnings -Wl,--build-id=fast -fPIC "
                       "-Wl,-z,noexecstack -Wl,-z,relro -Wl,--icf=all -Wl,--color-diagnostics "
                       "-Wl,--undefined-version -Wl,--no-call-graph-profile-sort -m64 "
                       "-no-canonical-prefixes -Wl,-O2 -Wl,--gc-sections -rdynamic "
                       "-Wl,-z,defs -Wl,--as-needed -nostdlib++ "
                       "--sysroot=../../build/linux/debian_bullseye_amd64-sysroot "
                       "-Wl,-rpath=\\$$ORIGIN")
            libs = "-ldl -lpthread -lrt -lm"
            if t.type == "executable":
                emit("build %s: link %s%s%s" % (t.final, " ".join(inputs), imp, ord_))
                emit("  ldflags = " + ldflags + " -pie -Wl,--disable-new-dtags")
                emit("  libs = " + libs)
                emit("  frameworks =")
                emit("  swiftmodules =")
                emit("  output_extension =")
                emit("  output_dir = .")
                emit("  solibs = " + " ".join(dep_solibs))
            else:
                rule = "solink" if t.type == "component" else "solink_module"
                outs = "%s %s.TOC" % (t.final, t.final) if rule == "solink" else t.final
                emit("build %s: %s %s%s%s" % (outs, rule, " ".join(inputs), imp, ord_))
                emit("  ldflags = " + ldflags)
                emit("  libs = " + libs)
                emit("  frameworks =")
                emit("  swiftmodules =")
                emit("  output_extension = .so")
                emit("  output_dir = .")
                emit("  solibs = " + " ".join(dep_solibs))
    elif t.type == "group":
        emit("build %s: stamp %s" % (t.stamp, " ".join(d.final for d in t.deps)))
    elif t.type == "action":
        rule = ("%s_%s__rule" % (t.dir, t.name)).replace("/", "_").replace("-", "_")
        script = "../../%s/%s.py" % (t.dir, rng.choice(["generate", "gen_bindings",
                                                        "make_headers", "write_buildflag_header"]))
        emit("rule " + rule)
        emit("  command = python3 %s --root-gen-dir ${root_gen_dir} --output-dir "
             "${target_gen_dir} --depfile ${out}.d --variant %s %s" % (
                 script, rng.choice(WORDS), " ".join("--output=%s" % o for o in t.gen_outputs)))
        emit("  description = ACTION %s(//build/toolchain/linux:clang_x64)" % t.label)
        emit("  restat = 1")
        if rng.random() < 0.15:
            emit("  pool = console")
        elif rng.random() < 0.5:
            emit("  pool = build_toolchain_action_pool")
        emit("")
        emit("target_gen_dir = gen/" + t.dir)
        emit("target_out_dir = obj/" + t.dir)
        emit("label_name = " + t.name)
        emit("")
        inputs = [script, "../../%s/%s.json" % (t.dir, t.name)]
        oo = (" || " + " ".join(hd)) if hd else ""
        emit("build %s: %s %s | ../../build/gn_helpers.py ../../build/action_helpers.py%s"
             % (" ".join(t.gen_outputs), rule, " ".join(inputs), oo))
        # A second, generic action edge using the top-level `action` rule.
        extra = "gen/%s/%s.stamp.d" % (t.dir, t.name)
        emit("build %s: action %s%s" % (extra, inputs[1], oo))
        emit("  script = " + script)
        emit("  args = --check --output ${out}")
        emit("build %s: stamp %s %s" % (t.stamp, " ".join(t.gen_outputs), extra))
    elif t.type == "copy":
        oo = (" || " + " ".join(hd)) if hd else ""
        for o in t.gen_outputs:
            emit("build %s: copy ../../%s/data/%s%s" % (o, t.dir, os.path.basename(o), oo))
        emit("build %s: stamp %s" % (t.stamp, " ".join(t.gen_outputs)))
    emit("")
    path = os.path.join(out, t.ninja_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = "\n".join(lines)
    if scan is not None:
        scan.add(text)
    data = touch_commands(text.encode())
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def top_level(targets):
    lines = []
    emit = lines.append
    emit("ninja_required_version = 1.7.2")
    emit("")
    emit("# Generated by bench/gen_manifest.py: a synthetic, GN-shaped build tree.")
    emit("root_out_dir = .")
    emit("root_gen_dir = gen")
    emit("root_build_dir = .")
    emit("llvm = " + LLVM)
    emit("cc_wrapper =")
    emit("python = python3")
    emit("")
    emit("pool link_pool")
    emit("  depth = 4")
    emit("")
    emit("pool build_toolchain_action_pool")
    emit("  depth = 2")
    emit("")
    emit("rule gn")
    emit("  command = ../../buildtools/linux64/gn --root=../.. -q --regeneration gen .")
    emit("  pool = console")
    emit("  description = Regenerating ninja files")
    emit("")
    emit("rule cc")
    emit("  command = ${cc_wrapper} ${llvm}/clang -MD -MF $out.d ${defines} "
         "${include_dirs} ${cflags} ${cflags_c} -c ${in} -o ${out}")
    emit("  description = CC ${out}")
    emit("  depfile = $out.d")
    emit("  deps = gcc")
    emit("")
    emit("rule cxx")
    emit("  command = ${cc_wrapper} ${llvm}/clang++ -MD -MF ${out}.d ${defines} "
         "${include_dirs} ${cflags} ${cflags_cc} -c ${in} -o ${out}")
    emit("  description = CXX ${out}")
    emit("  depfile = ${out}.d")
    emit("  deps = gcc")
    emit("")
    emit("rule alink")
    emit("  command = rm -f ${out} && \"${llvm}/llvm-ar\" ${arflags} -r -c -s -D "
         "${out} @\"${out}.rsp\"")
    emit("  description = AR ${out}")
    emit("  rspfile = ${out}.rsp")
    emit("  rspfile_content = ${in}")
    emit("")
    emit("rule solink")
    emit("  command = ${python} \"../../build/toolchain/gcc_solink_wrapper.py\" "
         "--readelf=\"${llvm}/llvm-readelf\" --nm=\"${llvm}/llvm-nm\" "
         "--sofile=\"${output_dir}/${target_output_name}${output_extension}\" "
         "--tocfile=\"${output_dir}/${target_output_name}${output_extension}.TOC\" "
         "--output=\"${output_dir}/${target_output_name}${output_extension}\" -- "
         "${llvm}/clang++ -shared -Wl,-soname=\"${target_output_name}${output_extension}\" "
         "${ldflags} -o \"${output_dir}/${target_output_name}${output_extension}\" "
         "-Wl,--whole-archive @\"${output_dir}/${target_output_name}${output_extension}.rsp\" "
         "-Wl,--no-whole-archive ${solibs} ${libs}")
    emit("  description = SOLINK ${output_dir}/${target_output_name}${output_extension}")
    emit("  rspfile = ${output_dir}/${target_output_name}${output_extension}.rsp")
    emit("  rspfile_content = ${in}")
    emit("  restat = 1")
    emit("  pool = link_pool")
    emit("")
    emit("rule link")
    emit("  command = ${python} \"../../build/toolchain/gcc_link_wrapper.py\" "
         "--output=\"${output_dir}/${target_output_name}${output_extension}\" -- "
         "${llvm}/clang++ ${ldflags} -o \"${output_dir}/${target_output_name}${output_extension}\" "
         "-Wl,--start-group @\"${output_dir}/${target_output_name}${output_extension}.rsp\" "
         "${solibs} -Wl,--end-group ${libs}")
    emit("  description = LINK ${output_dir}/${target_output_name}${output_extension}")
    emit("  rspfile = ${output_dir}/${target_output_name}${output_extension}.rsp")
    emit("  rspfile_content = ${in}")
    emit("  pool = link_pool")
    emit("")
    emit("rule stamp")
    emit("  command = touch ${out}")
    emit("  description = STAMP ${out}")
    emit("")
    emit("rule copy")
    emit("  command = ln -f ${in} ${out} 2>/dev/null || (rm -rf ${out} && cp -af ${in} ${out})")
    emit("  description = COPY ${in} ${out}")
    emit("")
    emit("rule action")
    emit("  command = ${python} ${script} ${args} --inputs ${in} --depfile ${out}.d")
    emit("  description = ACTION ${out}")
    emit("  depfile = ${out}.d")
    emit("  deps = gcc")
    emit("  restat = 1")
    emit("  pool = build_toolchain_action_pool")
    emit("")
    emit("build build.ninja: gn")
    emit("  generator = 1")
    emit("")
    emit("subninja toolchain.ninja")
    emit("")

    # Phony aliases, GN style: `dir:name` (colon escaped) for every target
    # whose final output is not already that path, plus the bare name when it
    # is unique and does not clash with a real output.
    outputs_at_root = set()
    for t in targets:
        if t.final.startswith("./"):
            outputs_at_root.add(t.final[2:])
            if t.type == "component":
                outputs_at_root.add(t.final[2:] + ".TOC")
    name_count = {}
    for t in targets:
        name_count[t.name] = name_count.get(t.name, 0) + 1
    for t in targets:
        emit("build %s$:%s: phony %s" % (t.dir, t.name, t.final))
        if name_count[t.name] == 1 and t.name not in outputs_at_root \
                and not t.final.startswith("./"):
            emit("build %s: phony %s" % (t.name, t.final))
    emit("")
    emit("build all: phony $")
    for t in targets[:-1]:
        emit("    %s $" % t.final)
    emit("    %s" % targets[-1].final)
    emit("")
    emit("default all")
    emit("")
    return "\n".join(lines).encode()


def toolchain(targets):
    lines = []
    emit = lines.append
    emit("# Toolchain //build/toolchain/linux:clang_x64")
    emit("toolchain_name = clang_x64")
    emit("current_os = linux")
    emit("current_cpu = x64")
    emit("")
    emit("rule solink_module")
    emit("  command = ${llvm}/clang++ -shared ${ldflags} -o "
         "\"${output_dir}/${target_output_name}${output_extension}\" "
         "-Wl,-soname=\"${target_output_name}${output_extension}\" "
         "@\"${output_dir}/${target_output_name}${output_extension}.rsp\" ${solibs} ${libs}")
    emit("  description = SOLINK_MODULE ${output_dir}/${target_output_name}${output_extension}")
    emit("  rspfile = ${output_dir}/${target_output_name}${output_extension}.rsp")
    emit("  rspfile_content = ${in}")
    emit("  pool = link_pool")
    emit("")
    for t in targets:
        emit("subninja " + t.ninja_path)
    emit("")
    return "\n".join(lines).encode()


def generator_hash():
    """Identifies this generator's version in the .gen_manifest stamp, so
    that bench/compare.sh regenerates trees written by an older version."""
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


SOURCES_STAMP = ".gen_sources"
SOURCE_PREFIX = "../../"


class EdgeScan:
    """Collects the paths that build statements read and write, from the
    manifest text itself, so that --sources covers whatever the writers
    above emit."""

    def __init__(self):
        self.inputs = {}      # insertion-ordered set
        self.outputs = set()

    @staticmethod
    def _path(p):
        if "$" in p:
            # Only `$:` (GN's alias names) and `$$` occur in paths here; a
            # variable reference would make this scan wrong.
            q = p.replace("$$", "").replace("$:", "")
            if "$" in q:
                raise SystemExit("EdgeScan: cannot interpret path %r" % p)
            p = p.replace("$$", "$").replace("$:", ":")
        # ninja canonicalises ./x to x (executables and .so files are written
        # as ./name, as GN does).
        return p[2:] if p.startswith("./") else p

    def add(self, text):
        path = self._path
        for line in text.replace("$\n", "").split("\n"):
            if not line.startswith("build "):
                continue
            outs, sep, rest = line[6:].partition(": ")
            if not sep:
                raise SystemExit("EdgeScan: cannot parse %r" % line[:200])
            for p in outs.split():
                if p != "|":
                    self.outputs.add(path(p))
            words = rest.split()
            for p in words[1:]:  # words[0] is the rule
                if p not in ("|", "||", "|@"):
                    self.inputs[path(p)] = None

    def sources(self):
        """Inputs that no build statement produces, without the leading
        ../../, sorted."""
        found = []
        for p in self.inputs:
            if p in self.outputs:
                continue
            rel = p[len(SOURCE_PREFIX):]
            if not p.startswith(SOURCE_PREFIX) or rel.startswith("../") or not rel:
                raise SystemExit("input %r is not produced by any build statement and is "
                                 "not a source path (%sdir/file)" % (p, SOURCE_PREFIX))
            found.append(rel)
        found.sort()
        return found


def placeholder(path):
    """The contents of a placeholder source file: one line, a comment where
    the file type has comments."""
    ext = os.path.splitext(path)[1]
    if ext in (".c", ".cc", ".h"):
        return b"// placeholder written by bench/gen_manifest.py --sources\n"
    if ext == ".py":
        return b"# placeholder written by bench/gen_manifest.py --sources\n"
    if ext == ".html":
        return b"<!-- placeholder written by bench/gen_manifest.py --sources -->\n"
    if ext == ".json":
        return b"{}\n"
    return b"placeholder written by bench/gen_manifest.py --sources\n"


def write_sources(root, paths):
    """Creates root/p for every p in paths (sorted, relative); directories
    are created once each."""
    dirs = dict.fromkeys(os.path.dirname(p) for p in paths)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    total = 0
    for p in paths:
        data = placeholder(p)
        fd = os.open(os.path.join(root, p), flags, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        total += len(data)
    return total


def source_root_entries(root, out):
    """What a --sources run may replace in root: the top-level entries its
    stamp lists, plus the stamp.  Refuses (SystemExit) if root is a symbolic
    link or holds anything else besides the path down to out."""
    if os.path.islink(root):
        raise SystemExit("refusing to use %s as the source root: it is a symbolic link" % root)
    if not os.path.isdir(root):
        return []
    if os.path.exists(os.path.join(root, ".gen_manifest")):
        # A build tree that an earlier run wrote directly in root (the flat
        # layout, without --sources): all of it was generated.
        return sorted(os.listdir(root))
    first = os.path.relpath(out, root).split(os.sep)[0]
    owned = []
    stamp = os.path.join(root, SOURCES_STAMP)
    if os.path.exists(stamp):
        owned.append(SOURCES_STAMP)
        with open(stamp) as f:
            for line in f:
                if line.startswith("top="):
                    owned += [e for e in line[4:].strip().split(",") if e]
    others = sorted(set(os.listdir(root)) - set(owned) - {first})
    if others:
        raise SystemExit("refusing to write sources into %s: it holds %s, which "
                         "gen_manifest.py --sources did not create" % (
                             root, ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")))
    return [e for e in owned if e != first and os.path.lexists(os.path.join(root, e))]


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


TOUCH = False


def touch_commands(data):
    """--touch-commands: every command (but gn's regeneration) creates its outputs."""
    if not TOUCH:
        return data
    return re.sub(rb"^(  command = )(?!\.\./\.\./buildtools/).*$", rb"\1touch ${out}",
                  data, flags=re.M)


def generate(out, num_targets, seed, sources=False):
    targets = plan(num_targets, seed)
    rng = random.Random(seed * 7919 + 1)
    finalize_outputs(targets, rng)
    # Check everything before removing anything.
    if os.path.isdir(out):
        # Only ever remove a directory that we generated before.
        if os.listdir(out) and not os.path.exists(os.path.join(out, ".gen_manifest")):
            raise SystemExit("refusing to overwrite %s: not generated by gen_manifest.py" % out)
    root = None
    if sources:
        # ninja resolves ../../x physically, so follow symbolic links in out.
        real_out = os.path.realpath(out)
        root = os.path.dirname(os.path.dirname(real_out))
        stale = source_root_entries(root, real_out)
        for e in stale:
            remove(os.path.join(root, e))
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    scan = EdgeScan() if sources else None
    total = 0
    for t in targets:
        total += write_target(out, t, rng, scan)
    data = touch_commands(toolchain(targets))
    with open(os.path.join(out, "toolchain.ninja"), "wb") as f:
        f.write(data)
    total += len(data)
    text = top_level(targets).decode()
    if scan is not None:
        scan.add(text)
    data = touch_commands(text.encode())
    with open(os.path.join(out, "build.ninja"), "wb") as f:
        f.write(data)
    total += len(data)
    files = len(targets) + 2
    nsources = src_bytes = 0
    if sources:
        paths = scan.sources()
        src_bytes = write_sources(root, paths)
        nsources = len(paths)
        top = sorted(dict.fromkeys(p.split("/")[0] for p in paths))
        with open(os.path.join(root, SOURCES_STAMP), "w") as f:
            f.write("targets=%d seed=%d gen=%s sources=%d build_dir=%s\n" % (
                num_targets, seed, generator_hash(), nsources,
                os.path.relpath(real_out, root)))
            f.write("top=%s\n" % ",".join(top))
    with open(os.path.join(out, ".gen_manifest"), "w") as f:
        f.write("targets=%d seed=%d gen=%s sources=%d files=%d bytes=%d touch=%d\n" % (
            num_targets, seed, generator_hash(), nsources, files, total, TOUCH))
    return files, total, targets, (root, nsources, src_bytes)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (recreated)")
    ap.add_argument("--targets", type=int, default=None,
                    help="number of targets / per-target .ninja files (default %d)"
                    % DEFAULT_TARGETS)
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--small", action="store_true",
                    help="small preset: %d targets (~50 files) for quick tests"
                    % SMALL_TARGETS)
    ap.add_argument("--sources", action="store_true",
                    help="also create every file the manifests read that no build "
                    "statement produces (~175,000 one-line placeholders at full size), "
                    "at its path relative to OUT, i.e. under OUT/../..; use an OUT "
                    "like SRC/out/Release (see the description above)")
    ap.add_argument("--touch-commands", action="store_true",
                    help="every command only touches its outputs (for build benchmarks)")
    args = ap.parse_args(argv)
    global TOUCH
    TOUCH = args.touch_commands
    n = args.targets if args.targets is not None else (
        SMALL_TARGETS if args.small else DEFAULT_TARGETS)
    if n < len(TYPE_WEIGHTS):
        ap.error("--targets must be at least %d" % len(TYPE_WEIGHTS))
    files, total, targets, (root, nsources, src_bytes) = generate(
        args.out, n, args.seed, args.sources)
    types = {}
    for t in targets:
        types[t.type] = types.get(t.type, 0) + 1
    print("wrote %s: %d .ninja files, %.1f MB (%d bytes); targets by type: %s" % (
        args.out, files, total / 1e6, total,
        ", ".join("%s=%d" % kv for kv in types.items())))
    if args.sources:
        print("wrote %d source files (%d bytes) under %s" % (nsources, src_bytes, root))


if __name__ == "__main__":
    main(sys.argv[1:])

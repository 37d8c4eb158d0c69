#!/usr/bin/env python3
"""Real builds of the golden projects, the same way for ninja and for n2ref.

    scenario.py generate PROJECT GENERATOR DIR
        Copies golden/projects/PROJECT to DIR/src and runs the generator
        (cmake-ninja, cmake-multi or meson) into DIR/build.

    scenario.py run --impl CMD [--other CMD] CASE_DIR OUT_DIR
        Generates a fresh tree for the case (named PROJECT-GENERATOR), then
        runs the steps of CASE_DIR/build.txt in DIR/build and writes, for the
        N-th `ninja` step, OUT_DIR/NN.stdout, NN.stderr and NN.exit with
        machine-specific paths and times normalised (see golden/README.md).
        CMD is the implementation, possibly several words ("n2ref build").
        `other` steps run --other instead (default: CMD), which is how a
        test checks that one implementation accepts the other's state.

    scenario.py normalise FILE SRC BUILD
        Rewrites a generated manifest's absolute paths (used by record.sh).

build.txt holds one step per line: `ninja ARGS...`, `other ARGS...` or
`touch PATH` (PATH relative to the build directory; its mtime becomes the
current time, which is later than every output's because they were written
before). `#` lines are
comments.

Exit status 3 means the generators installed here are not the versions the
case was recorded with (named on the first line of its commands.txt): the
generated commands would differ, so nothing is compared.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECTS = os.path.join(HERE, 'projects')
GENERATORS = ('cmake-ninja', 'cmake-multi', 'meson')


@lru_cache(maxsize=None)
def cmake_dirs():
    """CMake's bin/ directory and module root, as CMake reports them."""
    def ask(var):
        r = subprocess.run(['cmake', '-P', '/dev/stdin'], input=f'message("${{{var}}}")',
                           capture_output=True, text=True, check=True)
        return r.stderr.strip()
    return os.path.dirname(ask('CMAKE_COMMAND')), ask('CMAKE_ROOT')


def normalise_bytes(data, src, build):
    """Replaces the tree's and the generators' absolute paths by placeholders."""
    cmake_bindir, cmake_root = cmake_dirs()
    pairs = [
        (build, '/n2ref-golden/build'),
        (src, '/n2ref-golden/src'),
        (cmake_bindir, '/n2ref-golden/bin'),
        (cmake_root, '/n2ref-golden/share/cmake'),
    ]
    # Longest first, so that a path is never replaced through a prefix of it.
    for old, new in sorted(pairs, key=lambda p: -len(p[0])):
        data = data.replace(old.encode(), new.encode())
    # Whatever ninja, meson or python the generators found on PATH.
    return re.sub(
        rb'(?<![^\s"\'=])/(?!n2ref-golden/)[^\s"\'$:]*/(ninja|meson|python3?|cmake|ctest|cpack)'
        rb'(?=[\s"\']|$)',
        rb'/n2ref-golden/bin/\1', data, flags=re.M)


def generate(project, generator, root):
    src, build = os.path.join(root, 'src'), os.path.join(root, 'build')
    shutil.copytree(os.path.join(PROJECTS, project), src)
    if generator == 'cmake-ninja':
        cmd = ['cmake', '-S', src, '-B', build, '-G', 'Ninja']
    elif generator == 'cmake-multi':
        cmd = ['cmake', '-S', src, '-B', build, '-G', 'Ninja Multi-Config']
    elif generator == 'meson':
        cmd = ['meson', 'setup', build, src]
    else:
        sys.exit(f'scenario.py: unknown generator {generator}')
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def recorded_versions(case):
    """(cmake, meson) versions named in the case's commands.txt."""
    with open(os.path.join(case, 'commands.txt')) as f:
        head = f.read(400)
    cmake = re.search(r'cmake ([0-9][^,\s)]*)', head)
    meson = re.search(r'meson ([0-9][^,\s)]*)', head)
    return cmake and cmake.group(1), meson and meson.group(1)


def installed_versions():
    def version(cmd, pattern):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
        except OSError:
            return None
        m = re.search(pattern, out)
        return m and m.group(1)
    return (version(['cmake', '--version'], r'cmake version (\S+)'),
            version(['meson', '--version'], r'^(\S+)'))


def steps(case):
    with open(os.path.join(case, 'build.txt')) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                word, _, rest = line.partition(' ')
                yield word, rest


def run(impl, other, case, out):
    name = os.path.basename(os.path.normpath(case))
    project, _, generator = name.partition('-')
    want, have = recorded_versions(case), installed_versions()
    if want != have:
        print(f'scenario.py: {name} was recorded with cmake {want[0]}, meson {want[1]}; '
              f'this machine has cmake {have[0]}, meson {have[1]}', file=sys.stderr)
        return 3
    os.makedirs(out, exist_ok=True)
    root = os.path.realpath(tempfile.mkdtemp(prefix='n2ref-golden-'))
    try:
        generate(project, generator, root)
        src, build = os.path.join(root, 'src'), os.path.join(root, 'build')
        env = dict(os.environ, LC_ALL='C', TERM='dumb')
        for var in ('NINJA_STATUS', 'CLICOLOR_FORCE', 'MAKEFLAGS', 'MFLAGS'):
            env.pop(var, None)
        n = 0
        for word, rest in steps(case):
            if word == 'touch':
                os.utime(os.path.join(build, rest), None)
                continue
            if word not in ('ninja', 'other'):
                sys.exit(f'scenario.py: {case}/build.txt: unknown step {word!r}')
            n += 1
            cmd = shlex.split(impl if word == 'ninja' else other) + shlex.split(rest)
            r = subprocess.run(cmd, cwd=build, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True)
            for ext, data in (('stdout', r.stdout), ('stderr', r.stderr)):
                data = normalise_bytes(data, src, build)
                data = re.sub(rb'deps mtime [0-9]+', rb'deps mtime @MTIME@', data)
                with open(os.path.join(out, f'{n:02}.{ext}'), 'wb') as f:
                    f.write(data)
            with open(os.path.join(out, f'{n:02}.exit'), 'w') as f:
                f.write(f'{r.returncode}\n')
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv):
    if len(argv) == 4 and argv[0] == 'generate':
        generate(argv[1], argv[2], argv[3])
        return 0
    if len(argv) == 4 and argv[0] == 'normalise':
        path, src, build = argv[1:]
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(normalise_bytes(data, src, build))
        return 0
    if argv and argv[0] == 'run':
        args = argv[1:]
        impl = other = None
        while args and args[0].startswith('--'):
            if args[0] == '--impl':
                impl = args[1]
            elif args[0] == '--other':
                other = args[1]
            else:
                break
            args = args[2:]
        if impl and len(args) == 2:
            return run(impl, other or impl, args[0], args[1])
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

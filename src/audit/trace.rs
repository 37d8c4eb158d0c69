//! Tracing one build step with `strace -f` and reducing the trace to file
//! accesses (`spec/audit.md`, `[audit.trace]`).
//!
//! strace runs with `-y`, so every file-descriptor argument, `AT_FDCWD`
//! included, is printed with the path it refers to (`AT_FDCWD</dir>`,
//! `3</dir/sub>`). Relative paths are therefore resolved against the
//! directory the kernel reports, not against a working directory this
//! module would have to track. The few calls that take a plain relative
//! path without a directory argument (`execve`, `rename`, `unlink`, ...)
//! are resolved against the last working directory strace showed for that
//! process (or its parent, or the step's directory).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a step did to a path.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Opened for reading (or mapped: `open` precedes every `mmap`).
    Read,
    /// Created, truncated, opened for writing, or its times set.
    Write,
    /// Metadata only: `stat`, `access`, `readlink`.
    Stat,
    /// Executed (`execve`).
    Exec,
    /// Removed (`unlink`, `rmdir`, the old name of a `rename`).
    Remove,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Stat => "stat",
            Op::Exec => "exec",
            Op::Remove => "remove",
        }
    }
}

/// One access, in trace order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub op: Op,
    /// Absolute, lexically normalised (no `.`, `..` or `//`).
    pub path: Vec<u8>,
    /// Whether the call succeeded; a failed open is a lookup that found
    /// nothing (`ENOENT`), which matters for races.
    pub ok: bool,
    /// For a failed call, whether it failed with `ENOENT`.
    pub enoent: bool,
    /// Whether the call was asked for a directory (`O_DIRECTORY`).
    pub directory: bool,
}

/// The result of one traced command.
#[derive(Debug)]
pub struct Traced {
    pub status: std::process::ExitStatus,
    /// The command's standard output and error, interleaved.
    pub output: Vec<u8>,
    pub accesses: Vec<Access>,
}

/// Whether `strace` can be run.
pub fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `/bin/sh -c command` in `dir` under `strace -f` (when `trace`),
/// returning its exit status, output and (when traced) file accesses.
// spec: [audit.trace]
pub fn run(command: &[u8], dir: &Path, trace: bool) -> std::io::Result<Traced> {
    let trace_file = tempfile::Builder::new()
        .prefix("n2ref-audit-")
        .suffix(".strace")
        .tempfile()?;
    let sh_command = crate::bytes_to_path(command).into_os_string();
    let mut cmd = if trace {
        let mut c = Command::new("strace");
        c.args([
            "-f",
            "-qq",
            "-y",
            "-s",
            "8192",
            "-e",
            "signal=none",
            "-e",
            "trace=%file,%process",
            "-o",
        ]);
        c.arg(trace_file.path());
        c.args(["/bin/sh", "-c"]);
        c.arg(&sh_command);
        c
    } else {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(&sh_command);
        c
    };
    cmd.current_dir(dir).stdin(Stdio::null());
    // One pipe for both streams, as ninja captures them.
    let (reader, writer) = std::io::pipe()?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    let mut child = cmd.spawn()?;
    drop(cmd);
    let mut output = Vec::new();
    {
        use std::io::Read;
        let mut reader = reader;
        reader.read_to_end(&mut output)?;
    }
    let status = child.wait()?;
    let accesses = if trace {
        let text = std::fs::read(trace_file.path())?;
        parse(&text, &path_bytes(dir))
    } else {
        Vec::new()
    };
    Ok(Traced {
        status,
        output,
        accesses,
    })
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

/// Not Unix: the audit refuses to run (it needs Linux), but its code
/// still compiles; paths are read as UTF-8.
#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

/// Parses strace's output (as produced by [`run`]) into accesses.
/// `dir` is the step's working directory.
pub fn parse(text: &[u8], dir: &[u8]) -> Vec<Access> {
    let mut out = Vec::new();
    let mut pending: HashMap<&[u8], Vec<u8>> = HashMap::new();
    // Last known working directory per process.
    let mut cwd: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    for line in text.split(|&b| b == b'\n') {
        let Some(space) = line.iter().position(|&b| b == b' ') else {
            continue;
        };
        let (pid, rest) = (&line[..space], &line[space + 1..]);
        let rest = trim_start(rest);
        if rest.starts_with(b"---") || rest.starts_with(b"+++") {
            continue;
        }
        let full: Vec<u8>;
        if let Some(r) = rest.strip_prefix(b"<... ") {
            // `<... NAME resumed>REST`
            let Some(end) = find(r, b" resumed>") else {
                continue;
            };
            let Some(mut head) = pending.remove(pid) else {
                continue;
            };
            head.extend_from_slice(&r[end + b" resumed>".len()..]);
            full = head;
        } else if let Some(head) = rest.strip_suffix(b" <unfinished ...>") {
            pending.insert(pid, head.to_vec());
            continue;
        } else {
            full = rest.to_vec();
        }
        let pid = pid.to_vec();
        let current = cwd.get(&pid).cloned().unwrap_or_else(|| dir.to_vec());
        if let Some(call) = parse_call(&full) {
            // Learn the working directory from `AT_FDCWD</dir>`.
            for arg in &call.args {
                if let Some(p) = arg.strip_prefix(b"AT_FDCWD<")
                    && let Some(p) = p.strip_suffix(b">")
                {
                    cwd.insert(pid.clone(), p.to_vec());
                }
            }
            if matches!(call.name, b"clone" | b"clone3" | b"fork" | b"vfork")
                && let Ok(child) = std::str::from_utf8(call.ret)
                && child.parse::<u32>().is_ok()
            {
                let cur = cwd.get(&pid).cloned().unwrap_or_else(|| current.clone());
                cwd.insert(child.as_bytes().to_vec(), cur);
            }
            let cur = cwd.get(&pid).cloned().unwrap_or(current);
            reduce(&call, &cur, &mut out);
        }
    }
    out
}

struct Call<'a> {
    name: &'a [u8],
    args: Vec<&'a [u8]>,
    /// The return value without its `<path>` annotation (`3`, `0`, `-1`).
    ret: &'a [u8],
    errno: &'a [u8],
}

fn parse_call(line: &[u8]) -> Option<Call<'_>> {
    let open = line.iter().position(|&b| b == b'(')?;
    let name = &line[..open];
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return None;
    }
    // Split the arguments at top-level commas up to the matching `)`.
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut i = open + 1;
    let mut start = i;
    let mut in_str = false;
    let mut close = None;
    while i < line.len() {
        let b = line[i];
        if in_str {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_str = false;
            }
        } else {
            match b {
                b'"' => in_str = true,
                b'(' | b'[' | b'{' => depth += 1,
                b'<' => {
                    // A `<path>` annotation: skip to its `>`.
                    if let Some(end) = line[i..].iter().position(|&c| c == b'>') {
                        i += end;
                    }
                }
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                b')' => {
                    close = Some(i);
                    break;
                }
                b',' if depth == 0 => {
                    args.push(trim(&line[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    let close = close?;
    if close > start || !args.is_empty() {
        args.push(trim(&line[start..close]));
    }
    let after = &line[close + 1..];
    let eq = find(after, b"= ")?;
    let result = &after[eq + 2..];
    let ret_end = result
        .iter()
        .position(|&b| b == b' ' || b == b'<')
        .unwrap_or(result.len());
    let ret = &result[..ret_end];
    let errno = if ret.starts_with(b"-") {
        let rest = trim_start(&result[ret_end..]);
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        &rest[..end]
    } else {
        &b""[..]
    };
    Some(Call {
        name,
        args,
        ret,
        errno,
    })
}

fn trim(s: &[u8]) -> &[u8] {
    trim_start(s.trim_ascii_end())
}

fn trim_start(s: &[u8]) -> &[u8] {
    s.trim_ascii_start()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A C string literal as strace prints it, unescaped; `None` when the
/// argument is not a string (a `NULL`, an address).
fn string_arg(arg: &[u8]) -> Option<Vec<u8>> {
    let s = arg.strip_prefix(b"\"")?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'"' => return Some(out),
            b'\\' if i + 1 < s.len() => {
                i += 1;
                match s[i] {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'v' => out.push(0x0b),
                    b'f' => out.push(0x0c),
                    b'x' => {
                        let hex = s.get(i + 1..i + 3)?;
                        out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                        i += 2;
                    }
                    b'0'..=b'7' => {
                        let mut v = 0u32;
                        let mut n = 0;
                        while n < 3 && i < s.len() && (b'0'..=b'7').contains(&s[i]) {
                            v = v * 8 + (s[i] - b'0') as u32;
                            i += 1;
                            n += 1;
                        }
                        out.push(v as u8);
                        continue;
                    }
                    c => out.push(c),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// The directory an fd argument refers to (`AT_FDCWD</d>`, `3</d>`).
fn fd_dir(arg: &[u8]) -> Option<&[u8]> {
    let lt = arg.iter().position(|&b| b == b'<')?;
    arg[lt + 1..].strip_suffix(b">")
}

/// `path` resolved against `dir`, normalised lexically.
pub fn absolute(dir: &[u8], path: &[u8]) -> Vec<u8> {
    let mut joined = if path.starts_with(b"/") {
        path.to_vec()
    } else {
        let mut j = dir.to_vec();
        j.push(b'/');
        j.extend_from_slice(path);
        j
    };
    normalise(&mut joined);
    joined
}

/// Removes `.`, `..` and repeated slashes from an absolute path.
pub fn normalise(path: &mut Vec<u8>) {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    *path = out;
}

fn reduce(call: &Call<'_>, cwd: &[u8], out: &mut Vec<Access>) {
    let ok = !call.ret.starts_with(b"-") && call.ret != b"?";
    let enoent = call.errno == b"ENOENT";
    let arg = |i: usize| call.args.get(i).copied().unwrap_or(b"");
    // (dir fd argument, path argument) -> absolute path
    let at = |dirfd: usize, path: usize| -> Option<Vec<u8>> {
        let p = string_arg(arg(path))?;
        let dir = fd_dir(arg(dirfd)).unwrap_or(cwd);
        Some(absolute(dir, &p))
    };
    let plain = |path: usize| -> Option<Vec<u8>> { Some(absolute(cwd, &string_arg(arg(path))?)) };
    let mut push = |op: Op, path: Option<Vec<u8>>, directory: bool| {
        if let Some(path) = path {
            out.push(Access {
                op,
                path,
                ok,
                enoent,
                directory,
            });
        }
    };
    let open_op = |flags: &[u8]| {
        let writes = [
            &b"O_WRONLY"[..],
            b"O_RDWR",
            b"O_CREAT",
            b"O_TRUNC",
            b"O_APPEND",
        ];
        if writes.iter().any(|w| find(flags, w).is_some()) {
            Op::Write
        } else {
            Op::Read
        }
    };
    match call.name {
        b"open" => {
            let flags = arg(1);
            push(
                open_op(flags),
                plain(0),
                find(flags, b"O_DIRECTORY").is_some(),
            );
        }
        b"openat" | b"openat2" => {
            let flags = arg(2);
            push(
                open_op(flags),
                at(0, 1),
                find(flags, b"O_DIRECTORY").is_some(),
            );
        }
        b"creat" | b"truncate" => push(Op::Write, plain(0), false),
        b"execve" => push(Op::Exec, plain(0), false),
        b"execveat" => push(Op::Exec, at(0, 1), false),
        b"stat" | b"lstat" | b"access" | b"readlink" | b"statfs" | b"getxattr" | b"lgetxattr" => {
            push(Op::Stat, plain(0), false)
        }
        // `fstat` through `newfstatat(fd, "", ..., AT_EMPTY_PATH)` names no
        // path.
        b"newfstatat" | b"fstatat64" | b"statx" | b"faccessat" | b"faccessat2" | b"readlinkat"
            if string_arg(arg(1)).is_some_and(|p| !p.is_empty()) =>
        {
            push(Op::Stat, at(0, 1), false);
        }
        b"utime" | b"utimes" => push(Op::Write, plain(0), false),
        b"utimensat" | b"futimesat" => {
            if string_arg(arg(1)).is_some_and(|p| !p.is_empty()) {
                push(Op::Write, at(0, 1), false);
            } else if let Some(dir) = fd_dir(arg(0))
                && !arg(0).starts_with(b"AT_FDCWD")
            {
                // `futimens(fd)`: the file the descriptor refers to.
                push(Op::Write, Some(dir.to_vec()), false);
            }
        }
        b"unlink" => push(Op::Remove, plain(0), false),
        b"rmdir" => push(Op::Remove, plain(0), true),
        b"unlinkat" => push(
            Op::Remove,
            at(0, 1),
            find(arg(2), b"AT_REMOVEDIR").is_some(),
        ),
        b"rename" => {
            push(Op::Remove, plain(0), false);
            push(Op::Write, plain(1), false);
        }
        b"renameat" | b"renameat2" => {
            push(Op::Remove, at(0, 1), false);
            push(Op::Write, at(2, 3), false);
        }
        b"link" | b"symlink" => push(Op::Write, plain(1), false),
        b"linkat" => push(Op::Write, at(2, 3), false),
        b"symlinkat" => push(Op::Write, at(1, 2), false),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_opens_execs_renames_and_resumed_calls() {
        let text = br#"10 execve("/bin/sh", ["/bin/sh", "-c", "x"], 0x7ffe /* 3 vars */) = 0
10 openat(AT_FDCWD</b>, "in.txt", O_RDONLY|O_CLOEXEC) = 3</b/in.txt>
10 openat(AT_FDCWD</b>, "../b/./out", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</b/out>
10 vfork( <unfinished ...>
11 execve("./tool", ["./tool"], 0x1 /* 1 var */ <unfinished ...>
10 <... vfork resumed>) = 11
11 <... execve resumed>) = 0
11 openat(3</b/sub>, "gen.h", O_RDONLY) = -1 ENOENT (No such file or directory)
11 renameat2(AT_FDCWD</b>, "t.tmp", AT_FDCWD</b>, "o", RENAME_NOREPLACE) = 0
11 newfstatat(3</b/in.txt>, "", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH) = 0
11 unlinkat(AT_FDCWD</b>, "weird \"name\"\t", 0) = 0
11 --- SIGCHLD {si_signo=SIGCHLD} ---
"#;
        let got: Vec<(Op, String, bool)> = parse(text, b"/b")
            .into_iter()
            .map(|a| (a.op, String::from_utf8(a.path).unwrap(), a.ok))
            .collect();
        let want = vec![
            (Op::Exec, "/bin/sh".to_string(), true),
            (Op::Read, "/b/in.txt".to_string(), true),
            (Op::Write, "/b/out".to_string(), true),
            (Op::Exec, "/b/tool".to_string(), true),
            (Op::Read, "/b/sub/gen.h".to_string(), false),
            (Op::Remove, "/b/t.tmp".to_string(), true),
            (Op::Write, "/b/o".to_string(), true),
            (Op::Remove, "/b/weird \"name\"\t".to_string(), true),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn normalises_paths() {
        assert_eq!(absolute(b"/a/b", b"../c/./d//e"), b"/a/c/d/e");
        assert_eq!(absolute(b"/a", b"/x/../y"), b"/y");
        assert_eq!(absolute(b"/", b".."), b"/");
    }
}

//! Running one command: `/bin/sh -c`, its output captured through a pipe.

use std::io::{self, Read};

use crate::bytes_to_path;

pub(super) fn run_command(command: &[u8], console: bool) -> (i32, Vec<u8>) {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(bytes_to_path(command).into_os_string());
    let mut reader = None;
    if !console {
        let (r, w) = match io::pipe() {
            Ok(p) => p,
            Err(e) => return (1, format!("pipe: {e}\n").into_bytes()),
        };
        let w2 = match w.try_clone() {
            Ok(w2) => w2,
            Err(e) => return (1, format!("pipe: {e}\n").into_bytes()),
        };
        cmd.stdin(Stdio::null()).stdout(w).stderr(w2);
        reader = Some(r);
    }
    let child = cmd.spawn();
    drop(cmd);
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return (127, format!("posix_spawn: {e}\n").into_bytes()),
    };
    let mut output = Vec::new();
    if let Some(mut r) = reader {
        let _ = r.read_to_end(&mut output);
    }
    let code = match child.wait() {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(c), _) => c,
                (None, Some(2 | 15 | 1)) => 130,
                (None, Some(s)) => s + 128,
                (None, None) => 1,
            }
        }
        Err(_) => 1,
    };
    (code, output)
}

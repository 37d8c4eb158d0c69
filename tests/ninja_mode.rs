//! The binary behaves as `n2ref build` when invoked through a symlink named
//! `ninja`, so it can stand in for ninja on `PATH`.
//!
//! Unix only: the `ninja` name is a symbolic link (on Windows making one
//! needs a privilege).
#![cfg(unix)]

#[cfg(unix)]
#[test]
fn symlink_named_ninja_speaks_ninja() {
    let dir = tempfile::tempdir().unwrap();
    let ninja = dir.path().join("ninja");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_n2ref"), &ninja).unwrap();
    std::fs::write(
        dir.path().join("build.ninja"),
        "rule cc\n  command = cc -c $in -o $out\nbuild a.o: cc a.c\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&ninja)
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("runs")
    };
    let commands = run(&["-t", "commands"]);
    assert!(commands.status.success());
    assert_eq!(
        String::from_utf8_lossy(&commands.stdout),
        "cc -c a.c -o a.o\n"
    );
    let version = run(&["--version"]);
    assert_eq!(String::from_utf8_lossy(&version.stdout), "1.13.2\n");
    let unknown = run(&["-t", "nosuchtool"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "ninja: fatal: unknown tool 'nosuchtool'\n"
    );
}

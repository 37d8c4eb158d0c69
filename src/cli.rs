//! Command-line entry: dispatches `n2ref check`, `n2ref audit`, `n2ref build` (ninja's own
//! command line) and `n2ref conformance`, and behaves as `ninja` when the
//! binary is invoked under that name.

use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the program with the process's arguments.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    run(args)
}

/// Runs the program with explicit arguments (`args[0]` is the program name).
pub fn run(args: Vec<OsString>) -> ExitCode {
    let program = args
        .first()
        .map(|a| std::path::Path::new(a).file_name().unwrap_or(a).to_owned())
        .unwrap_or_default();
    if program == "ninja" || program == "ninja.exe" {
        return run_build(&args[1..]);
    }
    match args.get(1).and_then(|a| a.to_str()) {
        Some("build") => run_build(&args[2..]),
        Some("check") => crate::check::cli_main(&args[1..]),
        Some("audit") => crate::audit::cli_main(&args[1..]),
        Some("conformance") => crate::conformance::cli::main(&args[2..]),
        Some("--version") | Some("-V") => {
            println!("n2ref {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: n2ref <check|audit|build|conformance> [args]");
            ExitCode::from(2)
        }
    }
}

fn run_build(args: &[OsString]) -> ExitCode {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ExitCode::from(crate::ninja_cli::run(&args) as u8)
}

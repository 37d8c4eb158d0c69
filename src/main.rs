//! The `n2ref` binary: see [`n2ref::cli`].

fn main() -> std::process::ExitCode {
    n2ref::cli::main()
}

//! `n2ref conformance`: command-line front end of the runner.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use super::report::{self, Format};
use super::run::{Options, run_suite};
use super::version::Version;

/// Runs the conformance suite against a ninja implementation.
#[derive(Parser, Debug)]
#[command(name = "n2ref conformance")]
struct Args {
    /// Implementation command, the value of $NINJA (may be several words);
    /// default: this n2ref binary with `build`.
    #[arg(long = "impl", value_name = "CMD")]
    implementation: Option<String>,
    /// Run only cases whose ID contains PATTERN, or matches it as a glob
    /// (`*`, `?`) if it has wildcards. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    filter: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Directory of cases.
    #[arg(long, value_name = "DIR", default_value = "conformance/cases")]
    cases: PathBuf,
    /// Known-divergence file; default: DIR/../known/<impl>.toml.
    #[arg(long, value_name = "FILE")]
    known: Option<PathBuf>,
    /// Per-case time limit in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
    /// Number of cases run at once; default: available parallelism.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Treat the implementation as this MAJOR.MINOR version instead of
    /// asking `$NINJA --version`.
    #[arg(long, value_name = "X.Y")]
    ninja_version: Option<Version>,
    /// Also list passing and skipped cases (text format).
    #[arg(short, long)]
    verbose: bool,
}

/// The default implementation command: this executable with `build`.
pub fn default_command() -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("n2ref"));
    format!("{} build", exe.display())
}

/// Runs `n2ref conformance` with `args` (the words after `conformance`).
/// Exit status: 0 if no case failed unexpectedly, 1 if some did, 2 for a
/// usage or setup error.
pub fn main(args: &[OsString]) -> ExitCode {
    let argv = std::iter::once(OsString::from("n2ref conformance")).chain(args.iter().cloned());
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        eprintln!("n2ref conformance: --timeout must be a positive number of seconds");
        return ExitCode::from(2);
    }
    let mut options = Options::new(
        args.cases,
        args.implementation.unwrap_or_else(default_command),
    );
    options.filters = args.filter;
    options.known_file = args.known;
    options.timeout = Duration::from_secs_f64(args.timeout);
    if let Some(j) = args.jobs {
        options.jobs = j.max(1);
    }
    options.version = args.ninja_version;
    match run_suite(&options) {
        Ok(result) => {
            print!("{}", report::render(&result, args.format, args.verbose));
            if result.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("n2ref conformance: {e}");
            ExitCode::from(2)
        }
    }
}

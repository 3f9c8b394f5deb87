//! The `weir` binary: parse arguments, run, print errors with their causes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = weir::cli::Cli::parse();
    weir::cli::init_logging(cli.log_filter());
    match weir::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

//! `callreg`: see the library part (`callreg_cli`) for everything it does.

use callreg_cli::options::Cli;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match callreg_cli::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("callreg: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

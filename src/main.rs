//! tripreport-operator: reconciles ConferenceReports and TalkRecommendations (tripreports.dev)
//! and publishes each report's summary into a ConfigMap it owns.

mod api;
mod render;
mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Crds => match cli::print_crds() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tripreport-operator: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

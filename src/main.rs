//! tripreport-operator: reconciles ConferenceReports and TalkRecommendations (tripreports.dev)
//! and publishes each report's summary into a ConfigMap it owns.

mod cli;

use clap::Parser as _;

fn main() {
    let _cli = cli::Cli::parse();
}

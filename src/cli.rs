//! The command line. Its subcommands (`run`, `crds`, ...) arrive with the operator itself.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "tripreport-operator", version, about)]
pub struct Cli {}

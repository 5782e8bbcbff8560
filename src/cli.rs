//! The command line.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tripreport-operator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the CustomResourceDefinitions as YAML (what crds/ holds).
    Crds,
}

/// Both CRDs as one multi-document YAML stream.
pub fn crds_yaml() -> Result<String, serde_yaml_ng::Error> {
    let mut out = String::new();
    for crd in crate::api::crds() {
        out.push_str("---\n");
        out.push_str(&serde_yaml_ng::to_string(&crd)?);
    }
    Ok(out)
}

pub fn print_crds() -> Result<(), serde_yaml_ng::Error> {
    print!("{}", crds_yaml()?);
    Ok(())
}

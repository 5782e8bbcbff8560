//! The command line.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "tripreport-operator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the operator: reconcile reports and recommendations until SIGTERM or Ctrl-C.
    Run(RunArgs),
    /// Print the CustomResourceDefinitions as YAML (what crds/ holds).
    Crds,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "TRIPREPORT_NAMESPACE")]
    pub namespace: Option<String>,

    /// Log lines as text for people or as JSON for log pipelines.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "TRIPREPORT_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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

#[cfg(test)]
mod tests {
    /// crds/ is what users install: it must be exactly what the Rust types generate.
    #[test]
    fn crds_directory_matches_the_generated_crds() {
        let generated = super::crds_yaml().expect("the CRDs serialize");
        let committed = include_str!("../crds/tripreports.dev.yaml");
        assert!(
            generated == committed,
            "crds/tripreports.dev.yaml is out of date with the Rust types: run `make crds` and commit the result"
        );
    }
}

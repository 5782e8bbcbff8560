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
    /// Print docs/api.md: every field of the API with its bounds, from the CRDs.
    #[command(hide = true)]
    ApiDocs,
    /// Check manifests as the API server and the operator would, with no cluster. Reads files,
    /// directories (*.yaml, *.yml) or `-` (stdin, e.g. `kustomize build | ... validate -`).
    /// Prints `file:line: field: message` and exits 1 if anything would be rejected or invalid.
    Validate {
        /// Files, directories, or `-` for stdin.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Validate, then write each valid report's summary.md and summary.json, as the operator
    /// would publish them, to `<out>/<namespace>/<report>/`; with --html, the pages of
    /// `kubectl tripreport serve` as static files instead (index.html, reports/, conferences/).
    Render {
        /// Files, directories, or `-` for stdin.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Where to write the summaries.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Write static HTML pages, with relative links, for publishing from CI.
        #[arg(long)]
        html: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "TRIPREPORT_NAMESPACE")]
    pub namespace: Option<String>,

    /// The operator's own namespace: where its leader-election Lease and its control ConfigMap
    /// (`tripreport-operator-control`, the big red button) live.
    #[arg(long, env = "POD_NAMESPACE", default_value = "tripreport-system")]
    pub operator_namespace: String,

    /// Where to serve /metrics, /healthz and /readyz.
    #[arg(long, env = "TRIPREPORT_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: std::net::SocketAddr,

    /// Elect a leader through a Lease so that several replicas can run; only the leader writes.
    #[arg(long, env = "TRIPREPORT_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,

    /// This replica's identity in the Lease (in a Pod: its name, from the downward API).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,

    /// How many objects of each kind are reconciled at once.
    #[arg(long, env = "TRIPREPORT_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,

    /// How long a leader's Lease lasts without renewal: the longest a failover takes.
    #[arg(long, env = "TRIPREPORT_LEASE_DURATION_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=300))]
    pub lease_duration_seconds: u64,

    /// How long a watch may keep failing before /healthz fails, so that the kubelet restarts a
    /// replica that cannot see the cluster (a permission removed, a broken network path).
    #[arg(long, env = "TRIPREPORT_UNHEALTHY_AFTER_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub unhealthy_after_seconds: u64,

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

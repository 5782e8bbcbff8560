//! The `tripreport-operator` command: the operator itself (`run`) and its offline tools.

use tripreport_operator::{apidoc, cli, controller, error, offline, reading};

use std::process::ExitCode;

/// jemalloc for the operator's long-lived process: it returns memory after the burst of a full
/// resync, where glibc's allocator held the peak (docs/benchmarks.md, issue 16).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, LogFormat, RunArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds => match cli::crds_yaml() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tripreport-operator: {e}");
                ExitCode::FAILURE
            }
        },
        Command::ApiDocs => {
            print!("{}", apidoc::markdown());
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(args),
        Command::Validate { paths } => offline(&paths, None, false),
        Command::Render { paths, out, html } => offline(&paths, Some(&out), html),
    }
}

/// `validate` and `render`: findings on stdout, a one-line verdict on stderr.
fn offline(paths: &[std::path::PathBuf], out: Option<&std::path::Path>, html: bool) -> ExitCode {
    let (documents, findings) = match offline::read(paths) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("tripreport-operator: {e}");
            return ExitCode::from(2);
        }
    };
    let report = offline::validate(&documents, findings);
    for finding in &report.findings {
        println!("{finding}");
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.severity > offline::Severity::Warning)
        .count();
    eprintln!(
        "{} documents read, {} reports and recommendations passed the API server's checks: {}",
        report.documents,
        report.checked,
        if problems == 0 {
            "no problems".to_string()
        } else {
            format!("{problems} problems")
        }
    );
    if report.failed() {
        return ExitCode::FAILURE;
    }
    if let Some(out) = out {
        let written = if html {
            reading::static_site::write(&reading::static_site::entries(&report), out)
        } else {
            offline::write_summaries(&report, out)
        };
        match written {
            Ok(written) => {
                for path in written {
                    eprintln!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("tripreport-operator: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in files or log pipelines.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn run(args: RunArgs) -> ExitCode {
    init_logging(args.log_format);
    // One thread runs everything: the controllers, the watches and the I/O driver. With a
    // worker pool, every watch event and every answer crossed threads to reach the controllers
    // (driven by `block_on` on the main thread), and the wakeups cost about 9 % of the
    // operator's CPU while converging (docs/benchmarks.md). Its work is light and waits on the
    // API server; nothing in it blocks.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let client = kube::Client::try_default()
            .await
            .map_err(error::StartupError::Client)?;
        let identity = args.identity.unwrap_or_else(default_identity);
        let settings = controller::Settings {
            namespace: args.namespace,
            operator_namespace: args.operator_namespace,
            http_addr: args.http_addr,
            leader_election: args.leader_election,
            identity,
            lease_duration: std::time::Duration::from_secs(args.lease_duration_seconds),
            concurrency: args.concurrency,
            unhealthy_after: std::time::Duration::from_secs(args.unhealthy_after_seconds),
        };
        controller::run(client, settings).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the operator stopped");
            ExitCode::FAILURE
        }
    }
}

/// Outside a Pod: the host name and process id, unique enough among replicas on one machine.
fn default_identity() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "tripreport-operator".to_string());
    format!("{host}-{}", std::process::id())
}

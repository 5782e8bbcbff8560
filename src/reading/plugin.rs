//! `kubectl-tripreport`: the kubectl plugin (krew's convention: an executable of that name on
//! PATH makes `kubectl tripreport ...` work). It reads with the reader's own kubeconfig and
//! RBAC; errors read as kubectl's and exit 1 as kubectl's do.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use super::cluster::{self, ReadError, Scope, Target};
use super::{serve, table, terminal};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl tripreport",
    bin_name = "kubectl tripreport",
    version,
    about = "Read the trip reports and talk recommendations that tripreport-operator publishes, with your own kubeconfig and permissions."
)]
pub struct Plugin {
    /// The kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config, as kubectl).
    #[arg(long, global = true)]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true)]
    context: Option<String>,
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// List the reports with their conference, language, talks and state.
    List {
        #[command(flatten)]
        scope: ScopeArgs,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Show one report's summary, rendered for the terminal.
    View {
        /// The ConferenceReport's name.
        name: String,
        /// Its namespace (default: the context's namespace).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Wrap to this many columns (default: the terminal's width, or 80).
        #[arg(long)]
        width: Option<usize>,
    },
    /// Serve a read-only web page of the reports, following changes live.
    Serve {
        #[command(flatten)]
        scope: ScopeArgs,
        /// Where to listen. Loopback by default: the page shows what your kubeconfig may read.
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: SocketAddr,
    },
}

#[derive(Debug, clap::Args)]
struct ScopeArgs {
    /// The namespace (default: the context's namespace; for serve, all namespaces you may list).
    #[arg(short = 'n', long, conflicts_with = "all_namespaces")]
    namespace: Option<String>,
    /// All namespaces.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
}

impl ScopeArgs {
    fn asked(&self) -> Option<Scope> {
        match (&self.namespace, self.all_namespaces) {
            (Some(ns), _) => Some(Scope::Namespace(ns.clone())),
            (None, true) => Some(Scope::All),
            (None, false) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
    Yaml,
}

/// The plugin's `main`.
pub fn main() -> ExitCode {
    let plugin = match Plugin::try_parse() {
        Ok(plugin) => plugin,
        Err(e) => {
            let _ = e.print();
            // Help and version are answers, not errors; a usage error exits 1, as kubectl's.
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(plugin)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(plugin: Plugin) -> Result<(), ReadError> {
    let target = Target {
        kubeconfig: plugin.kubeconfig,
        context: plugin.context,
    };
    let (client, default_namespace) = cluster::connect(&target).await?;
    match plugin.command {
        PluginCommand::List { scope, output } => {
            let scope = scope.asked().unwrap_or(Scope::Namespace(default_namespace));
            let entries = cluster::list(&client, &scope).await?;
            let text = match output {
                Output::Table if entries.is_empty() => {
                    // kubectl's words, on stderr, so that a pipe sees no rows.
                    match &scope {
                        Scope::Namespace(ns) => eprintln!("No resources found in {ns} namespace."),
                        Scope::All => eprintln!("No resources found"),
                    }
                    String::new()
                }
                Output::Table => table::table(&entries, scope == Scope::All),
                Output::Json => {
                    table::json(&entries).map_err(|e| ReadError::Local(e.to_string()))?
                }
                Output::Yaml => {
                    table::yaml(&entries).map_err(|e| ReadError::Local(e.to_string()))?
                }
            };
            write_out(&text)
        }
        PluginCommand::View {
            name,
            namespace,
            width,
        } => {
            let namespace = namespace.unwrap_or(default_namespace);
            let entry = cluster::view(&client, &namespace, &name).await?;
            let stdout = std::io::stdout();
            let tty = stdout.is_terminal();
            let options = terminal::Options {
                width: width.unwrap_or_else(|| {
                    if tty {
                        usize::from(termimad::terminal_size().0)
                    } else {
                        80
                    }
                }),
                color: terminal::color_wanted(tty, std::env::var_os("NO_COLOR").as_deref()),
            };
            let mut text = String::new();
            if let Some(notice) = terminal::notice(&entry) {
                // Said where a reader looks first, and kept out of a pipe's data.
                eprint!("{notice}");
            }
            if let Some(published) = entry.published() {
                text.push_str(&terminal::render(&published.markdown, &options));
            }
            write_out(&text)
        }
        PluginCommand::Serve { scope, addr } => {
            let scope = serve::resolve_scope(&client, scope.asked(), &default_namespace).await?;
            serve::serve(client, scope, addr).await
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly, as it does for kubectl.
fn write_out(text: &str) -> Result<(), ReadError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(ReadError::Local(e.to_string()))
        }
        _ => Ok(()),
    }
}

//! The reader's side of the cluster: a client from the reader's own kubeconfig (never the
//! operator's rights), the reads `list` and `view` need, and errors said the way kubectl says
//! them, so that a reader knows what to do.

use std::path::PathBuf;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use super::model::Entry;
use crate::api::ConferenceReport;

/// Where to connect: kubectl's own `--kubeconfig` and `--context`.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// One namespace or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    All,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Namespace(ns) => write!(f, "namespace {ns}"),
            Scope::All => f.write_str("all namespaces"),
        }
    }
}

/// What went wrong, in kubectl's words. Every one exits 1, as kubectl does.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "error: no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config ({0})"
    )]
    NoConfig(String),
    #[error("error: {0}")]
    Config(String),
    #[error("Unable to connect to the server: {0}")]
    Unreachable(String),
    #[error("error: You must be logged in to the server (Unauthorized)")]
    Unauthorized,
    #[error("Error from server (Forbidden): {0}")]
    Forbidden(String),
    #[error(
        "Error from server (NotFound): conferencereports.tripreports.dev \"{name}\" not found in namespace \"{namespace}\""
    )]
    NotFound { namespace: String, name: String },
    #[error(
        "error: the server doesn't have a resource type \"conferencereports\": the tripreports.dev CRDs are not installed (kubectl apply -f crds/)"
    )]
    NoCrds,
    #[error("Error from server: {0}")]
    Server(String),
    #[error("error: {0}")]
    Local(String),
}

impl ReadError {
    /// An API error as kubectl would print it.
    pub fn from_kube(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => match status.code {
                401 => ReadError::Unauthorized,
                403 => ReadError::Forbidden(status.message.clone()),
                _ => ReadError::Server(status.message.clone()),
            },
            kube::Error::Auth(e) => ReadError::Config(format!("cannot authenticate: {e}")),
            other => ReadError::Unreachable(chain(&other)),
        }
    }
}

/// An error with its causes, as one line: "connection refused" lives three sources down.
fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(s) if s.code == 404)
}

/// A client as the reader, and the namespace their context defaults to.
pub async fn connect(target: &Target) -> Result<(Client, String), ReadError> {
    let options = KubeConfigOptions {
        context: target.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match &target.kubeconfig {
        Some(path) => {
            let kubeconfig =
                Kubeconfig::read_from(path).map_err(|e| ReadError::Config(chain(&e)))?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| ReadError::Config(chain(&e)))?
        }
        None if target.context.is_some() => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| ReadError::Config(chain(&e)))?,
        // As kubectl: KUBECONFIG, ~/.kube/config, then the Pod's service account.
        None => Config::infer()
            .await
            .map_err(|e| ReadError::NoConfig(chain(&e)))?,
    };
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| ReadError::Config(chain(&e)))?;
    Ok((client, namespace))
}

fn reports(client: &Client, scope: &Scope) -> Api<ConferenceReport> {
    match scope {
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
        Scope::All => Api::all(client.clone()),
    }
}

/// The reports in `scope`, as the reader may see them (no summaries: the table does not
/// need them, so `list` needs no right on ConfigMaps).
pub async fn list(client: &Client, scope: &Scope) -> Result<Vec<Entry>, ReadError> {
    let list = reports(client, scope)
        .list(&ListParams::default())
        .await
        .map_err(|e| {
            if is_not_found(&e) {
                ReadError::NoCrds
            } else {
                ReadError::from_kube(e)
            }
        })?;
    let mut entries: Vec<Entry> = list
        .items
        .iter()
        .map(|r| Entry::from_cluster(r, None))
        .collect();
    entries.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(entries)
}

/// One report with what stands under its summary's name.
pub async fn view(client: &Client, namespace: &str, name: &str) -> Result<Entry, ReadError> {
    let api: Api<ConferenceReport> = Api::namespaced(client.clone(), namespace);
    let report = match api.get(name).await {
        Ok(report) => report,
        Err(e) if is_not_found(&e) => {
            // A missing report and missing CRDs both answer 404: the list tells them apart.
            return Err(match api.list(&ListParams::default().limit(1)).await {
                Err(e) if is_not_found(&e) => ReadError::NoCrds,
                _ => ReadError::NotFound {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                },
            });
        }
        Err(e) => return Err(ReadError::from_kube(e)),
    };
    let config_map_name = super::model::summary_name(&report);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let config_map = config_maps
        .get_opt(&config_map_name)
        .await
        .map_err(ReadError::from_kube)?;
    Ok(Entry::from_cluster(&report, config_map.as_ref()))
}

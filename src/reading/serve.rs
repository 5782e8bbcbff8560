//! `kubectl tripreport serve`: the pages, live. Reflectors follow the reports and the summary
//! ConfigMaps through watches with the reader's own rights, and every page load renders from
//! what they hold, so an edit in the cluster shows on the next load with no restart. Read-only:
//! nothing here writes to the cluster, and the server takes GET only.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::ListParams;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client, Resource as _};

use super::cluster::{ReadError, Scope};
use super::html::pages::Source;
use super::html::site::{self, Filters};
use super::html::{CONTENT_SECURITY_POLICY_HEADER, STYLE};
use super::model::Entry;
use crate::api::ConferenceReport;
use crate::api::names::SELECTOR;

/// What the handlers read: the caches, and what keeps them from being current.
#[derive(Clone)]
struct Live {
    reports: Store<ConferenceReport>,
    summaries: Option<Store<ConfigMap>>,
    scope: String,
    problems: Arc<Mutex<BTreeMap<&'static str, String>>>,
}

impl Live {
    fn entries(&self) -> Vec<Entry> {
        self.reports
            .state()
            .iter()
            .map(|report| {
                let name = super::model::summary_name(report);
                let namespace = report.meta().namespace.clone().unwrap_or_default();
                let config_map = self
                    .summaries
                    .as_ref()
                    .and_then(|s| s.get(&ObjectRef::new(&name).within(&namespace)));
                Entry::from_cluster(report, config_map.as_deref())
            })
            .collect()
    }

    fn source(&self) -> Source {
        let problems = self
            .problems
            .lock()
            .map(|p| p.values().cloned().collect())
            .unwrap_or_default();
        Source {
            live_scope: Some(self.scope.clone()),
            problems,
        }
    }
}

/// Which namespaces to serve: all of them where the reader may list reports cluster-wide;
/// otherwise, when no namespace was asked for, the context's namespace, said on stderr.
pub async fn resolve_scope(
    client: &Client,
    asked: Option<Scope>,
    default_namespace: &str,
) -> Result<Scope, ReadError> {
    let scope = asked.clone().unwrap_or(Scope::All);
    let api: Api<ConferenceReport> = match &scope {
        Scope::All => Api::all(client.clone()),
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
    };
    match api.list(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(scope),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(ReadError::NoCrds),
        Err(kube::Error::Api(s)) if s.code == 403 && asked.is_none() => {
            eprintln!(
                "You may not list reports in all namespaces; serving namespace {default_namespace} only (pick another with -n)."
            );
            Box::pin(resolve_scope(
                client,
                Some(Scope::Namespace(default_namespace.to_string())),
                default_namespace,
            ))
            .await
        }
        Err(e) => Err(ReadError::from_kube(e)),
    }
}

/// Follows `api` into a store, recording a failing watch as a problem the pages show.
fn follow<K>(
    api: Api<K>,
    config: watcher::Config,
    what: &'static str,
    problems: Arc<Mutex<BTreeMap<&'static str, String>>>,
) -> Store<K>
where
    K: kube::Resource
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config).default_backoff());
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            if let Ok(mut problems) = problems.lock() {
                match event {
                    Ok(_) => {
                        problems.remove(what);
                    }
                    Err(e) => {
                        problems.insert(what, format!("the watch of {what} is failing ({e}); what you see may be out of date."));
                    }
                }
            }
        }
    });
    store
}

/// Serves until Ctrl-C.
pub async fn serve(client: Client, scope: Scope, addr: SocketAddr) -> Result<(), ReadError> {
    let problems = Arc::new(Mutex::new(BTreeMap::new()));
    let (reports, config_maps): (Api<ConferenceReport>, Api<ConfigMap>) = match &scope {
        Scope::All => (Api::all(client.clone()), Api::all(client.clone())),
        Scope::Namespace(ns) => (
            Api::namespaced(client.clone(), ns),
            Api::namespaced(client.clone(), ns),
        ),
    };
    // A reader who may see reports but not ConfigMaps still gets the states, and is told why
    // the summaries are missing.
    let summaries = match config_maps
        .list(&ListParams::default().labels(SELECTOR).limit(1))
        .await
    {
        Ok(_) => Some(follow(
            config_maps,
            watcher::Config::default().labels(SELECTOR),
            "summaries",
            problems.clone(),
        )),
        Err(kube::Error::Api(s)) if s.code == 403 => {
            let message = format!(
                "you may not read the summary ConfigMaps here, so no summary is shown ({}).",
                s.message
            );
            eprintln!("Warning: {message}");
            if let Ok(mut p) = problems.lock() {
                p.insert("summaries", message);
            }
            None
        }
        Err(e) => return Err(ReadError::from_kube(e)),
    };
    let live = Live {
        reports: follow(
            reports,
            watcher::Config::default(),
            "reports",
            problems.clone(),
        ),
        summaries,
        scope: scope.to_string(),
        problems,
    };
    // Serve once the caches hold what the cluster has, so that the first page is complete.
    let ready = async {
        let _ = live.reports.wait_until_ready().await;
        if let Some(s) = &live.summaries {
            let _ = s.wait_until_ready().await;
        }
    };
    if tokio::time::timeout(std::time::Duration::from_secs(30), ready)
        .await
        .is_err()
    {
        eprintln!("Warning: the caches are not filled after 30 s; serving what there is.");
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ReadError::Local(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    if bound.ip().is_loopback() {
        eprintln!(
            "Serving the trip reports of {scope} on http://{bound}/ (loopback only). Press Ctrl-C to stop."
        );
    } else {
        eprintln!(
            "Serving the trip reports of {scope} on http://{bound}/. Warning: {} is not a loopback address: anyone who can reach it reads what your kubeconfig lets you read. Press Ctrl-C to stop.",
            bound.ip()
        );
    }
    axum::serve(listener, router(live))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| ReadError::Local(format!("the server stopped: {e}")))
}

fn router(live: Live) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route(
            "/style.css",
            get(|| async { respond(StatusCode::OK, "text/css; charset=utf-8", STYLE.to_string()) }),
        )
        .fallback(page)
        .with_state(live)
}

async fn index(
    State(live): State<Live>,
    filters: Result<Query<Filters>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let filters = filters.map(|Query(f)| f).unwrap_or_default();
    respond(
        StatusCode::OK,
        HTML,
        site::index(&live.entries(), &live.source(), Some(&filters)),
    )
}

async fn page(State(live): State<Live>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "read-only: GET only\n".to_string(),
        );
    }
    let path = uri.path().trim_start_matches('/');
    match site::page(&live.entries(), &live.source(), path) {
        Some(html) => respond(StatusCode::OK, HTML, html),
        None => respond(StatusCode::NOT_FOUND, HTML, site::not_found(&live.source())),
    }
}

const HTML: &str = "text/html; charset=utf-8";

/// Every response carries the same guards: no script may run, no type sniffing, no framing, no
/// referrer leaving with a report's URL, no caching of what RBAC let this reader see.
fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_HEADER),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

//! The one HTTP port: /metrics (Prometheus text format), /healthz (the process serves and no
//! watch has been failing for longer than its bound) and /readyz (every cache has synced: a
//! replica is ready to lead the moment it is elected). See `watch_health`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tracing::info;

use crate::metrics::Metrics;
use crate::watch_health::WatchHealth;

#[derive(Clone)]
pub struct HttpState {
    pub metrics: Arc<Metrics>,
    pub health: Arc<WatchHealth>,
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    match state.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "cannot encode the metrics\n".to_string(),
        ),
    }
}

async fn healthz(State(state): State<HttpState>) -> (StatusCode, String) {
    let unhealthy = state.health.unhealthy();
    if unhealthy.is_empty() {
        return (StatusCode::OK, "ok\n".to_string());
    }
    let watches: Vec<String> = unhealthy
        .iter()
        .map(|(kind, for_how_long)| format!("{kind} for {} s", for_how_long.as_secs()))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "watches failing: {} (see tripreport_watch_errors_total and the log)\n",
            watches.join(", ")
        ),
    )
}

async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.health.is_ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "caches not synced yet (reports, recommendations and summaries)\n",
        )
    }
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// Binds `addr` (so a port in use fails the start, loudly) and returns the server to run.
pub async fn bind(
    addr: SocketAddr,
    state: HttpState,
) -> std::io::Result<impl Future<Output = std::io::Result<()>>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(addr = %listener.local_addr()?, "serving /metrics, /healthz and /readyz");
    Ok(async move { axum::serve(listener, router(state)).await })
}

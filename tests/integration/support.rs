//! Helpers shared by the integration tests.

use std::future::Future;
use std::time::{Duration, Instant};

use kube::Client;

/// A test's view of the shared control plane: an admin client and a namespace of its own.
pub struct TestEnv {
    pub cp: &'static testenv::ControlPlane,
    pub client: Client,
    pub namespace: String,
}

pub async fn setup(name: &str) -> TestEnv {
    let cp = testenv::shared();
    let client = cp.admin_client().await.expect("admin client");
    let namespace = cp.create_namespace(name).await.expect("test namespace");
    TestEnv {
        cp,
        client,
        namespace,
    }
}

/// Polls `check` until it returns `Some`, or panics after `timeout` with `what` and the last
/// observation, so a failure says what was awaited and what was seen instead.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if start.elapsed() > timeout => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

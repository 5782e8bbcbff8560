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

/// The operator binary, running against the shared control plane and watching one namespace,
/// as `tripreport-operator run --namespace <ns>` would in a cluster. It is killed when dropped,
/// and dies with the test's thread if the test process dies.
pub struct Operator {
    child: std::process::Child,
    pub log: std::path::PathBuf,
}

impl Operator {
    pub fn start(cp: &testenv::ControlPlane, namespace: &str) -> Self {
        Self::start_with_kubeconfig(&cp.kubeconfig_path(), namespace)
    }

    pub fn start_with_kubeconfig(kubeconfig: &std::path::Path, namespace: &str) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("operator-logs");
        std::fs::create_dir_all(&dir).expect("create the operator log directory");
        let log = dir.join(format!("{namespace}.log"));
        let out = std::fs::File::create(&log).expect("create the operator log");
        let err = out.try_clone().expect("clone the log handle");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tripreport-operator"));
        command
            .args(["run", "--namespace", namespace])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "info,tripreport_operator=debug")
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err);
        testenv::die_with_this_thread(&mut command);
        let child = command.spawn().expect("start tripreport-operator");
        Operator { child, log }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs the CRDs from crds/ (the committed files, as a user would) and waits until the API
/// server serves them. Idempotent: every test calls it.
pub async fn install_crds(client: &Client) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Api, Patch, PatchParams};
    use kube::runtime::{conditions, wait::await_condition};

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crds/tripreports.dev.yaml"
    ))
    .expect("read crds/tripreports.dev.yaml");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let crd: CustomResourceDefinition =
            serde::Deserialize::deserialize(document).expect("a CustomResourceDefinition");
        let name = crd.metadata.name.clone().expect("a named CRD");
        crds.patch(
            &name,
            &PatchParams::apply("integration-tests").force(),
            &Patch::Apply(&crd),
        )
        .await
        .expect("apply the CRD");
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(crds.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .expect("the CRD is established within 30s")
        .expect("watch the CRD");
    }
}

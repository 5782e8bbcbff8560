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
/// as `tripreport-operator run --namespace <ns>` would in a cluster, with its Lease and control
/// ConfigMap in that namespace too. It is killed when dropped, and dies with the test's thread if
/// the test process dies.
pub struct Operator {
    child: Option<std::process::Child>,
    pub log: std::path::PathBuf,
    /// Where its /metrics, /healthz and /readyz are served.
    pub http: std::net::SocketAddr,
}

/// A lease short enough for failover tests to be quick, long enough that a busy 2-core machine
/// renews it in time (renewal starts a third of the lease before expiry).
pub const LEASE_SECONDS: u64 = 6;

impl Operator {
    pub fn start(cp: &testenv::ControlPlane, namespace: &str) -> Self {
        Self::start_as(&cp.kubeconfig_path(), namespace, "operator")
    }

    /// Starts a replica named `identity` (also its log file's name) with the given credentials.
    pub fn start_as(kubeconfig: &std::path::Path, namespace: &str, identity: &str) -> Self {
        Self::start_with_env(kubeconfig, namespace, identity, &[])
    }

    /// As [`Self::start_as`], with extra environment variables (the flags' `env` names).
    pub fn start_with_env(
        kubeconfig: &std::path::Path,
        namespace: &str,
        identity: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("operator-logs");
        std::fs::create_dir_all(&dir).expect("create the operator log directory");
        let log = dir.join(format!("{namespace}-{identity}.log"));
        let out = std::fs::File::create(&log).expect("create the operator log");
        let err = out.try_clone().expect("clone the log handle");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let http = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tripreport-operator"));
        command
            .args([
                "run",
                "--namespace",
                namespace,
                "--operator-namespace",
                namespace,
            ])
            .args(["--identity", identity, "--http-addr", &http.to_string()])
            .args(["--lease-duration-seconds", &LEASE_SECONDS.to_string()])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "info,tripreport_operator=debug")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err);
        testenv::die_with_this_thread(&mut command);
        let child = command.spawn().expect("start tripreport-operator");
        Operator {
            child: Some(child),
            log,
            http,
        }
    }

    /// How it exited, if it has (a crash shows here, not only in its log). For the fault suite.
    #[allow(dead_code)]
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `signal` and returns at once (SIGSTOP, SIGCONT). For the fault suite.
    #[allow(dead_code)]
    pub fn send(&self, signal: libc::c_int) {
        if let Some(child) = self.child.as_ref() {
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        }
    }

    /// Sends `signal` and, for SIGTERM, waits (bounded) for the process to exit.
    pub fn signal(&mut self, signal: libc::c_int) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// GET `path` on the operator's HTTP port: (status code, body).
    pub async fn get(&self, path: &str) -> Result<(u16, String), String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.http)
            .await
            .map_err(|e| e.to_string())?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .map_err(|e| e.to_string())?;
        let code = response
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("not an HTTP response: {response:?}"))?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((code, body))
    }

    /// Its resident memory in bytes, from /proc (0 once it has exited).
    pub fn resident_bytes(&self) -> f64 {
        let Some(child) = self.child.as_ref() else {
            return 0.0;
        };
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib * 1024.0)
    }

    /// The value of one sample in /metrics, e.g. `tripreport_leader` or
    /// `tripreport_writes_total{resource="configmaps"}`; 0 when absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        let (_, body) = self.get("/metrics").await.unwrap_or_default();
        body.lines()
            .find_map(|line| {
                line.strip_prefix(sample)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }

    /// All writes so far, of every resource.
    pub async fn writes(&self) -> f64 {
        let (_, body) = self.get("/metrics").await.unwrap_or_default();
        body.lines()
            .filter(|line| line.starts_with("tripreport_writes_total{"))
            .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum::<f64>()
            + 0.0 // an empty sum is -0.0
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
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

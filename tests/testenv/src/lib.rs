//! A real Kubernetes control plane on loopback, for the integration tests and `make cluster`:
//! etcd, kube-apiserver (RBAC, TLS, ServiceAccount tokens) and kube-controller-manager (garbage
//! collector, namespace and ServiceAccount controllers), built from their Go modules.
//!
//! Tests share one control plane per test binary through [`shared`], and take a fresh namespace
//! each with [`ControlPlane::create_namespace`]. Its processes die with the test process however
//! that ends (exit, panic, Ctrl-C, SIGKILL), and a failed start quotes the component's own log.

mod binaries;
mod certs;
mod process;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};
use kube::{Api, Client, Config};

pub use binaries::{BIN_DIR_ENV, Binaries, TOOLS_DIR_ENV, tool};
use certs::{CertAndKey, CertificateAuthority, ServiceAccountKey};
pub use process::Lifetime;
pub use process::die_with_this_thread;
use process::{Component, free_port, log_tail};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("generating certificates: {0}")]
    Certs(String),
    #[error("control-plane binaries: {0}")]
    Binaries(String),
    #[error("{component} exited during start-up ({status})\n{log_tail}")]
    ComponentExited {
        component: &'static str,
        status: String,
        log_tail: String,
    },
    #[error("{component} was not ready after {waited:?}: {detail}\n{log_tail}")]
    NotReady {
        component: &'static str,
        waited: Duration,
        detail: String,
        log_tail: String,
    },
    #[error("kube client: {0}")]
    Kube(#[from] kube::Error),
    #[error("kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("{0}")]
    Other(String),
}

impl Error {
    fn io(context: String, source: std::io::Error) -> Self {
        Error::Io { context, source }
    }
    fn certs(e: rcgen::Error) -> Self {
        Error::Certs(e.to_string())
    }
}

/// Where and how to start a control plane.
pub struct StartOptions {
    /// Holds etcd's data, the certificates, the kubeconfig and each component's log.
    pub dir: PathBuf,
    pub lifetime: Lifetime,
    /// Remove `dir` when the control plane is stopped (tests; not `make cluster`).
    pub remove_dir_on_stop: bool,
    /// Appended to kube-apiserver's flags (later flags win): for tests of the harness itself.
    pub extra_apiserver_args: Vec<String>,
    /// Appended to etcd's flags, e.g. a smaller `--max-request-bytes` for fault tests.
    pub extra_etcd_args: Vec<String>,
}

/// What `ControlPlane::status_file` records for a detached control plane.
const PIDS_FILE: &str = "pids";
const KUBECONFIG_FILE: &str = "kubeconfig";

pub struct ControlPlane {
    dir: PathBuf,
    server: String,
    ca: CertificateAuthority,
    admin: CertAndKey,
    binaries: Binaries,
    components: Mutex<Vec<Component>>,
    remove_dir_on_stop: bool,
}

const ETCD_READY: Duration = Duration::from_secs(60);
const APISERVER_READY: Duration = Duration::from_secs(180);
const CONTROLLER_MANAGER_READY: Duration = Duration::from_secs(120);

impl ControlPlane {
    /// Starts etcd, kube-apiserver and kube-controller-manager and waits until the API server's
    /// /readyz passes and the controller manager is working. Blocking: call it outside an async
    /// runtime (it runs its own for the readiness checks).
    pub fn start(options: StartOptions) -> Result<Self, Error> {
        let binaries = Binaries::locate()?;
        let dir = options.dir;
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let file = |name: &str| dir.join(name);
        let write = |name: &str, contents: &str| -> Result<PathBuf, Error> {
            let path = file(name);
            std::fs::write(&path, contents)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            Ok(path)
        };

        let ca = CertificateAuthority::new()?;
        let serving = ca.serving_cert()?;
        // system:masters is the superuser group; the controller manager gets it too, since the
        // harness runs it without per-controller ServiceAccount credentials.
        let admin = ca.client_cert("testenv-admin", &["system:masters"])?;
        let sa_key = ServiceAccountKey::new()?;
        let ca_file = write("ca.crt", &ca.cert_pem)?;
        let serving_cert = write("apiserver.crt", &serving.cert_pem)?;
        let serving_key = write("apiserver.key", &serving.key_pem)?;
        let sa_private = write("sa.key", &sa_key.private_pem)?;
        let sa_public = write("sa.pub", &sa_key.public_pem)?;

        let etcd_client = free_port()?;
        let etcd_peer = free_port()?;
        let apiserver_port = free_port()?;
        let server = format!("https://127.0.0.1:{apiserver_port}");

        let mut cp = ControlPlane {
            dir: dir.clone(),
            server,
            ca,
            admin,
            binaries,
            components: Mutex::new(Vec::new()),
            remove_dir_on_stop: options.remove_dir_on_stop,
        };
        let kubeconfig = cp.write_admin_kubeconfig()?;

        let path = |p: &Path| p.display().to_string();
        let etcd_url = format!("http://127.0.0.1:{etcd_client}");
        let peer_url = format!("http://127.0.0.1:{etcd_peer}");
        let etcd_args = vec![
            "--name=testenv".to_string(),
            format!("--data-dir={}", path(&file("etcd"))),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=testenv={peer_url}"),
            // Throwaway data: skipping fsync makes every write far cheaper on a shared disk.
            "--unsafe-no-fsync=true".to_string(),
            "--log-level=warn".to_string(),
        ]
        .into_iter()
        .chain(options.extra_etcd_args)
        .collect::<Vec<_>>();
        let apiserver_args: Vec<String> = vec![
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".to_string(),
            "--advertise-address=127.0.0.1".to_string(),
            format!("--secure-port={apiserver_port}"),
            format!("--tls-cert-file={}", path(&serving_cert)),
            format!("--tls-private-key-file={}", path(&serving_key)),
            format!("--client-ca-file={}", path(&ca_file)),
            "--authorization-mode=RBAC".to_string(),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".to_string(),
            format!("--service-account-key-file={}", path(&sa_public)),
            format!("--service-account-signing-key-file={}", path(&sa_private)),
            "--service-cluster-ip-range=10.0.0.0/24".to_string(),
            // Endpoints may not hold a loopback address, so the default reconciler would
            // fail on every pass; nothing here needs the `kubernetes` Service's endpoints.
            "--endpoint-reconciler-type=none".to_string(),
            format!("--cert-dir={}", path(&file("apiserver-certs"))),
            "--profiling=false".to_string(),
        ]
        .into_iter()
        .chain(options.extra_apiserver_args)
        .collect();
        let controller_manager_args = vec![
            format!("--kubeconfig={}", path(&kubeconfig)),
            "--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller"
                .to_string(),
            "--leader-elect=false".to_string(),
            "--secure-port=0".to_string(),
            "--profiling=false".to_string(),
        ];

        // Any error from here on stops what was started (Drop is not enough: `cp` is returned).
        let result = (|| -> Result<(), Error> {
            cp.spawn("etcd", etcd_args, options.lifetime)?;
            cp.wait_for_port("etcd", etcd_client, ETCD_READY)?;
            cp.spawn("kube-apiserver", apiserver_args, options.lifetime)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::io("starting a tokio runtime".to_string(), e))?;
            runtime.block_on(cp.wait_for_apiserver())?;
            cp.spawn(
                "kube-controller-manager",
                controller_manager_args,
                options.lifetime,
            )?;
            runtime.block_on(cp.wait_for_controller_manager())?;
            if options.lifetime == Lifetime::Detached {
                cp.write_pids()?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(cp),
            Err(e) => {
                cp.stop();
                Err(e)
            }
        }
    }

    fn spawn(
        &mut self,
        name: &'static str,
        args: Vec<String>,
        lifetime: Lifetime,
    ) -> Result<(), Error> {
        let component = Component::spawn(
            name,
            &self.binaries.path(name),
            &args,
            self.dir.join(format!("{name}.log")),
            lifetime,
        )?;
        self.components
            .get_mut()
            .map_err(|_| Error::Other("component list poisoned".into()))?
            .push(component);
        Ok(())
    }

    fn check_running(&self) -> Result<(), Error> {
        let mut components = self
            .components
            .lock()
            .map_err(|_| Error::Other("component list poisoned".into()))?;
        for c in components.iter_mut() {
            c.check_running()?;
        }
        Ok(())
    }

    fn not_ready(&self, component: &'static str, waited: Duration, detail: String) -> Error {
        Error::NotReady {
            component,
            waited,
            detail,
            log_tail: log_tail(&self.dir.join(format!("{component}.log"))),
        }
    }

    fn wait_for_port(
        &self,
        component: &'static str,
        port: u16,
        timeout: Duration,
    ) -> Result<(), Error> {
        let start = Instant::now();
        loop {
            self.check_running()?;
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() > timeout => {
                    return Err(self.not_ready(
                        component,
                        start.elapsed(),
                        format!("port {port}: {e}"),
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    async fn wait_for_apiserver(&self) -> Result<(), Error> {
        let start = Instant::now();
        let client = self.admin_client().await?;
        loop {
            self.check_running()?;
            let request = http::Request::get("/readyz?verbose")
                .body(Vec::new())
                .map_err(|e| Error::Other(e.to_string()))?;
            let detail = match client.request_text(request).await {
                Ok(_) => return Ok(()),
                Err(e) => e.to_string(),
            };
            if start.elapsed() > APISERVER_READY {
                return Err(self.not_ready(
                    "kube-apiserver",
                    start.elapsed(),
                    format!("/readyz: {detail}"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The ServiceAccount controller creates `default` in every namespace: once it exists in
    /// `default`, the controller manager is connected and running its controllers.
    async fn wait_for_controller_manager(&self) -> Result<(), Error> {
        let start = Instant::now();
        let client = self.admin_client().await?;
        let accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
        loop {
            self.check_running()?;
            let detail = match accounts.get_opt("default").await {
                Ok(Some(_)) => return Ok(()),
                Ok(None) => "the ServiceAccount default/default has not been created".to_string(),
                Err(e) => e.to_string(),
            };
            if start.elapsed() > CONTROLLER_MANAGER_READY {
                return Err(self.not_ready("kube-controller-manager", start.elapsed(), detail));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops every component, newest first, and removes the directory if asked to.
    pub fn stop(&self) {
        if let Ok(mut components) = self.components.lock() {
            while let Some(mut c) = components.pop() {
                c.stop(Duration::from_secs(5));
            }
        }
        if self.remove_dir_on_stop {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// The API server's URL, `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The admin kubeconfig file (user `testenv-admin` in `system:masters`).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join(KUBECONFIG_FILE)
    }

    /// Stops the component `name` ("etcd", "kube-apiserver", "kube-controller-manager") with
    /// `signal` (SIGKILL for a crash, SIGTERM for a clean stop), for fault tests. Start it again
    /// with [`Self::start_component`].
    pub fn stop_component(&self, name: &str, signal: libc::c_int) -> Result<(), Error> {
        let mut components = self
            .components
            .lock()
            .map_err(|_| Error::Other("component list poisoned".into()))?;
        let component = components
            .iter_mut()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::Other(format!("no component named {name}")))?;
        component.kill(signal);
        Ok(())
    }

    /// Starts the stopped component `name` again with the same flags and data, and waits until
    /// the API server's /readyz passes (which covers etcd too). Returns how long that took.
    pub async fn start_component(&self, name: &str) -> Result<Duration, Error> {
        let start = Instant::now();
        let respawned = {
            let components = self
                .components
                .lock()
                .map_err(|_| Error::Other("component list poisoned".into()))?;
            let component = components
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| Error::Other(format!("no component named {name}")))?;
            // PR_SET_PDEATHSIG fires when the forking thread exits: fork from a thread that
            // lives as long as the process, as the first start did.
            let (sender, receiver) = std::sync::mpsc::channel();
            let spawn = component.respawn_fn();
            std::thread::Builder::new()
                .name(format!("testenv-keeper-{name}"))
                .spawn(move || {
                    let _ = sender.send(spawn());
                    loop {
                        std::thread::park();
                    }
                })
                .map_err(|e| Error::io("starting a keeper thread".to_string(), e))?;
            receiver
                .recv()
                .map_err(|_| Error::Other("the keeper thread ended without a result".into()))??
        };
        {
            let mut components = self
                .components
                .lock()
                .map_err(|_| Error::Other("component list poisoned".into()))?;
            if let Some(slot) = components.iter_mut().find(|c| c.name == name) {
                *slot = respawned;
            }
        }
        self.wait_for_apiserver().await?;
        Ok(start.elapsed())
    }

    /// The running components' names and process ids.
    pub fn pids(&self) -> Vec<(&'static str, u32)> {
        match self.components.lock() {
            Ok(components) => components.iter().map(|c| (c.name, c.pid())).collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// A `kubectl` command from the built binaries, pointed at this control plane as admin.
    pub fn kubectl(&self) -> std::process::Command {
        let mut command = std::process::Command::new(self.binaries.path("kubectl"));
        command.env("KUBECONFIG", self.kubeconfig_path());
        command
    }

    fn kubeconfig(&self, user: &str, auth: AuthInfo) -> Kubeconfig {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        Kubeconfig {
            clusters: vec![NamedCluster {
                name: "testenv".into(),
                other: BTreeMap::new(),
                cluster: Some(Cluster {
                    server: Some(self.server.clone()),
                    certificate_authority_data: Some(b64(&self.ca.cert_pem)),
                    ..Default::default()
                }),
            }],
            auth_infos: vec![NamedAuthInfo {
                name: user.into(),
                other: BTreeMap::new(),
                auth_info: Some(auth),
            }],
            contexts: vec![NamedContext {
                name: "testenv".into(),
                other: BTreeMap::new(),
                context: Some(Context {
                    cluster: "testenv".into(),
                    user: Some(user.into()),
                    ..Default::default()
                }),
            }],
            current_context: Some("testenv".into()),
            api_version: Some("v1".into()),
            kind: Some("Config".into()),
            ..Default::default()
        }
    }

    fn cert_auth(cert: &CertAndKey) -> AuthInfo {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        AuthInfo {
            client_certificate_data: Some(b64(&cert.cert_pem)),
            client_key_data: Some(b64(&cert.key_pem).into()),
            ..Default::default()
        }
    }

    fn write_admin_kubeconfig(&self) -> Result<PathBuf, Error> {
        let kubeconfig = self.kubeconfig("testenv-admin", Self::cert_auth(&self.admin));
        // JSON is YAML: kubectl and every client library read it.
        let text =
            serde_json::to_string_pretty(&kubeconfig).map_err(|e| Error::Other(e.to_string()))?;
        let path = self.kubeconfig_path();
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    async fn client_from(&self, kubeconfig: Kubeconfig) -> Result<Client, Error> {
        let config =
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
        Ok(Client::try_from(config)?)
    }

    /// A client with full rights (`system:masters`). Build one per test: a client belongs to the
    /// tokio runtime it was made in.
    pub async fn admin_client(&self) -> Result<Client, Error> {
        self.client_from(self.kubeconfig("testenv-admin", Self::cert_auth(&self.admin)))
            .await
    }

    /// A client that authenticates as `user` in `groups` with a client certificate, with no
    /// rights but those RBAC grants to that user or those groups.
    pub async fn user_client(&self, user: &str, groups: &[&str]) -> Result<Client, Error> {
        let cert = self.ca.client_cert(user, groups)?;
        self.client_from(self.kubeconfig(user, Self::cert_auth(&cert)))
            .await
    }

    /// A client that authenticates as the ServiceAccount `namespace/name` with a bound token
    /// from the TokenRequest API, as a pod of that account would; the account is created if it
    /// does not exist.
    pub async fn service_account_client(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Client, Error> {
        let kubeconfig = self.service_account_kubeconfig(namespace, name).await?;
        self.client_from(kubeconfig).await
    }

    /// Writes a kubeconfig file for `user` in `groups` (a client certificate), for a process to
    /// run as that identity.
    pub fn write_user_kubeconfig(
        &self,
        user: &str,
        groups: &[&str],
        path: &Path,
    ) -> Result<(), Error> {
        let cert = self.ca.client_cert(user, groups)?;
        let kubeconfig = self.kubeconfig(user, Self::cert_auth(&cert));
        let text =
            serde_json::to_string_pretty(&kubeconfig).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    /// Writes a kubeconfig file for the ServiceAccount `namespace/name` (see
    /// [`Self::service_account_client`]), for a process such as the operator to run as it.
    pub async fn write_service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
        path: &Path,
    ) -> Result<(), Error> {
        let kubeconfig = self.service_account_kubeconfig(namespace, name).await?;
        let text =
            serde_json::to_string_pretty(&kubeconfig).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    async fn service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Kubeconfig, Error> {
        let admin = self.admin_client().await?;
        let accounts: Api<ServiceAccount> = Api::namespaced(admin, namespace);
        if accounts.get_opt(name).await?.is_none() {
            let account = ServiceAccount {
                metadata: ObjectMeta {
                    name: Some(name.into()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match accounts.create(&PostParams::default(), &account).await {
                Ok(_) => {}
                // Created meanwhile by another test.
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
        }
        let request = TokenRequest {
            spec: TokenRequestSpec {
                audiences: Vec::new(),
                expiration_seconds: Some(3600),
                ..Default::default()
            },
            ..Default::default()
        };
        let token = accounts
            .create_token_request(name, &PostParams::default(), &request)
            .await?
            .status
            .map(|s| s.token)
            .ok_or_else(|| {
                Error::Other(format!(
                    "TokenRequest for {namespace}/{name} returned no token"
                ))
            })?;
        let auth = AuthInfo {
            token: Some(token.into()),
            ..Default::default()
        };
        Ok(self.kubeconfig(&format!("system:serviceaccount:{namespace}:{name}"), auth))
    }

    /// Creates a namespace of its own for one test, named `<prefix>-<n>`.
    pub async fn create_namespace(&self, prefix: &str) -> Result<String, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let mut name: String = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(50)
            .collect();
        let _ = write!(name, "-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let namespaces: Api<Namespace> = Api::all(self.admin_client().await?);
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([(
                    "testenv".to_string(),
                    "true".to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        namespaces
            .create(&PostParams::default(), &namespace)
            .await?;
        Ok(name)
    }

    fn write_pids(&self) -> Result<(), Error> {
        let components = self
            .components
            .lock()
            .map_err(|_| Error::Other("component list poisoned".into()))?;
        let text: String = components
            .iter()
            .map(|c| format!("{} {}\n", c.name, c.pid()))
            .collect();
        let path = self.dir.join(PIDS_FILE);
        std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

/// Stops a control plane started with [`Lifetime::Detached`] in `dir`, from its pid file.
/// Returns the names of the components it stopped.
pub fn stop_detached(dir: &Path) -> Result<Vec<String>, Error> {
    let pids_path = dir.join(PIDS_FILE);
    let text = match std::fs::read_to_string(&pids_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", pids_path.display()), e)),
    };
    let binaries = Binaries::locate()?;
    let mut stopped = Vec::new();
    // Newest first, as in `ControlPlane::stop`: the API server before its etcd.
    for line in text.lines().rev() {
        let Some((name, pid)) = line.split_once(' ') else {
            continue;
        };
        let Ok(pid) = pid.trim().parse::<u32>() else {
            continue;
        };
        if process::is_ours(pid, &binaries.dir) {
            process::terminate(pid, Duration::from_secs(10), || {
                !process::is_ours(pid, &binaries.dir)
            });
            stopped.push(name.to_string());
        }
    }
    std::fs::remove_file(&pids_path)
        .map_err(|e| Error::io(format!("removing {}", pids_path.display()), e))?;
    Ok(stopped)
}

/// Whether a detached control plane recorded in `dir` is still running.
pub fn detached_is_running(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(PIDS_FILE)) else {
        return false;
    };
    let Ok(binaries) = Binaries::locate() else {
        return false;
    };
    let pids: Vec<u32> = text
        .lines()
        .filter_map(|l| l.split_once(' ')?.1.trim().parse().ok())
        .collect();
    !pids.is_empty() && pids.iter().all(|&pid| process::is_ours(pid, &binaries.dir))
}

static SHARED: OnceLock<Result<ControlPlane, String>> = OnceLock::new();

/// The control plane shared by every test in this test binary, started on first use.
///
/// Panics with the start-up error (which quotes the failing component's log): a test cannot
/// go on without its control plane.
pub fn shared() -> &'static ControlPlane {
    match SHARED.get_or_init(start_shared) {
        Ok(cp) => cp,
        Err(message) => panic!("the test control plane could not start:\n{message}"),
    }
}

/// A new directory name for a test's control plane, under the system's temporary directory;
/// directories of earlier runs whose process is gone are removed first.
pub fn test_dir() -> PathBuf {
    remove_stale_test_dirs();
    static RUN: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "tripreport-testenv-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ))
}

fn start_shared() -> Result<ControlPlane, String> {
    let dir = test_dir();
    let result = start_kept(StartOptions {
        dir,
        lifetime: Lifetime::Attached,
        remove_dir_on_stop: true,
        extra_apiserver_args: Vec::new(),
        extra_etcd_args: Vec::new(),
    })
    .map_err(|e| e.to_string());
    if result.is_ok() {
        // Statics are never dropped: stop the components and remove their directory at exit.
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_shared_at_exit) };
    }
    result
}

/// Starts a control plane from a thread that lives as long as the process. The components get
/// PR_SET_PDEATHSIG, which fires when the thread that forked them exits, not the process: a
/// control plane started from a test's own thread would die with that thread. For tests that
/// need a control plane of their own (to restart its components, or with other flags).
pub fn start_kept(options: StartOptions) -> Result<ControlPlane, Error> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("testenv-keeper".into())
        .spawn(move || {
            let _ = sender.send(ControlPlane::start(options));
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| Error::io("starting the keeper thread".to_string(), e))?;
    receiver
        .recv()
        .map_err(|_| Error::Other("the keeper thread ended without a result".into()))?
}

extern "C" fn stop_shared_at_exit() {
    if let Some(Ok(cp)) = SHARED.get() {
        cp.stop();
    }
}

/// Directories of earlier test runs whose process died without cleaning up (SIGKILL).
fn remove_stale_test_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("tripreport-testenv-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

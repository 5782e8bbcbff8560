//! Where the control-plane binaries come from: built from their Go modules by
//! tests/controlplane/build.sh into a cache keyed by version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Error;

/// Set by the Makefile (or by hand) to skip asking build.sh where the binaries are.
pub const BIN_DIR_ENV: &str = "TRIPREPORT_CONTROLPLANE_BIN";

const BINARIES: [&str; 6] = [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kubectl",
    // The tests' GitOps checkers (tests/controlplane/tools): kstatus and ArgoCD's Lua health.
    "kstatus-check",
    "lua-health",
];

#[derive(Clone, Debug)]
pub struct Binaries {
    pub dir: PathBuf,
}

impl Binaries {
    /// The directory named by `TRIPREPORT_CONTROLPLANE_BIN`, or else the one build.sh prints,
    /// building the binaries first if they are missing (minutes, the first time; its progress
    /// goes straight to the terminal's stderr).
    pub fn locate() -> Result<Self, Error> {
        let dir = match std::env::var_os(BIN_DIR_ENV) {
            Some(dir) => PathBuf::from(dir),
            None => build()?,
        };
        let dir = dir
            .canonicalize()
            .map_err(|e| Error::io(format!("{} (control-plane binaries)", dir.display()), e))?;
        for name in BINARIES {
            if !dir.join(name).is_file() {
                return Err(Error::Binaries(format!(
                    "{} has no {name}; run `make controlplane` to build the control plane",
                    dir.display()
                )));
            }
        }
        Ok(Self { dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn build() -> Result<PathBuf, Error> {
    run_script("../controlplane/build.sh")
}

/// Runs one of the build scripts and returns the directory it prints.
fn run_script(relative: &str) -> Result<PathBuf, Error> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::io(format!("running {}", script.display()), e))?;
    if !output.status.success() {
        return Err(Error::Binaries(format!(
            "{} failed ({}); its messages are above",
            script.display(),
            output.status
        )));
    }
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if dir.is_empty() {
        return Err(Error::Binaries(format!(
            "{} printed no directory",
            script.display()
        )));
    }
    Ok(PathBuf::from(dir))
}

/// Set by the Makefile (or by hand) to skip asking build-tools.sh where promtool and helm are.
pub const TOOLS_DIR_ENV: &str = "TRIPREPORT_TOOLS_BIN";

/// The path of an ecosystem tool (`promtool`, `helm`): from `TRIPREPORT_TOOLS_BIN`, or else the
/// directory tests/controlplane/build-tools.sh prints, building them first if missing.
pub fn tool(name: &str) -> Result<PathBuf, Error> {
    static DIR: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| match std::env::var_os(TOOLS_DIR_ENV) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => run_script("../controlplane/build-tools.sh").map_err(|e| e.to_string()),
    });
    let path = dir
        .as_ref()
        .map_err(|e| Error::Binaries(e.clone()))?
        .join(name);
    if !path.is_file() {
        return Err(Error::Binaries(format!(
            "{} is missing; run tests/controlplane/build-tools.sh",
            path.display()
        )));
    }
    Ok(path)
}

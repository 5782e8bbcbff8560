//! `testenv up|down|status --dir DIR`: the test control plane in the background, for a person
//! (`make cluster`, `make cluster-down`, and `make run` which starts from it).

use std::path::PathBuf;
use std::process::ExitCode;

use testenv::{ControlPlane, Lifetime, StartOptions};

const USAGE: &str = "usage: testenv up|down|status [--dir DIR]   (default DIR: target/cluster)
       testenv hold   (starts the shared test control plane, prints `<component> <pid>` lines,
                       then waits; for the harness's own tests of process clean-up)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = PathBuf::from("target/cluster");
    let mut command = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--dir" => match iter.next() {
                Some(d) => dir = PathBuf::from(d),
                None => return usage(),
            },
            "up" | "down" | "status" | "hold" if command.is_none() => command = Some(arg.clone()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }
    let dir = match std::path::absolute(&dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("testenv: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let result = match command.as_deref() {
        Some("up") => up(dir),
        Some("down") => down(dir),
        Some("status") => status(dir),
        Some("hold") => return hold(),
        _ => return usage(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("testenv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn print_access(dir: &std::path::Path, kubectl: PathBuf) {
    let kubeconfig = dir.join("kubeconfig");
    let bin = kubectl
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    println!(
        "The control plane is running; its files and logs are in {}.",
        dir.display()
    );
    println!("To use it from a shell:");
    println!();
    println!("  export KUBECONFIG={}", kubeconfig.display());
    println!(
        "  export PATH={bin}:$PATH   # kubectl {}",
        kubectl.display()
    );
    println!();
    println!("Stop it with `make cluster-down`.");
}

fn up(dir: PathBuf) -> Result<ExitCode, testenv::Error> {
    if testenv::detached_is_running(&dir) {
        print_access(&dir, testenv::Binaries::locate()?.path("kubectl"));
        return Ok(ExitCode::SUCCESS);
    }
    // Leftovers of a control plane that died: stop what is left and start from clean data.
    testenv::stop_detached(&dir)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| testenv::Error::Other(format!("removing {}: {e}", dir.display())))?;
    }
    eprintln!(
        "Starting etcd, kube-apiserver and kube-controller-manager in {} ...",
        dir.display()
    );
    let cp = ControlPlane::start(StartOptions {
        dir: dir.clone(),
        lifetime: Lifetime::Detached,
        remove_dir_on_stop: false,
        extra_apiserver_args: Vec::new(),
        extra_etcd_args: Vec::new(),
    })?;
    print_access(&dir, cp.binaries().path("kubectl"));
    Ok(ExitCode::SUCCESS)
}

fn down(dir: PathBuf) -> Result<ExitCode, testenv::Error> {
    let stopped = testenv::stop_detached(&dir)?;
    if stopped.is_empty() {
        println!("No control plane was running from {}.", dir.display());
    } else {
        println!(
            "Stopped {} (data and logs kept in {}).",
            stopped.join(", "),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status(dir: PathBuf) -> Result<ExitCode, testenv::Error> {
    if testenv::detached_is_running(&dir) {
        print_access(&dir, testenv::Binaries::locate()?.path("kubectl"));
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "No control plane is running from {}; start one with `make cluster`.",
            dir.display()
        );
        Ok(ExitCode::from(1))
    }
}

/// The shared test control plane in a process of its own, so a test can kill that process and
/// check that no component outlives it. With `TESTENV_HOLD_END=panic` or
/// `=exit` it panics or exits instead of waiting.
fn hold() -> ExitCode {
    let cp = testenv::shared();
    for (name, pid) in cp.pids() {
        println!("{name} {pid}");
    }
    println!("dir {}", cp.dir().display());
    println!("ready");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    match std::env::var("TESTENV_HOLD_END").as_deref() {
        Ok("panic") => panic!("a panic while the control plane runs, as a failing test would"),
        Ok("exit") => return ExitCode::SUCCESS,
        _ => {}
    }
    loop {
        std::thread::park();
    }
}

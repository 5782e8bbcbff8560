//! The harness's own promises: no component outlives the process that started it, however that
//! process ends, and a failed start says why in the component's own words.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testenv::{ControlPlane, Lifetime, StartOptions};

/// A process of the `testenv hold` command with the shared control plane started inside it.
struct Holder {
    child: Child,
    pids: Vec<(String, u32)>,
    dir: PathBuf,
}

fn hold(end: Option<&str>) -> Holder {
    let mut command = Command::new(env!("CARGO_BIN_EXE_testenv"));
    command
        .arg("hold")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(end) = end {
        command.env("TESTENV_HOLD_END", end);
    }
    if end == Some("panic") {
        // The deliberate panic's message would read like a failure in the test output.
        command.stderr(Stdio::null());
    }
    // The holder stands for a test process run from a terminal, where Ctrl-C's SIGINT has its
    // default action. A test run started in the background by a shell without job control (a
    // CI script's `cmd &`) inherits SIGINT ignored, and the holder would never see it.
    // SAFETY: signal(2) is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().expect("start `testenv hold`");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut pids = Vec::new();
    let mut dir = PathBuf::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read `testenv hold` output");
        match line.split_once(' ') {
            _ if line == "ready" => break,
            Some(("dir", d)) => dir = PathBuf::from(d),
            Some((name, pid)) => pids.push((name.to_string(), pid.parse().expect("a pid"))),
            None => panic!("unexpected line from `testenv hold`: {line}"),
        }
    }
    let names: Vec<&str> = pids.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["etcd", "kube-apiserver", "kube-controller-manager"]);
    Holder { child, pids, dir }
}

/// Alive means present and not a zombie waiting for its (new) parent to reap it.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Waits (bounded) for every component to be gone and names any that is still running.
fn assert_all_gone(holder: &Holder) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left: Vec<&(String, u32)> = holder.pids.iter().filter(|(_, pid)| alive(*pid)).collect();
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("components still running after their test process ended: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn sigkill_of_the_test_process_leaves_no_component_behind() {
    let mut holder = hold(None);
    assert!(holder.pids.iter().all(|(_, pid)| alive(*pid)));
    signal(&holder.child, libc::SIGKILL);
    holder.child.wait().expect("reap the holder");
    assert_all_gone(&holder);
}

#[test]
fn interrupting_the_test_process_leaves_no_component_behind() {
    let mut holder = hold(None);
    signal(&holder.child, libc::SIGINT);
    let status = holder.child.wait().expect("reap the holder");
    assert!(
        !status.success(),
        "the interrupted holder reported success: {status}"
    );
    assert_all_gone(&holder);
}

#[test]
fn a_panic_leaves_no_component_behind() {
    let mut holder = hold(Some("panic"));
    let status = holder.child.wait().expect("reap the holder");
    assert_eq!(status.code(), Some(101), "a Rust panic exits with 101");
    assert_all_gone(&holder);
}

#[test]
fn a_normal_exit_stops_the_components_and_removes_their_directory() {
    let mut holder = hold(Some("exit"));
    assert!(holder.dir.is_dir(), "the holder named no directory");
    let status = holder.child.wait().expect("reap the holder");
    assert!(status.success());
    assert_all_gone(&holder);
    assert!(
        !holder.dir.exists(),
        "{} was left behind",
        holder.dir.display()
    );
}

#[test]
fn a_failed_start_quotes_the_components_own_log() {
    let dir = std::env::temp_dir().join(format!(
        "tripreport-testenv-{}-badstart",
        std::process::id()
    ));
    let result = ControlPlane::start(StartOptions {
        dir: dir.clone(),
        lifetime: Lifetime::Attached,
        remove_dir_on_stop: true,
        extra_apiserver_args: vec!["--authorization-mode=NoSuchMode".to_string()],
        extra_etcd_args: Vec::new(),
    });
    let message = match result {
        Ok(_) => panic!("kube-apiserver started with an unknown authorization mode"),
        Err(e) => e.to_string(),
    };
    assert!(
        message.contains("kube-apiserver exited during start-up"),
        "{message}"
    );
    assert!(message.contains("--- last lines of"), "{message}");
    // This line comes from kube-apiserver's own flag validation, not from the harness.
    let quoted = message
        .lines()
        .skip_while(|l| !l.starts_with("--- last lines of"))
        .any(|l| l.contains("NoSuchMode"));
    assert!(
        quoted,
        "the apiserver's own complaint is not quoted:\n{message}"
    );
    assert!(
        !dir.exists(),
        "the failed start left {} behind",
        dir.display()
    );
}

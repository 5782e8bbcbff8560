//! Starting and stopping the component processes, and reading their logs for error messages.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// How a component's life is tied to the process that started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// Dies with the starting thread's process: the kernel sends SIGKILL when it goes away,
    /// whether it exits, panics, is interrupted or is killed. Used by tests.
    Attached,
    /// Runs on in its own session after the starter exits (`make cluster`); stopped by pid.
    Detached,
}

/// One running component: etcd, kube-apiserver or kube-controller-manager.
pub struct Component {
    pub name: &'static str,
    pub log: PathBuf,
    child: Child,
    binary: PathBuf,
    args: Vec<String>,
    lifetime: Lifetime,
}

impl Component {
    pub fn spawn(
        name: &'static str,
        binary: &Path,
        args: &[String],
        log: PathBuf,
        lifetime: Lifetime,
    ) -> Result<Self, Error> {
        // Appended to, so a restarted component's log follows its previous life's.
        let out = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::io(format!("creating {}", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| Error::io(format!("opening {}", log.display()), e))?;
        let mut command = Command::new(binary);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        match lifetime {
            Lifetime::Attached => die_with_this_thread(&mut command),
            Lifetime::Detached => {
                // SAFETY: setsid is async-signal-safe. A new session keeps a terminal's Ctrl-C
                // (sent to the foreground process group) away from the background cluster.
                unsafe {
                    command.pre_exec(|| {
                        if libc::setsid() < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
            }
        }
        let child = command
            .spawn()
            .map_err(|e| Error::io(format!("starting {} ({})", name, binary.display()), e))?;
        Ok(Self {
            name,
            log,
            child,
            binary: binary.to_path_buf(),
            args: args.to_vec(),
            lifetime,
        })
    }

    /// Starts the same component again, with the same flags, data and log (after a stop):
    /// returned as a function so it can be called from a keeper thread.
    pub fn respawn_fn(&self) -> impl FnOnce() -> Result<Self, Error> + Send + 'static {
        let (name, binary, args, log, lifetime) = (
            self.name,
            self.binary.clone(),
            self.args.clone(),
            self.log.clone(),
            self.lifetime,
        );
        move || Self::spawn(name, &binary, &args, log, lifetime)
    }

    /// Sends `signal` and waits for the process to exit (a crash, with SIGKILL).
    pub fn kill(&mut self, signal: libc::c_int) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: plain kill(2) on a child we started and have not reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error naming the component and quoting the end of its log, if it has exited.
    pub fn check_running(&mut self) -> Result<(), Error> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(Error::ComponentExited {
                component: self.name,
                status: status.to_string(),
                log_tail: log_tail(&self.log),
            }),
            Ok(None) => Ok(()),
            Err(e) => Err(Error::io(format!("waiting for {}", self.name), e)),
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        terminate(self.child.id(), grace, || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        let _ = self.child.wait();
    }
}

/// Makes the process `command` starts receive SIGKILL when the thread that starts it exits
/// (for a test, when the test ends, or when the test process dies however it dies).
pub fn die_with_this_thread(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Sends SIGTERM to `pid`, waits up to `grace` for `exited()` to say so, then sends SIGKILL.
pub fn terminate(pid: u32, grace: Duration, mut exited: impl FnMut() -> bool) {
    let pid = pid as libc::pid_t;
    // SAFETY: plain kill(2) on a pid we started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if exited() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// The last lines of a component's log, for error messages.
pub fn log_tail(path: &Path) -> String {
    const LINES: usize = 40;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(LINES);
            let mut tail = lines[start..].join("\n");
            if tail.is_empty() {
                tail = "(the log is empty)".to_string();
            }
            format!("--- last lines of {} ---\n{}", path.display(), tail)
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago. Another process could take it before
/// the component binds it; the component then fails to start and says so in its log.
pub fn free_port() -> Result<u16, Error> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("finding a free loopback port".to_string(), e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::io("finding a free loopback port".to_string(), e))
}

/// Whether the process `pid` is alive and runs a binary from `bin_dir`; guards against
/// stopping an unrelated process that reused a pid from an old pid file.
pub fn is_ours(pid: u32, bin_dir: &Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|exe| exe.starts_with(bin_dir))
        .unwrap_or(false)
}

//! The init's resident loop. One `poll` over the signalfd and the control socket, with no
//! timeout unless a deadline is pending (the kill phase of a shutdown): an idle init never
//! wakes up. Each round's work runs under `catch_unwind`, so a bug in a handler is logged
//! and the init goes on — PID 1 must not die, the container would go with it.
//!
//! Stages: booting (the boot job runs) → running → stopping (the stop job runs) →
//! killing (SIGTERM to what is left, SIGKILL after the grace period) → exit.

use super::actions::{self, ShutdownRequest, UnitWatch};
use super::control::{Command, ControlServer};
use super::jobs;
use super::processes;
use super::record::{InitRecord, Phase};
use super::signals::{reap_all, SignalRequest, Signals};
use super::InitOptions;
use crate::state::StateDir;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

/// After SIGKILL, how long we wait for the kernel to let the last processes go.
const AFTER_SIGKILL: Duration = Duration::from_secs(5);
/// At most this many pidfds are watched in the kill phase (the rest are seen on rescans).
const MAX_PIDFDS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Booting,
    Running,
    Stopping,
    Killing { deadline: Instant, killed: bool },
    Done,
}

struct Init {
    opts: InitOptions,
    signals: Signals,
    control: Option<ControlServer>,
    dir: StateDir,
    me: i32,
    stage: Stage,
    boot_job: Option<i32>,
    stop_job: Option<i32>,
    exit_code: i32,
    watch: UnitWatch,
}

/// Runs the init until it has shut down; returns its exit status.
pub fn run(opts: InitOptions) -> i32 {
    let me = nix::unistd::getpid().as_raw();
    if me != 1 {
        // Orphans of our services must come to us, as they would to PID 1.
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            eprintln!(
                "unitbox: cannot become a child subreaper: {}",
                std::io::Error::from(e)
            );
            return 1;
        }
    }
    let signals = match Signals::take() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("unitbox: cannot take signals: {e}");
            return 1;
        }
    };
    let dir = match StateDir::for_scope(&opts.scope) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("unitbox: {e}");
            return 1;
        }
    };
    if opts.console {
        share_console();
    }
    if me == 1 {
        super::boot_state::setup_for_pid1(&opts.scope, &|line| println!("unitbox: {line}"));
    }
    let control = match ControlServer::bind(&dir) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("unitbox: no control socket, halt/poweroff/exit will not reach us: {e}");
            None
        }
    };
    let mut init = Init {
        opts,
        signals,
        control,
        dir,
        me,
        stage: Stage::Booting,
        boot_job: None,
        stop_job: None,
        exit_code: 0,
        watch: UnitWatch::default(),
    };
    init.set_phase(Phase::Initializing);
    init.start_boot();
    while init.stage != Stage::Done {
        init.wait();
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| init.handle()));
        if step.is_err() {
            eprintln!("unitbox: internal error in the init loop, continuing");
        }
    }
    let _ = std::fs::remove_file(InitRecord::path(&init.dir));
    println!("unitbox: exiting with status {}", init.exit_code);
    init.exit_code
}

/// Hands our stdout to the supervisors as `UNITBOX_CONSOLE_FD`: a duplicate above the
/// standard descriptors (the launcher points a supervisor's own 0-2 at /dev/null) and
/// without close-on-exec, so it survives their `exec`.
fn share_console() {
    // Not close-on-exec, and never closed: it is the supervisors' console.
    if let Ok(fd) = nix::fcntl::fcntl(1, nix::fcntl::FcntlArg::F_DUPFD(3)) {
        // The init is still single-threaded here: changing the environment is safe.
        std::env::set_var(crate::supervisor::output::CONSOLE_FD_ENV, fd.to_string());
    }
}

impl Init {
    fn set_phase(&self, phase: Phase) {
        if let Err(e) = InitRecord::of_self(phase, self.opts.console).write(&self.dir) {
            eprintln!("unitbox: cannot write the init record: {e}");
        }
    }

    fn start_boot(&mut self) {
        self.set_phase(Phase::Starting);
        let scope = self.opts.scope.clone();
        let units = self.opts.units.clone();
        match jobs::spawn(&self.signals, move || jobs::boot(&scope, &units)) {
            Ok(pid) => self.boot_job = Some(pid),
            Err(e) => {
                eprintln!("unitbox: cannot fork the boot job: {e}");
                self.boot_done(1);
            }
        }
    }

    fn boot_done(&mut self, code: i32) {
        self.boot_job = None;
        if self.stage != Stage::Booting {
            return;
        }
        self.stage = Stage::Running;
        self.set_phase(Phase::Running);
        println!(
            "unitbox: startup finished{}",
            if code == 0 { "" } else { ", some units failed" }
        );
        self.after_unit_changes();
    }

    /// Sleeps until something happens: no timeout unless the kill phase has a deadline.
    fn wait(&mut self) {
        let mut fds = vec![pollfd(self.signals.fd())];
        if let Some(c) = &self.control {
            fds.push(pollfd(c.fd()));
        }
        let mut timeout = -1;
        let mut _pidfds: Vec<OwnedFd> = Vec::new();
        if let Stage::Killing { deadline, .. } = self.stage {
            let left = deadline.saturating_duration_since(Instant::now());
            timeout = left.as_millis().min(i32::MAX as u128) as i32;
            // Processes entered from outside (nsenter) are not our children: no SIGCHLD
            // tells of their end, their pidfds do.
            let left_over = processes::remaining(Path::new("/proc"), self.me);
            _pidfds = processes::pidfds(&left_over, MAX_PIDFDS);
            fds.extend(_pidfds.iter().map(|f| pollfd(f.as_raw_fd())));
        }
        match crate::sys::poll(&mut fds, timeout) {
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => {
                // Nothing sensible to do but not to spin: the next round sees the same state.
                eprintln!("unitbox: poll: {e}");
            }
            _ => {}
        }
    }

    fn handle(&mut self) {
        let shutdown = self
            .signals
            .drain()
            .into_iter()
            .any(|s| super::signals::classify(s) == SignalRequest::Shutdown);
        // Reaping is cheap and never wrong: every round, whatever woke us (SIGCHLDs merge,
        // and a pidfd may have fired for a child).
        self.reap();
        let commands = self
            .control
            .as_ref()
            .map(|c| c.accept_all())
            .unwrap_or_default();
        if shutdown {
            self.shutdown_signal();
        }
        for command in commands {
            self.command(command);
        }
        if let Stage::Killing { .. } = self.stage {
            self.kill_phase();
        }
    }

    fn reap(&mut self) {
        let mut others = false;
        for child in reap_all() {
            if Some(child.pid) == self.boot_job {
                self.boot_done(child.code);
            } else if Some(child.pid) == self.stop_job {
                self.stop_job = None;
                self.start_killing();
            } else {
                others = true;
            }
        }
        if others && self.stage == Stage::Running {
            self.after_unit_changes();
        }
    }

    /// A supervisor may have ended: unit actions and exit-when-idle.
    fn after_unit_changes(&mut self) {
        let ended = self.watch.ended(&self.dir);
        if let Some(request) = actions::requested_shutdown(&self.opts.scope, &ended) {
            self.begin_shutdown(request);
            return;
        }
        if self.opts.exit_when_idle && actions::idle(&self.dir) {
            println!("unitbox: no service runs any more, shutting down");
            self.begin_shutdown(ShutdownRequest {
                force: false,
                exit_code: 0,
            });
        }
    }

    fn shutdown_signal(&mut self) {
        match self.stage {
            Stage::Booting | Stage::Running => self.begin_shutdown(ShutdownRequest {
                force: false,
                exit_code: 0,
            }),
            // Asked again while the units stop: stop waiting for them.
            Stage::Stopping => {
                if let Some(pid) = self.stop_job.take() {
                    let _ = crate::sys::kill(pid, libc::SIGKILL);
                }
                self.start_killing();
            }
            Stage::Killing { .. } | Stage::Done => {}
        }
    }

    fn command(&mut self, command: Command) {
        println!("unitbox: {} requested", command.encode().trim_end());
        match self.stage {
            Stage::Booting | Stage::Running => self.begin_shutdown(ShutdownRequest {
                force: false,
                exit_code: command.exit_code(),
            }),
            // Already on the way out; a later `exit CODE` still decides the status.
            _ => self.exit_code = command.exit_code(),
        }
    }

    fn begin_shutdown(&mut self, request: ShutdownRequest) {
        self.exit_code = request.exit_code;
        self.set_phase(Phase::Stopping);
        println!("unitbox: shutting down");
        if let Some(pid) = self.boot_job.take() {
            // The boot is abandoned; its units are stopped like all others.
            let _ = crate::sys::kill(pid, libc::SIGTERM);
        }
        if request.force {
            self.start_killing();
            return;
        }
        self.stage = Stage::Stopping;
        let scope = self.opts.scope.clone();
        match jobs::spawn(&self.signals, move || jobs::stop_all(&scope)) {
            Ok(pid) => self.stop_job = Some(pid),
            Err(e) => {
                eprintln!("unitbox: cannot fork the stop job: {e}");
                self.start_killing();
            }
        }
    }

    fn start_killing(&mut self) {
        let deadline = Instant::now()
            .checked_add(self.opts.stop_grace)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600));
        self.stage = Stage::Killing {
            deadline,
            killed: false,
        };
        if !processes::remaining(Path::new("/proc"), self.me).is_empty() {
            processes::signal_remaining(self.me, libc::SIGTERM);
            processes::signal_remaining(self.me, libc::SIGCONT);
        }
        self.kill_phase();
    }

    fn kill_phase(&mut self) {
        let Stage::Killing { deadline, killed } = self.stage else {
            return;
        };
        self.reap_quietly();
        let left = processes::remaining(Path::new("/proc"), self.me);
        if left.is_empty() {
            self.stage = Stage::Done;
            return;
        }
        if Instant::now() < deadline {
            return;
        }
        if killed {
            eprintln!("unitbox: processes survived SIGKILL: {left:?}");
            self.stage = Stage::Done;
            return;
        }
        println!(
            "unitbox: sending SIGKILL to {} remaining process(es)",
            left.len()
        );
        processes::signal_remaining(self.me, libc::SIGKILL);
        self.stage = Stage::Killing {
            deadline: Instant::now() + AFTER_SIGKILL,
            killed: true,
        };
        self.reap_quietly();
    }

    fn reap_quietly(&mut self) {
        for child in reap_all() {
            if Some(child.pid) == self.stop_job {
                self.stop_job = None;
            }
        }
    }
}

fn pollfd(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

//! The supervisor's state: the unit, its processes, what its notify messages said, who is
//! waiting for answers; and the primitives the start and stop sequences are written with
//! (state transitions, the start report, running one command, waiting for a process).

use super::control::ControlServer;
use super::launch::{CommandEnv, CommandKind, LaunchError, Launched, Launcher};
use super::notify::NotifySocket;
use super::output::{Output, Writer};
use super::restart::failure_result;
use crate::exec::command::ExecCommand;
use crate::exec::exit_status::format_exit_status;
use crate::exec::spawn::ExitStatus;
use crate::scope::Scope;
use crate::service::ServiceConfig;
use crate::state::unit_state::ExecProcess;
use crate::state::{ActiveState, ExitCode, SubState, UnitResult, UnitState};
use crate::supervisor::protocol::StartOutcome;
use crate::time::DualTimestamp;
use crate::unit::Unit;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// syslog priorities of the manager's messages.
pub const INFO: u8 = 6;
pub const NOTICE: u8 = 5;
pub const WARNING: u8 = 4;
pub const ERR: u8 = 3;

/// What `sd_notify()` said since the flags were last consumed.
#[derive(Debug, Default)]
pub struct Notified {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
}

/// How a command ended, from the sequence's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    Success,
    /// It failed (not `-`-prefixed): the result and how it ended.
    Failed(UnitResult, Option<ExitStatus>),
    Timeout,
    /// A stop request arrived while waiting (only where stopping cancels the job).
    Interrupted,
}

pub enum Waited {
    Exited(ExitStatus),
    Timeout,
    Interrupted,
}

pub struct Supervisor {
    pub unit: Unit,
    pub name: String,
    pub scope: Scope,
    pub config: ServiceConfig,
    pub state_path: PathBuf,
    pub state: UnitState,
    pub report: Option<OwnedFd>,
    pub reported: bool,
    pub launcher: Launcher,
    pub output: Output,
    pub control: ControlServer,
    pub notify_socket: Option<NotifySocket>,
    pub signal_fd: nix::sys::signalfd::SignalFd,
    pub main_pid: Option<i32>,
    /// A pidfd for a main process that is not our child (we cannot reap it).
    pub main_pidfd: Option<OwnedFd>,
    pub control_pid: Option<i32>,
    /// Exit statuses of the main and control processes, reaped but not yet handled.
    pub exits: HashMap<i32, ExitStatus>,
    pub notified: Notified,
    pub watchdog_deadline: Option<Instant>,
    pub watchdog_usec: u64,
    /// `EXTEND_TIMEOUT_USEC=`: the current phase may not time out before this.
    pub extended_until: Option<Instant>,
    /// A stop was requested (control request or SIGTERM): no restart follows.
    pub stop_requested: bool,
    /// Clients waiting for the answer to `stop`.
    pub stop_waiters: Vec<u64>,
    pub reload_queue: VecDeque<u64>,
    /// The start job was cancelled by a stop.
    pub start_canceled: bool,
    /// A condition made the start job skip the unit: the report says so.
    pub skipped: Option<String>,
    /// The last status of the main process (for Restart= and $EXIT_STATUS).
    pub last_main_status: Option<ExitStatus>,
    /// Whether the stop in progress is followed by an automatic restart.
    pub restarting: bool,
    /// Held for our whole life: the unit's liveness lock.
    pub alive: Option<crate::state::lock::AliveLock>,
    /// The control and notify sockets, removed when we exit.
    pub socket_paths: [crate::state::SocketAddress; 2],
}

pub fn usec(us: u64) -> Option<Duration> {
    (us != crate::unit::value::USEC_INFINITY).then(|| Duration::from_micros(us))
}

pub fn deadline_after(us: u64) -> Option<Instant> {
    usec(us).and_then(|d| Instant::now().checked_add(d))
}

impl Supervisor {
    /// Moves to a new state: timestamps, the state file, the start report.
    pub fn set(&mut self, active: ActiveState, sub: SubState) {
        self.state.set_state(active, sub, DualTimestamp::now());
        self.save();
        self.maybe_report();
    }

    pub fn save(&mut self) {
        self.state.main_pid = self.main_pid.map_or(0, |p| p as u32);
        self.state.control_pid = self.control_pid.map_or(0, |p| p as u32);
        if let Err(e) = self.state.write(&self.state_path) {
            log::warn!("{}: cannot write the state file: {e}", self.name);
        }
    }

    /// Records a failure; the first one wins (as systemd's `s->result`).
    pub fn fail(&mut self, result: UnitResult) {
        if self.state.result == UnitResult::Success {
            self.state.result = result;
        }
    }

    /// The start job is done once the unit leaves activating for active, inactive or failed.
    fn maybe_report(&mut self) {
        if self.reported {
            return;
        }
        let outcome = match self.state.active_state {
            ActiveState::Active | ActiveState::Reloading => StartOutcome::Started,
            ActiveState::Inactive if self.start_canceled => StartOutcome::Failed {
                result: "canceled".into(),
            },
            ActiveState::Inactive => match &self.skipped {
                Some(condition) => StartOutcome::ConditionFailed {
                    condition: condition.clone(),
                },
                None => StartOutcome::Started,
            },
            ActiveState::Failed => StartOutcome::Failed {
                result: self.state.result.as_str().into(),
            },
            _ => return,
        };
        self.send_report(&outcome);
    }

    pub fn send_report(&mut self, outcome: &StartOutcome) {
        self.reported = true;
        if let Some(fd) = self.report.take() {
            let mut f = File::from(fd);
            // The launcher may have gone (--no-block): nothing to do about it.
            let _ = f.write_all(outcome.encode().as_bytes());
        }
    }

    pub fn log(&mut self, priority: u8, message: &str) {
        self.output.manager(priority, message);
    }

    pub fn unit_log(&mut self, priority: u8, message: &str) {
        let text = format!("{}: {message}", self.name);
        self.output.manager(priority, &text);
    }

    /// The effective deadline of a phase: its own, pushed out by `EXTEND_TIMEOUT_USEC=`.
    pub fn effective_deadline(&self, deadline: Option<Instant>) -> Option<Instant> {
        match (deadline, self.extended_until) {
            (Some(d), Some(e)) => Some(d.max(e)),
            (d, _) => d,
        }
    }

    /// Waits until `pid` has exited, the deadline passes, or (if `interruptible`) a stop
    /// is requested.
    pub fn wait_pid(&mut self, pid: i32, deadline: Option<Instant>, interruptible: bool) -> Waited {
        loop {
            if let Some(status) = self.exits.remove(&pid) {
                return Waited::Exited(status);
            }
            if interruptible && self.stop_requested {
                return Waited::Interrupted;
            }
            let deadline = self.effective_deadline(deadline);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Waited::Timeout;
            }
            self.step(deadline);
        }
    }

    pub fn command_env(&self, with_main_pid: bool) -> CommandEnv {
        CommandEnv {
            invocation_id: self.state.invocation_id.clone(),
            main_pid: self.main_pid.filter(|_| with_main_pid).map(|p| p as u32),
            extra: Vec::new(),
        }
    }

    /// Forks one command; records it in the state's process list.
    pub fn launch(
        &mut self,
        kind: CommandKind,
        command: &ExecCommand,
        env: &CommandEnv,
    ) -> Result<i32, (UnitResult, Option<ExitStatus>)> {
        let pipes = match self.output.command_pipes() {
            Ok(pipes) => pipes,
            Err(e) => {
                self.unit_log(ERR, &format!("Failed to create the output pipes: {e}"));
                return Err((UnitResult::Resources, None));
            }
        };
        let fds = pipes.child_fds();
        match self.launcher.launch(&self.config, kind, command, env, fds) {
            Ok(Launched { spawned, writes_to }) => {
                let pid = spawned.pid;
                let writer = Writer {
                    pid: pid as u32,
                    identifier: super::output::identifier(&self.config, command),
                };
                self.output.attach(pipes, writes_to, writer);
                let exec_type =
                    self.config.service_type == crate::service::types::ServiceType::Exec;
                if kind == CommandKind::Start && exec_type {
                    if let Err(failure) = spawned.wait_exec() {
                        // The child exits with the failed step's code right after saying so.
                        self.unit_log(ERR, &format!("{failure}"));
                        self.exits.remove(&pid);
                        self.control_pid = Some(pid);
                        let status = match self.wait_pid(pid, None, false) {
                            super::service::Waited::Exited(status) => status,
                            _ => ExitStatus::Exited(failure.exit_code),
                        };
                        self.control_pid = None;
                        self.state.exec_main_pid = pid as u32;
                        self.log_main_exit(status, false);
                        return Err((failure_result(status), Some(status)));
                    }
                }
                self.state.processes.push(ExecProcess {
                    kind: kind.setting().into(),
                    pid: pid as u32,
                    code: ExitCode::NotExited,
                    status: 0,
                    start: DualTimestamp::now(),
                    exit: DualTimestamp::default(),
                    command: command.display(),
                });
                // Only the last few activations' worth is useful for `status`.
                if self.state.processes.len() > 32 {
                    self.state.processes.remove(0);
                }
                Ok(pid)
            }
            Err(LaunchError::Resources(message)) => {
                self.unit_log(ERR, &message);
                Err((UnitResult::Resources, None))
            }
            Err(LaunchError::Exit(code, message)) => {
                self.unit_log(ERR, &message);
                let status = ExitStatus::Exited(code);
                self.state.processes.push(ExecProcess {
                    kind: kind.setting().into(),
                    pid: 0,
                    code: ExitCode::Exited,
                    status: code,
                    start: DualTimestamp::now(),
                    exit: DualTimestamp::now(),
                    command: command.display(),
                });
                Err((failure_result(status), Some(status)))
            }
        }
    }

    pub fn record_exit(&mut self, pid: i32, status: ExitStatus) {
        if let Some(p) = self
            .state
            .processes
            .iter_mut()
            .rev()
            .find(|p| p.pid == pid as u32)
        {
            let (code, value) = exit_code_and_status(status);
            p.code = code;
            p.status = value;
            p.exit = DualTimestamp::now();
        }
    }

    /// Runs one control command (everything but the main process) to its end.
    pub fn run_control(
        &mut self,
        kind: CommandKind,
        command: &ExecCommand,
        env: &CommandEnv,
        timeout_us: u64,
        interruptible: bool,
    ) -> CommandOutcome {
        let ignore = command.flags.ignore_failure;
        let pid = match self.launch(kind, command, env) {
            Ok(pid) => pid,
            Err(_) if ignore => return CommandOutcome::Success,
            Err((result, status)) => return CommandOutcome::Failed(result, status),
        };
        self.control_pid = Some(pid);
        self.save();
        self.extended_until = None;
        match self.wait_pid(pid, deadline_after(timeout_us), interruptible) {
            Waited::Exited(status) => {
                self.control_pid = None;
                self.record_exit(pid, status);
                self.save();
                let clean = match status {
                    ExitStatus::Exited(c) => {
                        c == 0 || self.config.success_exit_status.contains_code(c)
                    }
                    ExitStatus::Killed(s) | ExitStatus::Dumped(s) => {
                        self.config.success_exit_status.contains_signal(s)
                    }
                };
                if clean {
                    return CommandOutcome::Success;
                }
                self.unit_log(
                    if ignore { INFO } else { NOTICE },
                    &format!(
                        "Control process exited, code={}, {}{}",
                        status.code_name(),
                        status.describe(),
                        if ignore { " (ignored)" } else { "" }
                    ),
                );
                if ignore {
                    CommandOutcome::Success
                } else {
                    CommandOutcome::Failed(failure_result(status), Some(status))
                }
            }
            Waited::Timeout => {
                let phase = self.state.sub_state.as_str();
                self.unit_log(
                    WARNING,
                    &format!("{phase} operation timed out. Terminating."),
                );
                CommandOutcome::Timeout
            }
            Waited::Interrupted => CommandOutcome::Interrupted,
        }
    }

    /// Takes a pending exit of the main process into the state (ExecMain*, logs).
    pub fn collect_main_exit(&mut self) -> Option<ExitStatus> {
        let pid = self.main_pid?;
        let status = self.exits.remove(&pid)?;
        self.main_pid = None;
        self.main_pidfd = None;
        self.record_exit(pid, status);
        let (code, value) = exit_code_and_status(status);
        self.state.exec_main_code = code;
        self.state.exec_main_status = value;
        self.state.exec_main_exit = DualTimestamp::now();
        self.last_main_status = Some(status);
        self.save();
        Some(status)
    }

    /// Takes a pending exit of the control process.
    pub fn collect_control_exit(&mut self) -> Option<ExitStatus> {
        let pid = self.control_pid?;
        let status = self.exits.remove(&pid)?;
        self.control_pid = None;
        self.record_exit(pid, status);
        self.save();
        Some(status)
    }

    pub fn log_main_exit(&mut self, status: ExitStatus, clean: bool) {
        let text = match status {
            ExitStatus::Exited(c) => format!(
                "Main process exited, code=exited, status={}",
                format_exit_status(c)
            ),
            other => format!(
                "Main process exited, code={}, {}",
                other.code_name(),
                other.describe()
            ),
        };
        self.unit_log(if clean { INFO } else { NOTICE }, &text);
    }

    /// Whether any process of the unit is left (as subreaper, every descendant of ours
    /// that is alive has a live child of ours above it).
    pub fn has_processes(&self) -> bool {
        crate::sys::has_children()
    }

    pub fn main_alive(&self) -> bool {
        self.main_pid.is_some_and(|p| !self.exits.contains_key(&p))
    }
}

pub fn exit_code_and_status(status: ExitStatus) -> (ExitCode, i32) {
    match status {
        ExitStatus::Exited(c) => (ExitCode::Exited, c),
        ExitStatus::Killed(s) => (ExitCode::Killed, s),
        ExitStatus::Dumped(s) => (ExitCode::Dumped, s),
    }
}

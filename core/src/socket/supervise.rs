//! A started socket's supervisor (see ARCHITECTURE.md, "Sockets"): one process per active
//! socket unit that holds the listening descriptors and sleeps in `poll` on them (while
//! `listening`), on inotify of the state directory (the triggered service's state file),
//! its control socket and a signalfd. The first connection or datagram starts the service
//! through the same transaction machinery as `systemctl start` (in a thread, so `stop` and
//! the service's request for the descriptors are answered meanwhile); the service's
//! supervisor fetches the descriptors with [`Request::Fds`] (`SCM_RIGHTS`). While the
//! service runs the socket is `running` and does not watch its descriptors; when the
//! service is at rest again it is `listening` again — the descriptors stay open across
//! service restarts and close only when the socket stops.

use super::accept::Connections;
use super::config::SocketConfig;
use super::listen::{self, Opened};
use super::record::{self, SocketRecord};
use crate::manager::runtime::runtime_state;
use crate::manager::transaction::plan_start;
use crate::scope::Scope;
use crate::state::lock::AliveLock;
use crate::state::{ActiveState, StateDir, SubState, UnitPaths, UnitResult, UnitState};
use crate::supervisor::control::ControlServer;
use crate::supervisor::light;
use crate::supervisor::output::Output;
use crate::supervisor::protocol::{LaunchArgs, Reply, Request, StartOutcome};
use crate::time::DualTimestamp;
use crate::unit::{Unit, UnitName, UnitStore};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::signalfd::SignalFd;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub(super) const INFO: u8 = 6;
pub(super) const WARNING: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Listening,
    Running,
    Dead,
}

pub(super) struct SocketSupervisor {
    pub(super) name: String,
    unit: Unit,
    pub(super) scope: Scope,
    pub(super) dir: StateDir,
    paths: UnitPaths,
    pub(super) config: SocketConfig,
    state: UnitState,
    pub(super) record: SocketRecord,
    pub(super) listeners: Vec<Opened>,
    phase: Phase,
    pub(super) output: Output,
    control: ControlServer,
    signal_fd: SignalFd,
    inotify: Inotify,
    /// The state file name of the triggered service, as inotify reports it.
    trigger_file: String,
    /// The start job in flight: its thread reports here and wakes us through the pipe.
    job: Option<light::StartJob>,
    /// Recent triggers, for `TriggerLimitIntervalSec=`/`TriggerLimitBurst=`.
    triggers: light::TriggerLimit,
    /// `Accept=yes`: the instances started per connection.
    pub(super) connections: Connections,
    report: Option<OwnedFd>,
    stop_waiters: Vec<u64>,
    stop_requested: bool,
    _alive: AliveLock,
}

/// The supervisor of `launch.unit`, a socket; the exit code of the process.
pub fn main(launch: &LaunchArgs, report: Option<OwnedFd>) -> i32 {
    light::main(launch, report, setup, |mut s| s.run())
}

fn setup(loaded: light::Loaded, report: &mut Option<OwnedFd>) -> Result<SocketSupervisor, String> {
    let light::Loaded {
        scope,
        dir,
        paths,
        alive,
        store,
        unit,
    } = loaded;
    let name = unit.id.to_string();
    let (config, diagnostics) = SocketConfig::from_unit(&unit, &scope);
    for d in &diagnostics {
        log::warn!("{d}");
    }
    if !config.accept {
        if store.load_loaded(&config.service).is_none() {
            return Err(format!(
                "Socket service {} not loaded, refusing.",
                config.service
            ));
        }
        let state = runtime_state(&dir, &config.service);
        if !state.active_state.is_inactive_or_failed() {
            return Err(format!(
                "Socket service {} already active, refusing.",
                config.service
            ));
        }
    }
    let (signal_fd, control) = light::signals_and_control(&scope, &paths)?;
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .map_err(|e| format!("Failed to create an inotify instance: {e}"))?;
    inotify
        .add_watch(
            &dir.units_dir(),
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_CREATE,
        )
        .map_err(|e| format!("Failed to watch the state directory: {e}"))?;
    let trigger_file = dir
        .unit_paths(&config.service)
        .state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = Output::new(&dir, &name, false, INFO)
        .map_err(|e| format!("Failed to open the journal: {e}"))?;
    let state = UnitState::read(&paths.state);
    let triggers = light::TriggerLimit::new(config.trigger_limit_interval, config.trigger_burst());
    Ok(SocketSupervisor {
        name: name.clone(),
        unit,
        scope,
        dir,
        paths,
        config,
        state,
        record: SocketRecord::default(),
        listeners: Vec::new(),
        phase: Phase::Dead,
        output,
        control,
        signal_fd,
        inotify,
        trigger_file,
        job: None,
        triggers,
        connections: Connections::default(),
        report: report.take(),
        stop_waiters: Vec::new(),
        stop_requested: false,
        _alive: alive,
    })
}

impl SocketSupervisor {
    fn run(&mut self) {
        self.start();
        while self.phase != Phase::Dead && !self.stop_requested {
            self.step();
        }
        if self.phase != Phase::Dead {
            self.enter_dead(UnitResult::Success);
        }
        self.finish();
    }

    fn status_name(&self) -> String {
        light::status_name(&self.unit, &self.scope)
    }

    /// `socket_start()` → `socket_enter_listening()`.
    fn start(&mut self) {
        self.state.invocation_id = crate::supervisor::start::new_invocation_id();
        self.output.invocation_id = self.state.invocation_id.clone();
        self.state.result = UnitResult::Success;
        self.state.supervisor_pid = std::process::id();
        self.state.main_pid = 0;
        self.state.control_pid = 0;
        self.record = SocketRecord::default();
        match listen::open_all(&self.config, &self.scope.root) {
            Ok(listeners) => self.listeners = listeners,
            Err(e) => {
                self.output
                    .manager(WARNING, &format!("{}: {}", self.name, e.0));
                self.output.manager(
                    WARNING,
                    &format!("{}: Failed to listen on sockets: {}", self.name, tail(&e.0)),
                );
                self.enter_dead(UnitResult::Resources);
                let text = format!("Failed to listen on {}.", self.status_name());
                self.output.manager(WARNING, &text);
                light::send(
                    &mut self.report,
                    &StartOutcome::Failed {
                        result: UnitResult::Resources.as_str().into(),
                    },
                );
                return;
            }
        }
        self.set_phase(Phase::Listening);
        let text = format!("Listening on {}.", self.status_name());
        self.output.manager(INFO, &text);
        light::send(&mut self.report, &StartOutcome::Started);
        // A service started before us (by hand) is already running.
        self.trigger_notify();
    }

    pub(super) fn save(&mut self) {
        if let Err(e) = record::write(&self.paths.state, &self.state, &self.record) {
            log::warn!("{}: {e}", self.name);
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
        let (active, sub) = match phase {
            Phase::Listening => (ActiveState::Active, SubState::Listening),
            Phase::Running => (ActiveState::Active, SubState::Running),
            Phase::Dead if self.state.result == UnitResult::Success => {
                (ActiveState::Inactive, SubState::Dead)
            }
            Phase::Dead => (ActiveState::Failed, SubState::Failed),
        };
        if (active, sub) != (self.state.active_state, self.state.sub_state) {
            self.state.set_state(active, sub, DualTimestamp::now());
        }
        self.save();
    }

    fn enter_dead(&mut self, result: UnitResult) {
        if self.state.result == UnitResult::Success {
            self.state.result = result;
        }
        self.listeners.clear();
        if self.config.remove_on_stop {
            listen::remove(&self.config, &self.scope.root);
        }
        if self.state.result == UnitResult::Success {
            self.output
                .manager(INFO, &format!("{}: Deactivated successfully.", self.name));
        } else {
            self.output.manager(
                WARNING,
                &format!(
                    "{}: Failed with result '{}'.",
                    self.name,
                    self.state.result.as_str()
                ),
            );
        }
        self.set_phase(Phase::Dead);
    }

    /// The trigger limit of 252 (`TriggerLimitIntervalSec=`, `TriggerLimitBurst=`):
    /// false once the burst is used up within the interval.
    pub(super) fn trigger_allowed(&mut self) -> bool {
        if self.triggers.allow() {
            return true;
        }
        self.output.manager(
            WARNING,
            &format!(
                "{}: Trigger limit hit, refusing further activation.",
                self.name
            ),
        );
        self.enter_dead(UnitResult::TriggerLimitHit);
        false
    }

    /// `socket_enter_running()` of an `Accept=no` socket: queue the service's start.
    fn enter_running(&mut self) {
        if self.stop_requested || self.job.is_some() || !self.trigger_allowed() {
            return;
        }
        let store = UnitStore::new(self.scope.clone());
        let tx = match UnitName::parse(&self.config.service)
            .map_err(|e| e.to_string())
            .and_then(|n| plan_start(&store, &[n]).map_err(|e| e.to_string()))
        {
            Ok(tx) => tx,
            Err(e) => {
                log::warn!("Failed to queue service startup job: {e}");
                self.enter_dead(UnitResult::Resources);
                return;
            }
        };
        match light::StartJob::spawn(&self.scope, &self.dir, tx, None) {
            Ok(job) => self.job = Some(job),
            Err(e) => {
                log::warn!("Failed to queue service startup job: {e}");
                self.enter_dead(UnitResult::Resources);
                return;
            }
        }
        self.set_phase(Phase::Running);
    }

    fn job_finished(&mut self) {
        let Some(job) = self.job.take() else {
            return;
        };
        let result = job.result();
        if !result.is_success() {
            log::debug!(
                "{}: start job of {} ended: {result:?}",
                self.name,
                self.config.service
            );
        }
        self.trigger_notify();
    }

    /// `socket_trigger_notify()`: the service changed its state.
    fn trigger_notify(&mut self) {
        if self.config.accept || self.job.is_some() || self.phase == Phase::Dead {
            return;
        }
        let service = runtime_state(&self.dir, &self.config.service);
        if service.active_state.is_inactive_or_failed() {
            if service.result == UnitResult::StartLimitHit {
                self.enter_dead(UnitResult::ServiceStartLimitHit);
                return;
            }
            if self.phase != Phase::Listening {
                self.set_phase(Phase::Listening);
            }
        } else if self.phase != Phase::Running {
            self.set_phase(Phase::Running);
        }
    }

    /// One round: wait for anything and handle it.
    fn step(&mut self) {
        let mut fds: Vec<RawFd> =
            vec![self.signal_fd.as_raw_fd(), self.inotify.as_fd().as_raw_fd()];
        if let Some(job) = &self.job {
            fds.push(job.fd());
        }
        fds.extend(self.control.fds());
        let watching = self.phase == Phase::Listening && self.job.is_none();
        if watching && self.connections.may_accept(&self.config) {
            fds.extend(self.listeners.iter().map(|l| l.fd.as_raw_fd()));
        }
        fds.extend(self.connections.pipe_fds());
        for fd in light::poll_ready(&fds) {
            if self.phase == Phase::Dead {
                break;
            }
            self.handle(fd);
        }
    }

    fn handle(&mut self, fd: RawFd) {
        if fd == self.signal_fd.as_raw_fd() {
            while let Ok(Some(info)) = self.signal_fd.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGTERM | libc::SIGINT => self.stop_requested = true,
                    libc::SIGCHLD => self.connections.reap(),
                    _ => {}
                }
            }
        } else if fd == self.inotify.as_fd().as_raw_fd() {
            self.inotify_events();
        } else if self.job.as_ref().is_some_and(|job| job.fd() == fd) {
            self.job_finished();
        } else if fd == self.control.listener_fd() {
            self.control.accept();
        } else if let Some(index) = self.listeners.iter().position(|l| l.fd.as_raw_fd() == fd) {
            if self.config.accept {
                self.accept_connection(index);
            } else {
                self.enter_running();
            }
        } else if self.connections.owns(fd) {
            self.connection_job_finished(fd);
        } else if let Some((id, request)) = self.control.read(fd) {
            self.handle_request(id, request);
        }
    }

    fn handle_request(&mut self, id: u64, request: Request) {
        match request {
            Request::Stop => {
                self.stop_requested = true;
                self.stop_waiters.push(id);
            }
            Request::Fds { unit } if self.config.accept => match self.connections.take_fd(&unit) {
                Some(fd) => self
                    .control
                    .answer_with_fds(id, &Reply::Ok, &[fd.as_raw_fd()]),
                None => self.control.answer(
                    id,
                    &Reply::Failed {
                        result: "no-connection".into(),
                    },
                ),
            },
            Request::Fds { .. } if !self.listeners.is_empty() => {
                let fds: Vec<RawFd> = self.listeners.iter().map(|l| l.fd.as_raw_fd()).collect();
                self.control.answer_with_fds(id, &Reply::Ok, &fds);
            }
            Request::Fds { .. } => self.control.answer(
                id,
                &Reply::Failed {
                    result: "not-listening".into(),
                },
            ),
            Request::Reload => self.control.answer(
                id,
                &Reply::Failed {
                    result: "Job type reload is not applicable for unit".into(),
                },
            ),
            Request::Kill { .. } => self.control.answer(
                id,
                &Reply::Failed {
                    result: "No matching processes to kill".into(),
                },
            ),
        }
    }

    fn inotify_events(&mut self) {
        let Ok(events) = self.inotify.read_events() else {
            return;
        };
        if self.config.accept {
            self.connections_changed();
            return;
        }
        let trigger = events.iter().any(|e| {
            e.name
                .as_ref()
                .is_some_and(|n| n.to_string_lossy() == self.trigger_file)
        });
        if trigger {
            self.trigger_notify();
        }
    }

    fn finish(&mut self) {
        if self.state.result == UnitResult::Success {
            let text = format!("Closed {}.", self.status_name());
            self.output.manager(INFO, &text);
        }
        self.state.supervisor_pid = 0;
        self.save();
        for id in std::mem::take(&mut self.stop_waiters) {
            self.control.answer(id, &Reply::Ok);
        }
        let _ = self.paths.control.remove_stale();
        self.control.drain(Duration::from_millis(200));
    }
}

/// The `%m` part of "Failed to create listening socket (…): %m".
fn tail(message: &str) -> &str {
    message.rsplit_once("): ").map_or(message, |(_, t)| t)
}

//! The supervisor process: setup (scope, unit, locks, sockets, signals, pipes), the
//! lifecycle loop (start, supervise, stop, restart), and the safety net for panics.

use super::control::ControlServer;
use super::kill::{signal_all, unit_processes};
use super::launch::Launcher;
use super::notify::NotifySocket;
use super::output::Output;
use super::protocol::{LaunchArgs, Reply, StartOutcome, SUPERVISE_APPLET};
use super::service::{Notified, Supervisor, ERR};
use super::start::Activation;
use crate::service::ServiceConfig;
use crate::state::lock::AliveLock;
use crate::state::{ActiveState, StateDir, SubState, UnitResult, UnitState};
use crate::unit::{UnitName, UnitStore};
use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::fd::{OwnedFd, RawFd};
use std::path::Path;

/// `unitbox __supervise --scope=… [--root=…] [--report-fd=N] [--restart] UNIT`.
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<OsString> = match args.first() {
        Some(first)
            if Path::new(first)
                .file_name()
                .is_some_and(|n| n == SUPERVISE_APPLET) =>
        {
            args[1..].to_vec()
        }
        _ => args,
    };
    let Some(launch) = LaunchArgs::parse(&args) else {
        eprintln!("unitbox {SUPERVISE_APPLET}: invalid arguments (this is an internal command)");
        return 2;
    };
    let report = launch.report_fd.and_then(take_report_fd);
    if launch.unit.ends_with(".timer") {
        return crate::timer::supervise::main(&launch, report);
    }
    if launch.unit.ends_with(".path") {
        return crate::path_unit::supervise::main(&launch, report);
    }
    if launch.unit.ends_with(".socket") {
        return crate::socket::supervise::main(&launch, report);
    }
    match setup(&launch, report) {
        Ok(Setup::Ready(supervisor)) => run_guarded(*supervisor),
        Ok(Setup::AlreadyRunning) => 0,
        Err(failure) => {
            eprintln!(
                "unitbox {SUPERVISE_APPLET}: {}: {}",
                launch.unit, failure.message
            );
            if let Some(fd) = failure.report {
                let _ = File::from(fd).write_all(
                    StartOutcome::Failed {
                        result: UnitResult::Resources.as_str().into(),
                    }
                    .encode()
                    .as_bytes(),
                );
            }
            1
        }
    }
}

/// Adopts the inherited report pipe, close-on-exec so no service inherits it.
fn take_report_fd(fd: RawFd) -> Option<OwnedFd> {
    if fd < 3 {
        return None;
    }
    // SAFETY: the launcher handed this descriptor to us alone.
    unsafe { crate::sys::adopt_fd(fd) }
}

struct SetupFailure {
    message: String,
    report: Option<OwnedFd>,
}

enum Setup {
    Ready(Box<Supervisor>),
    AlreadyRunning,
}

fn setup(launch: &LaunchArgs, report: Option<OwnedFd>) -> Result<Setup, SetupFailure> {
    let mut report = report;
    macro_rules! fail {
        ($($arg:tt)*) => {
            return Err(SetupFailure { message: format!($($arg)*), report: report.take() })
        };
    }
    let scope = super::light::launch_scope(launch);
    let state_dir = match StateDir::for_scope(&scope) {
        Ok(d) => d,
        Err(e) => fail!("{e}"),
    };
    let paths = state_dir.unit_paths(&launch.unit);
    let alive = match AliveLock::acquire(&paths.alive) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            // Another supervisor has the unit: report what it is doing.
            let state = UnitState::read(&paths.state);
            let outcome = if state.active_state.is_active_or_reloading() {
                StartOutcome::Started
            } else {
                StartOutcome::Failed {
                    result: UnitResult::Resources.as_str().into(),
                }
            };
            if let Some(fd) = report.take() {
                let _ = File::from(fd).write_all(outcome.encode().as_bytes());
            }
            return Ok(Setup::AlreadyRunning);
        }
        Err(e) => fail!("{e}"),
    };
    super::output::divert_logger(&state_dir, &launch.unit);
    let name = match UnitName::parse(&launch.unit) {
        Ok(n) => n,
        Err(e) => fail!("{e}"),
    };
    let store = UnitStore::new(scope.clone());
    let unit = store.load(&name);
    if !unit.is_loaded() {
        let why = unit
            .load_error
            .clone()
            .unwrap_or_else(|| unit.load_state.as_str().into());
        fail!("Unit {} is not loaded: {why}", launch.unit);
    }
    for diagnostic in &unit.diagnostics {
        log::warn!("{diagnostic}");
    }
    let (config, warnings) = ServiceConfig::from_unit(&unit, &scope);
    if let Some(bad) = config.invalid.first() {
        fail!("Unit {} has a bad setting: {}", launch.unit, bad.message);
    }
    for w in &warnings.0 {
        log::warn!("{}:{}: {}", w.file.display(), w.line, w.message);
    }

    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        fail!(
            "Failed to become a child subreaper: {}",
            std::io::Error::from(e)
        );
    }
    let signal_fd = match super::light::blocked_signals() {
        Ok(fd) => fd,
        Err(e) => fail!("{e}"),
    };

    let owner = (!scope.is_system()).then_some((scope.identity.uid, scope.identity.gid));
    let control = match ControlServer::bind(&paths.control, owner) {
        Ok(c) => c,
        Err(e) => fail!("Failed to listen on the control socket: {e}"),
    };
    let mut launcher = Launcher::for_unit(&scope, &config, &launch.unit);
    let wants_notify = config.service_type.is_notify()
        || config.notify_access != crate::service::types::NotifyAccess::None;
    let notify_socket = if wants_notify {
        match NotifySocket::bind(&paths.notify) {
            Ok(s) => {
                launcher.notify_socket =
                    Some(paths.notify.to_env_value().to_string_lossy().into_owned());
                Some(s)
            }
            Err(e) => fail!("Failed to listen on the notify socket: {e}"),
        }
    } else {
        None
    };
    launcher.watchdog_usec = config.watchdog;
    launcher.listen_fds = crate::socket::activation::collect(&store, &state_dir, &unit);
    launcher.inherit_stdio = launch.inherit_stdio;

    let output = match Output::new(
        &state_dir,
        &launch.unit,
        config.exec.syslog_level_prefix,
        config.exec.syslog_level,
    ) {
        Ok(o) => o,
        Err(e) => fail!("Failed to create the output pipes: {e}"),
    };

    let mut state = UnitState::read(&paths.state);
    if !launch.restart {
        state.n_restarts = 0;
    }
    state.result = UnitResult::Success;
    state.main_pid = 0;
    state.control_pid = 0;
    state.supervisor_pid = std::process::id();
    let watchdog_usec = config.watchdog;
    let supervisor = Supervisor {
        unit,
        name: launch.unit.clone(),
        scope,
        config,
        state_path: paths.state.clone(),
        state,
        report: report.take(),
        reported: false,
        launcher,
        output,
        control,
        notify_socket,
        signal_fd,
        main_pid: None,
        main_pidfd: None,
        control_pid: None,
        exits: HashMap::new(),
        notified: Notified::default(),
        watchdog_deadline: None,
        watchdog_usec,
        extended_until: None,
        stop_requested: false,
        stop_waiters: Vec::new(),
        reload_queue: VecDeque::new(),
        start_canceled: false,
        skipped: None,
        last_main_status: None,
        restarting: false,
        alive: Some(alive),
        socket_paths: [paths.control, paths.notify],
    };
    Ok(Setup::Ready(Box::new(supervisor)))
}

/// Runs the lifecycle; a panic must not leave the unit's processes unsupervised with a
/// state that claims they run: kill them, record the failure, answer everyone.
fn run_guarded(mut supervisor: Supervisor) -> i32 {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| supervisor.lifecycle()));
    if result.is_err() {
        let pids = unit_processes();
        signal_all(&pids, libc::SIGKILL);
        supervisor.log(
            ERR,
            "Supervisor failed unexpectedly; killed the unit's processes.",
        );
        supervisor.main_pid = None;
        supervisor.control_pid = None;
        supervisor.state.result = UnitResult::Resources;
        supervisor.set(ActiveState::Failed, SubState::Failed);
        supervisor.finish();
        return 1;
    }
    supervisor.finish();
    0
}

impl Supervisor {
    /// Start, supervise, stop, and restart as `Restart=` says, until the unit rests.
    fn lifecycle(&mut self) {
        loop {
            if let Activation::Running = self.activate() {
                self.supervise();
            }
            // Processes left behind by a unit at rest (KillMode=process) are not ours to keep.
            if !self.restarting || self.stop_requested {
                break;
            }
            if !self.wait_restart() {
                break;
            }
            self.state.n_restarts += 1;
            self.unit_log(
                super::service::INFO,
                &format!(
                    "Scheduled restart job, restart counter is at {}.",
                    self.state.n_restarts
                ),
            );
            self.save();
        }
        // RemainAfterExit=yes with nothing running still needs us for `stop`.
    }

    /// Answers whoever waits, leaves the state without us, closes the sockets.
    fn finish(&mut self) {
        while let Some(id) = self.reload_queue.pop_front() {
            self.control.answer(
                id,
                &Reply::Failed {
                    result: "not-active".into(),
                },
            );
        }
        if !self.reported {
            let outcome = StartOutcome::Failed {
                result: self.state.result.as_str().into(),
            };
            self.send_report(&outcome);
        }
        self.state.supervisor_pid = 0;
        self.save();
        self.output.close_all();
        self.launcher.release_dynamic_user();
        crate::manager::transient::collect_at_rest(
            &self.scope,
            &self.unit,
            &self.state,
            &self.state_path,
        );
        // Stop waiters are answered once the unit is at rest and collected.
        for id in std::mem::take(&mut self.stop_waiters) {
            self.control.answer(id, &Reply::Ok);
        }
        for socket in &self.socket_paths {
            let _ = socket.remove_stale();
        }
        self.control.drain(std::time::Duration::from_millis(500));
        self.alive = None;
    }
}

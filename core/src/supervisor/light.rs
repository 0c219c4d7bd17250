//! What the light supervisors share (timers, sockets, paths: no children of their own to
//! reap as a subreaper): the scope from the launch arguments, owning and loading the unit,
//! the blocked signals with their signalfd, the unit's control socket, the start report,
//! the start job in a thread, and the poll of one round.

use super::control::ControlServer;
use super::protocol::{LaunchArgs, Reply, Request, StartOutcome};
use crate::manager::executor::{Executor, JobResult};
use crate::manager::transaction::Transaction;
use crate::root::Root;
use crate::scope::{Scope, ScopeKind};
use crate::state::lock::AliveLock;
use crate::state::{StateDir, UnitPaths, UnitResult};
use crate::unit::{Unit, UnitName, UnitStore};
use crate::users::Identity;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::mpsc;

/// The scope a supervisor was launched for.
pub fn launch_scope(launch: &LaunchArgs) -> Scope {
    let root = launch
        .root
        .as_ref()
        .map(Root::new)
        .unwrap_or_else(Root::host);
    let env = |k: &str| std::env::var(k).ok();
    let identity = match launch.scope {
        ScopeKind::System => Identity::root_user(),
        _ => Identity::current(&root, &env),
    };
    Scope::new(launch.scope.clone(), root, identity, &env)
}

/// Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP into a signalfd, and ignores SIGPIPE
/// (answers to clients that left must not kill us; children reset it).
pub fn blocked_signals() -> Result<SignalFd, String> {
    let mut mask = SigSet::empty();
    for sig in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ] {
        mask.add(sig);
    }
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None)
        .map_err(|e| format!("Failed to block signals: {e}"))?;
    crate::sys::ignore_signal(Signal::SIGPIPE);
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| format!("Failed to create a signalfd: {e}"))
}

/// [`blocked_signals`], and the unit's control socket (owned by the scope's user in a
/// user scope).
pub fn signals_and_control(
    scope: &Scope,
    paths: &UnitPaths,
) -> Result<(SignalFd, ControlServer), String> {
    let signal_fd = blocked_signals()?;
    let owner = (!scope.is_system()).then_some((scope.identity.uid, scope.identity.gid));
    let control = ControlServer::bind(&paths.control, owner)
        .map_err(|e| format!("Failed to listen on the control socket: {e}"))?;
    Ok((signal_fd, control))
}

/// Writes the start report, once (a `--no-block` launch has no pipe).
pub fn send(report: &mut Option<OwnedFd>, outcome: &StartOutcome) {
    if let Some(fd) = report.take() {
        let _ = File::from(fd).write_all(outcome.encode().as_bytes());
    }
}

/// The process of a light supervisor: [`load`], then `setup` (which gets the start report
/// to hand on), then `run`; the exit code.
pub fn main<S>(
    launch: &LaunchArgs,
    report: Option<OwnedFd>,
    setup: impl FnOnce(Loaded, &mut Option<OwnedFd>) -> Result<S, String>,
    run: impl FnOnce(S),
) -> i32 {
    let mut report = report;
    let prepared = load(launch, &mut report)
        .and_then(|loaded| loaded.map(|l| setup(l, &mut report)).transpose());
    match prepared {
        Ok(Some(supervisor)) => {
            run(supervisor);
            0
        }
        Ok(None) => 0,
        Err(message) => setup_failed(&launch.unit, &message, &mut report),
    }
}

/// A setup that failed: said on stderr and in the journal, reported as `resources`; the
/// exit code of the process.
pub fn setup_failed(unit: &str, message: &str, report: &mut Option<OwnedFd>) -> i32 {
    eprintln!("unitbox: {unit}: {message}");
    log::warn!("{message}");
    send(
        report,
        &StartOutcome::Failed {
            result: UnitResult::Resources.as_str().into(),
        },
    );
    1
}

/// What every light supervisor has once it owns its unit.
pub struct Loaded {
    pub scope: Scope,
    pub dir: StateDir,
    pub paths: UnitPaths,
    pub alive: AliveLock,
    pub store: UnitStore,
    pub unit: Unit,
}

/// Takes the unit's `.alive` lock (`None`: another supervisor has it, the unit is started
/// and that is reported), diverts the logger into the unit's journal, loads the unit.
pub fn load(launch: &LaunchArgs, report: &mut Option<OwnedFd>) -> Result<Option<Loaded>, String> {
    let scope = launch_scope(launch);
    let dir = StateDir::for_scope(&scope).map_err(|e| e.to_string())?;
    let paths = dir.unit_paths(&launch.unit);
    let Some(alive) = AliveLock::acquire(&paths.alive).map_err(|e| e.to_string())? else {
        send(report, &StartOutcome::Started);
        return Ok(None);
    };
    super::output::divert_logger(&dir, &launch.unit);
    let name = UnitName::parse(&launch.unit).map_err(|e| e.to_string())?;
    let store = UnitStore::new(scope.clone());
    let unit = store.load(&name);
    if !unit.is_loaded() {
        return Err(format!(
            "Unit {} is not loaded: {}",
            launch.unit,
            unit.load_error.clone().unwrap_or_default()
        ));
    }
    Ok(Some(Loaded {
        scope,
        dir,
        paths,
        alive,
        store,
        unit,
    }))
}

/// How 252's job messages name a unit: `tick.timer - Tick`, or just the name.
pub fn status_name(unit: &Unit, scope: &Scope) -> String {
    let description = unit.display_description(scope);
    if description == unit.id.as_str() {
        description
    } else {
        format!("{} - {description}", unit.id)
    }
}

/// A start transaction running in a thread (as a queued job of systemd runs while the
/// manager stays responsive); its pipe's read end wakes the supervisor's loop.
pub struct StartJob {
    receiver: mpsc::Receiver<JobResult>,
    pipe: File,
}

impl StartJob {
    /// Starts `tx`; the result is that of `unit`, or the first failure when `None`.
    pub fn spawn(
        scope: &Scope,
        dir: &StateDir,
        tx: Transaction,
        unit: Option<String>,
    ) -> std::io::Result<StartJob> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (sender, receiver) = mpsc::channel();
        let scope = scope.clone();
        let dir = dir.clone();
        std::thread::Builder::new()
            .name("start-job".into())
            .spawn(move || {
                let store = UnitStore::new(scope);
                let executor = Executor::new(&store, dir, false);
                let results = executor.start(&tx);
                let result = match unit {
                    Some(u) => results.get(&u).cloned(),
                    None => results.into_values().find(|r| !r.is_success()),
                };
                let _ = sender.send(result.unwrap_or(JobResult::Done));
                let _ = File::from(write).write_all(b"1");
            })?;
        Ok(StartJob {
            receiver,
            pipe: File::from(read),
        })
    }

    pub fn fd(&self) -> RawFd {
        self.pipe.as_raw_fd()
    }

    /// The job's result, once its pipe is readable.
    pub fn result(self) -> JobResult {
        self.receiver.recv().unwrap_or(JobResult::Failed {
            result: "resources".into(),
        })
    }
}

/// One `poll` for input on `fds`, forever; the descriptors that are ready.
pub fn poll_ready(fds: &[RawFd]) -> Vec<RawFd> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    if crate::sys::poll(&mut polled, -1).unwrap_or(0) == 0 {
        return Vec::new();
    }
    polled
        .iter()
        .filter(|p| p.revents != 0)
        .map(|p| p.fd)
        .collect()
}

/// What a unit without processes answers to a control request: `true` for `stop` (the
/// caller stops and answers once at rest); `reload`, `kill` and `fds` fail at once.
pub fn answer_request(control: &mut ControlServer, id: u64, request: &Request) -> bool {
    let result = match request {
        Request::Stop => return true,
        Request::Reload => "Job type reload is not applicable for unit",
        Request::Kill { .. } => "No matching processes to kill",
        Request::Fds { .. } => "not-a-socket",
    };
    control.answer(
        id,
        &Reply::Failed {
            result: result.into(),
        },
    );
    false
}

/// `TriggerLimitIntervalSec=`/`TriggerLimitBurst=`: at most `burst` triggers per interval
/// (0 for either: no limit).
pub struct TriggerLimit {
    interval: std::time::Duration,
    burst: usize,
    recent: std::collections::VecDeque<std::time::Instant>,
}

impl TriggerLimit {
    pub fn new(interval_usec: u64, burst: u32) -> TriggerLimit {
        TriggerLimit {
            interval: std::time::Duration::from_micros(interval_usec),
            burst: burst as usize,
            recent: Default::default(),
        }
    }

    /// Counts a trigger; false once the burst is used up within the interval.
    pub fn allow(&mut self) -> bool {
        if self.interval.is_zero() || self.burst == 0 {
            return true;
        }
        let now = std::time::Instant::now();
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.interval)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.burst {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

//! A started path unit's supervisor: one process per active `.path` unit that sleeps in
//! `poll` on inotify (every ancestor of each path, and the path itself with the mask of
//! its kind, as 252's `path_spec_watch()`), the state directory (the triggered unit's
//! state file), its control socket and a signalfd. States are 252's: `waiting`, `running`
//! (the unit was started and is not at rest yet: no watches), `dead`/`failed`. When the
//! unit comes to rest the watches are armed anew and the conditions checked again
//! (`path_trigger_notify()` → `path_enter_waiting()`), so a second change after the
//! service ended triggers again.

use super::config::{PathConfig, PathKind, PathSpec};
use crate::manager::runtime::runtime_state;
use crate::manager::transaction::plan_start;
use crate::scope::Scope;
use crate::state::lock::AliveLock;
use crate::state::{ActiveState, StateDir, SubState, UnitPaths, UnitResult, UnitState};
use crate::supervisor::control::ControlServer;
use crate::supervisor::light::{self, StartJob};
use crate::supervisor::output::Output;
use crate::supervisor::protocol::{LaunchArgs, Reply, StartOutcome};
use crate::time::DualTimestamp;
use crate::unit::{Unit, UnitName, UnitStore};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use nix::sys::signalfd::SignalFd;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

const INFO: u8 = 6;
const WARNING: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Running,
    Dead,
}

struct Watched {
    spec: PathSpec,
    /// The watch on the path itself, if it exists.
    primary: Option<WatchDescriptor>,
    /// For PathChanged=/PathModified=: whether the path existed at the last check.
    previous_exists: bool,
}

struct PathSupervisor {
    name: String,
    unit: Unit,
    scope: Scope,
    dir: StateDir,
    paths: UnitPaths,
    config: PathConfig,
    state: UnitState,
    specs: Vec<Watched>,
    /// The path watches; a new instance on every arming (dropping one unwatches all).
    watches: Option<Inotify>,
    /// The state directory watch.
    units: Inotify,
    trigger_file: String,
    phase: Phase,
    output: Output,
    control: ControlServer,
    signal_fd: SignalFd,
    job: Option<StartJob>,
    triggers: light::TriggerLimit,
    report: Option<OwnedFd>,
    stop_waiters: Vec<u64>,
    stop_requested: bool,
    _alive: AliveLock,
}

/// The supervisor of `launch.unit`, a path unit; the exit code of the process.
pub fn main(launch: &LaunchArgs, report: Option<OwnedFd>) -> i32 {
    light::main(launch, report, setup, |mut s| s.run())
}

fn setup(loaded: light::Loaded, report: &mut Option<OwnedFd>) -> Result<PathSupervisor, String> {
    let light::Loaded {
        scope,
        dir,
        paths,
        alive,
        store,
        unit,
    } = loaded;
    let name = unit.id.to_string();
    let (config, diagnostics) = PathConfig::from_unit(&unit, &scope);
    for d in &diagnostics {
        log::warn!("{d}");
    }
    if store.load_loaded(&config.unit).is_none() {
        return Err(format!(
            "Refusing to start, unit {} to trigger not loaded.",
            config.unit
        ));
    }
    let (signal_fd, control) = light::signals_and_control(&scope, &paths)?;
    let units = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .map_err(|e| format!("Failed to create an inotify instance: {e}"))?;
    units
        .add_watch(
            &dir.units_dir(),
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_CREATE,
        )
        .map_err(|e| format!("Failed to watch the state directory: {e}"))?;
    let trigger_file = dir
        .unit_paths(&config.unit)
        .state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = Output::new(&dir, &name, false, INFO)
        .map_err(|e| format!("Failed to open the journal: {e}"))?;
    let state = UnitState::read(&paths.state);
    let specs = config
        .specs
        .iter()
        .map(|s| Watched {
            spec: s.clone(),
            primary: None,
            previous_exists: false,
        })
        .collect();
    let triggers =
        light::TriggerLimit::new(config.trigger_limit_interval, config.trigger_limit_burst);
    Ok(PathSupervisor {
        name,
        unit,
        scope,
        dir,
        paths,
        config,
        state,
        specs,
        watches: None,
        units,
        trigger_file,
        phase: Phase::Dead,
        output,
        control,
        signal_fd,
        job: None,
        triggers,
        report: report.take(),
        stop_waiters: Vec::new(),
        stop_requested: false,
        _alive: alive,
    })
}

/// The inotify mask of the path itself (252's `flags_table`).
fn primary_mask(kind: PathKind) -> AddWatchFlags {
    use AddWatchFlags as F;
    let base = F::IN_DELETE_SELF | F::IN_MOVE_SELF | F::IN_ATTRIB;
    match kind {
        PathKind::Exists | PathKind::ExistsGlob | PathKind::DirectoryNotEmpty => {
            base | F::IN_CREATE | F::IN_MOVED_TO
        }
        PathKind::Changed => {
            base | F::IN_CLOSE_WRITE
                | F::IN_CREATE
                | F::IN_DELETE
                | F::IN_MOVED_FROM
                | F::IN_MOVED_TO
        }
        PathKind::Modified => {
            base | F::IN_CLOSE_WRITE
                | F::IN_CREATE
                | F::IN_DELETE
                | F::IN_MOVED_FROM
                | F::IN_MOVED_TO
                | F::IN_MODIFY
        }
    }
}

impl PathSupervisor {
    fn host(&self, logical: &Path) -> PathBuf {
        self.scope.root.host_path(logical)
    }

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

    /// `path_start()`: `MakeDirectory=`, then wait (or run at once).
    fn start(&mut self) {
        self.state.invocation_id = crate::supervisor::start::new_invocation_id();
        self.output.invocation_id = self.state.invocation_id.clone();
        self.state.result = UnitResult::Success;
        self.state.supervisor_pid = std::process::id();
        self.state.main_pid = 0;
        self.state.control_pid = 0;
        if self.config.make_directory {
            for spec in &self.config.specs {
                if spec.kind != PathKind::ExistsGlob {
                    use std::os::unix::fs::DirBuilderExt;
                    let _ = std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(self.config.directory_mode)
                        .create(self.host(&spec.path));
                }
            }
        }
        self.phase = Phase::Waiting;
        self.enter_waiting(true, false);
        if self.phase != Phase::Dead {
            let text = format!("Started {}.", light::status_name(&self.unit, &self.scope));
            self.output.manager(INFO, &text);
        }
        light::send(&mut self.report, &StartOutcome::Started);
    }

    fn save(&mut self) {
        if self.state.boot.is_empty() {
            self.state.boot = crate::state::boot::current_boot_id().to_string();
        }
        if let Err(e) = self.state.write(&self.paths.state) {
            log::warn!("{}: {e}", self.name);
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
        let (active, sub) = match phase {
            Phase::Waiting => (ActiveState::Active, SubState::Waiting),
            Phase::Running => (ActiveState::Active, SubState::Running),
            Phase::Dead if self.state.result == UnitResult::Success => {
                (ActiveState::Inactive, SubState::Dead)
            }
            Phase::Dead => (ActiveState::Failed, SubState::Failed),
        };
        if phase != Phase::Waiting {
            self.watches = None;
        }
        if (active, sub) != (self.state.active_state, self.state.sub_state) {
            self.state.set_state(active, sub, DualTimestamp::now());
        }
        self.save();
    }

    /// `path_spec_check_good()` of every spec: the first path that holds.
    fn check_good(&mut self, initial: bool, from_trigger_notify: bool) -> Option<PathBuf> {
        let root = self.scope.root.clone();
        let mut good = None;
        for w in &mut self.specs {
            let logical = w.spec.path.to_string_lossy().into_owned();
            let holds = match w.spec.kind {
                PathKind::Exists => root.host_path(&w.spec.path).exists(),
                PathKind::ExistsGlob => crate::condition::glob::glob_exists(&root, &logical),
                PathKind::DirectoryNotEmpty => {
                    crate::condition::paths::directory_not_empty(&root, &logical)
                }
                PathKind::Changed | PathKind::Modified => {
                    let exists = root.host_path(&w.spec.path).exists();
                    let flipped = exists != w.previous_exists;
                    w.previous_exists = exists;
                    !initial && !from_trigger_notify && flipped
                }
            };
            if holds && good.is_none() {
                good = Some(w.spec.path.clone());
            }
        }
        good
    }

    /// `path_spec_watch()` for every spec, on a fresh inotify instance.
    fn arm(&mut self) {
        let inotify = match Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) {
            Ok(i) => i,
            Err(e) => {
                log::warn!("Failed to create an inotify instance: {e}");
                self.watches = None;
                return;
            }
        };
        let root = self.scope.root.clone();
        for w in &mut self.specs {
            let parents = AddWatchFlags::IN_MOVE_SELF
                | AddWatchFlags::IN_DELETE_SELF
                | AddWatchFlags::IN_CREATE
                | AddWatchFlags::IN_MOVED_TO;
            let full = root.host_path(&w.spec.path);
            let mut ancestors: Vec<&Path> = full.ancestors().skip(1).collect();
            ancestors.reverse();
            for dir in ancestors {
                let _ = inotify.add_watch(dir, parents);
            }
            w.primary = inotify.add_watch(&full, primary_mask(w.spec.kind)).ok();
        }
        self.watches = Some(inotify);
    }

    /// `path_enter_waiting()`: run if a path holds, else watch (and check once more, for
    /// what happened while the watches were being set up).
    fn enter_waiting(&mut self, initial: bool, from_trigger_notify: bool) {
        if let Some(path) = self.check_good(initial, from_trigger_notify) {
            self.enter_running(&path);
            return;
        }
        self.arm();
        if let Some(path) = self.check_good(initial, from_trigger_notify) {
            self.enter_running(&path);
            return;
        }
        self.set_phase(Phase::Waiting);
    }

    fn trigger_allowed(&mut self) -> bool {
        if self.triggers.allow() {
            return true;
        }
        let text = format!(
            "{}: Trigger limit hit, refusing further activation.",
            self.name
        );
        self.output.manager(WARNING, &text);
        self.enter_dead(UnitResult::TriggerLimitHit);
        false
    }

    /// `path_enter_running()`: start the unit, stop watching.
    fn enter_running(&mut self, path: &Path) {
        if self.stop_requested || !self.trigger_allowed() {
            return;
        }
        log::debug!("{}: {} triggered", self.name, path.display());
        let store = UnitStore::new(self.scope.clone());
        let tx = UnitName::parse(&self.config.unit)
            .map_err(|e| e.to_string())
            .and_then(|n| plan_start(&store, &[n]).map_err(|e| e.to_string()));
        let job = tx.and_then(|tx| {
            StartJob::spawn(&self.scope, &self.dir, tx, Some(self.config.unit.clone()))
                .map_err(|e| e.to_string())
        });
        match job {
            Ok(job) => self.job = Some(job),
            Err(e) => {
                log::warn!("Failed to queue unit startup job: {e}");
                self.enter_dead(UnitResult::Resources);
                return;
            }
        }
        self.set_phase(Phase::Running);
    }

    fn enter_dead(&mut self, result: UnitResult) {
        if self.state.result == UnitResult::Success {
            self.state.result = result;
        }
        let text = if self.state.result == UnitResult::Success {
            format!("{}: Deactivated successfully.", self.name)
        } else {
            format!(
                "{}: Failed with result '{}'.",
                self.name,
                self.state.result.as_str()
            )
        };
        let level = if self.state.result == UnitResult::Success {
            INFO
        } else {
            WARNING
        };
        self.output.manager(level, &text);
        self.set_phase(Phase::Dead);
    }

    /// `path_trigger_notify()`.
    fn trigger_notify(&mut self) {
        if self.job.is_some() || self.phase == Phase::Dead {
            return;
        }
        let unit = runtime_state(&self.dir, &self.config.unit);
        let at_rest = unit.active_state.is_inactive_or_failed();
        if self.phase == Phase::Running && at_rest {
            self.enter_waiting(false, true);
        } else if self.phase == Phase::Waiting && !at_rest {
            self.set_phase(Phase::Running);
        }
    }

    /// Events on the path watches: a change of a `PathChanged=`/`PathModified=` path
    /// runs at once, anything else is a reason to check and watch anew.
    fn path_events(&mut self) {
        let Some(inotify) = &self.watches else {
            return;
        };
        let Ok(events) = inotify.read_events() else {
            return;
        };
        let changed = self.specs.iter().find(|w| {
            w.spec.kind.is_event()
                && w.primary
                    .is_some_and(|wd| events.iter().any(|e| e.wd == wd))
        });
        if let Some(w) = changed {
            let path = w.spec.path.clone();
            for w in &mut self.specs {
                w.previous_exists = self.scope.root.host_path(&w.spec.path).exists();
            }
            self.enter_running(&path);
        } else {
            self.enter_waiting(false, false);
        }
    }

    fn step(&mut self) {
        let mut fds: Vec<RawFd> = vec![self.signal_fd.as_raw_fd(), self.units.as_fd().as_raw_fd()];
        if let Some(w) = &self.watches {
            fds.push(w.as_fd().as_raw_fd());
        }
        if let Some(job) = &self.job {
            fds.push(job.fd());
        }
        fds.extend(self.control.fds());
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
                if matches!(info.ssi_signo as i32, libc::SIGTERM | libc::SIGINT) {
                    self.stop_requested = true;
                }
            }
        } else if fd == self.units.as_fd().as_raw_fd() {
            let ours = self.units.read_events().is_ok_and(|events| {
                events.iter().any(|e| {
                    e.name
                        .as_ref()
                        .is_some_and(|n| n.to_string_lossy() == self.trigger_file)
                })
            });
            if ours {
                self.trigger_notify();
            }
        } else if self
            .watches
            .as_ref()
            .is_some_and(|w| w.as_fd().as_raw_fd() == fd)
        {
            self.path_events();
        } else if self.job.as_ref().is_some_and(|j| j.fd() == fd) {
            if let Some(job) = self.job.take() {
                let result = job.result();
                if !result.is_success() {
                    log::debug!(
                        "{}: start of {} ended: {result:?}",
                        self.name,
                        self.config.unit
                    );
                }
            }
            self.trigger_notify();
        } else if fd == self.control.listener_fd() {
            self.control.accept();
        } else if let Some((id, request)) = self.control.read(fd) {
            if light::answer_request(&mut self.control, id, &request) {
                self.stop_requested = true;
                self.stop_waiters.push(id);
            }
        }
    }

    fn finish(&mut self) {
        if self.state.result == UnitResult::Success {
            let text = format!("Stopped {}.", light::status_name(&self.unit, &self.scope));
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

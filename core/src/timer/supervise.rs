//! A started timer's supervisor (see ARCHITECTURE.md, "Timers"): one process per active
//! timer that sleeps in `poll` until its elapse — a timerfd on CLOCK_MONOTONIC and one on
//! CLOCK_REALTIME (`TFD_TIMER_CANCEL_ON_SET`: setting the clock wakes it to recompute),
//! an inotify watch on the state directory (the triggered unit's state changes, for
//! `OnUnitActiveSec=`/`OnUnitInactiveSec=` and for leaving the `running` state) and on
//! `/etc/localtime` (time zone changes), its control socket and a signalfd. Nothing
//! wakes it in between. At the elapse it starts the unit through the same transaction
//! machinery as `systemctl start` (in a thread, as a queued job of systemd runs while the
//! manager stays responsive), records `LastTriggerUSec=` and the `Persistent=` stamp.
//!
//! The states are 252's: `waiting`, `running` (the triggered unit is not at rest yet),
//! `elapsed` (nothing left to wait for; the supervisor stays only if values on the unit's
//! state may come back), `dead`/`failed`.

use super::config::{TimerBase, TimerConfig};
use super::record::{self, TimerRecord};
use super::schedule::{self, Context, Plan, ValueState};
use crate::manager::runtime::runtime_state;
use crate::manager::transaction::plan_start;
use crate::scope::Scope;
use crate::state::boot::{current_boot_id, BootRecord};
use crate::state::lock::AliveLock;
use crate::state::{ActiveState, StateDir, SubState, UnitPaths, UnitResult, UnitState};
use crate::supervisor::control::ControlServer;
use crate::supervisor::light;
use crate::supervisor::output::Output;
use crate::supervisor::protocol::{LaunchArgs, Reply, StartOutcome};
use crate::time::{format_timestamp, DualTimestamp, TimeZone};
use crate::unit::{Unit, UnitName, UnitStore};
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::signalfd::SignalFd;
use nix::sys::time::TimeSpec;
use nix::sys::timer::{Expiration, TimerSetTimeFlags};
use nix::sys::timerfd::{ClockId, TimerFd, TimerFlags};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

const INFO: u8 = 6;
const WARNING: u8 = 4;
/// `/proc/PID/stat` counts in USER_HZ, which is 100 on every Linux architecture.
const USER_HZ: u64 = 100;
/// Armed on the realtime timerfd when no calendar value waits, so a clock change still
/// wakes us (`TFD_TIMER_CANCEL_ON_SET` needs an armed absolute timer): year 2200.
const FAR_FUTURE_S: i64 = 7_258_118_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Running,
    Elapsed,
    Dead,
}

struct TimerSupervisor {
    name: String,
    unit: Unit,
    scope: Scope,
    dir: StateDir,
    paths: UnitPaths,
    config: TimerConfig,
    state: UnitState,
    record: TimerRecord,
    values: Vec<ValueState>,
    phase: Phase,
    zone: TimeZone,
    perturb: u64,
    startup_monotonic: u64,
    stamp: Option<PathBuf>,
    output: Output,
    control: ControlServer,
    signal_fd: SignalFd,
    monotonic_fd: TimerFd,
    realtime_fd: TimerFd,
    inotify: Inotify,
    /// The state file name of the triggered unit and our own, as inotify reports them.
    trigger_file: String,
    /// The start job in flight: its thread reports here and wakes us through the pipe.
    job: Option<light::StartJob>,
    report: Option<OwnedFd>,
    stop_waiters: Vec<u64>,
    stop_requested: bool,
    /// Elapsed for good (`RemainAfterElapse=yes`, no value on the unit's state): the
    /// state says `elapsed` without us.
    at_rest: bool,
    _alive: AliveLock,
}

/// The supervisor of `launch.unit`, a timer; the exit code of the process.
pub fn main(launch: &LaunchArgs, report: Option<OwnedFd>) -> i32 {
    light::main(launch, report, setup, |mut s| s.run())
}

fn setup(loaded: light::Loaded, report: &mut Option<OwnedFd>) -> Result<TimerSupervisor, String> {
    let light::Loaded {
        scope,
        dir,
        paths,
        alive,
        store,
        unit,
    } = loaded;
    let name = unit.id.to_string();
    let (config, diagnostics) = TimerConfig::from_unit(&unit, &scope);
    for d in &diagnostics {
        log::warn!("{d}");
    }
    let trigger = store.load_loaded(&config.unit);
    if trigger.is_none() {
        return Err(format!(
            "Refusing to start, unit {} to trigger not loaded.",
            config.unit
        ));
    }
    let (signal_fd, control) = light::signals_and_control(&scope, &paths)?;
    let timerfd = |clock| {
        TimerFd::new(clock, TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC)
            .map_err(|e| format!("Failed to create a timerfd: {e}"))
    };
    let monotonic_fd = timerfd(ClockId::CLOCK_MONOTONIC)?;
    let realtime_fd = timerfd(ClockId::CLOCK_REALTIME)?;
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .map_err(|e| format!("Failed to create an inotify instance: {e}"))?;
    let changes = AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE;
    inotify
        .add_watch(&dir.units_dir(), changes)
        .map_err(|e| format!("Failed to watch the state directory: {e}"))?;
    if config.has_calendar() || config.on_timezone_change {
        // A missing /etc only means no zone changes to see.
        let _ = inotify.add_watch("/etc", changes);
    }
    let trigger_file = file_name(&dir.unit_paths(&config.unit));
    let output = Output::new(&dir, &name, false, INFO)
        .map_err(|e| format!("Failed to open the journal: {e}"))?;
    let stamp = config
        .persistent
        .then(|| scope.root.host_path(&record::stamp_path(&scope, &name)));
    if config.wake_system {
        log::warn!(
            "WakeSystem=yes has no effect in a container: the timer cannot wake the machine from suspend."
        );
    }
    let startup_monotonic = BootRecord::current()
        .pid1_start
        .map_or(0, |ticks| ticks * (1_000_000 / USER_HZ));
    let values = vec![ValueState::default(); config.values.len()];
    let state = UnitState::read(&paths.state);
    Ok(TimerSupervisor {
        name: name.clone(),
        unit,
        scope,
        dir,
        paths,
        config,
        state,
        record: TimerRecord::default(),
        values,
        phase: Phase::Dead,
        zone: current_zone(),
        perturb: schedule::perturbation(current_boot_id()),
        startup_monotonic,
        stamp,
        output,
        control,
        signal_fd,
        monotonic_fd,
        realtime_fd,
        inotify,
        trigger_file,
        job: None,
        report: report.take(),
        stop_waiters: Vec::new(),
        stop_requested: false,
        at_rest: false,
        _alive: alive,
    })
}

fn file_name(paths: &UnitPaths) -> String {
    paths
        .state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The local zone as it is now (the process-wide one is read once).
fn current_zone() -> TimeZone {
    TimeZone::from_tz_env(
        std::env::var("TZ").ok().as_deref(),
        std::path::Path::new(crate::time::tz::ZONEINFO),
    )
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let ok = File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .is_ok();
    if ok {
        u64::from_le_bytes(bytes)
    } else {
        crate::time::now_realtime_us() ^ crate::time::now_monotonic_us().rotate_left(32)
    }
}

fn timespec(us: u64) -> TimeSpec {
    TimeSpec::new((us / 1_000_000) as i64, ((us % 1_000_000) * 1000) as i64)
}

impl TimerSupervisor {
    fn run(&mut self) {
        self.start();
        while self.phase != Phase::Dead && !self.stop_requested && !self.at_rest {
            self.step();
        }
        if self.phase != Phase::Dead && !self.at_rest {
            self.enter_dead(UnitResult::Success);
            let text = format!("Stopped {}.", self.status_name());
            self.output.manager(INFO, &text);
        }
        self.finish();
    }

    /// `timer_start()`: the stamp's time as the last trigger, then wait.
    fn start(&mut self) {
        self.record = TimerRecord::default();
        self.state.invocation_id = crate::supervisor::start::new_invocation_id();
        self.output.invocation_id = self.state.invocation_id.clone();
        if let Some(stamp) = &self.stamp {
            match record::read_stamp(stamp) {
                Some(at) if at < crate::time::now_realtime_us() => {
                    self.record.last_trigger.realtime = at;
                }
                Some(at) => log::warn!(
                    "Not using persistent file timestamp {} as it is in the future.",
                    format_timestamp(at, &self.zone)
                ),
                None => {
                    if let Err(e) = record::touch_stamp(stamp, None) {
                        log::warn!("{}: {e}", stamp.display());
                    }
                }
            }
        }
        self.state.result = UnitResult::Success;
        self.state.supervisor_pid = std::process::id();
        self.state.main_pid = 0;
        self.state.control_pid = 0;
        let now = DualTimestamp::now();
        self.state
            .set_state(ActiveState::Active, SubState::Waiting, now);
        self.phase = Phase::Waiting;
        self.enter_waiting(false);
        if self.phase != Phase::Dead {
            let text = format!("Started {}.", self.status_name());
            self.output.manager(INFO, &text);
        }
        light::send(&mut self.report, &StartOutcome::Started);
    }

    fn status_name(&self) -> String {
        light::status_name(&self.unit, &self.scope)
    }

    fn save(&mut self) {
        self.record.value_elapses = self.values.iter().map(|v| v.next_elapse).collect();
        if let Err(e) = record::write(&self.paths.state, &self.state, &self.record) {
            log::warn!("{}: {e}", self.name);
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
        let (active, sub) = match phase {
            Phase::Waiting => (ActiveState::Active, SubState::Waiting),
            Phase::Running => (ActiveState::Active, SubState::Running),
            Phase::Elapsed => (ActiveState::Active, SubState::Elapsed),
            Phase::Dead if self.state.result == UnitResult::Success => {
                (ActiveState::Inactive, SubState::Dead)
            }
            Phase::Dead => (ActiveState::Failed, SubState::Failed),
        };
        if phase != Phase::Waiting {
            self.record.next_elapse_realtime = 0;
            self.record.next_elapse_monotonic = 0;
            self.disarm();
        }
        if (active, sub) != (self.state.active_state, self.state.sub_state) {
            self.state.set_state(active, sub, DualTimestamp::now());
        }
        self.save();
    }

    fn disarm(&self) {
        let _ = self.monotonic_fd.unset();
        let _ = self.realtime_fd.unset();
    }

    fn context(&self, time_change: bool) -> Context {
        let trigger = runtime_state(&self.dir, &self.config.unit);
        let active = self.state.active_state.is_active_or_reloading();
        Context {
            now: DualTimestamp::now(),
            startup_monotonic: self.startup_monotonic,
            in_container: true,
            active_since: active.then_some(self.state.inactive_exit),
            last_trigger: self.record.last_trigger,
            unit_inactive_exit: trigger.inactive_exit.monotonic,
            unit_inactive_enter: trigger.inactive_enter.monotonic,
            time_change,
        }
    }

    /// `timer_enter_waiting()`: computes the next elapse and arms the timerfds.
    fn enter_waiting(&mut self, time_change: bool) {
        let ctx = self.context(time_change);
        match schedule::next_elapse(&self.config, &mut self.values, &ctx, &self.zone) {
            Plan::Elapsed { leave_around } => {
                if self.config.remain_after_elapse || leave_around {
                    self.at_rest = !leave_around && self.job.is_none();
                    self.set_phase(Phase::Elapsed);
                } else {
                    self.enter_dead(UnitResult::Success);
                }
            }
            Plan::Waiting {
                realtime,
                monotonic,
            } => {
                let offset = |c: &TimerConfig, name: &str| {
                    if c.fixed_random_delay {
                        let machine = crate::host::RootFacts {
                            root: &self.scope.root,
                        }
                        .machine_id()
                        .unwrap_or_default();
                        schedule::fixed_delay_hash(
                            &machine,
                            self.scope.is_system(),
                            self.scope.identity.uid,
                            name,
                        )
                    } else {
                        random_u64()
                    }
                };
                let monotonic = monotonic.map(|m| {
                    schedule::add_random_delay(&self.config, m, offset(&self.config, &self.name))
                });
                let realtime = realtime.map(|r| {
                    schedule::add_random_delay(&self.config, r, offset(&self.config, &self.name))
                });
                self.record.next_elapse_monotonic = monotonic.unwrap_or(0);
                self.record.next_elapse_realtime = realtime.unwrap_or(0);
                self.arm(monotonic, realtime);
                self.set_phase(Phase::Waiting);
            }
        }
    }

    fn arm(&mut self, monotonic: Option<u64>, realtime: Option<u64>) {
        let accuracy = self.config.accuracy;
        let abs = TimerSetTimeFlags::TFD_TIMER_ABSTIME;
        let _ = self.monotonic_fd.unset();
        if let Some(m) = monotonic {
            // A zero expiration would disarm: the earliest real moment instead.
            let at = schedule::wake_time(m, accuracy, self.perturb).max(1);
            if let Err(e) = self
                .monotonic_fd
                .set(Expiration::OneShot(timespec(at)), abs)
            {
                log::warn!("Failed to arm the monotonic timer: {e}");
            }
        }
        let at = realtime.map_or(timespec(FAR_FUTURE_S as u64 * 1_000_000), |r| {
            timespec(schedule::wake_time(r, accuracy, self.perturb).max(1))
        });
        let flags = abs | TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET;
        if let Err(e) = self.realtime_fd.set(Expiration::OneShot(at), flags) {
            log::warn!("Failed to arm the realtime timer: {e}");
        }
    }

    fn enter_dead(&mut self, result: UnitResult) {
        if self.state.result == UnitResult::Success {
            self.state.result = result;
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

    /// `timer_enter_running()`: queue the start of the unit, remember the trigger.
    fn enter_running(&mut self) {
        if self.stop_requested {
            return;
        }
        let store = UnitStore::new(self.scope.clone());
        let tx = match UnitName::parse(&self.config.unit)
            .map_err(|e| e.to_string())
            .and_then(|n| plan_start(&store, &[n]).map_err(|e| e.to_string()))
        {
            Ok(tx) => tx,
            Err(e) => {
                log::warn!("Failed to queue unit startup job: {e}");
                self.enter_dead(UnitResult::Resources);
                return;
            }
        };
        self.record.last_trigger = DualTimestamp::now();
        if let Some(stamp) = &self.stamp {
            if let Err(e) = record::touch_stamp(stamp, Some(self.record.last_trigger.realtime)) {
                log::warn!("{}: {e}", stamp.display());
            }
        }
        match light::StartJob::spawn(&self.scope, &self.dir, tx, Some(self.config.unit.clone())) {
            Ok(job) => self.job = Some(job),
            Err(e) => {
                log::warn!("Failed to queue unit startup job: {e}");
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
                self.config.unit
            );
        }
        self.trigger_notify();
    }

    /// `timer_trigger_notify()`: the triggered unit changed its state.
    fn trigger_notify(&mut self) {
        for (value, state) in self.config.values.iter().zip(self.values.iter_mut()) {
            if matches!(value.base, TimerBase::UnitActive | TimerBase::UnitInactive) {
                state.disabled = false;
            }
        }
        match self.phase {
            Phase::Waiting | Phase::Elapsed => self.enter_waiting(false),
            Phase::Running if self.job.is_none() => {
                let trigger = runtime_state(&self.dir, &self.config.unit);
                if trigger.active_state.is_inactive_or_failed() {
                    self.enter_waiting(false);
                }
            }
            _ => {}
        }
    }

    /// The clock was set: `timer_time_change()`.
    fn time_change(&mut self) {
        if self.phase != Phase::Waiting {
            // Still re-arm the realtime timer so the next change is seen too.
            if self.phase == Phase::Running || self.phase == Phase::Elapsed {
                self.arm_far_future();
            }
            return;
        }
        let now = crate::time::now_realtime_us();
        if self.record.last_trigger.realtime > now {
            self.record.last_trigger.realtime = now;
        }
        if self.config.on_clock_change {
            self.enter_running();
        } else {
            self.enter_waiting(true);
        }
    }

    fn arm_far_future(&self) {
        let flags =
            TimerSetTimeFlags::TFD_TIMER_ABSTIME | TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET;
        let _ = self
            .realtime_fd
            .set(Expiration::OneShot(TimeSpec::new(FAR_FUTURE_S, 0)), flags);
    }

    fn timezone_change(&mut self) {
        self.zone = current_zone();
        if self.phase != Phase::Waiting {
            return;
        }
        if self.config.on_timezone_change {
            self.enter_running();
        } else {
            self.enter_waiting(false);
        }
    }

    /// One round: wait for anything and handle it.
    fn step(&mut self) {
        let mut fds: Vec<RawFd> = vec![
            self.signal_fd.as_raw_fd(),
            self.monotonic_fd.as_fd().as_raw_fd(),
            self.realtime_fd.as_fd().as_raw_fd(),
            self.inotify.as_fd().as_raw_fd(),
        ];
        if let Some(job) = &self.job {
            fds.push(job.fd());
        }
        fds.extend(self.control.fds());
        for fd in light::poll_ready(&fds) {
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
        } else if fd == self.monotonic_fd.as_fd().as_raw_fd() {
            if read_timerfd(fd).is_ok() && self.phase == Phase::Waiting {
                self.enter_running();
            }
        } else if fd == self.realtime_fd.as_fd().as_raw_fd() {
            match read_timerfd(fd) {
                Err(Errno::ECANCELED) => self.time_change(),
                Ok(()) if self.phase == Phase::Waiting && self.record.next_elapse_realtime > 0 => {
                    self.enter_running()
                }
                Ok(()) if self.record.next_elapse_realtime == 0 => self.arm_far_future(),
                _ => {}
            }
        } else if fd == self.inotify.as_fd().as_raw_fd() {
            self.inotify_events();
        } else if self.job.as_ref().is_some_and(|job| job.fd() == fd) {
            self.job_finished();
        } else if fd == self.control.listener_fd() {
            self.control.accept();
        } else if let Some((id, request)) = self.control.read(fd) {
            if light::answer_request(&mut self.control, id, &request) {
                self.stop_requested = true;
                self.stop_waiters.push(id);
            }
        }
    }

    fn inotify_events(&mut self) {
        let Ok(events) = self.inotify.read_events() else {
            return;
        };
        let mut trigger = false;
        let mut zone = false;
        for event in events {
            let name = event
                .name
                .as_ref()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == self.trigger_file {
                trigger = true;
            } else if name == "localtime" {
                zone = true;
            }
        }
        if zone {
            self.timezone_change();
        }
        if trigger {
            self.trigger_notify();
        }
    }

    fn finish(&mut self) {
        self.state.supervisor_pid = 0;
        self.save();
        // A transient timer (systemd-run --on-*) at rest goes, and then its service.
        crate::manager::transient::collect_at_rest(
            &self.scope,
            &self.unit,
            &self.state,
            &self.paths.state,
        );
        crate::manager::transient::collect(&self.scope, &self.dir, &self.config.unit);
        for id in std::mem::take(&mut self.stop_waiters) {
            self.control.answer(id, &Reply::Ok);
        }
        let _ = self.paths.control.remove_stale();
        self.control.drain(std::time::Duration::from_millis(200));
    }
}

fn read_timerfd(fd: RawFd) -> Result<(), Errno> {
    let mut buf = [0u8; 8];
    nix::unistd::read(fd, &mut buf).map(drop)
}

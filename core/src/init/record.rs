//! The init record: `<state dir>/init.state`, written by a unitbox running as init (PID 1,
//! or `systemctl init` as a child subreaper). It tells other processes — a `systemctl`
//! started with `docker exec`, `is-system-running`, `halt` — that the init of this
//! container is unitbox, which process it is, and in which phase it is.
//!
//! A record only counts while the process it names is alive with the recorded start time
//! (`/proc/PID/stat` field 22), so a leftover file or a reused pid is never taken for a
//! running init.

use crate::state::boot::parse_stat_start_time;
use crate::state::dir::write_atomic;
use crate::state::{ActiveState, StateDir};
use std::path::{Path, PathBuf};

pub const RECORD_FILE: &str = "init.state";
pub const CONTROL_SOCKET: &str = "init.ctl";

/// What the init is doing, as `is-system-running` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Set up, nothing started yet.
    Initializing,
    /// The boot transaction runs.
    Starting,
    /// Boot is done; services run.
    Running,
    /// Shutting down.
    Stopping,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Initializing => "initializing",
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Stopping => "stopping",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        [
            Phase::Initializing,
            Phase::Starting,
            Phase::Running,
            Phase::Stopping,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitRecord {
    /// The init's pid, as seen in its own PID namespace (1 when it is PID 1).
    pub pid: u32,
    /// Its start time in clock ticks after boot; `None` if `/proc` did not tell.
    pub start_time: Option<u64>,
    pub phase: Phase,
    /// Whether the init copies service output to its stdout (`UNITBOX_CONSOLE`), so that
    /// supervisors started by other processes (`docker exec systemctl start …`) copy
    /// theirs there too.
    pub console: bool,
}

impl InitRecord {
    /// The record of the calling process in `phase`.
    pub fn of_self(phase: Phase, console: bool) -> InitRecord {
        let pid = std::process::id();
        InitRecord {
            pid,
            start_time: start_time_of(Path::new("/proc/self/stat")),
            phase,
            console,
        }
    }

    pub fn to_text(&self) -> String {
        let start = self.start_time.map(|s| s.to_string()).unwrap_or_default();
        format!(
            "Pid={}\nStartTime={start}\nPhase={}\nConsole={}\n",
            self.pid,
            self.phase.as_str(),
            if self.console { "yes" } else { "no" }
        )
    }

    pub fn parse(text: &str) -> Option<InitRecord> {
        let (mut pid, mut start_time, mut phase) = (None, None, None);
        let mut console = false;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("Pid", v)) => pid = v.parse().ok().filter(|&p: &u32| p > 0),
                Some(("StartTime", "")) => {}
                Some(("StartTime", v)) => start_time = Some(v.parse().ok()?),
                Some(("Phase", v)) => phase = Phase::parse(v),
                Some(("Console", v)) => console = v == "yes",
                _ => {}
            }
        }
        Some(InitRecord {
            pid: pid?,
            start_time,
            phase: phase?,
            console,
        })
    }

    /// Whether the scope's init is a live PID 1 (of this PID namespace) that wants the
    /// output of every service on its stdout: then `/proc/1/fd/1` is `docker logs`.
    pub fn pid1_wants_console(dir: &StateDir) -> bool {
        Self::read_live(dir).is_some_and(|r| r.pid == 1 && r.console)
    }

    pub fn path(dir: &StateDir) -> PathBuf {
        dir.path().join(RECORD_FILE)
    }

    pub fn write(&self, dir: &StateDir) -> crate::Result<()> {
        write_atomic(&Self::path(dir), self.to_text().as_bytes())
    }

    /// The record in `dir`, if its process is alive (a stale file or a reused pid is not).
    pub fn read_live(dir: &StateDir) -> Option<InitRecord> {
        let record = Self::parse(&std::fs::read_to_string(Self::path(dir)).ok()?)?;
        record.is_live(Path::new("/proc")).then_some(record)
    }

    /// Whether the recorded process still runs (and is the same process).
    pub fn is_live(&self, proc: &Path) -> bool {
        let stat = proc.join(self.pid.to_string()).join("stat");
        match (std::fs::read_to_string(&stat), self.start_time) {
            (Err(_), _) => false,
            (Ok(text), Some(start)) => parse_stat_start_time(&text) == Some(start),
            (Ok(_), None) => true,
        }
    }
}

fn start_time_of(stat: &Path) -> Option<u64> {
    parse_stat_start_time(&std::fs::read_to_string(stat).ok()?)
}

/// `is-system-running`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemState {
    Initializing,
    Starting,
    Running,
    Degraded,
    Stopping,
    /// No unitbox init runs for this scope.
    Offline,
}

impl SystemState {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemState::Initializing => "initializing",
            SystemState::Starting => "starting",
            SystemState::Running => "running",
            SystemState::Degraded => "degraded",
            SystemState::Stopping => "stopping",
            SystemState::Offline => "offline",
        }
    }

    /// systemctl's exit code: 0 only for `running`.
    pub fn exit_code(self) -> i32 {
        if self == SystemState::Running {
            0
        } else {
            1
        }
    }

    /// Combines the init's phase with whether any unit has failed (systemd: a running
    /// manager with failed units is `degraded`).
    pub fn from_phase(phase: Phase, any_failed: bool) -> SystemState {
        match phase {
            Phase::Initializing => SystemState::Initializing,
            Phase::Starting => SystemState::Starting,
            Phase::Running if any_failed => SystemState::Degraded,
            Phase::Running => SystemState::Running,
            Phase::Stopping => SystemState::Stopping,
        }
    }
}

/// The system state of the scope whose state directory is `dir` (`None`: there is none).
pub fn system_state(dir: Option<&StateDir>) -> SystemState {
    let Some(dir) = dir else {
        return SystemState::Offline;
    };
    let Some(record) = InitRecord::read_live(dir) else {
        return SystemState::Offline;
    };
    let any_failed = record.phase == Phase::Running
        && dir.units_with_state().iter().any(|u| {
            crate::manager::runtime::runtime_state(dir, u).active_state == ActiveState::Failed
        });
    SystemState::from_phase(record.phase, any_failed)
}

/// `is-system-running --wait`: the state once the boot is over (252 waits for the
/// manager's `StartupFinished`). A client polls the init record; the init is not woken.
pub fn wait_for_startup(dir: &StateDir) -> SystemState {
    loop {
        let state = system_state(Some(dir));
        if !matches!(state, SystemState::Initializing | SystemState::Starting) {
            return state;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let r = InitRecord {
            pid: 1,
            start_time: Some(4711),
            phase: Phase::Running,
            console: true,
        };
        assert_eq!(InitRecord::parse(&r.to_text()), Some(r));
        let old = InitRecord::parse("Pid=1\nStartTime=\nPhase=running\n").unwrap();
        assert!(!old.console, "a record without Console= has no copy");
        assert_eq!(InitRecord::parse("Pid=0\nPhase=running\n"), None);
        assert_eq!(InitRecord::parse("Pid=1\nPhase=dancing\n"), None);
        assert_eq!(InitRecord::parse("garbage"), None);
    }

    #[test]
    fn a_record_lives_only_with_its_process() {
        let own = InitRecord::of_self(Phase::Starting, false);
        assert!(own.is_live(Path::new("/proc")));
        let reused = InitRecord {
            start_time: own.start_time.map(|s| s + 1),
            ..own.clone()
        };
        assert!(!reused.is_live(Path::new("/proc")));
        let gone = InitRecord {
            pid: u32::MAX - 1,
            ..own
        };
        assert!(!gone.is_live(Path::new("/proc")));
    }

    #[test]
    fn system_state_follows_phase_and_failures() {
        assert_eq!(
            SystemState::from_phase(Phase::Running, true),
            SystemState::Degraded
        );
        assert_eq!(
            SystemState::from_phase(Phase::Running, false).exit_code(),
            0
        );
        assert_eq!(
            SystemState::from_phase(Phase::Starting, false).exit_code(),
            1
        );
        assert_eq!(system_state(None), SystemState::Offline);
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(
            tmp.path().to_path_buf(),
            crate::state::boot::BootRecord::current(),
        )
        .unwrap();
        assert_eq!(system_state(Some(&dir)), SystemState::Offline);
        InitRecord::of_self(Phase::Running, false)
            .write(&dir)
            .unwrap();
        assert_eq!(system_state(Some(&dir)), SystemState::Running);
    }
}

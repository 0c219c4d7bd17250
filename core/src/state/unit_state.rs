//! A unit's runtime state: the properties `systemctl show` prints that no unit file can
//! tell (ActiveState, MainPID, timestamps, …), plus what the supervisor needs to survive its
//! own restarts (start-limit history, its pid).
//!
//! On disk it is `units/NAME.state`: `Key=Value` lines named like systemd's properties, with
//! raw values (timestamps as µs integers; systemctl formats them), written atomically and read
//! tolerantly: unknown keys are ignored (newer writers), a bad value resets only its field,
//! a file that is not `Key=Value` text at all reads as the default state. Each problem is
//! logged as a warning; reading never fails and never panics.

use crate::state::boot::current_boot_id;
use crate::state::dir::write_atomic;
use crate::state::escape::{escape_str, unescape};
pub use crate::state::words::{ActiveState, ExitCode, SubState, UnitResult};
use crate::time::DualTimestamp;
use crate::Result;
use std::fmt::Write as _;
use std::path::Path;

/// One finished or running process of the unit other than the main one (ExecStartPre=, …),
/// for the `Process:` lines of `systemctl status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecProcess {
    /// The setting it came from, e.g. `ExecStartPre`.
    pub kind: String,
    pub pid: u32,
    pub code: ExitCode,
    pub status: i32,
    pub start: DualTimestamp,
    pub exit: DualTimestamp,
    /// The command line as written in the unit (for display only).
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitState {
    pub active_state: ActiveState,
    pub sub_state: SubState,
    pub result: UnitResult,
    pub main_pid: u32,
    pub control_pid: u32,
    pub exec_main_pid: u32,
    pub exec_main_code: ExitCode,
    pub exec_main_status: i32,
    pub exec_main_start: DualTimestamp,
    pub exec_main_exit: DualTimestamp,
    pub active_enter: DualTimestamp,
    pub active_exit: DualTimestamp,
    pub inactive_enter: DualTimestamp,
    pub inactive_exit: DualTimestamp,
    pub state_change: DualTimestamp,
    pub n_restarts: u32,
    pub status_text: String,
    pub status_errno: i32,
    /// 32 hex digits; empty before the first activation.
    pub invocation_id: String,
    /// The supervisor process, 0 if none: a state claiming to run with a dead supervisor is
    /// a crash (see [`UnitState::effective`]). A supervisor that exits on purpose leaving
    /// the unit active (`RemainAfterExit=yes`) clears it first.
    pub supervisor_pid: u32,
    /// CLOCK_MONOTONIC µs of recent starts, oldest first, for StartLimitBurst=.
    pub start_limit_history: Vec<u64>,
    /// The boot id the state was written in; state of another boot reads as default.
    pub boot: String,
    pub processes: Vec<ExecProcess>,
    /// `ConditionResult=`/`AssertResult=` of the last check; `false` before the first, as
    /// in systemd. Asserts are checked only when the conditions hold, so a skipped start
    /// leaves the assert fields of an earlier start alone.
    pub condition_result: bool,
    pub assert_result: bool,
    pub condition_timestamp: DualTimestamp,
    pub assert_timestamp: DualTimestamp,
    /// The settings the last check found not met, as written in the unit
    /// (`ConditionPathExists=!/x`), for the `Condition:`/`Assert:` lines of `status`.
    pub conditions_not_met: Vec<String>,
    pub asserts_not_met: Vec<String>,
}

impl Default for UnitState {
    fn default() -> Self {
        UnitState {
            active_state: ActiveState::Inactive,
            sub_state: SubState::Dead,
            result: UnitResult::Success,
            main_pid: 0,
            control_pid: 0,
            exec_main_pid: 0,
            exec_main_code: ExitCode::NotExited,
            exec_main_status: 0,
            exec_main_start: DualTimestamp::default(),
            exec_main_exit: DualTimestamp::default(),
            active_enter: DualTimestamp::default(),
            active_exit: DualTimestamp::default(),
            inactive_enter: DualTimestamp::default(),
            inactive_exit: DualTimestamp::default(),
            state_change: DualTimestamp::default(),
            n_restarts: 0,
            status_text: String::new(),
            status_errno: 0,
            invocation_id: String::new(),
            supervisor_pid: 0,
            start_limit_history: Vec::new(),
            boot: String::new(),
            processes: Vec::new(),
            condition_result: false,
            assert_result: false,
            condition_timestamp: DualTimestamp::default(),
            assert_timestamp: DualTimestamp::default(),
            conditions_not_met: Vec::new(),
            asserts_not_met: Vec::new(),
        }
    }
}

/// The timestamp properties (each also with a `…Monotonic` twin).
pub const TIMESTAMP_PROPERTIES: &[&str] = &[
    "ExecMainStartTimestamp",
    "ExecMainExitTimestamp",
    "StateChangeTimestamp",
    "InactiveExitTimestamp",
    "ActiveEnterTimestamp",
    "ActiveExitTimestamp",
    "InactiveEnterTimestamp",
    "ConditionTimestamp",
    "AssertTimestamp",
];

impl UnitState {
    /// A timestamp by its property name (one of [`TIMESTAMP_PROPERTIES`]).
    pub fn timestamp(&self, property: &str) -> Option<DualTimestamp> {
        Some(match property {
            "ExecMainStartTimestamp" => self.exec_main_start,
            "ExecMainExitTimestamp" => self.exec_main_exit,
            "StateChangeTimestamp" => self.state_change,
            "InactiveExitTimestamp" => self.inactive_exit,
            "ActiveEnterTimestamp" => self.active_enter,
            "ActiveExitTimestamp" => self.active_exit,
            "InactiveEnterTimestamp" => self.inactive_enter,
            "ConditionTimestamp" => self.condition_timestamp,
            "AssertTimestamp" => self.assert_timestamp,
            _ => return None,
        })
    }

    fn timestamp_mut(&mut self, property: &str) -> Option<&mut DualTimestamp> {
        Some(match property {
            "ExecMainStartTimestamp" => &mut self.exec_main_start,
            "ExecMainExitTimestamp" => &mut self.exec_main_exit,
            "StateChangeTimestamp" => &mut self.state_change,
            "InactiveExitTimestamp" => &mut self.inactive_exit,
            "ActiveEnterTimestamp" => &mut self.active_enter,
            "ActiveExitTimestamp" => &mut self.active_exit,
            "InactiveEnterTimestamp" => &mut self.inactive_enter,
            "ConditionTimestamp" => &mut self.condition_timestamp,
            "AssertTimestamp" => &mut self.assert_timestamp,
            _ => return None,
        })
    }

    /// Moves to a new state, updating the timestamps as systemd's `unit_notify()` does:
    /// StateChangeTimestamp always, the Active/Inactive Enter/Exit ones on crossing.
    pub fn set_state(&mut self, active: ActiveState, sub: SubState, now: DualTimestamp) {
        let old = self.active_state;
        self.state_change = now;
        if old.is_inactive_or_failed() && !active.is_inactive_or_failed() {
            self.inactive_exit = now;
        } else if !old.is_inactive_or_failed() && active.is_inactive_or_failed() {
            self.inactive_enter = now;
        }
        if !old.is_active_or_reloading() && active.is_active_or_reloading() {
            self.active_enter = now;
        } else if old.is_active_or_reloading() && !active.is_active_or_reloading() {
            self.active_exit = now;
        }
        self.active_state = active;
        self.sub_state = sub;
    }

    /// Records a check of the `Condition*=` settings (systemd's `unit_test_condition()`);
    /// `not_met` names the settings that failed.
    pub fn record_condition_check(&mut self, held: bool, not_met: Vec<String>, now: DualTimestamp) {
        self.condition_result = held;
        self.condition_timestamp = now;
        self.conditions_not_met = not_met;
    }

    /// Records a check of the `Assert*=` settings (`unit_test_assert()`).
    pub fn record_assert_check(&mut self, held: bool, not_met: Vec<String>, now: DualTimestamp) {
        self.assert_result = held;
        self.assert_timestamp = now;
        self.asserts_not_met = not_met;
    }

    /// The state as systemctl should report it, given whether the supervisor is alive: a
    /// unit whose supervisor died while the unit was not at rest is `failed`
    /// (Result=`resources` unless a failure was already recorded), with no processes.
    pub fn effective(&self, supervisor_alive: bool) -> UnitState {
        let mut s = self.clone();
        let at_rest = s.active_state.is_inactive_or_failed();
        if s.supervisor_pid != 0 && !supervisor_alive && !at_rest {
            s.active_state = ActiveState::Failed;
            s.sub_state = SubState::Failed;
            if s.result == UnitResult::Success {
                s.result = UnitResult::Resources;
            }
            s.main_pid = 0;
            s.control_pid = 0;
            s.supervisor_pid = 0;
        }
        s
    }

    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(1024);
        let mut line = |k: &str, v: &dyn std::fmt::Display| {
            let _ = writeln!(out, "{k}={v}");
        };
        line("ActiveState", &self.active_state);
        line("SubState", &self.sub_state);
        line("Result", &self.result);
        line("MainPID", &self.main_pid);
        line("ControlPID", &self.control_pid);
        line("ExecMainPID", &self.exec_main_pid);
        line("ExecMainCode", &self.exec_main_code.as_number());
        line("ExecMainStatus", &self.exec_main_status);
        for name in TIMESTAMP_PROPERTIES {
            let ts = self.timestamp(name).unwrap_or_default();
            line(name, &ts.realtime);
            line(&format!("{name}Monotonic"), &ts.monotonic);
        }
        line("NRestarts", &self.n_restarts);
        line("StatusText", &escape_str(&self.status_text));
        line("StatusErrno", &self.status_errno);
        line("InvocationID", &self.invocation_id);
        line("SupervisorPID", &self.supervisor_pid);
        let history: Vec<String> = self
            .start_limit_history
            .iter()
            .map(u64::to_string)
            .collect();
        line("StartLimitHistory", &history.join(" "));
        line("Boot", &self.boot);
        line("ConditionResult", &yes_no(self.condition_result));
        line("AssertResult", &yes_no(self.assert_result));
        for c in &self.conditions_not_met {
            line("ConditionNotMet", &escape_str(c));
        }
        for a in &self.asserts_not_met {
            line("AssertNotMet", &escape_str(a));
        }
        for p in &self.processes {
            line(
                "ExecProcess",
                &format!(
                    "{} {} {} {} {} {} {} {} {}",
                    p.kind,
                    p.pid,
                    p.code.as_number(),
                    p.status,
                    p.start.realtime,
                    p.start.monotonic,
                    p.exit.realtime,
                    p.exit.monotonic,
                    escape_str(&p.command)
                ),
            );
        }
        out
    }

    /// Parses a state file's text; the warnings say what was ignored.
    pub fn parse(text: &[u8]) -> (UnitState, Vec<String>) {
        let mut state = UnitState::default();
        let mut warnings = Vec::new();
        let Ok(text) = std::str::from_utf8(text) else {
            warnings.push("not UTF-8 text; using the default state".into());
            return (state, warnings);
        };
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                warnings.push(format!(
                    "line {}: not Key=Value; using the default state",
                    n + 1
                ));
                return (UnitState::default(), warnings);
            };
            if let Err(why) = state.set(key, value) {
                warnings.push(format!("line {}: {key}={value}: {why}", n + 1));
            }
        }
        (state, warnings)
    }

    fn set(&mut self, key: &str, value: &str) -> std::result::Result<(), &'static str> {
        fn num<T: std::str::FromStr>(v: &str) -> std::result::Result<T, &'static str> {
            v.parse().map_err(|_| "not a number")
        }
        fn boolean(v: &str) -> std::result::Result<bool, &'static str> {
            match v {
                "yes" => Ok(true),
                "no" => Ok(false),
                _ => Err("not yes or no"),
            }
        }
        fn text(v: &str) -> String {
            String::from_utf8_lossy(&unescape(v.as_bytes())).into()
        }
        if let Some(ts) = self.timestamp_mut(key) {
            ts.realtime = num(value)?;
            return Ok(());
        }
        if let Some(ts) = key
            .strip_suffix("Monotonic")
            .and_then(|base| self.timestamp_mut(base))
        {
            ts.monotonic = num(value)?;
            return Ok(());
        }
        match key {
            "ActiveState" => {
                self.active_state = ActiveState::parse(value).ok_or("unknown state")?
            }
            "SubState" => self.sub_state = SubState::parse(value).ok_or("unknown sub-state")?,
            "Result" => self.result = UnitResult::parse(value).ok_or("unknown result")?,
            "MainPID" => self.main_pid = num(value)?,
            "ControlPID" => self.control_pid = num(value)?,
            "ExecMainPID" => self.exec_main_pid = num(value)?,
            "ExecMainCode" => {
                self.exec_main_code = ExitCode::from_number(num(value)?).ok_or("unknown code")?
            }
            "ExecMainStatus" => self.exec_main_status = num(value)?,
            "NRestarts" => self.n_restarts = num(value)?,
            "StatusText" => self.status_text = text(value),
            "StatusErrno" => self.status_errno = num(value)?,
            "InvocationID" => {
                let valid = value.is_empty()
                    || (value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()));
                if !valid {
                    return Err("not 32 hex digits");
                }
                self.invocation_id = value.to_string();
            }
            "SupervisorPID" => self.supervisor_pid = num(value)?,
            "StartLimitHistory" => {
                self.start_limit_history = value
                    .split_whitespace()
                    .map(num)
                    .collect::<std::result::Result<_, _>>()?
            }
            "Boot" => self.boot = value.to_string(),
            "ConditionResult" => self.condition_result = boolean(value)?,
            "AssertResult" => self.assert_result = boolean(value)?,
            "ConditionNotMet" => self.conditions_not_met.push(text(value)),
            "AssertNotMet" => self.asserts_not_met.push(text(value)),
            "ExecProcess" => self
                .processes
                .push(parse_process(value).ok_or("malformed")?),
            _ => {} // A newer writer's property.
        }
        Ok(())
    }

    /// Reads a state file: missing → the default state, silently; damaged → the parts that
    /// make sense, with warnings logged; written in another boot → the default state.
    pub fn read(path: &Path) -> UnitState {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    log::warn!("{}: {e}", path.display());
                }
                return UnitState::default();
            }
        };
        let (state, warnings) = Self::parse(&data);
        for w in warnings {
            log::warn!("{}: {w}", path.display());
        }
        if !state.boot.is_empty() && state.boot != current_boot_id() {
            return UnitState::default();
        }
        state
    }

    /// Writes the state file atomically, stamped with the current boot.
    pub fn write(&self, path: &Path) -> Result<()> {
        if self.boot.is_empty() {
            let mut stamped = self.clone();
            stamped.boot = current_boot_id().to_string();
            return write_atomic(path, stamped.to_text().as_bytes());
        }
        write_atomic(path, self.to_text().as_bytes())
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn parse_process(value: &str) -> Option<ExecProcess> {
    let mut f = value.splitn(9, ' ');
    let kind = f.next()?.to_string();
    let mut n = || f.next()?.parse::<i64>().ok();
    let pid = u32::try_from(n()?).ok()?;
    let code = ExitCode::from_number(i32::try_from(n()?).ok()?)?;
    let status = i32::try_from(n()?).ok()?;
    let mut ts = || -> Option<DualTimestamp> {
        Some(DualTimestamp {
            realtime: u64::try_from(n()?).ok()?,
            monotonic: u64::try_from(n()?).ok()?,
        })
    };
    let start = ts()?;
    let exit = ts()?;
    let command = String::from_utf8_lossy(&unescape(f.next().unwrap_or("").as_bytes())).into();
    Some(ExecProcess {
        kind,
        pid,
        code,
        status,
        start,
        exit,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(n: u64) -> DualTimestamp {
        DualTimestamp {
            realtime: 1_795_291_890_000_000 + n,
            monotonic: 5_000_000 + n,
        }
    }

    fn running() -> UnitState {
        let mut s = UnitState::default();
        s.set_state(ActiveState::Activating, SubState::Start, ts(1));
        s.set_state(ActiveState::Active, SubState::Running, ts(2));
        s.main_pid = 42;
        s.exec_main_pid = 42;
        s.exec_main_start = ts(1);
        s.n_restarts = 3;
        s.status_text = "Serving\nwith \\ and ✓ and\ttab".into();
        s.status_errno = 5;
        s.invocation_id = "0123456789abcdef0123456789abcdef".into();
        s.supervisor_pid = 41;
        s.start_limit_history = vec![10, 20, 30];
        s.processes.push(ExecProcess {
            kind: "ExecStartPre".into(),
            pid: 40,
            code: ExitCode::Exited,
            status: 0,
            start: ts(0),
            exit: ts(1),
            command: "/bin/echo hello  world".into(),
        });
        s.record_condition_check(true, Vec::new(), ts(1));
        s.record_assert_check(false, vec!["AssertPathExists=!/a\nb".into()], ts(1));
        s
    }

    #[test]
    fn timestamps_follow_unit_notify() {
        let mut s = running();
        assert_eq!(s.inactive_exit, ts(1));
        assert_eq!(s.active_enter, ts(2));
        assert_eq!(s.active_exit, DualTimestamp::default());
        s.set_state(ActiveState::Reloading, SubState::Reload, ts(3));
        assert_eq!(s.active_enter, ts(2), "reloading is still active");
        s.set_state(ActiveState::Deactivating, SubState::StopSigterm, ts(4));
        assert_eq!(s.active_exit, ts(4));
        s.set_state(ActiveState::Failed, SubState::Failed, ts(5));
        assert_eq!(s.inactive_enter, ts(5));
        assert_eq!(s.state_change, ts(5));
        s.set_state(ActiveState::Inactive, SubState::Dead, ts(6));
        assert_eq!(s.inactive_enter, ts(5), "failed → inactive stays inactive");
        assert_eq!(s.state_change, ts(6));
    }

    #[test]
    fn text_round_trips() {
        let s = running();
        let text = s.to_text();
        assert!(text.contains("ActiveState=active\nSubState=running\n"));
        assert!(text.contains("ActiveEnterTimestamp=1795291890000002\n"));
        assert!(text.contains("ActiveEnterTimestampMonotonic=5000002\n"));
        assert!(text.contains("ExecMainCode=0\n"));
        assert!(text.contains("ConditionResult=yes\nAssertResult=no\n"));
        assert!(text.contains("AssertTimestampMonotonic=5000001\n"));
        assert!(text.contains("AssertNotMet=AssertPathExists=!/a\\nb\n"));
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("StatusText="))
                .count(),
            1
        );
        let (back, warnings) = UnitState::parse(text.as_bytes());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(back, s);
    }

    #[test]
    fn reading_is_tolerant() {
        let (s, w) = UnitState::parse(
            b"ActiveState=active\nFutureProperty=1\nMainPID=notanumber\nSubState=running\n",
        );
        assert_eq!(s.active_state, ActiveState::Active);
        assert_eq!(s.sub_state, SubState::Running);
        assert_eq!(s.main_pid, 0);
        assert_eq!(w.len(), 1, "only the bad value warns: {w:?}");

        let (s, w) = UnitState::parse(b"ActiveState=active\n\x00\x01garbage\xff");
        assert_eq!(s, UnitState::default());
        assert_eq!(w.len(), 1);
        let (s, w) = UnitState::parse(b"ActiveState=active\nthis is not a state file\n");
        assert_eq!(s, UnitState::default());
        assert!(!w.is_empty());
        let (s, _) = UnitState::parse(b"ExecProcess=ExecStartPre 1 9 0 0 0 0 0 x\nInvocationID=zz");
        assert!(s.processes.is_empty() && s.invocation_id.is_empty());
    }

    #[test]
    fn files_are_stamped_with_the_boot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foo.service.state");
        assert_eq!(UnitState::read(&path), UnitState::default());
        let s = running();
        s.write(&path).unwrap();
        let back = UnitState::read(&path);
        assert_eq!(back.boot, current_boot_id());
        assert_eq!(back.main_pid, 42);

        let other_boot = s.to_text().replace(current_boot_id(), "");
        let other_boot = other_boot.replace("Boot=\n", &format!("Boot={}\n", "f".repeat(32)));
        std::fs::write(&path, other_boot).unwrap();
        assert_eq!(UnitState::read(&path), UnitState::default());

        std::fs::write(&path, [0xffu8, 0, 1, 2]).unwrap();
        assert_eq!(UnitState::read(&path), UnitState::default());
    }

    #[test]
    fn a_dead_supervisor_means_failed() {
        let s = running();
        assert_eq!(s.effective(true), s);
        let crashed = s.effective(false);
        assert_eq!(crashed.active_state, ActiveState::Failed);
        assert_eq!(crashed.sub_state, SubState::Failed);
        assert_eq!(crashed.result, UnitResult::Resources);
        assert_eq!(crashed.main_pid, 0);

        let mut exited = s.clone();
        exited.sub_state = SubState::Exited;
        exited.supervisor_pid = 0;
        assert_eq!(
            exited.effective(false),
            exited,
            "RemainAfterExit= needs no supervisor"
        );
        let mut stopped = s;
        stopped.set_state(ActiveState::Inactive, SubState::Dead, ts(9));
        assert_eq!(stopped.effective(false).active_state, ActiveState::Inactive);
    }
}

//! The runtime side of a unit (ActiveState, PIDs, results, timestamps): what a supervisor
//! knows and unit files do not. Every read-only view (`show`, `status`, `list-units`,
//! `list-dependencies`) takes these values from here; they come from the unit's state file
//! in the scope's state directory, judged by whether its supervisor is still alive
//! ([`recorded_state`]). A unit without a state file is `inactive (dead)` and never ran.

use unitbox_core::manager::runtime::runtime_state;
use unitbox_core::scope::Scope;
use unitbox_core::service::config::EXEC_SETTINGS;
use unitbox_core::state::unit_state::ExecProcess;
use unitbox_core::state::{ExitCode, StateDir, UnitState};
use unitbox_core::time::DualTimestamp;
use unitbox_core::unit::Unit;

/// The last run of one `Exec*=` command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRun {
    /// Realtime µs; 0 while it never started or never exited.
    pub start: u64,
    pub exit: u64,
    pub pid: u32,
    /// `CLD_EXITED` (1), `CLD_KILLED` (2), `CLD_DUMPED` (3); 0 while it runs or never ran.
    pub code: i32,
    pub status: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeState {
    pub active_state: String,
    pub sub_state: String,
    pub result: String,
    pub main_pid: u32,
    pub control_pid: u32,
    pub exec_main_pid: u32,
    pub exec_main_code: i32,
    pub exec_main_status: i32,
    pub exec_main_start: DualTimestamp,
    pub exec_main_exit: DualTimestamp,
    pub n_restarts: u32,
    pub status_text: String,
    pub status_errno: i32,
    /// 32 hex digits, empty when the unit never ran.
    pub invocation_id: String,
    pub state_change: DualTimestamp,
    pub inactive_exit: DualTimestamp,
    pub active_enter: DualTimestamp,
    pub active_exit: DualTimestamp,
    pub inactive_enter: DualTimestamp,
    pub condition: DualTimestamp,
    pub assert: DualTimestamp,
    pub condition_result: bool,
    pub assert_result: bool,
    /// The settings the last check found not met (`ConditionPathExists=/x`).
    pub conditions_not_met: Vec<String>,
    pub asserts_not_met: Vec<String>,
    /// The processes other than the running main one, as the supervisor recorded them
    /// (`ExecStartPre`, the exited `ExecStart`, …), oldest first.
    pub processes: Vec<ExecProcess>,
}

impl Default for RuntimeState {
    fn default() -> Self {
        RuntimeState::from_state(&UnitState::default())
    }
}

/// The state file of `unit` in the scope's state directory, as systemctl must report it
/// (a dead supervisor turns a running unit into a failed one: see
/// [`runtime_state`]). The default state when there is no state directory, no file, or the
/// file is from another boot.
pub fn recorded_state(scope: &Scope, unit: &str) -> UnitState {
    let dir = match StateDir::existing(scope) {
        Ok(Some(dir)) => dir,
        Ok(None) => return UnitState::default(),
        Err(e) => {
            log::debug!("no runtime state: {e}");
            return UnitState::default();
        }
    };
    runtime_state(&dir, unit)
}

impl RuntimeState {
    /// The state of a unit in a scope.
    pub fn of(scope: &Scope, unit: &Unit) -> Self {
        RuntimeState::from_state(&recorded_state(scope, unit.id.as_str()))
    }

    pub fn from_state(s: &UnitState) -> Self {
        RuntimeState {
            active_state: s.active_state.as_str().into(),
            sub_state: s.sub_state.as_str().into(),
            result: s.result.as_str().into(),
            main_pid: s.main_pid,
            control_pid: s.control_pid,
            exec_main_pid: s.exec_main_pid,
            exec_main_code: s.exec_main_code.as_number(),
            exec_main_status: s.exec_main_status,
            exec_main_start: s.exec_main_start,
            exec_main_exit: s.exec_main_exit,
            n_restarts: s.n_restarts,
            status_text: s.status_text.clone(),
            status_errno: s.status_errno,
            invocation_id: s.invocation_id.clone(),
            state_change: s.state_change,
            inactive_exit: s.inactive_exit,
            active_enter: s.active_enter,
            active_exit: s.active_exit,
            inactive_enter: s.inactive_enter,
            condition: s.condition_timestamp,
            assert: s.assert_timestamp,
            condition_result: s.condition_result,
            assert_result: s.assert_result,
            conditions_not_met: s.conditions_not_met.clone(),
            asserts_not_met: s.asserts_not_met.clone(),
            processes: s.processes.clone(),
        }
    }

    /// The run of command line `index` of an `Exec*` property (`ExecStartPre`, …) in the
    /// last activation: the recorded processes of that kind, the newest `count` of them
    /// matched to the `count` command lines in order. `ExecStart` falls back to the main
    /// process when the supervisor recorded it only as `ExecMain*`.
    pub fn exec_run(&self, property: &str, index: usize, count: usize) -> ExecRun {
        let runs: Vec<&ExecProcess> = self
            .processes
            .iter()
            .filter(|p| p.kind == property)
            .collect();
        let last = &runs[runs.len().saturating_sub(count)..];
        if let Some(p) = last.get(index) {
            return ExecRun {
                start: p.start.realtime,
                exit: p.exit.realtime,
                pid: p.pid,
                code: p.code.as_number(),
                status: p.status,
            };
        }
        if property == "ExecStart" && runs.is_empty() && index + 1 == count {
            return self.main_run();
        }
        ExecRun::default()
    }

    /// The main process as an `ExecStart` run.
    fn main_run(&self) -> ExecRun {
        ExecRun {
            start: self.exec_main_start.realtime,
            exit: self.exec_main_exit.realtime,
            pid: self.exec_main_pid,
            code: self.exec_main_code,
            status: self.exec_main_status,
        }
    }

    /// The finished processes `status` lists as `Process:` lines, in D-Bus order (by
    /// `Exec*` property, then by run), with the main process when only `ExecMain*` has it.
    pub fn finished_processes(&self) -> Vec<ExecProcess> {
        let mut out = Vec::new();
        for kind in EXEC_SETTINGS {
            let mut of_kind: Vec<ExecProcess> = self
                .processes
                .iter()
                .filter(|p| p.kind == kind && p.code != ExitCode::NotExited)
                .cloned()
                .collect();
            if kind == "ExecStart"
                && of_kind.is_empty()
                && self.exec_main_pid != 0
                && self.exec_main_code != 0
                && !self.processes.iter().any(|p| p.kind == kind)
            {
                of_kind.push(ExecProcess {
                    kind: kind.into(),
                    pid: self.exec_main_pid,
                    code: ExitCode::from_number(self.exec_main_code).unwrap_or_default(),
                    status: self.exec_main_status,
                    start: self.exec_main_start,
                    exit: self.exec_main_exit,
                    command: String::new(),
                });
            }
            out.extend(of_kind);
        }
        out
    }

    /// `list-units` without `--all` shows units that are not inactive.
    pub fn is_listed_by_default(&self) -> bool {
        self.active_state != "inactive"
    }

    /// The bullet `list-dependencies` and `status` print for the active state
    /// (`unit_active_state_to_glyph()`).
    pub fn glyph(&self) -> &'static str {
        match self.active_state.as_str() {
            "active" | "activating" | "deactivating" => "●",
            "reloading" | "refreshing" => "↻",
            "failed" => "×",
            _ => "○",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::state::{ActiveState, SubState};

    fn ts(n: u64) -> DualTimestamp {
        DualTimestamp {
            realtime: 1_795_291_890_000_000 + n,
            monotonic: 5_000_000 + n,
        }
    }

    fn process(kind: &str, pid: u32, status: i32) -> ExecProcess {
        ExecProcess {
            kind: kind.into(),
            pid,
            code: ExitCode::Exited,
            status,
            start: ts(pid as u64),
            exit: ts(pid as u64 + 1),
            command: String::new(),
        }
    }

    #[test]
    fn never_started_is_inactive_dead_without_condition_results() {
        let rt = RuntimeState::default();
        assert_eq!(
            (rt.active_state.as_str(), rt.sub_state.as_str()),
            ("inactive", "dead")
        );
        assert!(!rt.condition_result && !rt.assert_result);
        assert_eq!(rt.glyph(), "○");
        assert_eq!(rt.exec_run("ExecStart", 0, 1), ExecRun::default());
    }

    #[test]
    fn exec_runs_take_the_newest_runs_of_each_kind() {
        let mut s = UnitState::default();
        s.set_state(ActiveState::Active, SubState::Running, ts(0));
        s.exec_main_pid = 50;
        s.exec_main_start = ts(50);
        s.processes = vec![
            process("ExecStartPre", 10, 0),
            process("ExecStartPre", 20, 0),
            process("ExecStartPre", 30, 1),
        ];
        s.record_condition_check(true, Vec::new(), ts(0));
        let rt = RuntimeState::from_state(&s);
        assert!(rt.condition_result && !rt.assert_result);
        assert_eq!(rt.condition, ts(0));
        // Two command lines: the last two runs belong to the last activation.
        assert_eq!(rt.exec_run("ExecStartPre", 0, 2).pid, 20);
        assert_eq!(rt.exec_run("ExecStartPre", 1, 2).status, 1);
        let main = rt.exec_run("ExecStart", 0, 1);
        assert_eq!((main.pid, main.code, main.start), (50, 0, ts(50).realtime));
        let finished: Vec<u32> = rt.finished_processes().iter().map(|p| p.pid).collect();
        assert_eq!(
            finished,
            [10, 20, 30],
            "the running main process is not listed"
        );
    }
}

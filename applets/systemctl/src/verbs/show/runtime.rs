//! The runtime side of a unit (ActiveState, PIDs, results, timestamps): what a supervisor
//! knows and unit files do not. Every read-only view takes these values from here, so the
//! supervisor's per-unit state file plugs in at one place ([`RuntimeState::of`]); until it
//! exists every unit is `inactive (dead)` and was never started.

use unitbox_core::scope::Scope;
use unitbox_core::unit::Unit;

/// One point in time as systemd keeps it: wall clock and monotonic, in µs (0 = never).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timestamp {
    pub realtime: u64,
    pub monotonic: u64,
}

/// The last run of one `Exec*=` command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRun {
    pub start: u64,
    pub exit: u64,
    pub pid: u32,
    /// `CLD_EXITED` (1), `CLD_KILLED` (2), `CLD_DUMPED` (3); 0 while it never ran.
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
    pub exec_main_start: Timestamp,
    pub exec_main_exit: Timestamp,
    pub n_restarts: u32,
    pub status_text: String,
    pub status_errno: i32,
    /// 32 hex digits, empty when the unit never ran.
    pub invocation_id: String,
    pub state_change: Timestamp,
    pub inactive_exit: Timestamp,
    pub active_enter: Timestamp,
    pub active_exit: Timestamp,
    pub inactive_enter: Timestamp,
    pub condition: Timestamp,
    pub assert: Timestamp,
    pub condition_result: bool,
    pub assert_result: bool,
    /// Per `Exec*` property (`ExecStart`, …): the runs of its command lines, by index.
    pub exec_runs: Vec<(String, Vec<ExecRun>)>,
}

impl Default for RuntimeState {
    fn default() -> Self {
        RuntimeState {
            active_state: "inactive".into(),
            sub_state: "dead".into(),
            result: "success".into(),
            main_pid: 0,
            control_pid: 0,
            exec_main_pid: 0,
            exec_main_code: 0,
            exec_main_status: 0,
            exec_main_start: Timestamp::default(),
            exec_main_exit: Timestamp::default(),
            n_restarts: 0,
            status_text: String::new(),
            status_errno: 0,
            invocation_id: String::new(),
            state_change: Timestamp::default(),
            inactive_exit: Timestamp::default(),
            active_enter: Timestamp::default(),
            active_exit: Timestamp::default(),
            inactive_enter: Timestamp::default(),
            condition: Timestamp::default(),
            assert: Timestamp::default(),
            condition_result: false,
            assert_result: false,
            exec_runs: Vec::new(),
        }
    }
}

impl RuntimeState {
    /// The state of a unit in a scope. No supervisor records state yet: never started.
    pub fn of(_scope: &Scope, _unit: &Unit) -> Self {
        RuntimeState::default()
    }

    /// The run of command line `index` of an `Exec*` property, if it ran.
    pub fn exec_run(&self, property: &str, index: usize) -> ExecRun {
        self.exec_runs
            .iter()
            .find(|(name, _)| name == property)
            .and_then(|(_, runs)| runs.get(index).cloned())
            .unwrap_or_default()
    }

    /// `list-units` without `--all` shows units that are not inactive.
    pub fn is_listed_by_default(&self) -> bool {
        self.active_state != "inactive"
    }

    /// The bullet `list-dependencies` and `status` print for the active state.
    pub fn glyph(&self) -> &'static str {
        match self.active_state.as_str() {
            "active" | "activating" | "deactivating" => "●",
            "reloading" | "refreshing" => "↻",
            "failed" => "×",
            _ => "○",
        }
    }
}

//! Running a [`Transaction`]: wave by wave, the units of a wave in parallel.
//!
//! - Starting: the conflicting units are stopped first; a unit whose `Requisite=` is not
//!   active fails with `dependency`; a unit that fails makes the units that `Requires=`/
//!   `BindsTo=` it fail with `dependency` before they run. Services get a supervisor
//!   ([`client::launch`]) under the unit's operation lock, so concurrent starts give one
//!   supervisor; targets only get a state file. Units of types without an implementation
//!   here (sockets, timers, …) fail when named on the command line and are skipped when
//!   pulled in.
//! - Stopping: services are asked over their control socket; a unit whose supervisor is
//!   gone just gets its state settled; targets go inactive.

use super::runtime::{active_units, runtime_state, supervisor_alive, wait_for_supervisor_exit};
use super::transaction::{plan_stop, Member, Pull, Transaction};
use crate::condition::{self, ConditionContext, ConditionOutcome, Verdict};
use crate::scope::Scope;
use crate::service::{types::ServiceType, ServiceConfig};
use crate::state::lock::{self, FileLock};
use crate::state::{ActiveState, StateDir, SubState, UnitResult, UnitState};
use crate::supervisor::client;
use crate::supervisor::protocol::{KillWhom, Reply, Request, StartOutcome};
use crate::time::{now_monotonic_us, DualTimestamp};
use crate::unit::value::USEC_INFINITY;
use crate::unit::{Unit, UnitName, UnitStore};
use crate::users::UserDb;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// At most this many units of a wave are launched at the same time.
const MAX_PARALLEL: usize = 32;
/// Waiting for another `systemctl`'s operation on the same unit: it holds the lock for
/// as long as the start job runs, which has no upper bound we could know.
const OPERATION_LOCK_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);
/// Slack on top of the configured timeouts before we stop waiting for a supervisor's
/// answer (it enforces the real timeouts itself).
const REPLY_SLACK: Duration = Duration::from_secs(10);

/// How one unit's job ended, in the words of systemd's job results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// Started, stopped, reloaded — or there was nothing to do.
    Done,
    /// A condition did not hold: the job succeeded, the unit stays inactive.
    Skipped,
    /// The unit failed; `result` is its `Result=` word.
    Failed { result: String },
    /// A unit it requires (or its `Requisite=`) failed or is not active.
    Dependency,
    /// An `Assert*=` did not hold.
    Assert,
    /// A unit type unitbox cannot run.
    Unsupported,
    /// Reloading a unit that is not active.
    Invalid,
    /// The UID filter refuses this system unit to a non-root manager.
    AccessDenied,
}

impl JobResult {
    pub fn is_success(&self) -> bool {
        matches!(self, JobResult::Done | JobResult::Skipped)
    }
}

/// Unit types that are started by writing a state file: they have no processes.
fn is_passive_type(unit_type: &str) -> bool {
    unit_type == "target"
}

/// Plans with the unit store and hands the per-unit work to a [`Worker`].
pub struct Executor<'a> {
    pub store: &'a UnitStore,
    pub worker: Worker,
}

/// The per-unit operations; shared by the threads of a wave (the unit store is not).
pub struct Worker {
    pub scope: Scope,
    pub dir: StateDir,
    /// `--no-block`: launch supervisors without waiting for their start reports.
    pub no_block: bool,
    /// The unit whose supervisor keeps our standard streams (`systemd-run --pipe`).
    pub caller_stdio_unit: Option<String>,
}

impl<'a> std::ops::Deref for Executor<'a> {
    type Target = Worker;

    fn deref(&self) -> &Worker {
        &self.worker
    }
}

impl<'a> Executor<'a> {
    pub fn new(store: &'a UnitStore, dir: StateDir, no_block: bool) -> Self {
        Executor {
            store,
            worker: Worker {
                scope: store.scope().clone(),
                dir,
                no_block,
                caller_stdio_unit: None,
            },
        }
    }

    /// Runs a start transaction; the result of every member that ran or was refused.
    pub fn start(&self, tx: &Transaction) -> BTreeMap<String, JobResult> {
        if !tx.conflicts.is_empty() {
            let names: Vec<UnitName> = tx
                .conflicts
                .iter()
                .filter_map(|n| UnitName::parse(n).ok())
                .collect();
            self.stop_units(&names);
        }
        let mut results: BTreeMap<String, JobResult> = BTreeMap::new();
        for wave in &tx.waves {
            let runnable: Vec<&Member> = wave
                .iter()
                .filter(|n| !results.contains_key(*n))
                .filter_map(|n| tx.members.get(n))
                .collect();
            let worker = &self.worker;
            let results_so_far = &results;
            let outcomes = in_parallel(&runnable, |member| {
                if let Some(missing) = worker.inactive_requisite(tx, member, results_so_far) {
                    log::info!("{}: requisite {missing} is not active", member.unit.id);
                    return JobResult::Dependency;
                }
                worker.start_member(member)
            });
            for (name, result) in outcomes {
                let failed = !result.is_success();
                results.insert(name.clone(), result);
                if failed {
                    fail_dependents(tx, &name, &mut results);
                }
            }
        }
        results
    }

    /// Stops `names` and whatever must stop with them.
    pub fn stop_units(&self, names: &[UnitName]) -> BTreeMap<String, JobResult> {
        let active = active_units(&self.dir);
        let tx = plan_stop(self.store, names, &active);
        self.stop(&tx)
    }

    /// Runs a stop transaction.
    pub fn stop(&self, tx: &Transaction) -> BTreeMap<String, JobResult> {
        let mut results = BTreeMap::new();
        for wave in &tx.waves {
            let members: Vec<&Member> = wave.iter().filter_map(|n| tx.members.get(n)).collect();
            let worker = &self.worker;
            results.extend(in_parallel(&members, |m| worker.stop_unit(&m.unit)));
        }
        results
    }
}

impl Worker {
    fn scope(&self) -> &Scope {
        &self.scope
    }

    fn inactive_requisite(
        &self,
        tx: &Transaction,
        member: &Member,
        results: &BTreeMap<String, JobResult>,
    ) -> Option<String> {
        let requisites = tx.requisites.get(member.unit.id.as_str())?;
        requisites
            .iter()
            .find(|r| {
                let started_here = results.get(*r) == Some(&JobResult::Done);
                !started_here
                    && !runtime_state(&self.dir, r)
                        .active_state
                        .is_active_or_reloading()
            })
            .cloned()
    }

    fn start_member(&self, member: &Member) -> JobResult {
        let unit = &member.unit;
        let unit_type = unit.id.unit_type();
        if !permitted(self.scope(), unit) {
            return JobResult::AccessDenied;
        }
        if !matches!(unit_type, "service" | "timer" | "socket" | "path")
            && !is_passive_type(unit_type)
        {
            return if member.pull == Pull::Requested {
                JobResult::Unsupported
            } else {
                log::debug!("{}: {unit_type} units are not supported, skipped", unit.id);
                JobResult::Done
            };
        }
        let name = unit.id.as_str();
        let paths = self.dir.unit_paths(name);
        let _lock = match lock::lock(&paths.lock, OPERATION_LOCK_WAIT) {
            Ok(l) => l,
            Err(e) => {
                log::warn!("{name}: {e}");
                return JobResult::Failed {
                    result: "resources".into(),
                };
            }
        };
        let state = runtime_state(&self.dir, name);
        if !state.active_state.is_inactive_or_failed() {
            return JobResult::Done; // Already running or being started: start is idempotent.
        }
        if is_passive_type(unit_type) {
            return self.start_passive(unit, state);
        }
        if supervisor_alive(&self.dir, name) {
            // A supervisor that has settled the unit and is on its way out.
            if let Err(e) = wait_for_supervisor_exit(&paths.alive) {
                log::warn!("{name}: waiting for the old supervisor: {e}");
            }
        }
        let (config, _) = ServiceConfig::from_unit(unit, self.scope());
        if start_limit_hit(&state, &config) {
            let mut failed = state;
            failed.set_state(ActiveState::Failed, SubState::Failed, DualTimestamp::now());
            failed.result = UnitResult::StartLimitHit;
            failed.supervisor_pid = 0;
            if let Err(e) = failed.write(&paths.state) {
                log::warn!("{name}: {e}");
            }
            return JobResult::Failed {
                result: UnitResult::StartLimitHit.to_string(),
            };
        }
        let inherit_stdio = self.caller_stdio_unit.as_deref() == Some(name);
        match client::launch_with_stdio(self.scope(), name, self.no_block, false, inherit_stdio) {
            Ok(StartOutcome::Started) => JobResult::Done,
            Ok(StartOutcome::ConditionFailed { .. }) => JobResult::Skipped,
            Ok(StartOutcome::Failed { result }) if result == "assert" => JobResult::Assert,
            Ok(StartOutcome::Failed { result }) => JobResult::Failed { result },
            Err(e) => {
                log::warn!("{name}: {e}");
                JobResult::Failed {
                    result: "resources".into(),
                }
            }
        }
    }

    /// Targets: conditions (recorded for `status`/`show`), then the state file says
    /// `active`.
    fn start_passive(&self, unit: &Unit, mut state: UnitState) -> JobResult {
        let outcome = condition::evaluate(unit, &ConditionContext::current(self.scope()));
        for w in &outcome.warnings {
            log::warn!("{}: {w}", unit.id);
        }
        let now = DualTimestamp::now();
        record_condition_outcome(&mut state, &outcome, now);
        let skipped = match outcome.verdict {
            Verdict::Met => None,
            Verdict::ConditionFailed => Some(JobResult::Skipped),
            Verdict::AssertFailed => Some(JobResult::Assert),
        };
        if let Some(result) = skipped {
            return match write_state(&self.dir, unit.id.as_str(), &state) {
                JobResult::Done => result,
                failed => failed,
            };
        }
        state.set_state(ActiveState::Active, SubState::Active, now);
        state.result = UnitResult::Success;
        write_state(&self.dir, unit.id.as_str(), &state)
    }

    /// Stops one unit (no propagation).
    pub fn stop_unit(&self, unit: &Unit) -> JobResult {
        let name = unit.id.as_str();
        let paths = self.dir.unit_paths(name);
        if supervisor_alive(&self.dir, name) {
            let timeout = stop_timeout(unit, self.scope());
            match client::request(&paths, &Request::Stop, timeout) {
                Ok(Reply::Ok) => return JobResult::Done,
                Ok(Reply::Failed { result }) => return JobResult::Failed { result },
                Err(e) if supervisor_alive(&self.dir, name) => {
                    log::warn!("{name}: {e}");
                    return JobResult::Failed {
                        result: "resources".into(),
                    };
                }
                // It exited while we asked: settle what it left behind.
                Err(_) => {}
            }
        }
        let _lock = lock::lock(&paths.lock, OPERATION_LOCK_WAIT);
        if supervisor_alive(&self.dir, name) {
            // Someone started it again meanwhile; that start wins, as a later job would.
            return JobResult::Done;
        }
        let state = runtime_state(&self.dir, name);
        match state.active_state {
            ActiveState::Inactive => JobResult::Done,
            // A failed unit stays failed until reset-failed; record a crash we inferred.
            ActiveState::Failed => write_state(&self.dir, name, &state),
            _ => {
                let mut stopped = state;
                stopped.set_state(ActiveState::Inactive, SubState::Dead, DualTimestamp::now());
                stopped.main_pid = 0;
                stopped.control_pid = 0;
                stopped.supervisor_pid = 0;
                write_state(&self.dir, name, &stopped)
            }
        }
    }

    /// Reloads an active service.
    pub fn reload_unit(&self, unit: &Unit) -> JobResult {
        let name = unit.id.as_str();
        if !runtime_state(&self.dir, name)
            .active_state
            .is_active_or_reloading()
            || !supervisor_alive(&self.dir, name)
        {
            return JobResult::Invalid;
        }
        let (config, _) = ServiceConfig::from_unit(unit, self.scope());
        let per_command = finite(config.timeout_start);
        let timeout =
            per_command.map(|t| t * (config.exec_reload.len() as u32).max(1) + REPLY_SLACK);
        match client::request(&self.dir.unit_paths(name), &Request::Reload, timeout) {
            Ok(Reply::Ok) => JobResult::Done,
            Ok(Reply::Failed { result }) => JobResult::Failed { result },
            Err(e) => {
                log::warn!("{name}: {e}");
                JobResult::Failed {
                    result: "resources".into(),
                }
            }
        }
    }

    /// Sends `signal` to the unit's processes; `Err` carries systemd's reason text.
    pub fn kill_unit(&self, unit: &str, signal: i32, whom: KillWhom) -> Result<(), String> {
        if !supervisor_alive(&self.dir, unit) {
            return Err(match whom {
                KillWhom::Main => "No main process to kill".into(),
                KillWhom::Control => "No control process to kill".into(),
                KillWhom::All => "No matching processes to kill".into(),
            });
        }
        let req = Request::Kill { signal, whom };
        match client::request(&self.dir.unit_paths(unit), &req, Some(REPLY_SLACK)) {
            Ok(Reply::Ok) => Ok(()),
            Ok(Reply::Failed { result }) => Err(result),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `reset-failed`: a failed unit becomes inactive with `Result=success`, and its
    /// start-limit history and restart counter are cleared. Units with a live supervisor
    /// are left to it.
    pub fn reset_failed(&self, unit: &str) -> crate::Result<()> {
        let paths = self.dir.unit_paths(unit);
        let _lock = lock::lock(&paths.lock, OPERATION_LOCK_WAIT)?;
        if supervisor_alive(&self.dir, unit) {
            if runtime_state(&self.dir, unit).active_state != ActiveState::Failed {
                return Ok(()); // Running, or waiting to restart: nothing failed to reset.
            }
            // A supervisor that has settled the unit as failed and is on its way out.
            if let Err(e) = wait_for_supervisor_exit(&paths.alive) {
                log::warn!("{unit}: waiting for the old supervisor: {e}");
                return Ok(());
            }
        }
        if !paths.state.exists() {
            return Ok(());
        }
        let mut state = runtime_state(&self.dir, unit);
        if state.active_state == ActiveState::Failed {
            state.set_state(ActiveState::Inactive, SubState::Dead, DualTimestamp::now());
        }
        state.result = UnitResult::Success;
        state.n_restarts = 0;
        state.start_limit_history.clear();
        state.write(&paths.state)?;
        super::transient::collect(&self.scope, &self.dir, unit);
        Ok(())
    }

    /// Takes the unit's operation lock (for verbs that change a stopped unit, e.g. `clean`).
    pub fn lock_unit(&self, unit: &str) -> crate::Result<FileLock> {
        lock::lock(&self.dir.unit_paths(unit).lock, OPERATION_LOCK_WAIT)
    }
}

/// Runs `job` for every member, at most [`MAX_PARALLEL`] at a time.
fn in_parallel<F>(members: &[&Member], job: F) -> Vec<(String, JobResult)>
where
    F: Fn(&Member) -> JobResult + Sync,
{
    let mut out = Vec::with_capacity(members.len());
    for chunk in members.chunks(MAX_PARALLEL) {
        if let [only] = chunk {
            out.push((only.unit.id.to_string(), job(only)));
            continue;
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|m| (m.unit.id.to_string(), s.spawn(|| job(m))))
                .collect();
            for (name, handle) in handles {
                let result = handle.join().unwrap_or_else(|_| JobResult::Failed {
                    result: "resources".into(),
                });
                out.push((name, result));
            }
        });
    }
    out
}

/// Fails, transitively, every member that requires `failed` and has not run yet.
fn fail_dependents(tx: &Transaction, failed: &str, results: &mut BTreeMap<String, JobResult>) {
    let mut queue = vec![failed.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        let Some(dependents) = tx.required_by.get(&name) else {
            continue;
        };
        for d in dependents {
            if seen.insert(d.clone()) && !results.contains_key(d) {
                results.insert(d.clone(), JobResult::Dependency);
                queue.push(d.clone());
            }
        }
    }
}

fn write_state(dir: &StateDir, unit: &str, state: &UnitState) -> JobResult {
    match state.write(&dir.unit_paths(unit).state) {
        Ok(()) => JobResult::Done,
        Err(e) => {
            log::warn!("{unit}: {e}");
            JobResult::Failed {
                result: "resources".into(),
            }
        }
    }
}

/// Records a check of a unit's conditions and asserts in its state, as systemd's
/// `unit_test_condition()`/`unit_test_assert()` do: asserts are tested only when the
/// conditions hold, so a skipped start keeps the assert fields of the last test.
pub fn record_condition_outcome(
    state: &mut UnitState,
    outcome: &ConditionOutcome,
    now: DualTimestamp,
) {
    match outcome.verdict {
        Verdict::ConditionFailed => state.record_condition_check(false, outcome.not_met(), now),
        Verdict::AssertFailed => {
            state.record_condition_check(true, Vec::new(), now);
            state.record_assert_check(false, outcome.not_met(), now);
        }
        Verdict::Met => {
            state.record_condition_check(true, Vec::new(), now);
            state.record_assert_check(true, Vec::new(), now);
        }
    }
}

/// `StartLimitBurst=` starts within `StartLimitIntervalSec=` already happened (systemd's
/// `ratelimit_below()`); a zero interval or burst disables the limit.
pub fn start_limit_hit(state: &UnitState, config: &ServiceConfig) -> bool {
    if config.start_limit_interval == 0 || config.start_limit_burst == 0 {
        return false;
    }
    let now = now_monotonic_us();
    let since = now.saturating_sub(config.start_limit_interval);
    let recent = state
        .start_limit_history
        .iter()
        .filter(|&&t| t > since && t <= now)
        .count();
    recent >= config.start_limit_burst as usize
}

fn finite(usec: u64) -> Option<Duration> {
    (usec != USEC_INFINITY && usec != 0).then(|| Duration::from_micros(usec))
}

/// How long a stop may take: every ExecStop= and ExecStopPost= command, the SIGTERM
/// phase and the SIGKILL phase, each up to TimeoutStopSec=; `None` if that is infinite.
fn stop_timeout(unit: &Unit, scope: &Scope) -> Option<Duration> {
    if unit.id.unit_type() != "service" {
        return Some(REPLY_SLACK);
    }
    let (config, _) = ServiceConfig::from_unit(unit, scope);
    let phases = config.exec_stop.len() + config.exec_stop_post.len() + 2;
    finite(config.timeout_stop).map(|t| t * phases as u32 + REPLY_SLACK)
}

/// Whether the service can be reloaded (`unit_can_reload()`).
pub fn can_reload(unit: &Unit, scope: &Scope) -> bool {
    if unit.id.unit_type() != "service" {
        return false;
    }
    let (config, _) = ServiceConfig::from_unit(unit, scope);
    !config.exec_reload.is_empty() || config.service_type == ServiceType::NotifyReload
}

/// The UID filter, in its one place: a system-scope manager that is not root may only run
/// the system units whose `User=` is itself.
pub fn permitted(scope: &Scope, unit: &Unit) -> bool {
    let euid = nix::unistd::geteuid().as_raw();
    if !scope.is_system() || euid == 0 || unit.id.unit_type() != "service" {
        return true;
    }
    crate::uid_filter::system_unit_allowed(unit, &UserDb::load(&scope.root), euid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::test_config;

    #[test]
    fn start_limit_counts_recent_starts_only() {
        let config = test_config(
            "[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=10\n[Service]\nExecStart=/bin/true\n",
        );
        let now = now_monotonic_us();
        let mut state = UnitState::default();
        assert!(!start_limit_hit(&state, &config));
        state.start_limit_history = vec![now.saturating_sub(20_000_000), now - 1];
        assert!(
            !start_limit_hit(&state, &config),
            "the old start is out of the window"
        );
        state.start_limit_history.push(now - 2);
        assert!(start_limit_hit(&state, &config));
        let unlimited =
            test_config("[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/true\n");
        assert!(!start_limit_hit(&state, &unlimited));
    }

    fn outcome(verdict: Verdict, failed: condition::Kind) -> ConditionOutcome {
        let tested = condition::Tested {
            condition: condition::Condition {
                kind: failed,
                ctype: condition::ConditionType::from_name("PathExists").unwrap(),
                trigger: false,
                negate: true,
                parameter: "/x".into(),
            },
            result: condition::ConditionResult::Failed,
        };
        let (conditions, asserts) = match failed {
            condition::Kind::Condition => (vec![tested], Vec::new()),
            condition::Kind::Assert => (Vec::new(), vec![tested]),
        };
        ConditionOutcome {
            verdict,
            conditions,
            asserts,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_skipped_start_keeps_the_last_assert_check() {
        let (first, second) = (DualTimestamp::now(), DualTimestamp::now());
        let mut state = UnitState::default();
        let asserted = outcome(Verdict::AssertFailed, condition::Kind::Assert);
        record_condition_outcome(&mut state, &asserted, first);
        assert!(state.condition_result && !state.assert_result);
        assert_eq!(state.asserts_not_met, ["AssertPathExists=!/x"]);
        assert!(state.conditions_not_met.is_empty());

        let skipped = outcome(Verdict::ConditionFailed, condition::Kind::Condition);
        record_condition_outcome(&mut state, &skipped, second);
        assert!(!state.condition_result);
        assert_eq!(state.condition_timestamp, second);
        assert_eq!(state.conditions_not_met, ["ConditionPathExists=!/x"]);
        assert_eq!(
            (state.assert_timestamp, state.asserts_not_met.len()),
            (first, 1),
            "asserts were not tested this time"
        );
    }

    #[test]
    fn failures_propagate_along_required_by_transitively() {
        let mut tx = Transaction::default();
        tx.required_by
            .insert("db.service".into(), ["app.service".to_string()].into());
        tx.required_by
            .insert("app.service".into(), ["web.target".to_string()].into());
        let mut results = BTreeMap::new();
        results.insert(
            "db.service".to_string(),
            JobResult::Failed {
                result: "exit-code".into(),
            },
        );
        results.insert("web.target".to_string(), JobResult::Done);
        fail_dependents(&tx, "db.service", &mut results);
        assert_eq!(results["app.service"], JobResult::Dependency);
        assert_eq!(
            results["web.target"],
            JobResult::Done,
            "units that already ran keep their result"
        );
    }
}

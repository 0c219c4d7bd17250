//! The job verbs: `start`, `stop`, `restart` and its relatives, `reload`, with
//! `--no-block` and `--wait`. Each verb plans a transaction (`manager::transaction`) and
//! runs it (`manager::executor`); what systemd would print about failed jobs is in
//! [`messages`]. `kill`/`clean` are in [`control`], the state queries in [`query`].

pub mod control;
pub mod messages;
pub mod query;

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::units;
use messages::{job_failure, transaction_error};
use unitbox_core::glob::unit_name_matches;
use unitbox_core::manager::executor::{can_reload, Executor, JobResult};
use unitbox_core::manager::runtime::{runtime_state, wait_for_supervisor_exit};
use unitbox_core::manager::transaction::plan_start;
use unitbox_core::manager::transient;
use unitbox_core::state::StateDir;
use unitbox_core::unit::name::{self, UnitName};
use unitbox_core::unit::LoadState;

/// The job type of a verb, as systemctl names it in messages (`unit_actions[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Start,
    Stop,
    Restart,
    TryRestart,
    Reload,
    ReloadOrRestart,
    ReloadOrTryRestart,
}

impl Job {
    fn word(self) -> &'static str {
        match self {
            Job::Start => "start",
            Job::Stop => "stop",
            Job::Restart => "restart",
            Job::TryRestart => "try-restart",
            Job::Reload => "reload",
            Job::ReloadOrRestart => "reload-or-restart",
            Job::ReloadOrTryRestart => "reload-or-try-restart",
        }
    }
}

pub fn start(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::Start)
}

pub fn stop(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::Stop)
}

pub fn restart(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::Restart)
}

pub fn try_restart(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::TryRestart)
}

pub fn reload(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::Reload)
}

pub fn reload_or_restart(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::ReloadOrRestart)
}

pub fn reload_or_try_restart(ctx: &Ctx) -> CtlResult {
    run_job(ctx, Job::ReloadOrTryRestart)
}

/// `enable --now`: start the units just enabled. The job's exit status replaces the file
/// operation's, as systemd's `enable_unit()` returns what `start_unit()` returned.
pub fn start_after_install(ctx: &Ctx, names: &[String]) -> CtlResult {
    run_on(ctx, Job::Start, install_names(names))
}

/// `disable --now`, `mask --now`: stop the units (exit status as for `enable --now`).
pub fn stop_after_install(ctx: &Ctx, names: &[String]) -> CtlResult {
    run_on(ctx, Job::Stop, install_names(names))
}

/// Install verbs may name unit files by path: the unit is the file name.
fn install_names(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
        .collect()
}

/// The executor of this scope, its state directory created if needed.
fn executor(ctx: &Ctx) -> CtlResult<Executor<'_>> {
    let dir = StateDir::for_scope(&ctx.scope)?;
    Ok(Executor::new(ctx.store(), dir, ctx.opts.no_block))
}

fn run_job(ctx: &Ctx, job: Job) -> CtlResult {
    if ctx.opts.wait && ctx.opts.no_block {
        return Err(CtlError::failure(
            "--wait may not be combined with --no-block.",
        ));
    }
    let names = expand_args(ctx, job)?;
    run_on(ctx, job, names)
}

/// The units the arguments name: for starting, globs match the unit files on the search
/// path; for the other jobs, the units that have runtime state.
fn expand_args(ctx: &Ctx, job: Job) -> CtlResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut candidates: Option<Vec<String>> = None;
    for arg in &ctx.opts.args {
        let mangled = units::mangle(arg)?;
        if !name::is_glob(&mangled) {
            if !out.contains(&mangled) {
                out.push(mangled);
            }
            continue;
        }
        let pool = candidates.get_or_insert_with(|| glob_candidates(ctx, job));
        for id in pool.iter() {
            if unit_name_matches(&mangled, id) && !out.contains(id) {
                out.push(id.clone());
            }
        }
    }
    Ok(out)
}

fn glob_candidates(ctx: &Ctx, job: Job) -> Vec<String> {
    if job == Job::Start {
        let mut names: Vec<String> = ctx
            .store()
            .entries()
            .map(|(n, _)| n.to_string())
            .filter(|n| UnitName::parse(n).is_ok_and(|u| !u.is_template()))
            .collect();
        names.sort();
        return names;
    }
    match StateDir::existing(&ctx.scope) {
        Ok(Some(dir)) => dir.units_with_state(),
        _ => Vec::new(),
    }
}

/// Tracks the exit status: the first error's code wins, as in systemctl.
struct Outcome {
    status: ExitStatus,
}

impl Outcome {
    fn fail(&mut self, status: ExitStatus) {
        if self.status == ExitStatus::SUCCESS {
            self.status = status;
        }
    }
}

fn run_on(ctx: &Ctx, job: Job, names: Vec<String>) -> CtlResult {
    let exec = executor(ctx)?;
    let mut outcome = Outcome {
        status: ExitStatus::SUCCESS,
    };
    let mut to_start: Vec<UnitName> = Vec::new();
    let mut to_stop: Vec<UnitName> = Vec::new();
    let mut to_reload: Vec<UnitName> = Vec::new();
    for name in &names {
        let parsed = match UnitName::parse(name) {
            Ok(p) if !p.is_template() => p,
            _ => {
                eprintln!(
                    "Failed to {} {name}: Unit name {name} is missing the instance name.",
                    job.word()
                );
                outcome.fail(ExitStatus::FAILURE);
                continue;
            }
        };
        let unit = ctx.store().load(&parsed);
        let state = runtime_state(&exec.dir, name);
        let running = !state.active_state.is_inactive_or_failed();
        if job == Job::Stop {
            let known =
                unit.load_state != LoadState::NotFound || exec.dir.unit_paths(name).state.exists();
            if !known {
                eprintln!("Failed to stop {name}: Unit {name} not loaded.");
                outcome.fail(ExitStatus::UNIT_NOT_FOUND);
            } else {
                to_stop.push(parsed);
            }
            continue;
        }
        if let Some((message, status)) = load_problem(&unit, name) {
            eprintln!("Failed to {} {name}: {message}", job.word());
            outcome.fail(status);
            continue;
        }
        let reloadable = can_reload(&unit, &ctx.scope);
        match job {
            Job::Reload if !reloadable => {
                eprintln!(
                    "Failed to reload {name}: Job type reload is not applicable for unit {name}."
                );
                outcome.fail(ExitStatus::NOT_ACTIVE);
            }
            Job::Reload => to_reload.push(parsed),
            Job::ReloadOrRestart | Job::ReloadOrTryRestart if reloadable && running => {
                to_reload.push(parsed)
            }
            Job::TryRestart | Job::ReloadOrTryRestart if !running => {}
            Job::Restart | Job::TryRestart | Job::ReloadOrRestart | Job::ReloadOrTryRestart => {
                if running {
                    to_stop.push(parsed.clone());
                }
                to_start.push(parsed);
            }
            Job::Start | Job::Stop => to_start.push(parsed),
        }
    }

    let restarting = job != Job::Stop;
    // The start half of a restart needs the transient units the stop half brings to rest.
    let held = if restarting {
        hold_transient(ctx, &to_stop)
    } else {
        Vec::new()
    };
    if !to_stop.is_empty() {
        let results = if restarting {
            // A restart stops just the unit itself; what depends on it keeps running.
            to_stop
                .iter()
                .map(|n| (n.to_string(), exec.stop_unit(&ctx.store().load(n))))
                .collect()
        } else {
            exec.stop_units(&to_stop)
        };
        for n in &to_stop {
            if let Some(r) = results.get(n.as_str()) {
                report(ctx, job, n.as_str(), r, &mut outcome);
            }
        }
    }
    for n in &to_reload {
        let result = exec.reload_unit(&ctx.store().load(n));
        report(ctx, job, n.as_str(), &result, &mut outcome);
    }
    if !to_start.is_empty() {
        start_units(ctx, &exec, job, &to_start, &mut outcome);
    }
    release_transient(ctx, &exec, held);
    Ok(outcome.status)
}

/// References on the transient units among `names` (see [`transient::Reference`]): while
/// a restart holds them, the supervisor that stops such a unit leaves it in place, as
/// systemd keeps a unit that has a job pending.
fn hold_transient(ctx: &Ctx, names: &[UnitName]) -> Vec<(String, transient::Reference)> {
    names
        .iter()
        .filter(|n| transient::is_transient(&ctx.scope, &ctx.store().load(n)))
        .filter_map(|n| match transient::reference(&ctx.scope, n.as_str()) {
            Ok(held) => Some((n.to_string(), held)),
            Err(e) => {
                log::warn!("{n}: {e}");
                None
            }
        })
        .collect()
}

/// Drops the references; a unit whose start failed is collected now, as its supervisor
/// could not.
fn release_transient(ctx: &Ctx, exec: &Executor, held: Vec<(String, transient::Reference)>) {
    for (name, reference) in held {
        drop(reference);
        transient::collect(&ctx.scope, &exec.dir, &name);
    }
}

/// Why a unit named on the command line cannot get a job: systemd's message and exit code.
fn load_problem(unit: &unitbox_core::unit::Unit, name: &str) -> Option<(String, ExitStatus)> {
    match unit.load_state {
        LoadState::Loaded => None,
        LoadState::NotFound => Some((
            format!("Unit {name} not found."),
            ExitStatus::UNIT_NOT_FOUND,
        )),
        LoadState::Masked => Some((format!("Unit {name} is masked."), ExitStatus::FAILURE)),
        LoadState::BadSetting => Some((
            format!("Unit {name} has a bad unit file setting."),
            ExitStatus::FAILURE,
        )),
        LoadState::Error => Some((
            format!(
                "Unit {name} failed to load properly, please adjust/correct and reload service manager: {}",
                unit.load_error.clone().unwrap_or_default()
            ),
            ExitStatus::LOAD_FAILED,
        )),
    }
}

fn start_units(ctx: &Ctx, exec: &Executor, job: Job, names: &[UnitName], outcome: &mut Outcome) {
    // Each unit is planned alone first, so one unit's missing dependency does not keep
    // the others from starting (systemctl enqueues one job per unit).
    let mut plannable = Vec::new();
    for n in names {
        match plan_start(ctx.store(), std::slice::from_ref(n)) {
            Ok(_) => plannable.push(n.clone()),
            Err(e) => {
                let (message, status) = transaction_error(&e);
                eprintln!("Failed to {} {n}: {message}", job.word());
                outcome.fail(status);
            }
        }
    }
    if plannable.is_empty() {
        return;
    }
    let tx = match plan_start(ctx.store(), &plannable) {
        Ok(tx) => tx,
        Err(e) => {
            let (message, status) = transaction_error(&e);
            eprintln!("Failed to {} {}: {message}", job.word(), plannable[0]);
            outcome.fail(status);
            return;
        }
    };
    for cycle in &tx.broken_cycles {
        log::warn!("Found ordering cycle; broke it at {cycle}");
    }
    let results = exec.start(&tx);
    for n in &plannable {
        let result = results.get(n.as_str()).cloned().unwrap_or(JobResult::Done);
        report(ctx, job, n.as_str(), &result, outcome);
    }
    if ctx.opts.wait {
        for n in &plannable {
            if results.get(n.as_str()).is_some_and(JobResult::is_success) {
                let alive = exec.dir.unit_paths(n.as_str()).alive;
                if let Err(e) = wait_for_supervisor_exit(&alive) {
                    eprintln!("Failed to wait for {n}: {e}");
                    outcome.fail(ExitStatus::FAILURE);
                }
            }
        }
    }
}

fn report(ctx: &Ctx, job: Job, unit: &str, result: &JobResult, outcome: &mut Outcome) {
    if result.is_success() {
        return;
    }
    let user = matches!(ctx.scope.kind, unitbox_core::scope::ScopeKind::User);
    let (text, status) = job_failure(job.word(), unit, result, user);
    eprintln!("{text}");
    outcome.fail(status);
}

//! `isolate TARGET` and the verbs 252 defines as isolating a special target: `default`
//! (default.target), `rescue` (rescue.target), `emergency` (emergency.target). The plan is
//! core's ([`unitbox_core::manager::isolate`]); PID 1 is no unit here, so no isolation can
//! stop it, and the sulogin services rescue/emergency.target require are on the
//! container's skip list.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::verbs::lifecycle::messages::{job_failure, transaction_error};
use unitbox_core::manager::executor::{Executor, JobResult};
use unitbox_core::manager::isolate::{plan_isolate, IsolateError};
use unitbox_core::manager::runtime::active_units;
use unitbox_core::scope::ScopeKind;
use unitbox_core::state::StateDir;
use unitbox_core::unit::name::{self, UnitName};

/// 252's `EXIT_NOPERMISSION` for `BUS_ERROR_NO_ISOLATION`.
const NO_PERMISSION: ExitStatus = ExitStatus(4);

pub fn isolate(ctx: &Ctx) -> CtlResult {
    if ctx.opts.args.len() > 1 {
        return Err(CtlError::failure("Too many arguments."));
    }
    let arg = ctx.opts.args.first().map(String::as_str).unwrap_or("");
    let mangled = name::mangle_with_suffix(arg, "target", false)
        .ok_or_else(|| CtlError::failure("Failed to mangle name: Invalid argument"))?;
    run(ctx, &mangled.name)
}

pub fn default(ctx: &Ctx) -> CtlResult {
    special(ctx, "default.target")
}

pub fn rescue(ctx: &Ctx) -> CtlResult {
    special(ctx, "rescue.target")
}

pub fn emergency(ctx: &Ctx) -> CtlResult {
    special(ctx, "emergency.target")
}

fn special(ctx: &Ctx, target: &str) -> CtlResult {
    if !ctx.opts.args.is_empty() {
        return Err(CtlError::failure("Too many arguments."));
    }
    run(ctx, target)
}

fn run(ctx: &Ctx, unit: &str) -> CtlResult {
    let user = matches!(ctx.scope.kind, ScopeKind::User);
    let parsed = UnitName::parse(unit)
        .map_err(|_| CtlError::failure(format!("Failed to start {unit}: Invalid argument")))?;
    // Nothing is created before the plan holds: a refusal leaves the tree as it was.
    let active = match StateDir::existing(&ctx.scope) {
        Ok(Some(dir)) => active_units(&dir),
        _ => Vec::new(),
    };
    let plan = match plan_isolate(ctx.store(), &parsed, &active) {
        Ok(plan) => plan,
        Err(IsolateError::NotAllowed) => {
            let (scope, flag) = if user {
                ("user", " --user")
            } else {
                ("system", "")
            };
            return Err(CtlError::new(
                NO_PERMISSION,
                format!(
                    "Failed to start {unit}: {}\n\
                     See {scope} logs and 'systemctl{flag} status {unit}' for details.",
                    IsolateError::NotAllowed
                ),
            ));
        }
        Err(IsolateError::Transaction(e)) => {
            let (message, status) = transaction_error(&e);
            return Err(CtlError::new(
                status,
                format!("Failed to start {unit}: {message}"),
            ));
        }
    };
    let dir = StateDir::for_scope(&ctx.scope)?;
    let exec = Executor::new(ctx.store(), dir, ctx.opts.no_block);
    let mut status = ExitStatus::SUCCESS;
    for (stopped, result) in exec.stop(&plan.stop) {
        if !result.is_success() {
            // 252 logs a failed stop job of an isolation and goes on.
            log::warn!("Failed to stop {stopped} while isolating {unit}: {result:?}");
        }
    }
    let results = exec.start(&plan.start);
    let result = results
        .get(plan.target.as_str())
        .cloned()
        .unwrap_or(JobResult::Done);
    if !result.is_success() {
        let (text, failed) = job_failure("start", unit, &result, user);
        eprintln!("{text}");
        status = failed;
    }
    Ok(status)
}

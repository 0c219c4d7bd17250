//! `is-active`, `is-failed` (read-only: they never create the state directory) and
//! `reset-failed`.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::units;
use unitbox_core::glob::unit_name_matches;
use unitbox_core::manager::executor::Executor;
use unitbox_core::manager::runtime::runtime_state;
use unitbox_core::state::{ActiveState, StateDir};
use unitbox_core::unit::name;
use unitbox_core::unit::{LoadState, UnitName};

/// Unit arguments with globs matched against the units that have runtime state.
pub(super) fn stateful_units(ctx: &Ctx, dir: Option<&StateDir>) -> CtlResult<Vec<String>> {
    let with_state = dir.map(StateDir::units_with_state).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for arg in &ctx.opts.args {
        let mangled = units::mangle(arg)?;
        if name::is_glob(&mangled) {
            for id in &with_state {
                if unit_name_matches(&mangled, id) && !out.contains(id) {
                    out.push(id.clone());
                }
            }
        } else {
            // An alias names the state of the unit it points to (the loader's resolution,
            // as status and the job verbs use it).
            let id = UnitName::parse(&mangled)
                .ok()
                .and_then(|n| ctx.store().resolve(&n).map(|(id, _)| id.to_string()))
                .unwrap_or(mangled);
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

fn active_state(dir: Option<&StateDir>, unit: &str) -> ActiveState {
    dir.map(|d| runtime_state(d, unit).active_state)
        .unwrap_or(ActiveState::Inactive)
}

/// Prints each unit's state; succeeds if any is in one of `wanted`.
fn check(ctx: &Ctx, wanted: &[ActiveState], otherwise: ExitStatus) -> CtlResult {
    let dir = StateDir::existing(&ctx.scope)?;
    let mut found = false;
    for unit in stateful_units(ctx, dir.as_ref())? {
        let state = active_state(dir.as_ref(), &unit);
        found |= wanted.contains(&state);
        if !ctx.opts.quiet {
            println!("{state}");
        }
    }
    Ok(if found {
        ExitStatus::SUCCESS
    } else {
        otherwise
    })
}

/// `is-active`: 0 if any unit is active or reloading, else 3 (systemd 252 gives 3 for
/// units that do not exist too).
pub fn is_active(ctx: &Ctx) -> CtlResult {
    check(
        ctx,
        &[ActiveState::Active, ActiveState::Reloading],
        ExitStatus::NOT_ACTIVE,
    )
}

/// `is-failed`: 0 if any unit is failed, else 1.
pub fn is_failed(ctx: &Ctx) -> CtlResult {
    check(ctx, &[ActiveState::Failed], ExitStatus::FAILURE)
}

/// `reset-failed [UNIT…]`: without units, every failed unit.
pub fn reset_failed(ctx: &Ctx) -> CtlResult {
    let Some(dir) = StateDir::existing(&ctx.scope)? else {
        // Nothing ran yet, so nothing failed; but a unit that is not loaded is still an
        // error, as in 252.
        let mut status = ExitStatus::SUCCESS;
        for unit in stateful_units(ctx, None)? {
            let loaded = UnitName::parse(&unit)
                .is_ok_and(|n| ctx.store().load(&n).load_state != LoadState::NotFound);
            if !loaded {
                eprintln!("Failed to reset failed state of unit {unit}: Unit {unit} not loaded.");
                status = ExitStatus::FAILURE;
            }
        }
        return Ok(status);
    };
    let names = if ctx.opts.args.is_empty() {
        dir.units_with_state()
            .into_iter()
            .filter(|u| active_state(Some(&dir), u) == ActiveState::Failed)
            .collect()
    } else {
        stateful_units(ctx, Some(&dir))?
    };
    let exec = Executor::new(ctx.store(), dir, false);
    let mut status = ExitStatus::SUCCESS;
    for unit in names {
        let known = exec.dir.unit_paths(&unit).state.exists()
            || UnitName::parse(&unit)
                .is_ok_and(|n| ctx.store().load(&n).load_state != LoadState::NotFound);
        let result = if known {
            exec.reset_failed(&unit).map_err(|e| e.to_string())
        } else {
            Err(format!("Unit {unit} not loaded."))
        };
        if let Err(why) = result {
            eprintln!("Failed to reset failed state of unit {unit}: {why}");
            if status == ExitStatus::SUCCESS {
                status = ExitStatus::FAILURE;
            }
        }
    }
    Ok(status)
}

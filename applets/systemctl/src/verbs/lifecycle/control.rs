//! `kill` (signals through the unit's supervisor) and `clean` (removing the directories a
//! stopped service configured).

use super::query::stateful_units;
use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use unitbox_core::exec::dirs::DirKind;
use unitbox_core::exec::dynamic_user::clean_paths;
use unitbox_core::exec::exit_status::signal_from_str;
use unitbox_core::manager::executor::Executor;
use unitbox_core::manager::runtime::runtime_state;
use unitbox_core::service::ServiceConfig;
use unitbox_core::state::StateDir;
use unitbox_core::supervisor::protocol::KillWhom;
use unitbox_core::unit::{LoadState, UnitName};

/// `kill [-s SIG] [--kill-whom=main|control|all] UNIT…`.
pub fn kill(ctx: &Ctx) -> CtlResult {
    let signal = match ctx.opts.signal.as_deref() {
        None => libc::SIGTERM,
        Some(s) => signal_from_str(s)
            .ok_or_else(|| CtlError::failure(format!("Failed to parse signal string {s}.")))?,
    };
    let whom = match ctx.opts.kill_whom.as_deref() {
        None => KillWhom::All,
        Some(w) => KillWhom::parse(w)
            .ok_or_else(|| CtlError::failure(format!("Invalid who argument {w}")))?,
    };
    let dir = StateDir::existing(&ctx.scope)?;
    let names = stateful_units(ctx, dir.as_ref())?;
    let Some(dir) = dir else {
        for unit in &names {
            eprintln!("Failed to kill unit {unit}: Unit {unit} not loaded.");
        }
        return Ok(ExitStatus::FAILURE);
    };
    let exec = Executor::new(ctx.store(), dir, false);
    let mut status = ExitStatus::SUCCESS;
    for unit in names {
        let loaded = exec.dir.unit_paths(&unit).state.exists()
            || UnitName::parse(&unit)
                .is_ok_and(|n| ctx.store().load(&n).load_state != LoadState::NotFound);
        // 252 complains about nothing to kill only with --job-mode=fail ("all-fail"); main
        // and control name one process, whose absence is always an error.
        let fail_mode = ctx.opts.job_mode.as_deref() == Some("fail");
        let state = runtime_state(&exec.dir, &unit);
        let result = if !loaded {
            Err(format!("Unit {unit} not loaded."))
        } else if whom == KillWhom::All
            && fail_mode
            && state.main_pid == 0
            && state.control_pid == 0
        {
            Err("No matching processes to kill".to_string())
        } else {
            exec.kill_unit(&unit, signal, whom)
        };
        if let Err(why) = result {
            eprintln!("Failed to kill unit {unit}: {why}");
            status = ExitStatus::FAILURE;
        }
    }
    Ok(status)
}

/// The `--what=` resource kinds; default cache + runtime (systemctl(1)).
fn what_kinds(what: &[String]) -> CtlResult<Vec<DirKind>> {
    if what.is_empty() {
        return Ok(vec![DirKind::Runtime, DirKind::Cache]);
    }
    let mut kinds = Vec::new();
    for w in what {
        let add: &[DirKind] = match w.as_str() {
            "runtime" => &[DirKind::Runtime],
            "state" => &[DirKind::State],
            "cache" => &[DirKind::Cache],
            "logs" => &[DirKind::Logs],
            "configuration" => &[DirKind::Configuration],
            "all" => &DirKind::ALL,
            "help" => {
                println!("runtime\nstate\ncache\nlogs\nconfiguration");
                return Ok(Vec::new());
            }
            other => {
                return Err(CtlError::failure(format!(
                    "Invalid clean resource type: {other}"
                )))
            }
        };
        for k in add {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    Ok(kinds)
}

/// `clean [--what=…] UNIT…`: only for services that are not running.
pub fn clean(ctx: &Ctx) -> CtlResult {
    // `clean --all` (capsule@.service(5)'s example) is `--what=all`.
    let kinds = if ctx.opts.all && ctx.opts.what.is_empty() {
        DirKind::ALL.to_vec()
    } else {
        what_kinds(&ctx.opts.what)?
    };
    if kinds.is_empty() {
        return Ok(ExitStatus::SUCCESS);
    }
    let dir = StateDir::for_scope(&ctx.scope)?;
    let names = stateful_units(ctx, Some(&dir))?;
    let exec = Executor::new(ctx.store(), dir, false);
    let mut status = ExitStatus::SUCCESS;
    for unit in names {
        if let Err(why) = clean_one(ctx, &exec, &unit, &kinds) {
            eprintln!("Failed to clean unit {unit}: {why}");
            status = ExitStatus::FAILURE;
        }
    }
    Ok(status)
}

fn clean_one(ctx: &Ctx, exec: &Executor, unit: &str, kinds: &[DirKind]) -> Result<(), String> {
    let parsed = UnitName::parse(unit).map_err(|e| e.to_string())?;
    let loaded = ctx.store().load(&parsed);
    if loaded.load_state == LoadState::NotFound {
        return Err(format!("Unit {unit} not loaded."));
    }
    if parsed.unit_type() != "service" {
        return Err(format!("Unit '{unit}' does not support cleaning."));
    }
    let _lock = exec.lock_unit(unit).map_err(|e| e.to_string())?;
    if !runtime_state(&exec.dir, unit)
        .active_state
        .is_inactive_or_failed()
    {
        return Err("Unit is not inactive or has pending job.".into());
    }
    let (config, _) = ServiceConfig::from_unit(&loaded, &ctx.scope);
    let mut targets = Vec::new();
    for kind in kinds {
        // A dynamic user's state/cache/logs also have their `private/` directories.
        for path in clean_paths(&ctx.scope, &config.exec, *kind) {
            targets.push(ctx.scope.root.host_path(&path));
        }
    }
    if targets.is_empty() {
        return Err("No matching resources found.".into());
    }
    for path in targets {
        match std::fs::remove_dir_all(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", path.display()))
            }
            _ => {}
        }
    }
    Ok(())
}

//! The verbs of 252 that act on the machine or on manager features a container without
//! systemd does not have (sleep states, kexec, switch-root, per-unit mount namespaces, the
//! manager's own log settings, automounts, jobs of a resident manager). Each answers the
//! way systemd 252 answers inside a container, or refuses in one line with its exit code.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::units::mangle;
use unitbox_core::unit::{LoadState, UnitName};

fn arg(ctx: &Ctx, index: usize) -> &str {
    ctx.opts.args.get(index).map(String::as_str).unwrap_or("")
}

/// The sleep verbs go to logind in 252, which refuses them in a container.
pub fn sleep(ctx: &Ctx) -> CtlResult {
    let verb = ctx.opts.verb.as_deref().unwrap_or("suspend");
    let method = match verb {
        "hibernate" => "Hibernate",
        "hybrid-sleep" => "HybridSleep",
        "suspend-then-hibernate" => "SuspendThenHibernate",
        _ => "Suspend",
    };
    Err(CtlError::failure(format!(
        "Call to {method} failed: Sleep verb \"{verb}\" not supported"
    )))
}

pub fn kexec(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure(
        "/sbin/kexec is not available: No such file or directory",
    ))
}

pub fn switch_root(ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure(format!(
        "Failed to switch root: switching the root of a container is not supported: '{}'",
        arg(ctx, 0)
    )))
}

/// Whether the unit the argument names is loaded (what 252 checks first).
fn require_loaded(ctx: &Ctx, what: &str) -> CtlResult<String> {
    let unit = mangle(arg(ctx, 0))?;
    let loaded = UnitName::parse(&unit)
        .is_ok_and(|name| ctx.store().load(&name).load_state != LoadState::NotFound);
    if loaded {
        Ok(unit)
    } else {
        Err(CtlError::failure(format!(
            "Failed to {what}: Unit {unit} not loaded."
        )))
    }
}

/// `mount-image` and `bind` act on a unit's own mount namespace; unitbox's services share
/// the container's.
pub fn mount_image(ctx: &Ctx) -> CtlResult {
    let unit = require_loaded(ctx, "mount image")?;
    Err(CtlError::failure(format!(
        "Failed to mount image: Unit {unit} has no mount namespace of its own."
    )))
}

pub fn bind(ctx: &Ctx) -> CtlResult {
    let unit = require_loaded(ctx, "bind mount")?;
    Err(CtlError::failure(format!(
        "Failed to bind mount: Unit {unit} has no mount namespace of its own."
    )))
}

/// unitbox loads no automount units: 252's empty listing.
pub fn list_automounts(ctx: &Ctx) -> CtlResult {
    if !ctx.opts.no_legend {
        println!("WHAT WHERE MOUNTED IDLE TIMEOUT UNIT");
        println!();
        println!("0 automounts listed.");
        if !ctx.opts.all {
            println!("Pass --all to see loaded but inactive automounts, too.");
        }
    }
    Ok(ExitStatus::SUCCESS)
}

/// 252 sets a service's log level over its D-Bus LogControl1 interface, named by BusName=;
/// unitbox has no bus, so no unit declares one it could reach.
pub fn service_log(ctx: &Ctx) -> CtlResult {
    let unit = mangle(arg(ctx, 0))?;
    Err(CtlError::failure(format!(
        "Unit {unit} doesn't declare BusName=.\n\
         Hint: the service must declare BusName= and implement the appropriate D-Bus interface.\n      \
         See the org.freedesktop.LogControl1(5) man page for details."
    )))
}

/// The manager's settings: shown as they are; there is no resident manager to change.
fn manager_setting(ctx: &Ctx, current: &str, name: &str) -> CtlResult {
    if ctx.opts.args.len() > 1 {
        return Err(CtlError::failure("Too many arguments."));
    }
    if ctx.opts.args.is_empty() {
        println!("{current}");
        return Ok(ExitStatus::SUCCESS);
    }
    Err(CtlError::failure(format!(
        "Failed to set {name}: unitbox has no resident manager whose {name} could change."
    )))
}

pub fn log_level(ctx: &Ctx) -> CtlResult {
    manager_setting(ctx, "info", "log level")
}

pub fn log_target(ctx: &Ctx) -> CtlResult {
    manager_setting(ctx, "console", "log target")
}

pub fn service_watchdogs(ctx: &Ctx) -> CtlResult {
    manager_setting(ctx, "yes", "service watchdogs")
}

/// Without a job queue between commands every job has ended when its command returns.
pub fn list_jobs(ctx: &Ctx) -> CtlResult {
    if !ctx.opts.no_legend {
        println!("No jobs running.");
    }
    Ok(ExitStatus::SUCCESS)
}

pub fn cancel(ctx: &Ctx) -> CtlResult {
    let mut status = ExitStatus::SUCCESS;
    for job in &ctx.opts.args {
        match job.parse::<u32>() {
            Ok(id) => eprintln!("Failed to cancel job {id}: Job {id} does not exist."),
            Err(_) => eprintln!("Failed to parse job id \"{job}\": Invalid argument"),
        }
        status = ExitStatus::FAILURE;
    }
    Ok(status)
}

/// Verbs of 252 unitbox does not do yet: one line, systemd's generic failure, nothing
/// changed.
pub fn not_supported(ctx: &Ctx) -> CtlResult {
    let verb = ctx.opts.verb.as_deref().unwrap_or("");
    Err(CtlError::failure(format!(
        "Verb '{verb}' is not supported by unitbox."
    )))
}

//! The verbs of init mode: `init [UNIT…]` (unitbox as the container's init; also what a
//! `systemctl` that is PID 1 without a verb does), `halt`, `poweroff`,
//! `reboot`, `exit [CODE]` (sent to a running unitbox init over its control socket, never
//! as a signal to a foreign PID 1), and `is-system-running`.

use crate::cli::Options;
use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use unitbox_core::init::control::{self, Command, ControlError};
use unitbox_core::init::record::{self, InitRecord};
use unitbox_core::init::{scope_for_init, InitOptions};
use unitbox_core::root::Root;
use unitbox_core::scope::{Scope, ScopeKind};
use unitbox_core::state::StateDir;

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// A `systemctl` that is PID 1 and was given no verb is the init; so is `--init` without
/// a verb, and `--init start UNIT…` boots just those units.
pub fn select_init_verb(mut opts: Options) -> Options {
    let pid1 = std::process::id() == 1;
    match opts.verb.as_deref() {
        None if pid1 || opts.init => opts.verb = Some("init".into()),
        Some("start") if opts.init => opts.verb = Some("init".into()),
        _ => {}
    }
    opts
}

/// The scope of the init: root → system, any other uid → user mode. `--user`/`--system`
/// on the command line are not needed (and not honoured): the uid decides, as it must in
/// an image whose `USER` line the operator may override.
fn init_scope(ctx: &Ctx) -> Scope {
    // A capsule's manager (`capsule@NAME.service`) runs as the capsule's user.
    if let ScopeKind::Capsule(_) = ctx.scope.kind {
        return ctx.scope.clone();
    }
    let root = ctx.opts.root.as_deref().map(Root::new).unwrap_or_default();
    scope_for_init(root, &env)
}

pub fn init(ctx: &Ctx) -> CtlResult {
    let opts = InitOptions::new(init_scope(ctx), ctx.opts.args.clone(), &env)
        .map_err(CtlError::failure)?;
    Ok(ExitStatus(unitbox_core::init::run(opts)))
}

/// The state directory of the scope whose init is running: the selected scope, or —
/// without an explicit `--system`/`--user` — the init's own scope for this uid (a
/// `docker exec` into a user-mode container needs no `--user`).
fn running_init_dir(ctx: &Ctx) -> CtlResult<Option<StateDir>> {
    let mut scopes = vec![ctx.scope.clone()];
    if !ctx.opts.system && !ctx.opts.user {
        let own = init_scope(ctx);
        if own.kind != ctx.scope.kind {
            scopes.push(own);
        }
    }
    let mut first = None;
    for scope in &scopes {
        let dir = match StateDir::existing(scope) {
            Ok(d) => d,
            Err(_) => continue,
        };
        match dir {
            Some(d) if InitRecord::read_live(&d).is_some() => return Ok(Some(d)),
            Some(d) if first.is_none() => first = Some(d),
            _ => {}
        }
    }
    Ok(first)
}

fn send(ctx: &Ctx, command: Command) -> CtlResult {
    let dir = running_init_dir(ctx)?;
    let result = match &dir {
        Some(dir) => control::send(dir, command),
        None => Err(ControlError::NoInit),
    };
    result.map_err(|e| CtlError::failure(e.to_string()))?;
    Ok(ExitStatus::SUCCESS)
}

pub fn halt(ctx: &Ctx) -> CtlResult {
    send(ctx, Command::Halt)
}

pub fn poweroff(ctx: &Ctx) -> CtlResult {
    send(ctx, Command::Poweroff)
}

pub fn reboot(ctx: &Ctx) -> CtlResult {
    send(ctx, Command::Reboot)
}

pub fn exit(ctx: &Ctx) -> CtlResult {
    let code = match ctx.opts.args.as_slice() {
        [] => 0,
        [code] => code
            .parse::<u8>()
            .map_err(|_| CtlError::new(ExitStatus::INVALID_ARGUMENT, "Invalid exit code."))?,
        _ => return Err(CtlError::failure("Too many arguments.")),
    };
    send(ctx, Command::Exit(code))
}

pub fn is_system_running(ctx: &Ctx) -> CtlResult {
    let dir = running_init_dir(ctx)?;
    let state = match &dir {
        Some(dir) if ctx.opts.wait => record::wait_for_startup(dir),
        _ => record::system_state(dir.as_ref()),
    };
    if !ctx.opts.quiet {
        println!("{}", state.as_str());
    }
    Ok(ExitStatus(state.exit_code()))
}

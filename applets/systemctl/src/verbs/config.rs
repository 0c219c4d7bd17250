//! Verbs that change a unit's configuration on disk: `add-wants`, `add-requires`, `revert`.
//! The work is `unitbox_core::install`'s; messages and exit codes are 252's.

use super::install::{finish, flags, mangle};
use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};
use unitbox_core::install::changes::ChangeLog;
use unitbox_core::install::dependency::{self, Dependency};
use unitbox_core::install::revert;
use unitbox_core::unit::name;

fn add_dependency(ctx: &Ctx, dep: Dependency) -> CtlResult {
    let target_arg = &ctx.opts.args[0];
    let target = name::mangle_with_suffix(target_arg, "target", false)
        .ok_or_else(|| CtlError::failure("Failed to mangle unit name: Invalid argument"))?;
    if let Some(notice) = target.notice(target_arg).filter(|_| !ctx.opts.quiet) {
        eprintln!("{notice}");
    }
    let names = ctx.opts.args[1..]
        .iter()
        .map(|a| mangle(a, "service", ctx.opts.quiet))
        .collect::<CtlResult<Vec<_>>>()?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = dependency::add_dependency(&ctx.scope, &names, &target.name, dep, flags(ctx), &mut log);
    finish(ctx, &log, "add dependency on", r)
}

pub fn add_wants(ctx: &Ctx) -> CtlResult {
    add_dependency(ctx, Dependency::Wants)
}

pub fn add_requires(ctx: &Ctx) -> CtlResult {
    add_dependency(ctx, Dependency::Requires)
}

pub fn revert(ctx: &Ctx) -> CtlResult {
    let names = ctx
        .opts
        .args
        .iter()
        .map(|a| mangle(a, "service", ctx.opts.quiet))
        .collect::<CtlResult<Vec<_>>>()?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = revert::revert(&ctx.scope, &names, &mut log);
    finish(ctx, &log, "revert", r)
}

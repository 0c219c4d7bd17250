//! `add-wants` / `add-requires` (systemd 252's `unit_file_add_dependency`): each unit gets
//! a symlink in `TARGET.wants/` or `TARGET.requires/` of the scope's config directory, as if
//! its `[Install]` said `WantedBy=TARGET` (and nothing else: the file is not read).

use super::apply::apply_one;
use super::changes::ChangeLog;
use super::context::{discover_only, may_process, Context};
use super::index::Index;
use super::info;
use super::ops::Flags;
use crate::scope::Scope;

/// Which directory the links go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    Wants,
    Requires,
}

/// Adds `names` as dependencies of `target`. Returns a count (≥ 0) or a negative errno,
/// as the other install operations.
pub fn add_dependency(
    scope: &Scope,
    names: &[String],
    target: &str,
    dep: Dependency,
    flags: Flags,
    log: &mut ChangeLog,
) -> i32 {
    if !info::is_valid_name(target) {
        return log.error(libc::EUCLEAN, target, None);
    }
    let Some(config) = scope.config_dir(flags.runtime) else {
        return -libc::ENXIO;
    };
    let index = Index::new(scope);
    let mut ctx = Context::default();
    let target_info = match discover_checked(&mut ctx, scope, &index, log, target) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut infos = Vec::new();
    for name in names {
        let mut unit = match discover_checked(&mut ctx, scope, &index, log, name) {
            Ok(i) => i,
            Err(r) => return r,
        };
        let list = vec![target_info.name.clone()];
        match dep {
            Dependency::Wants => unit.wanted_by = list,
            Dependency::Requires => unit.required_by = list,
        }
        // One unit named twice (or by name and alias) links once, as in 252's context.
        if let Some(seen) = infos
            .iter_mut()
            .find(|i: &&mut info::InstallInfo| i.name == unit.name)
        {
            *seen = unit;
        } else {
            infos.push(unit);
        }
    }
    let mut r = 0;
    for unit in &infos {
        let q = apply_one(scope, &index, log, unit, &config, flags.force, false);
        if r >= 0 {
            r = if q < 0 { q } else { r + q };
        }
    }
    r
}

/// Finds a name (without reading its file) and refuses masked, generated and transient
/// units, as 252's `install_info_discover_and_check`.
fn discover_checked(
    ctx: &mut Context,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    name: &str,
) -> Result<info::InstallInfo, i32> {
    let found = discover_only(ctx, scope, index, log, name)?;
    match may_process(scope, log, &found) {
        0 => Ok(found),
        r => Err(r),
    }
}

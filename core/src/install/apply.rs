//! Creating a unit's symlinks (systemd 252's `install_context_apply` and
//! `install_info_apply`): the link of a file outside the search path, `Alias=`,
//! `WantedBy=` and `RequiredBy=`, with systemd's checks of alias and target names.

use super::changes::{Change, ChangeLog};
use super::context::Context;
use super::index::{template_of, Index};
use super::info::{self, Diagnostics, FileType, InstallInfo, Load};
use super::specifier;
use crate::scope::Scope;
use crate::unit::UnitName;
use std::path::Path;

/// systemd's `install_context_apply`: processes the context in order (Also= units join
/// the end) and creates each unit's symlinks.
pub(crate) fn apply(
    ctx: &mut Context,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    config: &Path,
    force: bool,
    ignore_auxiliary_failure: bool,
) -> i32 {
    let mut r = 0;
    let mut i = 0;
    while i < ctx.slots.len() {
        let loaded = ctx.load(i, scope, index, Load::Yes);
        let slot = &ctx.slots[i];
        i += 1;
        let info = match loaded {
            Err(_) if slot.reported => continue,
            Err(_) if slot.auxiliary => {
                let unit = slot.key.clone();
                log.push(Change::AuxiliaryFailed { unit });
                continue;
            }
            Err(e) => {
                let key = slot.key.clone();
                return log.error(e.errno(), key, None);
            }
            Ok(info) => info,
        };
        if slot.alias {
            continue;
        }
        if info.file_type == FileType::Masked {
            let path = log.shown(&info.path);
            log.push(Change::IsMasked { path });
            if r >= 0 {
                r += 1;
            }
            continue;
        }
        let q = apply_one(
            scope,
            index,
            log,
            &info,
            config,
            force,
            ignore_auxiliary_failure,
        );
        if r >= 0 {
            r = if q < 0 { q } else { r + q };
        }
    }
    r
}

/// systemd's `install_info_apply` for one unit: link (for files outside the search
/// path), `Alias=`, `WantedBy=`, `RequiredBy=`.
pub(crate) fn apply_one(
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    info: &InstallInfo,
    config: &Path,
    force: bool,
    ignore_auxiliary_failure: bool,
) -> i32 {
    let link = symlink_link(scope, log, info, config, force);
    let mut r = symlink_aliases(scope, log, info, config, force);
    for (list, suffix) in [
        (&info.wanted_by, ".wants"),
        (&info.required_by, ".requires"),
    ] {
        let q = symlink_wants(
            scope,
            index,
            log,
            info,
            config,
            list,
            suffix,
            ignore_auxiliary_failure,
        );
        if r == 0 {
            r = q;
        }
    }
    if r == 0 && link < 0 {
        r = link;
    }
    r
}

fn symlink_link(
    scope: &Scope,
    log: &mut ChangeLog,
    info: &InstallInfo,
    config: &Path,
    force: bool,
) -> i32 {
    let in_search_path = info
        .path
        .parent()
        .is_some_and(|p| scope.unit_dirs().iter().any(|d| d.path == p));
    if in_search_path {
        return 0;
    }
    log.create_symlink(scope, &info.path, &config.join(&info.name), force)
}

fn symlink_aliases(
    scope: &Scope,
    log: &mut ChangeLog,
    info: &InstallInfo,
    config: &Path,
    force: bool,
) -> i32 {
    let mut r = 0;
    for alias in &info.aliases {
        let Some(dst) = specifier::expand(scope, &info.name, alias) else {
            let q = log.error(libc::EBADSLT, alias.clone(), None);
            r = if r < 0 { r } else { q };
            continue;
        };
        let dst = match verify_alias(&info.name, &dst) {
            Ok(d) => d,
            Err(AliasError::SelfAlias) => continue,
            Err(AliasError::Invalid { path, source }) => {
                let q = log.error(libc::EXDEV, path, source);
                r = if r < 0 { r } else { q };
                continue;
            }
        };
        let q = log.create_symlink(scope, &info.path, &config.join(&dst), force);
        r = if r < 0 { r } else { q };
    }
    r
}

enum AliasError {
    SelfAlias,
    Invalid {
        path: String,
        source: Option<String>,
    },
}

/// systemd's `unit_file_verify_alias`: an `Alias=` must be a name of the same type and
/// kind (plain/template/instance); the legacy `X.wants/NAME` form must name the unit.
/// Returns the alias to create (with the instance filled in for instances).
fn verify_alias(unit: &str, alias: &str) -> Result<String, AliasError> {
    let invalid = |source: Option<&str>| AliasError::Invalid {
        path: alias.to_string(),
        source: source.map(str::to_string),
    };
    if let Some((dir, link)) = alias.rsplit_once('/') {
        let owner = dir
            .strip_suffix(".wants")
            .or_else(|| dir.strip_suffix(".requires"))
            .ok_or_else(|| invalid(None))?;
        let owner = UnitName::parse(owner).map_err(|_| invalid(None))?;
        let compatible = link == unit
            || (owner.is_template() && template_of(link).as_deref() == Some(unit))
            || template_of(unit).as_deref() == Some(link);
        return if compatible {
            Ok(alias.to_string())
        } else {
            Err(invalid(Some(unit)))
        };
    }
    let unit_name = UnitName::parse(unit).map_err(|_| invalid(Some(unit)))?;
    let mut dst = alias.to_string();
    if let Ok(a) = UnitName::parse(alias) {
        if a.is_template() && unit_name.is_instance() {
            if let Ok(with) = a.with_instance(unit_name.instance().unwrap_or_default()) {
                dst = with.to_string();
            }
        }
    }
    let invalid_dst = || AliasError::Invalid {
        path: dst.clone(),
        source: Some(unit.to_string()),
    };
    let a = UnitName::parse(&dst).map_err(|_| invalid_dst())?;
    if a.unit_type() != unit_name.unit_type() {
        return Err(invalid_dst());
    }
    if dst == unit {
        return Err(AliasError::SelfAlias);
    }
    let kind = |n: &UnitName| (n.is_template(), n.is_instance());
    if kind(&a) != kind(&unit_name) || (a.is_instance() && a.instance() != unit_name.instance()) {
        return Err(invalid_dst());
    }
    if !matches!(
        a.unit_type(),
        "service" | "socket" | "target" | "device" | "timer" | "path"
    ) {
        return Err(invalid_dst());
    }
    Ok(dst)
}

#[allow(clippy::too_many_arguments)]
fn symlink_wants(
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    info: &InstallInfo,
    config: &Path,
    list: &[String],
    suffix: &str,
    ignore_auxiliary_failure: bool,
) -> i32 {
    if list.is_empty() {
        return 0;
    }
    let parsed = UnitName::parse(&info.name).ok();
    let is_template = parsed.as_ref().is_some_and(|n| n.is_template());
    let (link_name, template_targets_only) = if !is_template {
        (info.name.clone(), false)
    } else if let Some(default) = &info.default_instance {
        let Some(instance) = parsed.as_ref().and_then(|n| n.with_instance(default).ok()) else {
            return -libc::EINVAL;
        };
        let instance = instance.to_string();
        match info::discover(scope, index, &instance, Load::No, Diagnostics::Quiet) {
            Err(e) => return -e.errno(),
            Ok(found) if found.file_type == FileType::Masked => {
                let shown = log.shown(&found.path);
                return log.error(libc::ERFKILL, shown, None);
            }
            Ok(_) => {}
        }
        (instance, false)
    } else {
        (info.name.clone(), true)
    };
    let mut r = 0;
    for word in list {
        // With a default instance, specifiers see the instance (`%i` is the instance).
        let Some(dst) = specifier::expand(scope, &link_name, word) else {
            let q = log.error(libc::EBADSLT, word.clone(), None);
            if r >= 0 {
                r = q;
            }
            continue;
        };
        let dst_name = UnitName::parse(&dst).ok();
        let valid = match &dst_name {
            Some(n) => !template_targets_only || n.is_template(),
            None => false,
        };
        if !valid {
            if ignore_auxiliary_failure {
                continue;
            }
            let q = if dst_name.is_some() {
                log.error(libc::EIDRM, dst.clone(), Some(link_name.clone()))
            } else {
                log.error(libc::EUCLEAN, dst.clone(), None)
            };
            if r >= 0 {
                r = q;
            }
            continue;
        }
        let path = config.join(format!("{dst}{suffix}")).join(&link_name);
        let q = log.create_symlink(scope, &info.path, &path, true);
        if r == 0 {
            r = q;
        }
        if info::discover(scope, index, &dst, Load::No, Diagnostics::Quiet).is_err() {
            let source = log.shown(&info.path);
            log.push(Change::DestinationNotPresent { unit: dst, source });
        }
    }
    r
}

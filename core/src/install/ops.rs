//! The install verbs, following systemd 252's `unit_file_enable`, `unit_file_disable`,
//! `unit_file_mask`, … One function per verb; they record their changes in a
//! [`ChangeLog`] and return systemd's result: a count (≥ 0, for enable: how many install
//! rules applied, 0 meaning "no [Install] section") or a negative errno.

use super::apply::apply;
use super::changes::{Change, ChangeLog};
use super::context::{discover_and_check, may_process, Context};
use super::index::Index;
use super::info::{self, Diagnostics, DiscoverError, FileType, Load};
use crate::scope::Scope;
use crate::unit::UnitName;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub runtime: bool,
    pub force: bool,
}

fn config_dir(scope: &Scope, runtime: bool) -> Result<PathBuf, i32> {
    scope.config_dir(runtime).ok_or(-libc::ENXIO)
}

pub fn enable(scope: &Scope, names: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let index = Index::new(scope);
    let mut ctx = Context::default();
    for name in names {
        if let Err(r) = discover_and_check(&mut ctx, scope, &index, log, name) {
            return r;
        }
    }
    apply(&mut ctx, scope, &index, log, &config, flags.force, false)
}
pub fn disable(scope: &Scope, names: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if names.iter().any(|n| !info::is_valid_name(n)) {
        return -libc::EINVAL;
    }
    let index = Index::new(scope);
    let mut ctx = Context::default();
    for name in names {
        ctx.add(name, false);
    }
    let mut marked = mark_for_removal(&mut ctx, scope, &index, log);
    log.remove_marked_symlinks(scope, &mut marked, &config)
}

/// systemd's `install_context_mark_for_removal`: the names whose symlinks go.
pub(crate) fn mark_for_removal(
    ctx: &mut Context,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
) -> HashSet<String> {
    let mut marked = HashSet::new();
    let mut i = 0;
    while i < ctx.slots.len() {
        let loaded = ctx.load(i, scope, index, Load::Yes);
        let slot = &ctx.slots[i];
        i += 1;
        let key = slot.key.clone();
        match loaded {
            Err(DiscoverError::DanglingAlias) => log.push(Change::IsDangling { path: key.clone() }),
            Err(DiscoverError::NotFound) if slot.auxiliary || slot.reported => {}
            Err(e) if !slot.reported => {
                log.error(e.errno(), key.clone(), None);
            }
            Err(_) => {}
            Ok(info) if info.file_type == FileType::Masked => {
                let path = log.shown(&info.path);
                log.push(Change::IsMasked { path });
                continue;
            }
            Ok(_) if slot.alias => continue,
            Ok(info) => {
                marked.insert(info.name);
                continue;
            }
        }
        marked.insert(key);
    }
    marked
}

/// systemd 252's `unit_file_reenable`: discover (and check) everything first, then remove
/// the symlinks of those units, then enable them from what was discovered, so a linked
/// unit survives the removal of its link.
pub fn reenable(scope: &Scope, names: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let index = Index::new(scope);
    let mut ctx = Context::default();
    let mut unit_names = Vec::new();
    for name in names {
        if let Err(r) = discover_and_check(&mut ctx, scope, &index, log, name) {
            return r;
        }
        if let Some(i) = ctx.position(name) {
            if let Some(Ok(info)) = &ctx.slots[i].result {
                unit_names.push(info.name.clone());
            }
        }
    }
    let mut removal = Context::default();
    for name in &unit_names {
        removal.add(name, false);
    }
    let mut marked = mark_for_removal(&mut removal, scope, &index, log);
    let r = log.remove_marked_symlinks(scope, &mut marked, &config);
    if r < 0 {
        return r;
    }
    let index = Index::new(scope);
    apply(&mut ctx, scope, &index, log, &config, flags.force, false)
}

pub fn mask(scope: &Scope, names: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut r = 0;
    for name in names {
        if !info::is_valid_name(name) {
            if r == 0 {
                r = -libc::EINVAL;
            }
            continue;
        }
        let q = log.create_symlink(
            scope,
            Path::new("/dev/null"),
            &config.join(name),
            flags.force,
        );
        if q < 0 && r >= 0 {
            r = q;
        }
    }
    r
}

pub fn unmask(scope: &Scope, names: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut todo: Vec<&String> = Vec::new();
    for name in names {
        if !info::is_valid_name(name) {
            return -libc::EINVAL;
        }
        let host = scope.root.host_path(&config.join(name));
        let is_mask = match std::fs::metadata(&host) {
            Ok(m) => m.len() == 0 || is_char_device(&m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
        };
        if is_mask && !todo.contains(&name) {
            todo.push(name);
        }
    }
    let mut r = 0;
    let mut marked = HashSet::new();
    for name in todo {
        let path = config.join(name);
        let shown = log.shown(&path);
        if !log.dry_run {
            if let Err(e) = std::fs::remove_file(scope.root.host_path(&path)) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    let q = log.error(e.raw_os_error().unwrap_or(libc::EIO), shown, None);
                    if r >= 0 {
                        r = q;
                    }
                }
                continue;
            }
        }
        log.push(Change::Unlink { path: shown });
        marked.insert(path.to_string_lossy().into_owned());
    }
    let q = log.remove_marked_symlinks(scope, &mut marked, &config);
    if r >= 0 {
        r = q;
    }
    r
}

fn is_char_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device()
}

pub fn link(scope: &Scope, paths: &[String], flags: Flags, log: &mut ChangeLog) -> i32 {
    let config = match config_dir(scope, flags.runtime) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut todo: Vec<PathBuf> = Vec::new();
    for arg in paths {
        let path = Path::new(arg);
        let base = path.file_name().and_then(|b| b.to_str()).unwrap_or("");
        if !path.is_absolute() || !info::is_valid_name(base) {
            return -libc::EINVAL;
        }
        let meta = match std::fs::symlink_metadata(scope.root.host_path(path)) {
            Ok(m) => m,
            Err(e) => return log.error(e.raw_os_error().unwrap_or(libc::EIO), arg.clone(), None),
        };
        if meta.is_dir() {
            return -libc::EISDIR;
        }
        if !meta.is_file() {
            return -libc::EBADF;
        }
        let in_search_path = path
            .parent()
            .is_some_and(|p| scope.unit_dirs().iter().any(|d| d.path == p));
        if !in_search_path && !todo.iter().any(|t| t == path) {
            todo.push(path.to_path_buf());
        }
    }
    let mut r = 0;
    for path in todo {
        let Some(base) = path.file_name() else {
            continue;
        };
        let q = log.create_symlink(scope, &path, &config.join(base), flags.force);
        if q < 0 && r >= 0 {
            r = q;
        }
    }
    r
}

pub const DEFAULT_TARGET: &str = "default.target";

pub fn set_default(scope: &Scope, name: &str, log: &mut ChangeLog) -> i32 {
    if name == DEFAULT_TARGET {
        return -libc::EINVAL;
    }
    if UnitName::parse(name)
        .map(|n| n.unit_type() != "target")
        .unwrap_or(true)
    {
        return -libc::EINVAL;
    }
    let Some(config) = scope.config_dir(false) else {
        return -libc::ENXIO;
    };
    let index = Index::new(scope);
    let info = match info::discover(scope, &index, name, Load::No, Diagnostics::Print) {
        Ok(i) => i,
        Err(e) => return log.error(e.errno(), name, None),
    };
    let r = may_process(scope, log, &info);
    if r < 0 {
        return r;
    }
    log.create_symlink(scope, &info.path, &config.join(DEFAULT_TARGET), true)
}

/// `get-default`: the unit `default.target` resolves to, or an errno.
pub fn get_default(scope: &Scope) -> Result<String, i32> {
    let index = Index::new(scope);
    let info = info::discover(scope, &index, DEFAULT_TARGET, Load::No, Diagnostics::Quiet)
        .map_err(|e| e.errno())?;
    if info.file_type == FileType::Masked {
        return Err(libc::ERFKILL);
    }
    Ok(info.name)
}

/// `is-enabled --full`: the symlinks `disable` would remove (logical paths).
pub fn installation_targets(scope: &Scope, name: &str, runtime: bool) -> Vec<PathBuf> {
    let Ok(config) = config_dir(scope, runtime) else {
        return Vec::new();
    };
    let mut log = ChangeLog::new(&scope.root, true);
    let index = Index::new(scope);
    let mut ctx = Context::default();
    ctx.add(name, false);
    let mut marked = mark_for_removal(&mut ctx, scope, &index, &mut log);
    log.changes.clear();
    log.remove_marked_symlinks(scope, &mut marked, &config);
    log.changes
        .iter()
        .filter_map(|c| match c {
            Change::Unlink { path } => Some(strip_root(scope, path)),
            _ => None,
        })
        .collect()
}

fn strip_root(scope: &Scope, shown: &str) -> PathBuf {
    let host = Path::new(shown);
    match host.strip_prefix(scope.root.dir()) {
        Ok(rel) if !scope.root.is_host() => Path::new("/").join(rel),
        _ => host.to_path_buf(),
    }
}

/// Whether `state_of` would report a unit as present (used by the SysV fallback).
pub fn unit_file_exists(scope: &Scope, index: &Index, name: &str) -> bool {
    info::discover(scope, index, name, Load::No, Diagnostics::Quiet).is_ok()
}

//! `revert` (systemd 252's `unit_file_revert`): puts units back into their vendor state.
//! Removed are the drop-in directories `NAME.d/` in the config, control (`set-property`) and
//! transient directories, and — when a vendor file exists (`/usr`, generators) — the copies
//! and masks of the unit in the config directories; then the symlinks that pointed at what
//! was removed. Persistent and runtime directories alike.

use super::changes::{Change, ChangeLog};
use crate::scope::{DirClass, Scope};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// Reverts `names`; returns 0 or a negative errno (with the failure in `log`).
pub fn revert(scope: &Scope, names: &[String], log: &mut ChangeLog) -> i32 {
    let mut todo: Vec<PathBuf> = Vec::new();
    let class_of = |path: &Path| {
        let parent = path.parent()?;
        scope
            .unit_dirs()
            .iter()
            .find(|d| d.path == parent)
            .map(|d| d.class)
    };
    for name in names {
        if !super::info::is_valid_name(name) {
            return -libc::EINVAL;
        }
        let mut has_vendor = false;
        for dir in scope.unit_dirs() {
            let path = dir.path.join(name);
            match std::fs::symlink_metadata(scope.root.host_path(&path)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return log.error(errno_of(&e), log.shown(&path), None),
                Ok(meta) if meta.is_file() => {
                    has_vendor |= is_vendor(&path);
                }
                Ok(_) => {}
            }
            let dropin = dir.path.join(format!("{name}.d"));
            match std::fs::symlink_metadata(scope.root.host_path(&dropin)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return log.error(errno_of(&e), log.shown(&dropin), None),
                Ok(meta) if meta.is_dir() && shall_revert(dir.class) => {
                    push_once(&mut todo, dropin)
                }
                Ok(_) => {}
            }
        }
        if !has_vendor {
            continue;
        }
        for dir in scope.unit_dirs() {
            let path = dir.path.join(name);
            match std::fs::symlink_metadata(scope.root.host_path(&path)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return log.error(errno_of(&e), log.shown(&path), None),
                Ok(meta) => {
                    let file_or_link = meta.is_file() || meta.file_type().is_symlink();
                    if file_or_link && class_of(&path).is_some_and(is_config_dir) {
                        push_once(&mut todo, path);
                    }
                }
            }
        }
    }
    let mut r = 0;
    let mut marked = HashSet::new();
    for path in todo {
        let host = scope.root.host_path(&path);
        let files = files_in_directory(&host);
        let removed = if host.is_dir() && !host.is_symlink() {
            std::fs::remove_dir_all(&host)
        } else {
            std::fs::remove_file(&host)
        };
        if let Err(e) = removed {
            if e.kind() != std::io::ErrorKind::NotFound && r >= 0 {
                r = -errno_of(&e);
                continue;
            }
        }
        for file in files {
            let shown = log.shown(&path.join(file));
            log.push(Change::Unlink { path: shown });
        }
        let shown = log.shown(&path);
        log.push(Change::Unlink { path: shown });
        marked.insert(path.to_string_lossy().into_owned());
    }
    for runtime in [true, false] {
        let Some(config) = scope.config_dir(runtime) else {
            continue;
        };
        let q = log.remove_marked_symlinks(scope, &mut marked, &config);
        if r >= 0 {
            r = q;
        }
    }
    r
}

fn push_once(todo: &mut Vec<PathBuf>, path: PathBuf) {
    if !todo.contains(&path) {
        todo.push(path);
    }
}

/// The persistent and runtime config directories (`path_is_config`).
fn is_config_dir(class: DirClass) -> bool {
    matches!(class, DirClass::Config | DirClass::ConfigRuntime)
}

/// Directories whose drop-ins `revert` removes: config, control, transient.
fn shall_revert(class: DirClass) -> bool {
    is_config_dir(class)
        || matches!(
            class,
            DirClass::Control | DirClass::ControlRuntime | DirClass::Transient
        )
}

/// A file shipped by the vendor: under `/usr` or `/lib` (252 as Debian builds it, split
/// /usr). A generated unit does not count: a booted 252 keeps the `/etc` copy of one.
fn is_vendor(path: &Path) -> bool {
    path.starts_with("/usr") || path.starts_with("/lib")
}

/// systemd's `get_files_in_directory`: the entries that are files (regular or symlinks, not
/// hidden), in directory order; nothing for what is not a directory.
fn files_in_directory(host: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(host) else {
        return Vec::new();
    };
    read.flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !crate::dirent::hidden_or_backup(n))
        .collect()
}

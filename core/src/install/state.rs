//! `is-enabled` / `UnitFileState=`: systemd 252's `unit_file_lookup_state` and
//! `find_symlinks_in_scope`, over the in-memory [`Index`].

use super::index::{DirIndex, Index};
use super::info::{self, Diagnostics, DiscoverError, FileType, InstallInfo, Load};
use super::specifier;
use super::UnitFileState;
use crate::scope::{DirClass, Scope, ScopeKind};
use crate::unit::UnitName;
use std::path::Path;

/// The state of `name`; an error when it has no readable unit file (systemd prints it as
/// `Failed to get unit file state for NAME: ERROR` and `list-unit-files` shows `bad`).
pub fn lookup(
    scope: &Scope,
    index: &Index,
    name: &str,
    diag: Diagnostics,
) -> Result<UnitFileState, DiscoverError> {
    if !info::is_valid_name(name) {
        return Err(DiscoverError::Invalid);
    }
    let info = info::discover(scope, index, name, Load::Yes, diag)?;
    Ok(state_of(scope, index, name, &info))
}

pub fn state_of(scope: &Scope, index: &Index, asked: &str, info: &InstallInfo) -> UnitFileState {
    if info.file_type == FileType::Masked {
        return if is_runtime_path(scope, &info.path, true) {
            UnitFileState::MaskedRuntime
        } else {
            UnitFileState::Masked
        };
    }
    let base = info.path.file_name().and_then(|b| b.to_str()).unwrap_or("");
    let asked_is_instance = UnitName::parse(asked).is_ok_and(|n| n.is_instance());
    if base != asked && !asked_is_instance {
        return UnitFileState::Alias;
    }
    match parent_class(scope, &info.path) {
        Some(c) if c.is_generator() => return UnitFileState::Generated,
        Some(DirClass::Transient) => return UnitFileState::Transient,
        _ => {}
    }
    if let Some(state) = find_symlinks_in_scope(scope, index, info, true) {
        return state;
    }
    if find_symlinks_in_scope(scope, index, info, false).is_some() {
        return UnitFileState::Indirect;
    }
    if info.has_rules() {
        UnitFileState::Disabled
    } else if info.has_also() {
        UnitFileState::Indirect
    } else {
        UnitFileState::Static
    }
}

fn parent_class(scope: &Scope, path: &Path) -> Option<DirClass> {
    let parent = path.parent()?;
    scope
        .unit_dirs()
        .iter()
        .find(|d| d.path == parent)
        .map(|d| d.class)
}

/// systemd's `path_is_runtime`: everything below `/run`, plus the scope's runtime
/// directories (`$XDG_RUNTIME_DIR/…` for a user); `check_parent` looks at the directory
/// holding `path`.
pub fn is_runtime_path(scope: &Scope, path: &Path, check_parent: bool) -> bool {
    if path.starts_with("/run") {
        return true;
    }
    let dir = if check_parent {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    scope
        .unit_dirs()
        .iter()
        .any(|d| d.path == dir && d.class.is_runtime())
}

/// Where symlinks to the unit show it as enabled: `Some(state)` for enabled,
/// enabled-runtime, static (instances linked from vendor directories), linked and
/// linked-runtime; `None` if nothing points at it. `match_name` limits the matches to the
/// names `enable` would create (the unit's own name and its `Alias=`).
pub fn find_symlinks_in_scope(
    scope: &Scope,
    index: &Index,
    info: &InstallInfo,
    match_name: bool,
) -> Option<UnitFileState> {
    let persistent = scope.config_dir(false);
    let aliases: Vec<String> = if match_name {
        info.aliases
            .iter()
            .filter_map(|a| specifier::expand(scope, &info.name, a))
            .collect()
    } else {
        Vec::new()
    };
    let known = |link: &str| link == info.name || aliases.iter().any(|a| a == link);
    let (mut in_runtime, mut at_all) = (false, false);
    let (mut same_config, mut same_runtime) = (false, false);
    let mut ignore_same_name = false;
    for dir in &index.dirs {
        let (found, same_name) = find_symlinks(dir, info, match_name, ignore_same_name, &known);
        let p = dir.path.as_path();
        if found {
            if persistent.as_deref() == Some(p) {
                return Some(UnitFileState::Enabled);
            }
            if scope.kind == ScopeKind::User && p == Path::new("/etc/systemd/user") {
                return Some(UnitFileState::Enabled);
            }
            if is_runtime_path(scope, p, false) {
                in_runtime = true;
            } else {
                at_all = true;
            }
        } else if same_name {
            if persistent.as_deref() == Some(p) {
                same_config = true;
            } else if is_runtime_path(scope, p, false) {
                same_runtime = true;
            }
        }
        if !ignore_same_name && info.path.starts_with(p) {
            ignore_same_name = true;
        }
    }
    let is_instance = UnitName::parse(&info.name).is_ok_and(|n| n.is_instance());
    if in_runtime {
        Some(UnitFileState::EnabledRuntime)
    } else if at_all && is_instance {
        Some(UnitFileState::Static)
    } else if same_config {
        Some(UnitFileState::Linked)
    } else if same_runtime {
        Some(UnitFileState::LinkedRuntime)
    } else {
        None
    }
}

/// One directory: first its `.wants/`-style sub-directories (only the link names count),
/// then its own symlinks (names and targets). Returns (found, same-name link seen).
fn find_symlinks(
    dir: &DirIndex,
    info: &InstallInfo,
    match_name: bool,
    ignore_same_name: bool,
    known: &dyn Fn(&str) -> bool,
) -> (bool, bool) {
    if dir.dependency_links.contains(&info.name) {
        return (true, false);
    }
    if !match_name && dir.dependency_link_templates.contains(&info.name) {
        return (true, false);
    }
    // A template enabled through its DefaultInstance= is enabled itself (252).
    if match_name {
        let default_instance = info.default_instance.as_deref().and_then(|default| {
            UnitName::parse(&info.name)
                .ok()
                .filter(UnitName::is_template)
                .and_then(|t| t.with_instance(default).ok())
        });
        if default_instance.is_some_and(|i| dir.dependency_links.contains(i.as_str())) {
            return (true, false);
        }
    }
    let mut same_name = false;
    if let Some(links) = dir.links_by_target.get(&info.name) {
        for link in links {
            let found_path = !ignore_same_name && *link == info.name;
            if found_path {
                same_name = true;
            } else if !match_name || known(link) {
                return (true, same_name);
            }
        }
    }
    if !ignore_same_name {
        if let Some(super::index::Kind::Link(target)) = dir.entries.get(&info.name) {
            let to_same = target.file_name().and_then(|b| b.to_str()) == Some(info.name.as_str());
            if !to_same {
                return (true, same_name);
            }
        }
    }
    (false, same_name)
}

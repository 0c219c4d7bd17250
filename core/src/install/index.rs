//! One scan of a scope's search path, shared by every query of a command: what each unit
//! directory holds (files, symlinks with their targets, sub-directories) and the names of the
//! symlinks in its `.wants/`, `.requires/` and `.upholds/` directories. With it, the state of
//! 500 units costs one `readdir` per directory instead of one per unit and directory.

use crate::root::{normalize, Root};
use crate::scope::Scope;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    /// A symlink and its target, made absolute (logical, not followed further).
    Link(PathBuf),
    Dir,
    Other,
}

#[derive(Debug, Default)]
pub struct DirIndex {
    pub path: PathBuf,
    pub entries: HashMap<String, Kind>,
    /// Entry names in `readdir` order (systemd walks directories in that order).
    pub order: Vec<String>,
    /// Symlink names found in `*.wants/`, `*.requires/`, `*.upholds/` sub-directories.
    pub dependency_links: HashSet<String>,
    /// Templates of those names (`foo@.service` for `foo@bar.service`).
    pub dependency_link_templates: HashSet<String>,
    /// Top-level symlinks by the file name of their target: target name → link names.
    pub links_by_target: HashMap<String, Vec<String>>,
}

#[derive(Debug, Default)]
pub struct Index {
    pub dirs: Vec<DirIndex>,
}

const DEPENDENCY_DIR_SUFFIXES: [&str; 3] = [".wants", ".requires", ".upholds"];

impl Index {
    pub fn new(scope: &Scope) -> Self {
        let dirs = scope
            .unit_dirs()
            .iter()
            .map(|d| scan_dir(&scope.root, &d.path))
            .collect();
        Index { dirs }
    }

    /// The first directory (in search path order) with an entry of this name.
    pub fn find(&self, name: &str) -> Option<(usize, &Kind)> {
        self.dirs
            .iter()
            .enumerate()
            .find_map(|(i, d)| d.entries.get(name).map(|k| (i, k)))
    }

    /// Whether `dir` (a search path directory) has a sub-directory `name`.
    pub fn has_subdir(&self, root: &Root, dir: usize, name: &str) -> bool {
        let Some(d) = self.dirs.get(dir) else {
            return false;
        };
        match d.entries.get(name) {
            Some(Kind::Dir) => true,
            Some(Kind::Link(_)) => root.host_path(&d.path.join(name)).is_dir(),
            _ => false,
        }
    }

    pub fn dir_position(&self, path: &Path) -> Option<usize> {
        self.dirs.iter().position(|d| d.path == path)
    }
}

fn scan_dir(root: &Root, logical: &Path) -> DirIndex {
    let mut index = DirIndex {
        path: logical.to_path_buf(),
        ..Default::default()
    };
    let Ok(read) = std::fs::read_dir(root.host_path(logical)) else {
        return index;
    };
    for entry in read.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(ftype) = entry.file_type() else {
            continue;
        };
        let kind = if ftype.is_symlink() {
            match std::fs::read_link(entry.path()) {
                Ok(target) => Kind::Link(absolute_target(logical, &target)),
                Err(_) => continue,
            }
        } else if ftype.is_dir() {
            Kind::Dir
        } else if ftype.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        match &kind {
            Kind::Dir if DEPENDENCY_DIR_SUFFIXES.iter().any(|s| name.ends_with(s)) => {
                scan_dependency_dir(root, &logical.join(&name), &mut index);
            }
            Kind::Link(target) => {
                if let Some(base) = target.file_name().and_then(|b| b.to_str()) {
                    index
                        .links_by_target
                        .entry(base.to_string())
                        .or_default()
                        .push(name.clone());
                }
            }
            _ => {}
        }
        index.order.push(name.clone());
        index.entries.insert(name, kind);
    }
    index
}

fn scan_dependency_dir(root: &Root, logical: &Path, index: &mut DirIndex) {
    let Ok(read) = std::fs::read_dir(root.host_path(logical)) else {
        return;
    };
    for entry in read.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_symlink()) {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(template) = template_of(&name) {
            index.dependency_link_templates.insert(template);
        }
        index.dependency_links.insert(name);
    }
}

/// A symlink target made absolute against the link's directory (logical).
pub fn absolute_target(link_dir: &Path, target: &Path) -> PathBuf {
    if target.is_absolute() {
        normalize(target)
    } else {
        normalize(&link_dir.join(target))
    }
}

/// `foo@bar.service` → `foo@.service`; `None` for names without `@`.
pub fn template_of(name: &str) -> Option<String> {
    let at = name.find('@')?;
    let dot = name.rfind('.')?;
    (dot > at).then(|| format!("{}{}", &name[..=at], &name[dot..]))
}

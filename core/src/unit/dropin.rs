//! Drop-ins and dependency directories of a unit, as systemd 252's
//! `unit_file_find_dropin_paths()`: for every name of the unit (id first, then aliases) and
//! every search directory (highest priority first), `NAME.d/`, the template's, and each dash
//! prefix's (`foo-bar-.service.d/`, `foo-.service.d/`); the type's (`service.d/`) last.
//! Among files of the same name the first directory in that order wins; the survivors
//! are sorted by file name. `.wants/`, `.requires/`, `.upholds/` work the same way.

use super::load::{read_in_root, UnitStore};
use super::syntax::{self, Diagnostic};
use super::{DirDependency, Unit, UnitName};
use std::path::{Path, PathBuf};

/// Whether a directory in a unit directory can hold drop-ins or dependencies:
/// `NAME.d`, `NAME.wants`, `NAME.requires`, `NAME.upholds` with NAME a unit name or a type.
pub fn is_dropin_dir_name(name: &str) -> bool {
    [".d", ".wants", ".requires", ".upholds"]
        .iter()
        .any(|suffix| {
            name.strip_suffix(suffix).is_some_and(|stem| {
                UnitName::parse(stem).is_ok() || super::name::UNIT_TYPES.contains(&stem)
            })
        })
}

/// The names whose directories apply to `name` in one search directory, in systemd's
/// order: the name, its template, then the dash prefix (recursively, with the instance).
pub fn dir_names(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_dir_names(name, &mut out, 0);
    out
}

fn collect_dir_names(name: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    out.push(name.to_string());
    let Ok(parsed) = UnitName::parse(name) else {
        return;
    };
    if parsed.is_instance() {
        if let Some(template) = parsed.template() {
            collect_dir_names(template.as_str(), out, depth + 1);
        }
    }
    // foo-bar-baz → foo-bar-, a trailing dash is chopped once: foo-bar- → foo-.
    let mut prefix = parsed.prefix().to_string();
    let mut chopped = false;
    loop {
        let Some(dash) = prefix.rfind('-') else {
            return;
        };
        if dash == 0 {
            return;
        }
        if dash + 1 < prefix.len() || chopped {
            prefix.truncate(dash + 1);
            break;
        }
        prefix.truncate(dash);
        chopped = true;
    }
    let built = match parsed.instance().filter(|_| parsed.is_instance()) {
        Some(instance) => format!("{prefix}@{instance}.{}", parsed.unit_type()),
        None => format!("{prefix}.{}", parsed.unit_type()),
    };
    if UnitName::parse(&built).is_ok() {
        collect_dir_names(&built, out, depth + 1);
    }
}

/// The existing directories `NAME<suffix>` for a unit, in precedence order.
fn find_dirs(store: &UnitStore, unit: &Unit, suffix: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut push = |p: &PathBuf| {
        if !dirs.contains(p) {
            dirs.push(p.clone());
        }
    };
    for name in &unit.names {
        let names = dir_names(name);
        for here in store.subdirs() {
            for n in &names {
                if let Some(p) = here.get(&format!("{n}{suffix}")) {
                    push(p);
                }
            }
        }
    }
    let type_dir = format!("{}{suffix}", unit.id.unit_type());
    for here in store.subdirs() {
        if let Some(p) = here.get(&type_dir) {
            push(p);
        }
    }
    dirs
}

/// `conf_files_list_strv()`: file name → first path, sorted by file name.
fn list_files(store: &UnitStore, dirs: &[PathBuf], suffix: Option<&str>) -> Vec<PathBuf> {
    crate::dirent::conf_files(&store.scope().root, dirs, suffix)
}

fn is_masked(store: &UnitStore, path: &Path) -> bool {
    read_in_root(&store.scope().root, path).is_ok_and(|b| b.is_empty())
}

/// Fills `dropin_paths`, the drop-ins' settings (when `parse`) and `dir_dependencies`.
pub(super) fn load_dropins(store: &UnitStore, unit: &mut Unit, parse: bool) {
    let root = &store.scope().root;
    let dirs = find_dirs(store, unit, ".d");
    for path in list_files(store, &dirs, Some(".conf")) {
        // A drop-in masked by /dev/null stays in the list (systemd shows it) but is empty.
        match read_in_root(root, &path) {
            Ok(bytes) => {
                if parse {
                    let mut parsed = syntax::parse_bytes(&bytes, &path);
                    super::validate::check_file(unit.id.unit_type(), &mut parsed);
                    unit.settings.entries.extend(parsed.entries);
                    unit.diagnostics.extend(parsed.diagnostics);
                }
                unit.dropin_paths.push(path);
            }
            Err(err) => unit.diagnostics.push(Diagnostic {
                file: path.clone(),
                line: 0,
                message: format!(
                    "Failed to open configuration file '{}': {}",
                    path.display(),
                    crate::error::os_error_text(&err)
                ),
            }),
        }
    }
    for kind in DirDependency::ALL {
        let dirs = find_dirs(store, unit, kind.dir_suffix());
        for path in list_files(store, &dirs, None) {
            if let Some(dep) = dependency_of(store, unit, kind, &path) {
                if !unit.dir_dependencies.contains(&(kind, dep.clone())) {
                    unit.dir_dependencies.push((kind, dep));
                }
            }
        }
    }
}

/// The unit a `.wants/`-style entry names, or `None` (with a diagnostic when systemd warns).
fn dependency_of(
    store: &UnitStore,
    unit: &mut Unit,
    kind: DirDependency,
    path: &Path,
) -> Option<String> {
    let root = &store.scope().root;
    if is_masked(store, path) {
        return None;
    }
    let instance = unit
        .id
        .instance()
        .filter(|_| unit.id.is_instance())
        .map(str::to_string);
    let mut warn = |message: String| {
        unit.diagnostics.push(Diagnostic {
            file: path.to_path_buf(),
            line: 0,
            message,
        })
    };
    let is_link =
        std::fs::symlink_metadata(root.host_path(path)).is_ok_and(|m| m.file_type().is_symlink());
    let kind_name = kind.key();
    if !is_link {
        warn(format!(
            "{kind_name} dependency dropin {} is not a symlink, ignoring.",
            path.display()
        ));
        return None;
    }
    let entry = path.file_name()?.to_str()?;
    let Ok(name) = UnitName::parse(entry) else {
        warn(format!(
            "{kind_name} dependency dropin {} is not a valid unit name, ignoring.",
            path.display()
        ));
        return None;
    };
    if !name.is_template() {
        return Some(name.to_string());
    }
    // foo@.target.wants/bar@.service: the instance propagates.
    match instance {
        Some(instance) => name.with_instance(&instance).ok().map(|n| n.to_string()),
        None => {
            warn(format!(
                "Cannot add {kind_name} dependency on {entry}, ignoring: Invalid argument"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_names_follow_templates_and_dash_prefixes() {
        assert_eq!(
            dir_names("foo-bar-baz.service"),
            ["foo-bar-baz.service", "foo-bar-.service", "foo-.service"]
        );
        assert_eq!(
            dir_names("foo-bar@inst.service"),
            [
                "foo-bar@inst.service",
                "foo-bar@.service",
                "foo-.service",
                "foo-@inst.service",
                "foo-@.service"
            ]
        );
        assert_eq!(dir_names("plain.target"), ["plain.target"]);
        assert_eq!(dir_names("-lead.service"), ["-lead.service"]);
    }

    #[test]
    fn dropin_dir_names() {
        assert!(is_dropin_dir_name("foo.service.d"));
        assert!(is_dropin_dir_name("service.d"));
        assert!(is_dropin_dir_name("multi-user.target.wants"));
        assert!(is_dropin_dir_name("a@.target.upholds"));
        assert!(!is_dropin_dir_name("foo.d"));
        assert!(!is_dropin_dir_name("foo.service.d.d"));
    }
}

//! Finding and reading units on a scope's search path, as systemd's unit loader does:
//! the first directory with a file of the name provides the fragment; a symlink to
//! `/dev/null` or an empty file masks; a symlink to another unit name inside the search
//! path is an alias; a symlink to a file outside it is a linked unit; instances fall back
//! to their template. Drop-ins come from `NAME.d/` of every name, the template, the dash
//! prefixes and the type (`service.d/`), across all directories.

use super::syntax::{self, Diagnostic};
use super::{DirDependency, LoadState, Settings, Unit, UnitName};
use crate::scope::{DirClass, Scope};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// How many alias hops we follow before calling it a loop.
const MAX_ALIAS_HOPS: usize = 64;

/// What a name on the search path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (or a symlink to one with the same name in the search path).
    File { path: PathBuf },
    /// A symlink to `/dev/null` or an empty file.
    Masked { path: PathBuf },
    /// A symlink to another unit name inside the search path.
    Alias { path: PathBuf, target: String },
    /// A symlink to a file outside the search path (`systemctl link`).
    Linked { path: PathBuf, target: PathBuf },
}

impl Entry {
    /// The path of the directory entry itself.
    pub fn path(&self) -> &Path {
        match self {
            Entry::File { path }
            | Entry::Masked { path }
            | Entry::Alias { path, .. }
            | Entry::Linked { path, .. } => path,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MapEntry {
    pub entry: Entry,
    /// Index into `Scope::unit_dirs()` of the directory that holds it.
    pub dir: usize,
}

/// All units of a scope: the name map is built once per store (one `readdir` per unit
/// directory), units are parsed on demand.
pub struct UnitStore {
    scope: Scope,
    map: BTreeMap<String, MapEntry>,
    /// Existing directories (`NAME.d`, `NAME.wants`, …) per unit directory, so drop-in
    /// lookups never touch the file system for names that have none.
    subdirs: Vec<HashMap<String, PathBuf>>,
}

impl UnitStore {
    pub fn new(scope: Scope) -> Self {
        let mut map = BTreeMap::new();
        let mut subdirs = Vec::new();
        for (index, dir) in scope.unit_dirs().iter().enumerate() {
            let mut dirs_here = HashMap::new();
            let host_dir = scope.root.host_path(&dir.path);
            let Ok(read) = std::fs::read_dir(&host_dir) else {
                subdirs.push(dirs_here);
                continue;
            };
            let mut names: Vec<(String, std::fs::FileType)> = read
                .flatten()
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.file_type().ok()?)))
                .collect();
            names.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, ftype) in names {
                if name.starts_with('.') || name.ends_with(".ignore") {
                    continue;
                }
                let logical = dir.path.join(&name);
                let is_dir = ftype.is_dir()
                    || (ftype.is_symlink() && scope.root.host_path(&logical).is_dir());
                if is_dir {
                    dirs_here.insert(name, logical);
                    continue;
                }
                if map.contains_key(&name) || UnitName::parse(&name).is_err() {
                    continue;
                }
                if let Some(entry) = classify(&scope, &logical, &name, ftype.is_symlink()) {
                    map.insert(name, MapEntry { entry, dir: index });
                }
            }
            subdirs.push(dirs_here);
        }
        UnitStore {
            scope,
            map,
            subdirs,
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Every name on the search path with what it is (the `list-unit-files` universe).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &MapEntry)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn entry(&self, name: &str) -> Option<&MapEntry> {
        self.map.get(name)
    }

    pub fn dir_class(&self, entry: &MapEntry) -> DirClass {
        self.scope.unit_dirs()[entry.dir].class
    }

    /// Follows aliases from `name` to the name that has the file; `None` if the name is
    /// not on the path at all. Instances resolve through their template.
    pub fn resolve(&self, name: &UnitName) -> Option<(UnitName, &MapEntry)> {
        if let Some(found) = self.follow(name.as_str()) {
            let resolved = UnitName::parse(found.0).ok()?;
            return Some((resolved, found.1));
        }
        let instance = name.instance().filter(|i| !i.is_empty())?;
        let template = name.template()?;
        let (final_template, entry) = self.follow(template.as_str())?;
        let final_template = UnitName::parse(final_template).ok()?;
        let resolved = if final_template.is_template() {
            final_template.with_instance(instance).ok()?
        } else {
            final_template
        };
        Some((resolved, entry))
    }

    fn follow(&self, name: &str) -> Option<(&str, &MapEntry)> {
        let (mut key, mut entry) = self.map.get_key_value(name)?;
        for _ in 0..MAX_ALIAS_HOPS {
            match &entry.entry {
                Entry::Alias { target, .. } => (key, entry) = self.map.get_key_value(target)?,
                _ => return Some((key.as_str(), entry)),
            }
        }
        None
    }

    /// The names on the search path that are aliases of `name` (itself included).
    fn aliases_of(&self, name: &UnitName) -> Vec<String> {
        let target_key = name
            .template()
            .filter(|_| name.is_instance())
            .unwrap_or_else(|| name.clone());
        let target = self.follow(target_key.as_str()).map(|(n, _)| n.to_string());
        let mut names = vec![name.to_string()];
        for (other, entry) in &self.map {
            if !matches!(entry.entry, Entry::Alias { .. }) || other == target_key.as_str() {
                continue;
            }
            if self.follow(other).map(|(n, _)| n) != target.as_deref() {
                continue;
            }
            let alias = match (UnitName::parse(other), name.instance()) {
                (Ok(a), Some(inst)) if name.is_instance() && a.is_template() => {
                    a.with_instance(inst).map(|n| n.to_string()).ok()
                }
                (Ok(_), Some(_)) if name.is_instance() => None,
                (Ok(a), _) => Some(a.to_string()),
                _ => None,
            };
            if let Some(alias) = alias {
                if !names.contains(&alias) {
                    names.push(alias);
                }
            }
        }
        names[1..].sort();
        names
    }

    /// Loads a unit by name: never fails; problems show in `load_state`, `load_error` and
    /// `diagnostics`.
    pub fn load(&self, name: &UnitName) -> Unit {
        let resolved = self.resolve(name);
        let id = resolved
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| name.clone());
        let mut unit = Unit {
            names: self.aliases_of(&id),
            id,
            load_state: LoadState::NotFound,
            load_error: None,
            fragment_path: None,
            dropin_paths: Vec::new(),
            settings: Settings::default(),
            dir_dependencies: Vec::new(),
            diagnostics: Vec::new(),
        };
        if !unit.names.iter().any(|n| n == name.as_str()) {
            unit.names.push(name.to_string());
        }
        match resolved.map(|(_, e)| &e.entry) {
            None => {
                unit.load_error = Some(format!("Unit {} not found.", name.as_str()));
                // systemd still reads drop-ins and .wants of a unit without fragment.
            }
            Some(Entry::Masked { path }) => {
                unit.load_state = LoadState::Masked;
                unit.fragment_path = Some(path.clone());
                unit.load_error = Some(format!("Unit {} is masked.", unit.id));
                return unit;
            }
            Some(Entry::File { path }) | Some(Entry::Linked { path, .. }) => {
                let fragment = path.clone();
                match std::fs::read_to_string(self.scope.root.host_path(&fragment)) {
                    Ok(text) => {
                        let (entries, diags) = syntax::parse(&text, &fragment);
                        unit.settings.entries = entries;
                        unit.diagnostics = diags;
                        unit.load_state = LoadState::Loaded;
                    }
                    Err(err) => {
                        unit.load_state = LoadState::Error;
                        unit.load_error = Some(format!("{}: {}", fragment.display(), err));
                    }
                }
                unit.fragment_path = Some(fragment);
            }
            Some(Entry::Alias { .. }) => unreachable_alias(&mut unit),
        }
        self.load_dropins(&mut unit);
        unit
    }

    /// The names whose `NAME.d/`, `NAME.wants/` … directories apply to the unit, most
    /// specific first for each name: the name, its template, its dash prefixes.
    fn dropin_names(&self, unit: &Unit) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |n: String| {
            if !out.contains(&n) {
                out.push(n)
            }
        };
        for name in &unit.names {
            let Ok(parsed) = UnitName::parse(name) else {
                continue;
            };
            push(name.clone());
            if let Some(t) = parsed.template().filter(|_| parsed.is_instance()) {
                push(t.to_string());
            }
            let prefix = parsed.prefix();
            // foo-bar-baz.service → foo-bar-.service, foo-.service (templates: the same
            // with "@"), from the longest prefix to the shortest.
            let dashes: Vec<usize> = prefix.match_indices('-').map(|(i, _)| i).collect();
            for &i in dashes.iter().rev() {
                push(format!("{}-.{}", &prefix[..i], parsed.unit_type()));
            }
        }
        out
    }

    fn load_dropins(&self, unit: &mut Unit) {
        let names = self.dropin_names(unit);
        let type_dir = unit.id.unit_type().to_string();
        // Drop-ins: by file name, the highest-priority directory wins; then sorted.
        let mut confs: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut deps: Vec<(DirDependency, String)> = Vec::new();
        let mut seen_deps: std::collections::HashSet<(usize, String)> = Default::default();
        let all_names = names.iter().chain(std::iter::once(&type_dir));
        let all_names: Vec<&String> = all_names.collect();
        for dir_entries in &self.subdirs {
            for name in &all_names {
                let is_type_dir = *name == &type_dir;
                if let Some(d) = dir_entries.get(&format!("{name}.d")) {
                    for file in self.list_dir(d) {
                        if let Some(base) = file.file_name().and_then(|f| f.to_str()) {
                            if base.ends_with(".conf") && !confs.contains_key(base) {
                                confs.insert(base.to_string(), file.clone());
                            }
                        }
                    }
                }
                if is_type_dir {
                    continue;
                }
                for kind in DirDependency::ALL {
                    if let Some(d) = dir_entries.get(&format!("{name}{}", kind.dir_suffix())) {
                        for file in self.list_dir(d) {
                            let Some(base) = file.file_name().and_then(|f| f.to_str()) else {
                                continue;
                            };
                            if UnitName::parse(base).is_ok()
                                && seen_deps.insert((kind as usize, base.to_string()))
                            {
                                deps.push((kind, base.to_string()));
                            }
                        }
                    }
                }
            }
        }
        for path in confs.into_values() {
            let host = self.scope.root.host_path(&path);
            // A drop-in symlinked to /dev/null (or empty) is disabled.
            if self
                .scope
                .root
                .read_link(&path)
                .is_ok_and(|t| t == Path::new("/dev/null"))
            {
                continue;
            }
            match std::fs::read_to_string(&host) {
                Ok(text) => {
                    let (entries, diags) = syntax::parse(&text, &path);
                    unit.settings.entries.extend(entries);
                    unit.diagnostics.extend(diags);
                    unit.dropin_paths.push(path);
                }
                Err(err) => unit.diagnostics.push(Diagnostic {
                    file: path.clone(),
                    line: 0,
                    message: format!("Failed to read drop-in: {err}"),
                }),
            }
        }
        unit.dir_dependencies = deps;
    }

    fn list_dir(&self, logical: &Path) -> Vec<PathBuf> {
        let Ok(read) = std::fs::read_dir(self.scope.root.host_path(logical)) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = read
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .map(|n| logical.join(n))
            .collect();
        v.sort();
        v
    }
}

fn unreachable_alias(unit: &mut Unit) {
    // `follow` never returns an alias; treat a broken chain as not found.
    unit.load_state = LoadState::NotFound;
}

/// Decides what one directory entry is.
fn classify(scope: &Scope, logical: &Path, name: &str, is_symlink: bool) -> Option<Entry> {
    let root = &scope.root;
    if !is_symlink {
        let len = std::fs::metadata(root.host_path(logical)).ok()?.len();
        return Some(if len == 0 {
            Entry::Masked {
                path: logical.to_path_buf(),
            }
        } else {
            Entry::File {
                path: logical.to_path_buf(),
            }
        });
    }
    let first = root.read_link(logical).ok()?;
    if first == Path::new("/dev/null") {
        return Some(Entry::Masked {
            path: logical.to_path_buf(),
        });
    }
    let target = root.canonicalize(logical).unwrap_or(first);
    if target == Path::new("/dev/null") {
        return Some(Entry::Masked {
            path: logical.to_path_buf(),
        });
    }
    let target_name = target.file_name()?.to_str()?.to_string();
    let in_path = target
        .parent()
        .is_some_and(|p| scope.unit_dirs().iter().any(|d| d.path == p));
    if in_path && target_name != name && UnitName::parse(&target_name).is_ok() {
        return Some(Entry::Alias {
            path: logical.to_path_buf(),
            target: target_name,
        });
    }
    let meta = std::fs::metadata(root.host_path(&target)).ok()?;
    if meta.len() == 0 {
        return Some(Entry::Masked {
            path: logical.to_path_buf(),
        });
    }
    if in_path {
        Some(Entry::File { path: target })
    } else {
        Some(Entry::Linked {
            path: logical.to_path_buf(),
            target,
        })
    }
}

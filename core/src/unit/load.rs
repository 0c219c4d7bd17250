//! Finding and reading units on a scope's search path, as systemd 252's unit loader does
//! (`unit_file_build_name_map()`, `unit_file_find_fragment()`, `unit_file_find_dropin_paths()`):
//! the first directory with an entry of the name decides what the name is; a symlink to
//! `/dev/null` or an empty file masks; a symlink to another unit name inside the search
//! path is an alias; a symlink to a file outside it is a linked unit; instances fall back
//! to their template. Drop-ins come from `NAME.d/` of every name, the template, the dash
//! prefixes and the type (`service.d/`), across all directories.

use super::dropin;
use super::syntax::{self, Diagnostic};
use super::{validate, LoadState, Settings, Unit, UnitName};
use crate::root::{normalize, Root};
use crate::scope::{DirClass, Scope, UnitDir};
use crate::users::UserDb;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// systemd's `FOLLOW_MAX`: alias hops before giving up (a loop).
const MAX_ALIAS_HOPS: usize = 8;

/// What a name on the search path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File { path: PathBuf },
    /// An empty file, a symlink to `/dev/null`, or a link to an empty file.
    Masked { path: PathBuf },
    /// A symlink to another unit name inside the search path (`target` is that name).
    Alias { path: PathBuf, target: String },
    /// A symlink to a file outside the search path (`systemctl link`); `target` is where
    /// it finally points (inside the root).
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
    /// Index into [`UnitStore::dirs`] of the directory that holds it.
    pub dir: usize,
}

/// All units of a scope: the name map is built once per store (one `readdir` per unit
/// directory), units are parsed on demand. Clones share the map and caches, so a view
/// that loads units lazily can keep its own handle.
#[derive(Clone)]
pub struct UnitStore {
    scope: Scope,
    /// The scope's unit directories, then (user mode of a plain uid) the system ones.
    dirs: Rc<Vec<UnitDir>>,
    /// Index of the first system directory in `dirs` whose units pass the UID filter only.
    filtered_from: usize,
    users: Rc<OnceCell<UserDb>>,
    map: Rc<BTreeMap<String, MapEntry>>,
    /// Existing directories (`NAME.d`, `NAME.wants`, …) per unit directory, so drop-in
    /// lookups never touch the file system for names that have none.
    subdirs: Rc<Vec<HashMap<String, PathBuf>>>,
    /// Final name → every name that resolves to it (systemd's `unit_names_map`).
    names: Rc<OnceCell<HashMap<String, Vec<String>>>>,
}

impl UnitStore {
    pub fn new(scope: Scope) -> Self {
        let mut map = BTreeMap::new();
        let mut subdirs = Vec::new();
        let mut dirs = scope.unit_dirs().to_vec();
        let filtered_from = dirs.len();
        dirs.extend(scope.filtered_system_dirs());
        for (index, dir) in dirs.iter().enumerate() {
            let mut dirs_here = HashMap::new();
            let host_dir = scope.root.host_path(&dir.path);
            let Ok(read) = std::fs::read_dir(&host_dir) else {
                subdirs.push(dirs_here);
                continue;
            };
            for dirent in read.flatten() {
                let (Ok(name), Ok(ftype)) = (dirent.file_name().into_string(), dirent.file_type())
                else {
                    continue;
                };
                let logical = dir.path.join(&name);
                let is_unit_name = UnitName::parse(&name).is_ok();
                if !is_unit_name {
                    let is_dir =
                        ftype.is_dir() || (ftype.is_symlink() && is_dir(&scope.root, &logical));
                    if is_dir && dropin::is_dropin_dir_name(&name) {
                        dirs_here.insert(name, logical);
                    }
                    continue;
                }
                if !(ftype.is_file() || ftype.is_symlink()) || map.contains_key(&name) {
                    continue;
                }
                if let Some(entry) =
                    classify(&scope.root, &dirs, &logical, &name, ftype.is_symlink())
                {
                    map.insert(name, MapEntry { entry, dir: index });
                }
            }
            subdirs.push(dirs_here);
        }
        UnitStore {
            scope,
            dirs: Rc::new(dirs),
            filtered_from,
            users: Rc::default(),
            map: Rc::new(map),
            subdirs: Rc::new(subdirs),
            names: Rc::default(),
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
        self.dirs[entry.dir].class
    }

    /// The directories this store searches, highest priority first: the scope's own,
    /// then the system directories of the user mode ([`Scope::filtered_system_dirs`]).
    pub fn dirs(&self) -> &[UnitDir] {
        &self.dirs
    }

    /// The UID filter of the user mode: why a system unit found in `entry`'s directory
    /// may not run under this manager, or `None` when it may.
    fn refusal(&self, entry: &MapEntry, unit: &Unit) -> Option<String> {
        if entry.dir < self.filtered_from || unit.id.unit_type() != "service" {
            return None;
        }
        let users = self.users.get_or_init(|| UserDb::load(&self.scope.root));
        let uid = self.scope.identity.uid;
        if crate::uid_filter::system_unit_allowed(unit, users, uid) {
            return None;
        }
        let user = unit.settings.get("Service", "User").unwrap_or("root");
        Some(format!(
            "Unit {} is for user {user}, refusing (unitbox runs as uid {uid})",
            unit.id
        ))
    }

    /// The existing `NAME.d`-style directories (name → logical path), per unit directory
    /// in [`UnitStore::dirs`] order.
    pub fn subdirs(&self) -> &[HashMap<String, PathBuf>] {
        &self.subdirs
    }

    /// Follows aliases from `name` to the name that has the file; `None` if the name is
    /// not on the path at all. Instances resolve through their template. The returned name
    /// is the unit's id (the fragment's name, with the instance put back).
    pub fn resolve(&self, name: &UnitName) -> Option<(UnitName, &MapEntry)> {
        let (key, entry) = self.find_fragment(name.as_str())?;
        let found = UnitName::parse(key).ok()?;
        let id = match name.instance() {
            Some(instance) if found.is_template() && !instance.is_empty() => {
                found.with_instance(instance).ok()?
            }
            _ => found,
        };
        Some((id, entry))
    }

    /// `unit_ids_map_get()`: alias hops until a file; a hop to a missing instance name
    /// continues at its template.
    fn ids_get(&self, name: &str) -> Option<(&str, &MapEntry)> {
        let (mut key, mut entry) = self.map.get_key_value(name)?;
        for _ in 0..MAX_ALIAS_HOPS {
            let Entry::Alias { target, .. } = &entry.entry else {
                return Some((key.as_str(), entry));
            };
            (key, entry) = match self.map.get_key_value(target.as_str()) {
                Some(found) => found,
                None => {
                    let template = UnitName::parse(target).ok()?.template()?;
                    self.map.get_key_value(template.as_str())?
                }
            };
        }
        None
    }

    fn find_fragment(&self, name: &str) -> Option<(&str, &MapEntry)> {
        self.ids_get(name).or_else(|| {
            let parsed = UnitName::parse(name).ok()?;
            if !parsed.is_instance() {
                return None;
            }
            self.ids_get(parsed.template()?.as_str())
        })
    }

    fn names_map(&self) -> &HashMap<String, Vec<String>> {
        self.names.get_or_init(|| {
            let mut names: HashMap<String, Vec<String>> = HashMap::new();
            for src in self.map.keys() {
                let Some((dst, entry)) = self.ids_get(src) else {
                    continue;
                };
                if matches!(entry.entry, Entry::Masked { .. }) {
                    continue;
                }
                let mut dst = dst.to_string();
                // An instance symlinked to a template aliases just that instance.
                if let (Ok(d), Ok(s)) = (UnitName::parse(&dst), UnitName::parse(src)) {
                    if d.is_template() && s.is_instance() {
                        if let Some(inst) = s.instance().and_then(|i| d.with_instance(i).ok()) {
                            dst = inst.to_string();
                        }
                    }
                }
                names.entry(dst).or_default().push(src.clone());
            }
            names
        })
    }

    /// systemd's `add_names()`: `name` and the aliases pointing at it.
    fn add_names(
        &self,
        unit: &UnitName,
        fragment_name: Option<&str>,
        name: &str,
        out: &mut Vec<String>,
    ) {
        let add = |n: String, out: &mut Vec<String>| {
            // The manager instantiates template names it is given for an instance.
            let n = match (UnitName::parse(&n), unit.instance()) {
                (Ok(t), Some(i)) if t.is_template() && unit.is_instance() => {
                    t.with_instance(i).map(|x| x.to_string()).unwrap_or(n)
                }
                _ => n,
            };
            if !out.contains(&n) {
                out.push(n);
            }
        };
        if !unit.is_template() {
            add(name.to_string(), out);
        }
        let Some(aliases) = self.names_map().get(name) else {
            return;
        };
        let mut aliases = aliases.clone();
        aliases.sort();
        for alias in aliases {
            let parsed = UnitName::parse(&alias).ok();
            let instance = unit.instance().filter(|_| unit.is_instance());
            match (parsed, instance) {
                (Some(a), Some(instance)) if a.is_template() => {
                    let Ok(inst) = a.with_instance(instance) else {
                        continue;
                    };
                    // Skip aliases whose instance has a fragment of its own elsewhere.
                    if let Some((frag, _)) = self.ids_get(inst.as_str()) {
                        if Some(frag) != fragment_name {
                            continue;
                        }
                    }
                    add(inst.to_string(), out);
                }
                _ => add(alias, out),
            }
        }
    }

    /// The unit's names: the id first, then the aliases, sorted.
    fn names_of(&self, requested: &UnitName, id: &UnitName) -> Vec<String> {
        let mut names = Vec::new();
        self.add_names(requested, None, requested.as_str(), &mut names);
        if let Some((fragment, _)) = self.find_fragment(requested.as_str()) {
            if fragment != requested.as_str() {
                self.add_names(requested, Some(fragment), fragment, &mut names);
            }
        }
        names.retain(|n| n != id.as_str());
        names.sort();
        names.dedup();
        names.insert(0, id.to_string());
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
            names: self.names_of(name, &id),
            id,
            load_state: LoadState::NotFound,
            load_error: None,
            fragment_path: None,
            dropin_paths: Vec::new(),
            settings: Settings::default(),
            dir_dependencies: Vec::new(),
            diagnostics: Vec::new(),
        };
        let Some((_, found)) = resolved else {
            if let Some(builtin) = crate::capsule::builtin_unit(&self.scope, name) {
                return self.load_builtin(unit, builtin);
            }
            unit.load_error = Some(format!("Unit {} not found.", name.as_str()));
            return unit;
        };
        match &found.entry {
            Entry::Masked { path } => {
                unit.load_state = LoadState::Masked;
                unit.fragment_path = Some(path.clone());
                unit.load_error = Some(format!("Unit {} is masked.", unit.id));
                dropin::load_dropins(self, &mut unit, false);
                return unit;
            }
            Entry::File { path } | Entry::Linked { path, .. } => {
                let fragment = path.clone();
                match read_in_root(&self.scope.root, &fragment) {
                    Ok(bytes) => {
                        let mut parsed = syntax::parse_bytes(&bytes, &fragment);
                        validate::check_file(unit.id.unit_type(), &mut parsed);
                        unit.settings.entries = parsed.entries;
                        unit.diagnostics = parsed.diagnostics;
                        unit.load_state = LoadState::Loaded;
                        if let Some(err) = parsed.fatal {
                            unit.load_state = LoadState::Error;
                            unit.load_error = Some(err);
                        }
                    }
                    // As systemd: a fragment that cannot be opened leaves the unit not-found.
                    Err(err) => {
                        unit.load_error = Some(crate::error::os_error_text(&err));
                        unit.diagnostics.push(Diagnostic {
                            file: fragment.clone(),
                            line: 0,
                            message: format!(
                                "Failed to open {}: {}",
                                fragment.display(),
                                crate::error::os_error_text(&err)
                            ),
                        });
                        return unit;
                    }
                }
                unit.fragment_path = Some(fragment);
            }
            Entry::Alias { .. } => return unit,
        }
        dropin::load_dropins(self, &mut unit, true);
        if unit.load_state == LoadState::Loaded {
            validate::validate(&mut unit);
        }
        if unit.load_state == LoadState::Loaded {
            if let Some(reason) = self.refusal(found, &unit) {
                unit.load_state = LoadState::Error;
                unit.load_error = Some(reason);
            }
        }
        unit
    }

    /// The unit `name` if it is a valid name and loads (`load_state` loaded): what a
    /// trigger (timer, socket, path) checks before it starts.
    pub fn load_loaded(&self, name: &str) -> Option<Unit> {
        let name = UnitName::parse(name).ok()?;
        Some(self.load(&name)).filter(Unit::is_loaded)
    }

    /// Reads a file through the root; `/dev/null` (a mask) reads as empty, a built-in
    /// unit's path gives its text.
    pub fn read(&self, logical: &Path) -> std::io::Result<Vec<u8>> {
        if let Some(builtin) = crate::capsule::builtin_at(&self.scope, logical) {
            return Ok(builtin.text.into_bytes());
        }
        read_in_root(&self.scope.root, logical)
    }

    /// A unit unitbox provides itself (no file of its name is on the path): loaded like a
    /// fragment at [`crate::capsule::Builtin::path`]; drop-ins apply as usual.
    fn load_builtin(&self, mut unit: Unit, builtin: crate::capsule::Builtin) -> Unit {
        let mut parsed = syntax::parse_bytes(builtin.text.as_bytes(), &builtin.path);
        validate::check_file(unit.id.unit_type(), &mut parsed);
        unit.settings.entries = parsed.entries;
        unit.diagnostics = parsed.diagnostics;
        unit.load_state = LoadState::Loaded;
        unit.load_error = None;
        unit.fragment_path = Some(builtin.path);
        dropin::load_dropins(self, &mut unit, true);
        if unit.load_state == LoadState::Loaded {
            validate::validate(&mut unit);
        }
        unit
    }
}

/// Reads a logical path, following its symlinks inside the root.
pub(super) fn read_in_root(root: &Root, logical: &Path) -> std::io::Result<Vec<u8>> {
    // A mask points at /dev/null, which need not exist inside the root.
    let real = match root.canonicalize(logical) {
        Ok(real) => real,
        Err(_)
            if root
                .read_link(logical)
                .is_ok_and(|t| t == Path::new("/dev/null")) =>
        {
            return Ok(Vec::new())
        }
        Err(err) => return Err(err),
    };
    if real == Path::new("/dev/null") {
        return Ok(Vec::new());
    }
    std::fs::read(root.host_path(&real))
}

fn is_dir(root: &Root, logical: &Path) -> bool {
    root.canonicalize(logical)
        .is_ok_and(|real| root.host_path(&real).is_dir())
}

/// The target of a symlink made absolute and free of `.`/`..`, with the symlinks of its
/// directories (not of the last component) followed, as `chase_symlinks(CHASE_NOFOLLOW)`.
fn simplified_target(root: &Root, link: &Path) -> Option<PathBuf> {
    let raw = std::fs::read_link(root.host_path(link)).ok()?;
    let joined = match link.parent() {
        Some(dir) if !raw.is_absolute() => dir.join(raw),
        _ => raw,
    };
    let target = normalize(&joined);
    let (Some(parent), Some(file)) = (target.parent(), target.file_name()) else {
        return Some(target);
    };
    let parent = root
        .canonicalize(parent)
        .unwrap_or_else(|_| parent.to_path_buf());
    Some(parent.join(file))
}

/// Decides what one directory entry is (`unit_file_resolve_symlink()`); `None` means
/// systemd ignores it and a lower directory may provide the name.
fn classify(
    root: &Root,
    dirs: &[UnitDir],
    logical: &Path,
    name: &str,
    is_symlink: bool,
) -> Option<Entry> {
    let path = logical.to_path_buf();
    if !is_symlink {
        let len = std::fs::metadata(root.host_path(logical)).ok()?.len();
        return Some(if len == 0 {
            Entry::Masked { path }
        } else {
            Entry::File { path }
        });
    }
    let target = simplified_target(root, logical)?;
    let tail = dirs.iter().find_map(|d| target.strip_prefix(&d.path).ok());
    if tail.is_none() {
        let real = root.canonicalize(logical).unwrap_or(target);
        let empty = real == Path::new("/dev/null")
            || std::fs::metadata(root.host_path(&real)).is_ok_and(|m| m.len() == 0);
        return Some(if empty {
            Entry::Masked { path }
        } else {
            Entry::Linked { path, target: real }
        });
    }
    let target_name = target.file_name()?.to_str()?.to_string();
    if target_name == name || alias_problem(name, &target_name).is_some() {
        return None;
    }
    Some(Entry::Alias {
        path,
        target: target_name,
    })
}

/// Why an alias symlink `src → dst` is rejected (`unit_validate_alias_symlink_or_warn()`).
pub fn alias_problem(src: &str, dst: &str) -> Option<&'static str> {
    let s = UnitName::parse(src).ok()?;
    let may_alias = ["service", "socket", "target", "device", "timer", "path"];
    if !may_alias.contains(&s.unit_type()) {
        return Some("symlinks are not allowed for units of this type");
    }
    if s.instance().is_some() && s.unit_type() == "device" {
        return Some("templates not allowed for device units");
    }
    let Ok(d) = UnitName::parse(dst) else {
        return Some("not a valid unit name");
    };
    let kind = |n: &UnitName| match n.instance() {
        None => 0,
        Some("") => 1,
        Some(_) => 2,
    };
    if !(kind(&s) == kind(&d) || (kind(&s) == 2 && kind(&d) == 1)) {
        return Some("symlink target name type does not match source");
    }
    if kind(&d) == 2 && s.instance() != d.instance() {
        return Some("unit symlink target instance name doesn't match");
    }
    if s.unit_type() != d.unit_type() {
        return Some("symlink target has incompatible suffix");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Identity;
    use std::os::unix::fs::symlink;

    fn store(dir: &Path) -> UnitStore {
        let scope = Scope::new(
            crate::scope::ScopeKind::System,
            Root::new(dir),
            Identity::root_user(),
            &|_| None,
        );
        UnitStore::new(scope)
    }

    #[test]
    fn user_mode_sees_its_own_units_and_the_system_units_for_its_uid() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n");
        write(
            "home/app/.config/systemd/user/mine.service",
            "[Service]\nExecStart=/bin/true\n",
        );
        write(
            "etc/systemd/system/byname.service",
            "[Service]\nUser=app\nExecStart=/bin/true\n",
        );
        write(
            "etc/systemd/system/bynumber.service",
            "[Service]\nUser=1000\nExecStart=/bin/true\n",
        );
        write(
            "etc/systemd/system/other.service",
            "[Service]\nUser=www\nExecStart=/bin/true\n",
        );
        write(
            "etc/systemd/system/asroot.service",
            "[Service]\nExecStart=/bin/true\n",
        );
        write(
            "usr/lib/systemd/system/multi-user.target",
            "[Unit]\nDescription=MU\n",
        );
        // A user unit of the same name wins over the system one.
        write(
            "etc/systemd/system/mine.service",
            "[Service]\nUser=www\nExecStart=/bin/true\n",
        );
        let root = Root::new(dir.path());
        let app = Identity::for_uid(&UserDb::load(&root), 1000, 1000, &|_| None);
        let scope = Scope::new(crate::scope::ScopeKind::User, root, app, &|_| None);
        let s = UnitStore::new(scope);
        let load = |n: &str| s.load(&UnitName::parse(n).unwrap());
        for ok in [
            "mine.service",
            "byname.service",
            "bynumber.service",
            "multi-user.target",
        ] {
            assert_eq!(load(ok).load_state, LoadState::Loaded, "{ok}");
        }
        let other = load("other.service");
        assert_eq!(other.load_state, LoadState::Error);
        assert_eq!(
            other.load_error.as_deref(),
            Some("Unit other.service is for user www, refusing (unitbox runs as uid 1000)")
        );
        assert_eq!(
            load("asroot.service").load_error.as_deref(),
            Some("Unit asroot.service is for user root, refusing (unitbox runs as uid 1000)")
        );
    }

    #[test]
    fn user_mode_of_an_uid_without_passwd_entry_matches_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc/systemd/system");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("a.service"),
            "[Service]\nUser=1000770000\nExecStart=/x\n",
        )
        .unwrap();
        let root = Root::new(dir.path());
        let id = Identity::for_uid(&UserDb::default(), 1000770000, 0, &|_| None);
        assert_eq!(id.home, Path::new("/"));
        let s = UnitStore::new(Scope::new(crate::scope::ScopeKind::User, root, id, &|_| {
            None
        }));
        assert!(s.load(&UnitName::parse("a.service").unwrap()).is_loaded());
        // The system scope itself is never filtered.
        let sys = store(dir.path());
        assert!(sys.load(&UnitName::parse("a.service").unwrap()).is_loaded());
    }

    #[test]
    fn aliases_name_the_real_unit_and_list_all_names() {
        let dir = tempfile::tempdir().unwrap();
        let usr = dir.path().join("usr/lib/systemd/system");
        let etc = dir.path().join("etc/systemd/system");
        std::fs::create_dir_all(&usr).unwrap();
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(usr.join("real.service"), "[Service]\nExecStart=/a\n").unwrap();
        symlink(
            "/usr/lib/systemd/system/real.service",
            etc.join("alias.service"),
        )
        .unwrap();
        std::fs::write(usr.join("tpl@.service"), "[Service]\nExecStart=/a\n").unwrap();
        symlink("tpl@.service", usr.join("alt@.service")).unwrap();
        symlink("/dev/null", etc.join("gone.service")).unwrap();
        let s = store(dir.path());
        let u = s.load(&UnitName::parse("alias.service").unwrap());
        assert_eq!(u.id.as_str(), "real.service");
        assert_eq!(u.names, ["real.service", "alias.service"]);
        let u = s.load(&UnitName::parse("alt@x.service").unwrap());
        assert_eq!(u.id.as_str(), "tpl@x.service");
        assert_eq!(u.names, ["tpl@x.service", "alt@x.service"]);
        assert_eq!(
            u.fragment_path.as_deref(),
            Some(Path::new("/usr/lib/systemd/system/tpl@.service"))
        );
        let u = s.load(&UnitName::parse("gone.service").unwrap());
        assert_eq!(u.load_state, LoadState::Masked);
        let u = s.load(&UnitName::parse("nosuch.service").unwrap());
        assert_eq!(u.load_state, LoadState::NotFound);
    }
}

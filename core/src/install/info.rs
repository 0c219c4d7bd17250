//! Finding a unit file the way systemd's install code does (which differs from the unit
//! loader in small ways that show in `is-enabled`): the first search directory with the
//! name wins, instances fall back to their template, a symlink to `/dev/null` or to an empty
//! file masks, a symlink leaving the search path is a linked unit (keeps its name), a symlink
//! to another name inside it is an alias (followed by name), and a symlink to the same name
//! inside the search path is refused (ELOOP). `[Install]` comes from the file and the
//! `NAME.d/*.conf` and `TEMPLATE.d/*.conf` drop-ins.

use super::index::{absolute_target, template_of, Index, Kind};
use super::specifier;
use crate::root::normalize;
use crate::scope::Scope;
use crate::unit::syntax;
use crate::unit::UnitName;
use std::path::{Path, PathBuf};

/// How many symlinks we follow before giving up (systemd's UNIT_FILE_FOLLOW_SYMLINK_MAX).
const MAX_FOLLOW: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Parse `[Install]` (and print the file's syntax warnings).
    Yes,
    /// Only find out what the name is.
    No,
}

/// Whether parse warnings go to stderr (systemctl does) or are dropped (library queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnostics {
    Print,
    Quiet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Masked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallInfo {
    /// The unit name (after following aliases; an instance keeps its instance).
    pub name: String,
    /// The file providing it (logical; for a linked unit, the link's final target).
    pub path: PathBuf,
    pub file_type: FileType,
    /// Raw `Alias=`, `WantedBy=`, `RequiredBy=` words (specifiers expanded at use).
    pub aliases: Vec<String>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    /// `Also=` units, specifiers expanded.
    pub also: Vec<String>,
    pub default_instance: Option<String>,
}

impl InstallInfo {
    pub fn has_rules(&self) -> bool {
        !self.aliases.is_empty() || !self.wanted_by.is_empty() || !self.required_by.is_empty()
    }

    pub fn has_also(&self) -> bool {
        !self.also.is_empty()
    }
}

/// Why a name could not be resolved to a unit file, as the errno systemd reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverError {
    NotFound,
    /// An alias whose target does not exist (ENOLINK).
    DanglingAlias,
    /// A symlink loop, or a same-name symlink inside the search path (ELOOP).
    Loop,
    Invalid,
    Io(i32),
}

impl DiscoverError {
    pub fn errno(self) -> i32 {
        match self {
            DiscoverError::NotFound => libc::ENOENT,
            DiscoverError::DanglingAlias => libc::ENOLINK,
            DiscoverError::Loop => libc::ELOOP,
            DiscoverError::Invalid => libc::EINVAL,
            DiscoverError::Io(e) => e,
        }
    }

    fn from_io(err: &std::io::Error) -> Self {
        match err.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENOTDIR) | None => DiscoverError::NotFound,
            Some(libc::ELOOP) => DiscoverError::Loop,
            Some(e) => DiscoverError::Io(e),
        }
    }
}

pub fn is_valid_name(name: &str) -> bool {
    UnitName::parse(name).is_ok()
}

/// Finds `name_or_path` (a unit name, or an absolute path to a unit file) and, with
/// `Load::Yes`, reads its `[Install]` section.
pub fn discover(
    scope: &Scope,
    index: &Index,
    name_or_path: &str,
    load: Load,
    diag: Diagnostics,
) -> Result<InstallInfo, DiscoverError> {
    let (mut name, mut current) = if name_or_path.starts_with('/') {
        let path = normalize(Path::new(name_or_path));
        let base = path
            .file_name()
            .and_then(|b| b.to_str())
            .ok_or(DiscoverError::Invalid)?
            .to_string();
        (base, path)
    } else {
        let path = search(index, name_or_path).ok_or(DiscoverError::NotFound)?;
        (name_or_path.to_string(), path)
    };
    if !is_valid_name(&name) {
        return Err(DiscoverError::Invalid);
    }
    let root = &scope.root;
    for _ in 0..MAX_FOLLOW {
        let host = root.host_path(&current);
        let meta = std::fs::symlink_metadata(&host).map_err(|e| DiscoverError::from_io(&e))?;
        if meta.file_type().is_symlink() {
            let target = root
                .read_link(&current)
                .map_err(|e| DiscoverError::from_io(&e))?;
            if target == Path::new("/dev/null") {
                return Ok(masked(name, current));
            }
            let inside = target
                .parent()
                .is_some_and(|p| scope.unit_dirs().iter().any(|d| d.path == p));
            if !inside {
                // A linked unit file: keep the name, load whatever the link ends at.
                let end = root
                    .canonicalize(&current)
                    .map_err(|e| DiscoverError::from_io(&e))?;
                if end == Path::new("/dev/null") {
                    return Ok(masked(name, current));
                }
                current = end;
                continue;
            }
            let target_name = target
                .file_name()
                .and_then(|b| b.to_str())
                .unwrap_or_default()
                .to_string();
            if target_name == name {
                return Err(DiscoverError::Loop);
            }
            let mut alias_to = target_name;
            let parsed = UnitName::parse(&name).ok();
            if let (Some(n), Ok(t)) = (&parsed, UnitName::parse(&alias_to)) {
                if n.is_instance() && t.is_template() {
                    if let Ok(inst) = t.with_instance(n.instance().unwrap_or_default()) {
                        if inst.as_str() == name {
                            current = target;
                            continue;
                        }
                        alias_to = inst.to_string();
                    }
                }
            }
            if !is_valid_name(&alias_to) {
                return Err(DiscoverError::Invalid);
            }
            current = search(index, &alias_to).ok_or(DiscoverError::DanglingAlias)?;
            name = alias_to;
            continue;
        }
        if meta.is_dir() {
            return Err(DiscoverError::Io(libc::EISDIR));
        }
        // Only a device can be /dev/null itself: a regular file costs no further stat.
        let is_null = meta.len() == 0 || (!meta.is_file() && is_dev_null(&host));
        if is_null {
            return Ok(masked(name, current));
        }
        let mut info = InstallInfo {
            name,
            path: current,
            file_type: FileType::Regular,
            aliases: Vec::new(),
            wanted_by: Vec::new(),
            required_by: Vec::new(),
            also: Vec::new(),
            default_instance: None,
        };
        if load == Load::Yes {
            read_install_section(scope, index, &mut info, diag)?;
        }
        return Ok(info);
    }
    Err(DiscoverError::Loop)
}

fn masked(name: String, path: PathBuf) -> InstallInfo {
    InstallInfo {
        name,
        path,
        file_type: FileType::Masked,
        aliases: Vec::new(),
        wanted_by: Vec::new(),
        required_by: Vec::new(),
        also: Vec::new(),
        default_instance: None,
    }
}

fn is_dev_null(host: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(a), Ok(b)) = (std::fs::metadata(host), std::fs::metadata("/dev/null")) else {
        return false;
    };
    a.rdev() == b.rdev() && a.dev() == b.dev() && a.ino() == b.ino()
}

/// The logical path of the first file named `name` on the search path; instances fall back
/// to their template.
pub fn search(index: &Index, name: &str) -> Option<PathBuf> {
    let hit = |n: &str| {
        index.dirs.iter().find_map(|d| match d.entries.get(n) {
            Some(Kind::File) | Some(Kind::Link(_)) | Some(Kind::Other) => Some(d.path.join(n)),
            _ => None,
        })
    };
    hit(name).or_else(|| {
        let template = template_of(name)?;
        (template != name).then(|| hit(&template)).flatten()
    })
}

/// Parses the fragment and its drop-ins; only `[Install]` is kept, as install.c does.
fn read_install_section(
    scope: &Scope,
    index: &Index,
    info: &mut InstallInfo,
    diag: Diagnostics,
) -> Result<(), DiscoverError> {
    let root = &scope.root;
    let mut files = vec![info.path.clone()];
    files.extend(dropins(scope, index, &info.name));
    for (n, file) in files.iter().enumerate() {
        let host = root.host_path(file);
        let text = match std::fs::read_to_string(&host) {
            Ok(t) => t,
            Err(e) if n == 0 => return Err(DiscoverError::from_io(&e)),
            Err(_) => continue,
        };
        let (entries, diags) = syntax::parse(&text, &host);
        if diag == Diagnostics::Print {
            for d in &diags {
                eprintln!("{d}");
            }
        }
        for e in entries.iter().filter(|e| e.section == "Install") {
            let warn = |msg: String| {
                if diag == Diagnostics::Print {
                    eprintln!("{}:{}: {msg}", host.display(), e.line);
                }
            };
            match e.key.as_str() {
                "Alias" => push_words(&mut info.aliases, &e.value),
                "WantedBy" => push_words(&mut info.wanted_by, &e.value),
                "RequiredBy" => push_words(&mut info.required_by, &e.value),
                "Also" => {
                    for word in e.value.split_whitespace() {
                        match specifier::expand(scope, &info.name, word) {
                            Some(name) if is_valid_name(&name) => {
                                if !info.also.contains(&name) {
                                    info.also.push(name)
                                }
                            }
                            Some(name) => warn(format!("Invalid unit name in Also=: {name}")),
                            None => warn(format!(
                                "Failed to resolve unit name in Also=\"{word}\": Invalid slot"
                            )),
                        }
                    }
                }
                "DefaultInstance" => {
                    if e.value.is_empty() {
                        info.default_instance = None;
                        continue;
                    }
                    match specifier::expand(scope, &info.name, &e.value) {
                        Some(v) if instance_is_valid(&v) => info.default_instance = Some(v),
                        Some(v) => warn(format!("Invalid DefaultInstance= value \"{v}\".")),
                        None => warn(format!(
                            "Failed to resolve instance name in DefaultInstance=\"{}\": Invalid slot",
                            e.value
                        )),
                    }
                }
                key => warn(format!(
                    "Unknown key '{key}' in section [Install], ignoring."
                )),
            }
        }
    }
    Ok(())
}

fn push_words(list: &mut Vec<String>, value: &str) {
    if value.is_empty() {
        list.clear();
        return;
    }
    for word in value.split_whitespace() {
        list.push(word.to_string());
    }
}

fn instance_is_valid(instance: &str) -> bool {
    is_valid_name(&format!("x@{instance}.service"))
}

/// `NAME.d/*.conf` and `TEMPLATE.d/*.conf` from every search directory: the
/// highest-priority file of each name, in file name order.
fn dropins(scope: &Scope, index: &Index, name: &str) -> Vec<PathBuf> {
    let mut dir_names = vec![format!("{name}.d")];
    if let Some(t) = template_of(name).filter(|t| t != name) {
        dir_names.push(format!("{t}.d"));
    }
    let mut dirs = Vec::new();
    for dir_name in &dir_names {
        for (i, dir) in index.dirs.iter().enumerate() {
            if index.has_subdir(&scope.root, i, dir_name) {
                dirs.push(dir.path.join(dir_name));
            }
        }
    }
    crate::dirent::conf_files(&scope.root, &dirs, Some(".conf"))
}

/// The final target of a symlink chain, even if it does not exist (systemd's
/// `CHASE_NONEXISTENT` on the last component), as a logical path.
pub fn chase_nonexistent(scope: &Scope, logical: &Path) -> PathBuf {
    let mut current = normalize(logical);
    for _ in 0..MAX_FOLLOW {
        match std::fs::read_link(scope.root.host_path(&current)) {
            Ok(target) => {
                let parent = current.parent().unwrap_or(Path::new("/")).to_path_buf();
                current = absolute_target(&parent, &target);
            }
            Err(_) => break,
        }
    }
    current
}

//! The file system changes of install operations and systemd's report about them. Changes
//! are collected while an operation runs and reported at the end, in order, exactly as
//! systemd 252's `install_changes_dump` words them (paths as seen on the host, symlink
//! targets logical).

use super::info::chase_nonexistent;
use crate::root::Root;
use crate::scope::Scope;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// An errno, for systemd's `%m` wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// `strerror(3)`, without Rust's " (os error N)" suffix.
    pub fn message(self) -> String {
        crate::error::os_error_text(&io::Error::from_raw_os_error(self.0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `path` (host) now points to `source` (logical).
    Symlink {
        path: String,
        source: String,
    },
    Unlink {
        path: String,
    },
    IsMasked {
        path: String,
    },
    IsDangling {
        path: String,
    },
    /// The unit at `source` was added to the `.wants/` of `unit`, which has no file.
    DestinationNotPresent {
        unit: String,
        source: String,
    },
    AuxiliaryFailed {
        unit: String,
    },
    /// A failure: errno and the path or name it is about (plus a second one for some).
    Error {
        errno: i32,
        path: String,
        source: Option<String>,
    },
}

/// The changes of one command, and whether files are really touched.
#[derive(Debug)]
pub struct ChangeLog {
    pub root: Root,
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

impl ChangeLog {
    pub fn new(root: &Root, dry_run: bool) -> Self {
        ChangeLog {
            root: root.clone(),
            changes: Vec::new(),
            dry_run,
        }
    }

    /// The host path of a logical path, as systemd shows paths in its messages.
    pub fn shown(&self, logical: &Path) -> String {
        self.root.host_path(logical).display().to_string()
    }

    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Records an error and returns it as systemd's negative errno.
    pub fn error(&mut self, errno: i32, path: impl Into<String>, source: Option<String>) -> i32 {
        self.changes.push(Change::Error {
            errno,
            path: path.into(),
            source,
        });
        -errno
    }

    pub fn has_error(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c, Change::Error { .. }))
    }

    /// Makes `new` (logical) a symlink to `old` (logical). An existing equivalent link is
    /// success; a different one is replaced only with `force`. Returns 1 or a negative errno.
    pub fn create_symlink(&mut self, scope: &Scope, old: &Path, new: &Path, force: bool) -> i32 {
        let host_new = self.root.host_path(new);
        if self.dry_run {
            if std::fs::symlink_metadata(&host_new).is_err() {
                self.push(Change::Symlink {
                    path: host_new.display().to_string(),
                    source: old.display().to_string(),
                });
            }
            return 1;
        }
        if let Some(parent) = host_new.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let err = match std::os::unix::fs::symlink(old, &host_new) {
            Ok(()) => {
                self.push(Change::Symlink {
                    path: host_new.display().to_string(),
                    source: old.display().to_string(),
                });
                return 1;
            }
            Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
        };
        let shown = host_new.display().to_string();
        if err != libc::EEXIST {
            return self.error(err, shown, None);
        }
        let dest = match self.root.read_link(new) {
            Ok(d) => d,
            Err(e) => {
                let errno = match e.raw_os_error() {
                    Some(libc::EINVAL) | None => libc::EEXIST,
                    Some(e) => e,
                };
                return self.error(errno, shown, None);
            }
        };
        if symlinks_equivalent(scope, &dest, old) {
            return 1;
        }
        if !force {
            return self.error(libc::EEXIST, shown, Some(dest.display().to_string()));
        }
        if let Err(e) = replace_symlink(old, &host_new) {
            return self.error(e.raw_os_error().unwrap_or(libc::EIO), shown, None);
        }
        self.push(Change::Unlink {
            path: shown.clone(),
        });
        self.push(Change::Symlink {
            path: shown,
            source: old.display().to_string(),
        });
        1
    }

    /// systemd's `remove_marked_symlinks`: walks `config_dir` and removes every symlink
    /// whose name, final target, or target's file name is in `marked`; removed paths join
    /// the set (links to removed links go too) and the walk restarts until nothing changes.
    pub fn remove_marked_symlinks(
        &mut self,
        scope: &Scope,
        marked: &mut HashSet<String>,
        config_dir: &Path,
    ) -> i32 {
        if marked.is_empty() {
            return 0;
        }
        if let Err(e) = std::fs::read_dir(self.root.host_path(config_dir)) {
            return match e.raw_os_error() {
                Some(libc::ENOENT) => 0,
                Some(errno) => -errno,
                None => -libc::EIO,
            };
        }
        let mut r = 0;
        loop {
            let mut restart = false;
            let q = self.remove_in_dir(scope, marked, config_dir, config_dir, &mut restart);
            if r == 0 {
                r = q;
            }
            if !restart {
                return r;
            }
        }
    }

    fn remove_in_dir(
        &mut self,
        scope: &Scope,
        marked: &mut HashSet<String>,
        dir: &Path,
        config_dir: &Path,
        restart: &mut bool,
    ) -> i32 {
        let Ok(read) = std::fs::read_dir(self.root.host_path(dir)) else {
            return 0;
        };
        let entries: Vec<(String, std::fs::FileType)> = read
            .flatten()
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.file_type().ok()?)))
            .collect();
        let mut r = 0;
        for (name, ftype) in entries {
            let path = dir.join(&name);
            if ftype.is_dir() {
                let q = self.remove_in_dir(scope, marked, &path, config_dir, restart);
                if r == 0 {
                    r = q;
                }
                continue;
            }
            if !ftype.is_symlink() || !super::info::is_valid_name(&name) {
                continue;
            }
            let mut found = marked.contains(&name);
            if !found {
                let dest = chase_nonexistent(scope, &path);
                found = marked.contains(dest.to_string_lossy().as_ref())
                    || dest
                        .file_name()
                        .and_then(|b| b.to_str())
                        .is_some_and(|b| marked.contains(b));
            }
            if !found {
                continue;
            }
            let shown = self.shown(&path);
            if !self.dry_run {
                if let Err(e) = std::fs::remove_file(self.root.host_path(&path)) {
                    if e.kind() != io::ErrorKind::NotFound {
                        let q = self.error(e.raw_os_error().unwrap_or(libc::EIO), shown, None);
                        if r == 0 {
                            r = q;
                        }
                        continue;
                    }
                }
                self.rmdir_parents(&path, config_dir);
            }
            self.push(Change::Unlink { path: shown });
            if marked.insert(path.to_string_lossy().into_owned()) && !self.dry_run {
                *restart = true;
            }
        }
        r
    }

    /// Removes the now empty directories between a removed link and `stop`.
    fn rmdir_parents(&self, path: &Path, stop: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == stop || !d.starts_with(stop) {
                break;
            }
            if std::fs::remove_dir(self.root.host_path(d)).is_err() {
                break;
            }
            dir = d.parent();
        }
    }

    /// The report: one line per change, as systemd prints it for `verb` ("enable",
    /// "set default", …). Informational lines are dropped with `quiet`. Returns the lines
    /// and whether an error line was among them.
    pub fn report(&self, verb: &str, quiet: bool, arrow: &str) -> (Vec<String>, bool) {
        let mut lines = Vec::new();
        let mut errors = false;
        for c in &self.changes {
            let line = match c {
                Change::Symlink { path, source } => {
                    (!quiet).then(|| format!("Created symlink {path} {arrow} {source}."))
                }
                Change::Unlink { path } => (!quiet).then(|| format!("Removed \"{path}\".")),
                Change::IsMasked { path } => {
                    (!quiet).then(|| format!("Unit {path} is masked, ignoring."))
                }
                Change::IsDangling { path } => (!quiet).then(|| {
                    format!("Unit {path} is an alias to a unit that is not present, ignoring.")
                }),
                Change::DestinationNotPresent { unit, source } => Some(format!(
                    "Unit {source} is added as a dependency to a non-existent unit {unit}."
                )),
                Change::AuxiliaryFailed { unit } => {
                    (!quiet).then(|| format!("Failed to enable auxiliary unit {unit}, ignoring."))
                }
                Change::Error {
                    errno,
                    path,
                    source,
                } => {
                    errors = true;
                    Some(error_line(verb, *errno, path, source.as_deref()))
                }
            };
            lines.extend(line);
        }
        (lines, errors)
    }
}

fn error_line(verb: &str, errno: i32, path: &str, source: Option<&str>) -> String {
    match (errno, source) {
        (libc::EEXIST, Some(s)) => format!(
            "Failed to {verb} unit, file \"{path}\" already exists and is a symlink to \"{s}\"."
        ),
        (libc::EEXIST, None) => format!("Failed to {verb} unit, file \"{path}\" already exists."),
        (libc::ERFKILL, _) => format!("Failed to {verb} unit, unit {path} is masked."),
        (libc::EADDRNOTAVAIL, _) => {
            format!("Failed to {verb} unit, unit {path} is transient or generated.")
        }
        (libc::EBADSLT, _) => format!("Failed to {verb} unit, invalid specifier in \"{path}\"."),
        (libc::EIDRM, s) => format!(
            "Failed to {verb} {}, destination unit {path} is a non-template unit.",
            s.unwrap_or("")
        ),
        (libc::EUCLEAN, _) => {
            format!("Failed to {verb} unit, \"{path}\" is not a valid unit name.")
        }
        (libc::ELOOP, _) => {
            format!("Failed to {verb} unit, refusing to operate on linked unit file {path}.")
        }
        (libc::EXDEV, Some(s)) => format!("Failed to {verb} unit, cannot alias {s} as {path}."),
        (libc::EXDEV, None) => {
            format!("Failed to {verb} unit, invalid unit reference \"{path}\".")
        }
        (libc::ENOENT, _) => format!("Failed to {verb} unit, unit {path} does not exist."),
        (libc::EUNATCH, _) => {
            format!("Failed to {verb} unit, cannot resolve specifiers in \"{path}\".")
        }
        (e, _) => format!(
            "Failed to {verb} unit, file \"{path}\": {}",
            Errno(e).message()
        ),
    }
}

/// Whether an existing link target and the wanted one name the same file.
fn symlinks_equivalent(scope: &Scope, existing: &Path, wanted: &Path) -> bool {
    if existing == wanted {
        return true;
    }
    match (
        scope.root.canonicalize(existing),
        scope.root.canonicalize(wanted),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Replaces whatever is at `host` with a symlink, atomically (temporary link + rename).
fn replace_symlink(target: &Path, host: &Path) -> io::Result<()> {
    let dir = host.parent().unwrap_or(Path::new("/"));
    let name = host
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".#{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, host).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

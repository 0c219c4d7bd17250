//! `DynamicUser=` (systemd.exec(5)): a uid/gid from systemd's dynamic range, allocated when
//! a unit starts and released when it stops.
//!
//! systemd resolves dynamic users through nss-systemd; a container has no such module (a
//! static binary has no NSS at all), so `id`, `whoami` and unitbox itself would not know
//! the name. Instead the entries are written into `/etc/passwd` and `/etc/group` of the
//! root, marked with the GECOS/password field [`MARKER`], and removed again on release:
//!
//! - **Registry** (`/run/unitbox/dynamic-users/`): one file per (uid, unit), naming the
//!   user; the unit's supervisor holds its liveness lock ([`AliveLock`]) for the unit's
//!   life. A uid is live while any of its files is locked — a SIGKILLed supervisor
//!   releases it at once, without PID files.
//! - **Allocation and release** run under the registry lock and `/etc/.pwd.lock`
//!   (`lckpwdf()`'s `fcntl` write lock, so `useradd` & co. wait for us and we for them).
//!   Every allocation first removes the registry files nobody holds and every marked
//!   passwd/group line whose uid is not live: what a crash left behind disappears before
//!   anything new is added. The files are rewritten atomically (temp file + rename, owner
//!   and mode kept), every other line byte for byte.
//! - Units naming the same user share it (as systemd's refcounted dynamic users); a static
//!   user of that name is used instead of allocating one.
//!
//! State, cache and logs directories live under `private/` with a symlink at the normal
//! path, as systemd does; see [`prepare_private_directories`].

use super::context::ExecContext;
use super::dirs::{DirError, DirKind, ExecDirectories};
use crate::root::Root;
use crate::scope::Scope;
use crate::state::lock::{self, is_alive, AliveLock};
use crate::users::UserDb;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// systemd's dynamic range (`DYNAMIC_UID_MIN`…`DYNAMIC_UID_MAX`, 0xEF00…0xFFEF).
pub const UID_MIN: u32 = 61184;
pub const UID_MAX: u32 = 65519;

/// Marks our lines in `/etc/passwd` (GECOS) and `/etc/group` (password field): only lines
/// with this marker are ever removed.
pub const MARKER: &str = "unitbox dynamic user";

/// The registry, a logical path in the system state directory.
pub const REGISTRY: &str = "/run/unitbox/dynamic-users";
const REGISTRY_LOCK: &str = ".lock";
/// `lckpwdf()`'s lock file and its patience (glibc waits 15 s).
const PWD_LOCK: &str = "/etc/.pwd.lock";
const PWD_LOCK_TIMEOUT: Duration = Duration::from_secs(15);
const REGISTRY_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

const NOLOGIN: &str = "/usr/sbin/nologin";

/// A strict POSIX user name as systemd's `valid_user_group_name(…, 0)`:
/// `[A-Za-z_][A-Za-z0-9_-]*`, at most 31 characters.
pub fn is_valid_user_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    name.len() <= 31
        && (first.is_ascii_alphabetic() || first == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The user name of a `DynamicUser=` unit without `User=`: the unit's prefix if it is a
/// valid user name, else `_du` and a 16-digit hash of it (systemd hashes with siphash24
/// and a fixed key; ours is FNV-1a, so the hashed names differ from systemd's).
pub fn user_name_for_unit(unit: &str) -> String {
    let stem = unit.rsplit_once('.').map(|(s, _)| s).unwrap_or(unit);
    let prefix = stem.split_once('@').map(|(p, _)| p).unwrap_or(stem);
    if is_valid_user_name(prefix) {
        prefix.to_string()
    } else {
        format!("_du{:016x}", fnv1a(prefix.as_bytes()))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A live dynamic user held for one unit. Dropping it releases the unit's claim; the
/// passwd and group lines go when no other unit holds the uid.
#[derive(Debug)]
pub struct Registration {
    pub name: String,
    pub group: String,
    pub uid: u32,
    root: Root,
    entry: PathBuf,
    held: Option<AliveLock>,
}

/// What `DynamicUser=` resolved to.
#[derive(Debug)]
pub enum Allocation {
    /// A static user of that name exists: it is used as `User=` would.
    Static,
    Dynamic(Registration),
}

/// Allocates (or joins) the dynamic user `user` (group `group`) for `unit`.
pub fn allocate(root: &Root, unit: &str, user: &str, group: &str) -> io::Result<Allocation> {
    if !is_valid_user_name(user) || !is_valid_user_name(group) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("Invalid user or group name: {user}"),
        ));
    }
    let registry = root.host_path(Path::new(REGISTRY));
    fs::create_dir_all(&registry)?;
    let _registry_lock =
        lock::lock(&registry.join(REGISTRY_LOCK), REGISTRY_LOCK_TIMEOUT).map_err(into_io)?;
    let _pwd_lock = PwdLock::take(root)?;
    let live = collect_live(&registry);
    remove_stale_lines(root, &live)?;

    let db = UserDb::load(root);
    if db
        .user_by_name(user)
        .is_some_and(|u| !is_ours(root, u.uid, user))
    {
        return Ok(Allocation::Static);
    }
    let uid = match live.iter().find(|e| e.name == user) {
        Some(shared) => shared.uid,
        None => pick_uid(user, &live, &db)
            .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "No dynamic user id left"))?,
    };
    let entry = registry.join(format!("{uid}-{:016x}", fnv1a(unit.as_bytes())));
    fs::write(&entry, format!("{user}\n{unit}\n"))?;
    let held = match AliveLock::acquire(&entry).map_err(into_io)? {
        Some(held) => held,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{unit} already holds a dynamic user"),
            ))
        }
    };
    let registration = Registration {
        name: user.to_string(),
        group: group.to_string(),
        uid,
        root: root.clone(),
        entry,
        held: Some(held),
    };
    let passwd_line = format!("{user}:x:{uid}:{uid}:{MARKER}:/:{NOLOGIN}\n");
    let group_line = format!("{group}:{MARKER}:{uid}:\n");
    let has = |text: &[u8], line: &str| {
        split_lines(text)
            .iter()
            .any(|l| *l == line.as_bytes() || l.strip_suffix(b"\n") == Some(line.as_bytes()))
    };
    // On an error `registration` drops and removes what it added.
    rewrite(root, "/etc/passwd", |text| {
        (!has(text, &passwd_line)).then(|| append(text, &passwd_line))
    })?;
    // Group= may name a static group: then it is used, not shadowed.
    let static_group = db.group_by_name(group).is_some_and(|g| g.gid != uid);
    rewrite(root, "/etc/group", |text| {
        (!static_group && !has(text, &group_line)).then(|| append(text, &group_line))
    })?;
    Ok(Allocation::Dynamic(registration))
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            log::warn!("Failed to release dynamic user {}: {e}", self.name);
        }
    }
}

impl Registration {
    fn release(&mut self) -> io::Result<()> {
        let registry = self.root.host_path(Path::new(REGISTRY));
        let _registry_lock =
            lock::lock(&registry.join(REGISTRY_LOCK), REGISTRY_LOCK_TIMEOUT).map_err(into_io)?;
        let _pwd_lock = PwdLock::take(&self.root)?;
        let _ = fs::remove_file(&self.entry);
        self.held = None;
        let live = collect_live(&registry);
        remove_stale_lines(&self.root, &live)
    }
}

/// Removes what crashed supervisors left: unheld registry files and their lines. Runs at
/// every allocation anyway; this is for callers that want it on its own (tests, tools).
pub fn cleanup(root: &Root) -> io::Result<()> {
    let registry = root.host_path(Path::new(REGISTRY));
    if !registry.is_dir() {
        return Ok(());
    }
    let _registry_lock =
        lock::lock(&registry.join(REGISTRY_LOCK), REGISTRY_LOCK_TIMEOUT).map_err(into_io)?;
    let _pwd_lock = PwdLock::take(root)?;
    let live = collect_live(&registry);
    remove_stale_lines(root, &live)
}

/// The uid of the live dynamic user `name`, if a running unit holds one.
pub fn live_uid(root: &Root, name: &str) -> Option<u32> {
    let registry = root.host_path(Path::new(REGISTRY));
    read_entries(&registry)
        .into_iter()
        .find(|e| e.name == name && is_alive(&e.path))
        .map(|e| e.uid)
}

#[derive(Debug)]
struct RegistryEntry {
    uid: u32,
    name: String,
    path: PathBuf,
}

fn read_entries(registry: &Path) -> Vec<RegistryEntry> {
    let Ok(dir) = fs::read_dir(registry) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            let uid = file.split_once('-')?.0.parse().ok()?;
            let text = fs::read_to_string(e.path()).ok()?;
            let name = text.lines().next()?.to_string();
            Some(RegistryEntry {
                uid,
                name,
                path: e.path(),
            })
        })
        .collect()
}

/// The held entries; unheld ones (their supervisor is gone) are deleted on the way.
fn collect_live(registry: &Path) -> Vec<RegistryEntry> {
    let mut live = Vec::new();
    for entry in read_entries(registry) {
        if is_alive(&entry.path) {
            live.push(entry);
        } else {
            let _ = fs::remove_file(&entry.path);
        }
    }
    live
}

/// Whether `/etc/passwd` has `name` with `uid` as one of our marked lines.
fn is_ours(root: &Root, uid: u32, name: &str) -> bool {
    let text = fs::read(root.host_path(Path::new("/etc/passwd"))).unwrap_or_default();
    split_lines(&text)
        .iter()
        .filter_map(|l| marked_id(l, 4))
        .any(|(n, id)| n == name && id == uid)
}

/// For one of our marked lines (marker in field `marker_field`), its name and id.
fn marked_id(line: &[u8], marker_field: usize) -> Option<(String, u32)> {
    let text = std::str::from_utf8(line).ok()?.trim_end_matches('\n');
    let fields: Vec<&str> = text.split(':').collect();
    if fields.get(marker_field) != Some(&MARKER) {
        return None;
    }
    Some((fields.first()?.to_string(), fields.get(2)?.parse().ok()?))
}

/// Drops every marked line whose uid is not live (or whose name no longer matches it).
fn remove_stale_lines(root: &Root, live: &[RegistryEntry]) -> io::Result<()> {
    let keep_user = |name: &str, uid: u32| live.iter().any(|e| e.uid == uid && e.name == name);
    let keep_group = |uid: u32| live.iter().any(|e| e.uid == uid);
    rewrite(root, "/etc/passwd", |text| {
        filter_lines(text, |l| {
            marked_id(l, 4).is_none_or(|(n, id)| keep_user(&n, id))
        })
    })?;
    rewrite(root, "/etc/group", |text| {
        filter_lines(text, |l| {
            marked_id(l, 1).is_none_or(|(_, id)| keep_group(id))
        })
    })
}

/// The first free uid from a start point derived from the name (so a unit tends to get the
/// same uid each time, as systemd's hashing does), probing upwards with wrap-around.
fn pick_uid(name: &str, live: &[RegistryEntry], db: &UserDb) -> Option<u32> {
    let span = UID_MAX - UID_MIN + 1;
    let start = (fnv1a(name.as_bytes()) % span as u64) as u32;
    (0..span).map(|i| UID_MIN + (start + i) % span).find(|uid| {
        !live.iter().any(|e| e.uid == *uid)
            && db.user_by_uid(*uid).is_none()
            && db.group_by_gid(*uid).is_none()
    })
}

/// Lines with their `\n` (the last may lack it), so that joining them gives the bytes back.
fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

fn filter_lines(text: &[u8], keep: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let lines = split_lines(text);
    let kept: Vec<&[u8]> = lines.iter().copied().filter(|l| keep(l)).collect();
    (kept.len() != lines.len()).then(|| kept.concat())
}

fn append(text: &[u8], line: &str) -> Vec<u8> {
    let mut out = text.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(line.as_bytes());
    out
}

/// Rewrites a user database file when `change` returns new contents: temp file in the same
/// directory with the original's owner and mode, fsync, rename. A missing file counts as
/// empty and is created 0644.
fn rewrite(
    root: &Root,
    logical: &str,
    change: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> io::Result<()> {
    let path = root.host_path(Path::new(logical));
    let (text, meta) = match fs::read(&path) {
        Ok(t) => (t, fs::metadata(&path).ok()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => (Vec::new(), None),
        Err(e) => return Err(e),
    };
    let Some(new) = change(&text) else {
        return Ok(());
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.unitbox-{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&tmp)?;
        file.write_all(&new)?;
        match &meta {
            Some(m) => {
                std::os::unix::fs::fchown(&file, Some(m.uid()), Some(m.gid()))?;
                file.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))?;
            }
            None => file.set_permissions(fs::Permissions::from_mode(0o644))?,
        }
        file.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `lckpwdf()`: a POSIX write lock on `/etc/.pwd.lock`, waited for at most 15 s.
struct PwdLock {
    _file: File,
}

impl PwdLock {
    fn take(root: &Root) -> io::Result<PwdLock> {
        let path = root.host_path(Path::new(PWD_LOCK));
        if let Some(etc) = path.parent() {
            fs::create_dir_all(etc)?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)?;
        let deadline = Instant::now() + PWD_LOCK_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        loop {
            let fl = crate::sys::whole_file_lock(libc::F_WRLCK);
            let set = nix::fcntl::fcntl(file.as_raw_fd(), nix::fcntl::FcntlArg::F_SETLK(&fl));
            if set.is_ok() {
                return Ok(PwdLock { _file: file });
            }
            let err = io::Error::last_os_error();
            if !matches!(
                err.raw_os_error(),
                Some(libc::EAGAIN | libc::EACCES | libc::EINTR)
            ) {
                return Err(err);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("timed out waiting for {PWD_LOCK}"),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

fn into_io(e: crate::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// The kinds systemd keeps under `private/` for dynamic users.
const PRIVATE_KINDS: [DirKind; 3] = [DirKind::State, DirKind::Cache, DirKind::Logs];

/// systemd's scheme for a dynamic user's `StateDirectory=`/`CacheDirectory=`/
/// `LogsDirectory=`: the directory is `BASE/private/PATH`, owned by the uid, and
/// `BASE/PATH` is a relative symlink to it (an existing plain directory is moved there).
///
/// systemd makes `BASE/private` 0700 and makes it reachable for the service only inside
/// its mount namespace. unitbox has no namespaces, so it is 0711: nobody can list it, the
/// service reaches its own directory, and that directory's mode protects it.
/// Call before [`super::dirs::create_directories`], which then finds the symlinks.
pub fn prepare_private_directories(
    dirs: &ExecDirectories,
    scope: &Scope,
    owner: (u32, u32),
) -> Result<(), DirError> {
    for kind in PRIVATE_KINDS {
        let set = dirs.get(kind);
        let base = kind.base(scope);
        for rel in &set.paths {
            let public = scope.root.host_path(&base.join(rel));
            let private_base = scope.root.host_path(&base.join("private"));
            let private = private_base.join(rel);
            let fail = |source| DirError {
                kind,
                path: base.join(rel),
                source,
            };
            fs::create_dir_all(&private_base).map_err(fail)?;
            fs::set_permissions(&private_base, fs::Permissions::from_mode(0o711)).map_err(fail)?;
            if let Some(parent) = private.parent() {
                fs::create_dir_all(parent).map_err(fail)?;
            }
            let public_meta = fs::symlink_metadata(&public).ok();
            if public_meta.as_ref().is_some_and(|m| m.is_dir()) && !private.exists() {
                fs::rename(&public, &private).map_err(fail)?;
            }
            match fs::create_dir(&private) {
                Ok(()) => fs::set_permissions(&private, fs::Permissions::from_mode(set.mode))
                    .map_err(fail)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(fail(e)),
            }
            chown_tree(&private, owner.0, owner.1).map_err(fail)?;
            let depth = rel.components().count();
            let target = PathBuf::from("../".repeat(depth - 1))
                .join("private")
                .join(rel);
            match fs::symlink_metadata(&public) {
                Ok(m) if m.file_type().is_symlink() => {
                    if fs::read_link(&public).ok().as_deref() != Some(target.as_path()) {
                        fs::remove_file(&public).map_err(fail)?;
                        std::os::unix::fs::symlink(&target, &public).map_err(fail)?;
                    }
                }
                Ok(_) => {
                    return Err(fail(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "exists and is not a symlink to the private directory",
                    )))
                }
                Err(_) => {
                    if let Some(parent) = public.parent() {
                        fs::create_dir_all(parent).map_err(fail)?;
                    }
                    std::os::unix::fs::symlink(&target, &public).map_err(fail)?;
                }
            }
        }
    }
    Ok(())
}

/// Gives a tree to uid:gid when it is not theirs yet (a recycled uid takes over the files
/// of the directory it is given), without following symlinks.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// What `systemctl clean` removes for one kind (logical paths): the configured paths and,
/// for a dynamic user's state/cache/logs, their `private/` directories too.
pub fn clean_paths(scope: &Scope, ctx: &ExecContext, kind: DirKind) -> Vec<PathBuf> {
    let base = kind.base(scope);
    let mut out = Vec::new();
    for rel in &ctx.directories.get(kind).paths {
        out.push(base.join(rel));
        if ctx.dynamic_user && PRIVATE_KINDS.contains(&kind) {
            out.push(base.join("private").join(rel));
        }
    }
    out
}

#[cfg(test)]
#[path = "dynamic_user_tests.rs"]
mod tests;

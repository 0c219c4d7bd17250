//! The per-scope state directory and the paths of a unit's runtime files in it.
//!
//! | scope | directory (logical, mapped through `--root`) |
//! |---|---|
//! | system | `/run/unitbox` |
//! | user | `$XDG_RUNTIME_DIR/unitbox`, else `/tmp/unitbox-UID/unitbox` |
//! | capsule | `/run/capsules/NAME/unitbox` |
//!
//! Inside: `boot` (the [`BootRecord`] the contents belong to), `units/NAME.{state,lock,alive,
//! ctl,notify}`, `journal/NAME.journal`, `environment` (the manager's client environment,
//! [`crate::exec::client_env`]), and `s/` for sockets whose natural path would not fit into
//! `sun_path`.

use crate::scope::{fallback_runtime_dir, Scope, ScopeKind};
use crate::state::boot::BootRecord;
use crate::state::lock;
use crate::{Error, Result};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `sizeof(sockaddr_un.sun_path)` minus the terminating NUL.
pub const SUN_PATH_MAX: usize = 107;

const UNITS: &str = "units";
const JOURNAL: &str = "journal";
const SHORT_SOCKETS: &str = "s";
const BOOT_FILE: &str = "boot";
const BOOT_LOCK: &str = "boot.lock";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    host: PathBuf,
}

/// The files of one unit in the state directory (host paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPaths {
    pub state: PathBuf,
    pub lock: PathBuf,
    pub alive: PathBuf,
    pub control: SocketAddress,
    pub notify: SocketAddress,
}

/// Where a unix socket lives: a path, or — when even the shortened path is too long for
/// `sun_path` (a very long `--root`) — a name in the abstract namespace. Abstract sockets
/// have no file permissions: their servers must check the peer's credentials
/// (`SO_PEERCRED`, `SCM_CREDENTIALS`), which the notify protocol does anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddress {
    Path(PathBuf),
    /// The name without the leading NUL.
    Abstract(Vec<u8>),
}

impl SocketAddress {
    /// The `$NOTIFY_SOCKET` spelling: the path, or `@name` for the abstract namespace.
    pub fn to_env_value(&self) -> OsString {
        match self {
            SocketAddress::Path(p) => p.clone().into_os_string(),
            SocketAddress::Abstract(name) => {
                let mut v = b"@".to_vec();
                v.extend_from_slice(name);
                OsString::from(std::ffi::OsStr::from_bytes(&v))
            }
        }
    }

    /// For `UnixDatagram::bind_addr`, `UnixListener::bind_addr`, `connect_addr`.
    pub fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        match self {
            SocketAddress::Path(p) => SocketAddr::from_pathname(p),
            SocketAddress::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name)
            }
        }
    }

    /// Removes a socket file left by a dead server before binding anew (no-op for abstract
    /// names, which vanish with their last descriptor).
    pub fn remove_stale(&self) -> io::Result<()> {
        match self {
            SocketAddress::Path(p) => match fs::remove_file(p) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            SocketAddress::Abstract(_) => Ok(()),
        }
    }
}

/// FNV-1a: a stable hash (the same in every unitbox version, unlike std's `DefaultHasher`),
/// since the supervisor and later systemctl calls must compute the same short names.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The logical state directory of a scope.
pub fn logical_dir(scope: &Scope) -> Result<PathBuf> {
    match scope.kind {
        ScopeKind::Global => Err(Error::Invalid(
            "The --global scope has no runtime state.".into(),
        )),
        // runtime_base() is /run, $XDG_RUNTIME_DIR or its fallback, /run/capsules/NAME.
        _ => Ok(scope.runtime_base().join("unitbox")),
    }
}

/// The scope's journal directory on the host, for readers (journalctl): unlike the
/// [`StateDir`] constructors, creates and cleans nothing.
pub fn journal_dir_for(scope: &Scope) -> Result<PathBuf> {
    Ok(scope.root.host_path(&logical_dir(scope)?).join(JOURNAL))
}

impl StateDir {
    /// The scope's state directory, created if needed (0755 for the system, 0700 otherwise),
    /// checked to belong to the scope's user, and cleared of state from a previous boot.
    pub fn for_scope(scope: &Scope) -> Result<StateDir> {
        let logical = logical_dir(scope)?;
        let host = scope.root.host_path(&logical);
        let private = !scope.is_system();
        let owner = expected_owner(scope);
        if private && scope.xdg.runtime_dir.is_none() {
            // /tmp/unitbox-UID sits in a world-writable directory: someone else may have
            // created it first to watch or redirect our sockets.
            let base = scope
                .root
                .host_path(&fallback_runtime_dir(scope.identity.uid));
            if let Some(tmp) = base.parent() {
                fs::create_dir_all(tmp).map_err(|e| Error::io(tmp, e))?;
            }
            ensure_dir(&base, 0o700, owner, scope.identity.gid)?;
        } else if let Some(parent) = host.parent() {
            // Normally /run or an existing $XDG_RUNTIME_DIR; made private if we must create it.
            fs::DirBuilder::new()
                .recursive(true)
                .mode(if private { 0o700 } else { 0o755 })
                .create(parent)
                .map_err(|e| Error::io(parent, e))?;
        }
        let mode = if private { 0o700 } else { 0o755 };
        ensure_dir(&host, mode, owner, scope.identity.gid)?;
        Self::open(host, BootRecord::current())
    }

    /// The scope's state directory if it exists, for read-only callers (`status`, `show`):
    /// creates nothing. `None` when there is none or it holds only a previous boot's state
    /// that we may not clean up.
    pub fn existing(scope: &Scope) -> Result<Option<StateDir>> {
        let host = scope.root.host_path(&logical_dir(scope)?);
        let meta = match fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&host, e)),
        };
        if !scope.is_system() {
            check_dir(&host, &meta, 0o700, expected_owner(scope))?;
        }
        let dir = StateDir { host };
        match dir.recorded_boot() {
            Some(b) if b.matches(BootRecord::current()) => Ok(Some(dir)),
            _ => match Self::open(dir.host, BootRecord::current()) {
                Ok(dir) => Ok(Some(dir)),
                Err(e) => {
                    log::debug!("ignoring state from a previous boot: {e}");
                    Ok(None)
                }
            },
        }
    }

    /// Opens an existing directory as the state of the boot `current`: if its `boot`
    /// record is missing or belongs to another boot, `units/` and the sockets are discarded
    /// (the journal stays: its records carry their boot id). Creates the subdirectories.
    pub fn open(host: PathBuf, current: &BootRecord) -> Result<StateDir> {
        let dir = StateDir { host };
        // Serialise the check-and-clean: two first callers must not both clean, the second
        // deleting what the first has just started.
        let _guard = lock::lock(&dir.host.join(BOOT_LOCK), Duration::from_secs(30))?;
        let stale = !matches!(dir.recorded_boot(), Some(b) if b.matches(current));
        if stale {
            for sub in [UNITS, SHORT_SOCKETS] {
                discard(&dir.host, sub)?;
            }
            // The manager's client environment (`set-environment`) lasts one boot, as 252's.
            let env = dir.host.join(crate::exec::client_env::FILE);
            match fs::remove_file(&env) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(Error::io(env, e)),
                _ => {}
            }
            write_atomic(&dir.host.join(BOOT_FILE), current.to_text().as_bytes())?;
        }
        let mode = fs::metadata(&dir.host)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o755);
        for sub in [UNITS, JOURNAL, SHORT_SOCKETS] {
            let path = dir.host.join(sub);
            match fs::DirBuilder::new().mode(mode).create(&path) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(Error::io(path, e))
                }
                _ => {}
            }
        }
        Ok(dir)
    }

    fn recorded_boot(&self) -> Option<BootRecord> {
        let text = fs::read_to_string(self.host.join(BOOT_FILE)).ok()?;
        BootRecord::parse(&text)
    }

    /// The directory on the host.
    pub fn path(&self) -> &Path {
        &self.host
    }

    pub fn units_dir(&self) -> PathBuf {
        self.host.join(UNITS)
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.host.join(JOURNAL)
    }

    pub fn unit_paths(&self, unit: &str) -> UnitPaths {
        UnitPaths {
            state: self.unit_file(unit, "state"),
            lock: self.unit_file(unit, "lock"),
            alive: self.unit_file(unit, "alive"),
            control: self.socket(unit, "ctl"),
            notify: self.socket(unit, "notify"),
        }
    }

    /// The names of the units that have a state file.
    pub fn units_with_state(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.units_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                Some(name.strip_suffix(".state")?.to_string())
            })
            .filter(|n| !n.is_empty() && !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    fn unit_file(&self, unit: &str, suffix: &str) -> PathBuf {
        self.units_dir()
            .join(format!("{}.{suffix}", file_safe(unit)))
    }

    fn socket(&self, unit: &str, suffix: &str) -> SocketAddress {
        let natural = self.unit_file(unit, suffix);
        if natural.as_os_str().len() <= SUN_PATH_MAX {
            return SocketAddress::Path(natural);
        }
        let hash = fnv1a(unit.as_bytes());
        let short = self
            .host
            .join(SHORT_SOCKETS)
            .join(format!("{hash:016x}.{suffix}"));
        if short.as_os_str().len() <= SUN_PATH_MAX {
            return SocketAddress::Path(short);
        }
        let dir_hash = fnv1a(self.host.as_os_str().as_bytes());
        SocketAddress::Abstract(
            format!("unitbox/{dir_hash:016x}/{hash:016x}.{suffix}").into_bytes(),
        )
    }
}

/// Unit names never contain `/` (the unit parser guarantees it); should one slip through,
/// it must still not leave the directory.
fn file_safe(unit: &str) -> String {
    if unit.is_empty() || unit.starts_with('.') || unit.contains('/') {
        format!("_{}", unit.replace('/', "_"))
    } else {
        unit.to_string()
    }
}

/// Who must own a scope's private directories: the user of a user manager; for the system
/// and capsules (whose dynamic user we do not know), whoever we are.
fn expected_owner(scope: &Scope) -> u32 {
    match scope.kind {
        ScopeKind::User => scope.identity.uid,
        _ => nix::unistd::geteuid().as_raw(),
    }
}

/// Creates `path` with `mode` unless it exists, hands it to `owner` when we are root, then
/// verifies it is a real directory owned by `owner` and, if private, closed to others.
fn ensure_dir(path: &Path, mode: u32, owner: u32, group: u32) -> Result<()> {
    match fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => {
            if nix::unistd::geteuid().is_root() && owner != 0 {
                std::os::unix::fs::lchown(path, Some(owner), Some(group))
                    .map_err(|e| Error::io(path, e))?;
            }
            // The umask may have removed bits; make the mode exactly what we asked for.
            fs::set_permissions(path, fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(path, e))?;
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io(path, e)),
    }
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    check_dir(path, &meta, mode, owner)
}

fn check_dir(path: &Path, meta: &fs::Metadata, mode: u32, owner: u32) -> Result<()> {
    if !meta.file_type().is_dir() {
        return Err(Error::Invalid(format!(
            "Refusing to use {}: not a directory.",
            path.display()
        )));
    }
    if meta.uid() != owner {
        return Err(Error::Invalid(format!(
            "Refusing to use {}: owned by UID {}, not {owner}.",
            path.display(),
            meta.uid()
        )));
    }
    if mode & 0o077 == 0 && meta.mode() & 0o077 != 0 {
        return Err(Error::Invalid(format!(
            "Refusing to use {}: accessible by other users (mode {:04o}).",
            path.display(),
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// Removes `host/sub` of a previous boot. The directory is renamed aside first, so the new
/// boot's `sub` starts empty at once even while a late writer of the old boot (a supervisor
/// still finishing) adds a file, which would make a plain recursive removal fail with
/// ENOTEMPTY; what such a writer leaves in the renamed copy is removed on a second pass.
fn discard(host: &Path, sub: &str) -> Result<()> {
    let path = host.join(sub);
    let aside = host.join(format!(".{sub}.previous-boot.{}", std::process::id()));
    match fs::rename(&path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    }
    let mut last = Ok(());
    for _ in 0..3 {
        last = fs::remove_dir_all(&aside);
        match &last {
            Err(e) if e.kind() != io::ErrorKind::NotFound => continue,
            _ => return Ok(()),
        }
    }
    if let Err(e) = last {
        log::warn!(
            "{}: could not remove the previous boot's state: {e}",
            aside.display()
        );
    }
    Ok(())
}

/// Replaces `path` atomically: a temporary file in the same directory, fsync, rename. A
/// reader sees the old or the new content, never a mix; a crash leaves one of the two.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp_path, mut tmp) = loop {
        let tmp_path = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(&tmp_path)
        {
            Ok(f) => break (tmp_path, f),
            // A leftover from a crashed earlier process with our pid, or another thread.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(Error::io(tmp_path, e)),
        }
    };
    let result = tmp
        .write_all(data)
        .and_then(|()| tmp.sync_all())
        .and_then(|()| fs::rename(&tmp_path, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp_path);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::users::Identity;

    fn me() -> Identity {
        let (uid, gid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        Identity {
            uid,
            gid,
            name: "me".into(),
            group: "me".into(),
            home: "/home/me".into(),
            shell: "/bin/sh".into(),
        }
    }

    fn scope(kind: ScopeKind, root: &Path, env: &dyn Fn(&str) -> Option<String>) -> Scope {
        Scope::new(kind, Root::new(root), me(), env)
    }

    #[test]
    fn directories_per_scope() {
        let tmp = tempfile::tempdir().unwrap();
        let system = StateDir::for_scope(&scope(ScopeKind::System, tmp.path(), &|_| None)).unwrap();
        assert_eq!(system.path(), tmp.path().join("run/unitbox"));
        assert!(system.units_dir().is_dir() && system.journal_dir().is_dir());
        assert!(tmp.path().join("run/unitbox/boot").is_file());

        let with_xdg = |k: &str| (k == "XDG_RUNTIME_DIR").then(|| "/run/user/1000".to_string());
        let user = StateDir::for_scope(&scope(ScopeKind::User, tmp.path(), &with_xdg)).unwrap();
        assert_eq!(user.path(), tmp.path().join("run/user/1000/unitbox"));
        let mode = fs::metadata(user.path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);

        let fallback = StateDir::for_scope(&scope(ScopeKind::User, tmp.path(), &|_| None)).unwrap();
        let base = tmp.path().join(format!("tmp/unitbox-{}", me().uid));
        assert_eq!(fallback.path(), base.join("unitbox"));
        assert_eq!(fs::metadata(&base).unwrap().mode() & 0o777, 0o700);

        let capsule = scope(ScopeKind::Capsule("tatze".into()), tmp.path(), &|_| None);
        let capsule = StateDir::for_scope(&capsule).unwrap();
        assert_eq!(
            capsule.path(),
            tmp.path().join("run/capsules/tatze/unitbox")
        );

        assert!(StateDir::for_scope(&scope(ScopeKind::Global, tmp.path(), &|_| None)).is_err());
        let paths = system.unit_paths("foo.service");
        assert_eq!(paths.state, system.path().join("units/foo.service.state"));
        assert_eq!(paths.alive, system.path().join("units/foo.service.alive"));
        assert_eq!(
            paths.control,
            SocketAddress::Path(system.path().join("units/foo.service.ctl"))
        );
    }

    #[test]
    fn refuses_a_fallback_dir_prepared_by_someone_else() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join(format!("tmp/unitbox-{}", me().uid));
        fs::create_dir_all(&base).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o777)).unwrap();
        let user = scope(ScopeKind::User, tmp.path(), &|_| None);
        let err = StateDir::for_scope(&user).unwrap_err().to_string();
        assert!(err.contains("accessible by other users"), "{err}");

        fs::remove_dir(&base).unwrap();
        std::os::unix::fs::symlink(tmp.path(), &base).unwrap();
        let err = StateDir::for_scope(&user).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");

        let mut stranger = me();
        stranger.uid += 4242;
        let base = tmp.path().join(format!("tmp/unitbox-{}", stranger.uid));
        fs::create_dir(&base).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o700)).unwrap();
        let user = Scope::new(ScopeKind::User, Root::new(tmp.path()), stranger, &|_| None);
        let err = StateDir::for_scope(&user).unwrap_err().to_string();
        assert!(err.contains("owned by UID"), "{err}");
    }

    #[test]
    fn long_roots_get_short_or_abstract_sockets() {
        let tmp = tempfile::tempdir().unwrap();
        let unit = "a-rather-long-unit-name-for-sockets@instance.service";
        let mid = tmp.path().join("r".repeat(40));
        let dir = StateDir::for_scope(&scope(ScopeKind::System, &mid, &|_| None)).unwrap();
        let paths = dir.unit_paths(unit);
        let SocketAddress::Path(short) = &paths.notify else {
            panic!("expected a shortened path: {paths:?}");
        };
        assert!(short.starts_with(dir.path().join("s")));
        assert!(short.as_os_str().len() <= SUN_PATH_MAX);
        // Bindable for real, and stable between two computations.
        let sock =
            std::os::unix::net::UnixDatagram::bind_addr(&paths.notify.to_socket_addr().unwrap())
                .unwrap();
        assert_eq!(dir.unit_paths(unit).notify, paths.notify);
        drop(sock);
        paths.notify.remove_stale().unwrap();
        assert!(!short.exists());

        let deep = tmp.path().join("d".repeat(120));
        let dir = StateDir::for_scope(&scope(ScopeKind::System, &deep, &|_| None)).unwrap();
        let paths = dir.unit_paths(unit);
        assert!(
            matches!(paths.control, SocketAddress::Abstract(_)),
            "{paths:?}"
        );
        assert_ne!(paths.control, paths.notify);
        assert!(paths
            .notify
            .to_env_value()
            .to_string_lossy()
            .starts_with("@unitbox/"));
        let listener =
            std::os::unix::net::UnixListener::bind_addr(&paths.control.to_socket_addr().unwrap())
                .unwrap();
        std::os::unix::net::UnixStream::connect_addr(&paths.control.to_socket_addr().unwrap())
            .unwrap();
        drop(listener);
    }

    #[test]
    fn state_of_a_previous_boot_is_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let host = tmp.path().join("state");
        fs::create_dir(&host).unwrap();
        let boot_a = BootRecord {
            boot_id: "a".repeat(32),
            pid1_start: Some(100),
        };
        let container_restart = BootRecord {
            pid1_start: Some(200),
            ..boot_a.clone()
        };
        let dir = StateDir::open(host.clone(), &boot_a).unwrap();
        let paths = dir.unit_paths("foo.service");
        fs::write(&paths.state, "ActiveState=active\n").unwrap();
        fs::write(dir.journal_dir().join("foo.service.journal"), "kept\n").unwrap();
        fs::write(dir.path().join("s/0123.notify"), "").unwrap();

        let dir = StateDir::open(host.clone(), &boot_a).unwrap();
        assert!(paths.state.exists(), "same boot keeps its state");
        assert_eq!(dir.units_with_state(), ["foo.service"]);

        let dir = StateDir::open(host.clone(), &container_restart).unwrap();
        assert!(!paths.state.exists(), "a new boot starts clean");
        assert!(!dir.path().join("s/0123.notify").exists());
        assert!(dir.units_dir().is_dir());
        assert!(dir.journal_dir().join("foo.service.journal").exists());
        assert_eq!(
            BootRecord::parse(&fs::read_to_string(host.join("boot")).unwrap()),
            Some(container_restart)
        );
    }

    #[test]
    fn existing_creates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let s = scope(ScopeKind::System, tmp.path(), &|_| None);
        assert_eq!(StateDir::existing(&s).unwrap(), None);
        assert!(!tmp.path().join("run").exists());
        let made = StateDir::for_scope(&s).unwrap();
        assert_eq!(StateDir::existing(&s).unwrap(), Some(made));
    }

    #[test]
    fn atomic_writes_replace_whole_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.state");
        write_atomic(&path, b"one\n").unwrap();
        write_atomic(&path, b"two\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files stay behind");
        assert!(write_atomic(&tmp.path().join("missing/x"), b"").is_err());
    }
}

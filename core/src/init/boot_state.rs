//! Boot state as systemd 252's PID 1 leaves it in a container (main.c's
//! `log_execution_mode()` and `initialize_runtime()`, shared/machine-id-setup.c,
//! `write_container_id()`, `manager_set_first_boot()`), done by a unitbox PID 1 of the
//! system scope before the boot job:
//!
//! - first boot: `/etc/machine-id` missing, unreadable or `uninitialized` (an empty file
//!   is not a first boot); `/run/systemd/first-boot` is created, or removed;
//! - the machine id: a valid `/etc/machine-id` is kept; else one from
//!   `/var/lib/dbus/machine-id`, `$container_uuid` (in a container), or random. Not on a
//!   first boot and `/etc/machine-id` writable: written there. Otherwise (first boot, or
//!   not writable) `uninitialized` goes to a writable `/etc/machine-id`, the id to
//!   `/run/machine-id`, bind-mounted read-only over `/etc/machine-id`. Without
//!   CAP_SYS_ADMIN the mount fails; 252 then has no machine id at all, unitbox keeps
//!   `/run/machine-id`, which the facts reader falls back to ([`RUN_MACHINE_ID`]). With
//!   the mount made and `/etc` writable, the id is committed to disk at once, as
//!   systemd-machine-id-commit.service does early in 252's boot;
//! - `/run/systemd/container`: the value of `$container`, with a newline, mode 0644.

use crate::scope::Scope;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const ETC_MACHINE_ID: &str = "/etc/machine-id";
pub const RUN_MACHINE_ID: &str = "/run/machine-id";
pub const DBUS_MACHINE_ID: &str = "/var/lib/dbus/machine-id";
pub const CONTAINER_FILE: &str = "/run/systemd/container";
pub const FIRST_BOOT_FILE: &str = "/run/systemd/first-boot";

/// What the setup found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootState {
    pub first_boot: bool,
    /// The machine id in use, 32 lowercase hex digits (`None`: none could be set up).
    pub machine_id: Option<String>,
}

/// Where the setup acts: the scope's root, its environment (PID 1's), whether this is a
/// container (`detect_container()`), and where its lines go (the console).
pub struct Setup<'a> {
    pub root: &'a crate::root::Root,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub in_container: bool,
    pub log: &'a dyn Fn(&str),
}

/// Does what 252's PID 1 does before it loads units; only for a system manager.
pub fn setup_for_pid1(scope: &Scope, log: &dyn Fn(&str)) -> Option<BootState> {
    if !scope.is_system() {
        return None;
    }
    let env = |k: &str| std::env::var(k).ok();
    let setup = Setup {
        root: &scope.root,
        env: &env,
        in_container: crate::host::detect_virtualization().is_container,
        log,
    };
    Some(setup.run())
}

impl Setup<'_> {
    fn path(&self, logical: &str) -> PathBuf {
        self.root.host_path(Path::new(logical))
    }

    pub fn run(&self) -> BootState {
        let first_boot = self.detect_first_boot();
        let machine_id = self.machine_id_setup(first_boot);
        self.write_container_id();
        self.set_first_boot(first_boot);
        BootState {
            first_boot,
            machine_id,
        }
    }

    /// `log_execution_mode()`: the first line of `/etc/machine-id` missing (or unreadable)
    /// or `uninitialized`.
    pub fn detect_first_boot(&self) -> bool {
        match std::fs::read_to_string(self.path(ETC_MACHINE_ID)) {
            Ok(text) => text.lines().next().unwrap_or("") == "uninitialized",
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    (self.log)(&format!(
                        "Unexpected error while reading /etc/machine-id, ignoring: {}",
                        crate::error::os_error_text(&e)
                    ));
                }
                true
            }
        }
    }

    fn set_first_boot(&self, first_boot: bool) {
        let path = self.path(FIRST_BOOT_FILE);
        if first_boot {
            if let Some(parent) = path.parent() {
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(parent);
            }
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o644)
                .open(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// `write_container_id()`.
    fn write_container_id(&self) {
        let Some(value) = (self.env)("container").filter(|v| !v.is_empty()) else {
            return;
        };
        let path = self.path(CONTAINER_FILE);
        let written = path
            .parent()
            .map_or(Ok(()), |p| {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(p)
            })
            .and_then(|()| write_mode(&path, format!("{value}\n").as_bytes(), 0o644));
        if let Err(e) = written {
            (self.log)(&format!(
                "Failed to write {CONTAINER_FILE}, ignoring: {}",
                crate::error::os_error_text(&e)
            ));
        }
    }

    /// `machine_id_setup(NULL, force_transient = first_boot, SD_ID128_NULL)`.
    fn machine_id_setup(&self, force_transient: bool) -> Option<String> {
        let etc = self.path(ETC_MACHINE_ID);
        if let Some(parent) = etc.parent() {
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent);
        }
        let (mut file, writable) = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o444)
            .open(&etc)
        {
            Ok(f) => (f, true),
            Err(first) => match std::fs::File::open(&etc) {
                Ok(f) => (f, false),
                Err(e) => {
                    if first.raw_os_error() == Some(libc::EROFS)
                        && e.kind() == std::io::ErrorKind::NotFound
                    {
                        (self.log)("System cannot boot: Missing /etc/machine-id and /etc is mounted read-only.");
                    } else {
                        (self.log)(&format!(
                            "Cannot open {ETC_MACHINE_ID}: {}",
                            crate::error::os_error_text(&e)
                        ));
                    }
                    return None;
                }
            },
        };
        let mut bytes = Vec::new();
        let _ = (&mut file).take(64).read_to_end(&mut bytes);
        if let Some(id) = parse_plain_id128(&bytes) {
            return Some(id);
        }
        let id = self.generate_machine_id();
        if writable {
            let written = file
                .seek(std::io::SeekFrom::Start(0))
                .and_then(|_| file.set_len(0))
                .and_then(|()| {
                    let text = if force_transient {
                        "uninitialized\n".to_string()
                    } else {
                        format!("{id}\n")
                    };
                    file.write_all(text.as_bytes())
                })
                .and_then(|()| file.sync_all());
            if let Err(e) = written {
                (self.log)(&format!(
                    "Failed to write {ETC_MACHINE_ID}: {}",
                    crate::error::os_error_text(&e)
                ));
                return None;
            }
            if !force_transient {
                return Some(id);
            }
        }
        drop(file);
        self.install_transient(&id, force_transient, writable)
    }

    /// The id on `/run/machine-id`, bind-mounted read-only over `/etc/machine-id`;
    /// committed when the file under the mount is writable.
    fn install_transient(&self, id: &str, quiet: bool, writable: bool) -> Option<String> {
        let run = self.path(RUN_MACHINE_ID);
        if let Err(e) = write_mode(&run, format!("{id}\n").as_bytes(), 0o444) {
            let _ = std::fs::remove_file(&run);
            (self.log)(&format!(
                "Cannot write {RUN_MACHINE_ID}: {}",
                crate::error::os_error_text(&e)
            ));
            return None;
        }
        let etc = self.path(ETC_MACHINE_ID);
        use nix::mount::{mount, MsFlags};
        if let Err(e) = mount(
            Some(&run),
            &etc,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        ) {
            // 252 removes /run/machine-id and goes on without a machine id.
            (self.log)(&format!(
                "Failed to mount {RUN_MACHINE_ID} on {ETC_MACHINE_ID}: {}; the machine ID stays in {RUN_MACHINE_ID} for this boot",
                crate::error::os_error_text(&std::io::Error::from(e))
            ));
            return Some(id.to_string());
        }
        if !quiet {
            (self.log)(&format!("Installed transient {ETC_MACHINE_ID} file."));
        }
        let flags = MsFlags::MS_BIND | MsFlags::MS_RDONLY | MsFlags::MS_REMOUNT;
        if let Err(e) = mount(None::<&str>, &etc, None::<&str>, flags, None::<&str>) {
            (self.log)(&format!(
                "Failed to remount {ETC_MACHINE_ID} read-only: {}",
                crate::error::os_error_text(&std::io::Error::from(e))
            ));
        }
        if writable {
            self.commit(id);
        }
        Some(id.to_string())
    }

    /// systemd-machine-id-commit.service (`ConditionPathIsReadWrite=/etc`, in
    /// sysinit.target, which a container skips): with `/etc` writable the transient id
    /// is written to disk and the mount removed, before any service starts.
    fn commit(&self, id: &str) {
        use nix::sys::statvfs::{statvfs, FsFlags};
        let etc_dir = self.path("/etc");
        if statvfs(&etc_dir).map_or(true, |v| v.flags().contains(FsFlags::ST_RDONLY)) {
            return;
        }
        let etc = self.path(ETC_MACHINE_ID);
        if let Err(e) = nix::mount::umount2(&etc, nix::mount::MntFlags::MNT_DETACH) {
            (self.log)(&format!(
                "Failed to unmount transient {ETC_MACHINE_ID} file: {}",
                crate::error::os_error_text(&std::io::Error::from(e))
            ));
            return;
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .create(true)
            .mode(0o444)
            .open(&etc)
            .and_then(|mut f| {
                f.write_all(format!("{id}\n").as_bytes())?;
                f.sync_all()
            });
        if let Err(e) = written {
            (self.log)(&format!(
                "Cannot write {ETC_MACHINE_ID}. This is mandatory to get a persistent machine ID: {}",
                crate::error::os_error_text(&e)
            ));
        }
    }

    /// `generate_machine_id()`: D-Bus's id, else `$container_uuid` in a container, else
    /// random (a v4 UUID, as `sd_id128_randomize()`).
    fn generate_machine_id(&self) -> String {
        let dbus = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.path(DBUS_MACHINE_ID))
            .ok()
            .and_then(|f| {
                let mut bytes = Vec::new();
                f.take(64).read_to_end(&mut bytes).ok()?;
                parse_plain_id128(&bytes)
            });
        if let Some(id) = dbus {
            (self.log)("Initializing machine ID from D-Bus machine ID.");
            return id;
        }
        if self.in_container && self.root.is_host() {
            if let Some(id) =
                (self.env)("container_uuid").and_then(|u| crate::host::parse_id128(&u))
            {
                (self.log)("Initializing machine ID from container UUID.");
                return id;
            }
        }
        (self.log)("Initializing machine ID from random generator.");
        crate::supervisor::start::new_invocation_id()
    }
}

/// A file written whole with `mode` (the umask does not narrow it further).
fn write_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    f.write_all(bytes)
}

/// `id128_read_fd(ID128_PLAIN)`: 32 hex digits, optionally followed by one newline.
pub fn parse_plain_id128(bytes: &[u8]) -> Option<String> {
    let hex = match bytes {
        [head @ .., b'\n'] if head.len() == 32 => head,
        b if b.len() == 32 => b,
        _ => return None,
    };
    let text = std::str::from_utf8(hex).ok()?;
    crate::host::is_id128(text).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
#[path = "boot_state_tests.rs"]
mod tests;

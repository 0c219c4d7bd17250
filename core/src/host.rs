//! Facts about the machine (systemd's hostname-util, id128, os-util and virt.c): hostname,
//! machine id, boot id, os-release, virtualization and the kernel's. The one reader of each,
//! for conditions, specifiers, journal output and `systemctl show`; [`HostFacts`] reads each
//! at most once and only when a condition needs it. Kernel facts (`/proc`, `/sys`, uname) are the host's; facts that live
//! in the file system tree (`/etc/machine-id`, os-release) are read inside the scope's root.
//! Tests and callers can pin any fact with the `with_*` builders.

mod files;
mod virt;

use crate::root::Root;
use crate::unit::value::{parse_bool, split_words, SplitOptions};
use files::read_trimmed;
use once_cell::unsync::OnceCell;
use std::path::Path;
pub use virt::{detect_virtualization, Virtualization};

/// Lazily read host facts. `None` inside a cell means "could not be determined", which
/// makes the condition that needs it an error (failed), as in systemd.
#[derive(Debug, Default)]
pub struct HostFacts {
    hostname: OnceCell<Option<String>>,
    kernel_release: OnceCell<Option<String>>,
    machine: OnceCell<Option<String>>,
    kernel_cmdline: OnceCell<Option<String>>,
    virtualization: OnceCell<Virtualization>,
    user_namespace: OnceCell<bool>,
    physical_memory: OnceCell<u64>,
    cpus: OnceCell<Option<u32>>,
    capability_bounding_set: OnceCell<Option<u64>>,
    ac_power: OnceCell<bool>,
}

impl HostFacts {
    pub fn with_hostname(self, name: &str) -> Self {
        let _ = self.hostname.set(Some(name.into()));
        self
    }
    pub fn with_kernel_release(self, release: &str) -> Self {
        let _ = self.kernel_release.set(Some(release.into()));
        self
    }
    /// The uname machine field (`x86_64`, `aarch64`).
    pub fn with_machine(self, machine: &str) -> Self {
        let _ = self.machine.set(Some(machine.into()));
        self
    }
    pub fn with_kernel_cmdline(self, line: &str) -> Self {
        let _ = self.kernel_cmdline.set(Some(line.into()));
        self
    }
    pub fn with_virtualization(self, v: Virtualization) -> Self {
        let _ = self.virtualization.set(v);
        self
    }
    pub fn with_user_namespace(self, inside: bool) -> Self {
        let _ = self.user_namespace.set(inside);
        self
    }
    pub fn with_physical_memory(self, bytes: u64) -> Self {
        let _ = self.physical_memory.set(bytes);
        self
    }
    pub fn with_cpus(self, n: u32) -> Self {
        let _ = self.cpus.set(Some(n));
        self
    }
    pub fn with_capability_bounding_set(self, mask: u64) -> Self {
        let _ = self.capability_bounding_set.set(Some(mask));
        self
    }
    pub fn with_ac_power(self, on: bool) -> Self {
        let _ = self.ac_power.set(on);
        self
    }

    pub fn hostname(&self) -> Option<&str> {
        self.hostname.get_or_init(kernel_hostname).as_deref()
    }

    pub fn kernel_release(&self) -> Option<&str> {
        self.kernel_release
            .get_or_init(|| uname().map(|u| u.0))
            .as_deref()
    }

    pub fn machine(&self) -> Option<&str> {
        self.machine.get_or_init(|| uname().map(|u| u.1)).as_deref()
    }

    /// The kernel command line; in a container PID 1's command line instead, because
    /// `/proc/cmdline` belongs to the host (systemd's `proc_cmdline()`).
    pub fn kernel_cmdline(&self) -> Option<&str> {
        self.kernel_cmdline
            .get_or_init(|| {
                if self.virtualization().is_container {
                    std::fs::read("/proc/1/cmdline").ok().map(|raw| {
                        raw.split(|&b| b == 0)
                            .filter(|a| !a.is_empty())
                            .map(|a| String::from_utf8_lossy(a).into_owned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                } else {
                    read_trimmed(Path::new("/proc/cmdline"))
                }
            })
            .as_deref()
    }

    pub fn virtualization(&self) -> &Virtualization {
        self.virtualization.get_or_init(detect_virtualization)
    }

    /// Whether we run in a user namespace other than the initial one (`private-users`).
    pub fn user_namespace(&self) -> bool {
        *self.user_namespace.get_or_init(|| {
            let Some(map) = read_trimmed(Path::new("/proc/self/uid_map")) else {
                return false;
            };
            let fields: Vec<&str> = map.split_whitespace().collect();
            fields != ["0", "0", "4294967295"]
        })
    }

    /// `physical_memory()`: RAM, capped by the memory limit of PID 1's cgroup.
    pub fn physical_memory(&self) -> u64 {
        *self.physical_memory.get_or_init(read_physical_memory)
    }

    /// CPUs in our affinity mask.
    pub fn cpus(&self) -> Option<u32> {
        *self.cpus.get_or_init(|| {
            let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
            let n = (0..nix::sched::CpuSet::count())
                .filter(|&i| set.is_set(i).unwrap_or(false))
                .count();
            u32::try_from(n).ok()
        })
    }

    /// `CapBnd:` of `/proc/self/status`; all capabilities when the line is missing.
    pub fn capability_bounding_set(&self) -> Option<u64> {
        *self.capability_bounding_set.get_or_init(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            match status.lines().find_map(|l| l.strip_prefix("CapBnd:")) {
                Some(hex) => u64::from_str_radix(hex.trim(), 16).ok(),
                None => Some(u64::MAX),
            }
        })
    }

    /// `on_ac_power()`: false only when there are mains supplies and all are offline.
    pub fn ac_power(&self) -> bool {
        *self.ac_power.get_or_init(|| {
            let Ok(dir) = std::fs::read_dir("/sys/class/power_supply") else {
                return true;
            };
            let mut offline = false;
            for entry in dir.flatten() {
                let path = entry.path();
                if read_trimmed(&path.join("type")).as_deref() != Some("Mains") {
                    continue;
                }
                match read_trimmed(&path.join("online")).as_deref() {
                    Some("1") => return true,
                    Some("0") => offline = true,
                    _ => {}
                }
            }
            !offline
        })
    }
}

/// Facts that live inside the root's tree.
pub struct RootFacts<'a> {
    pub root: &'a Root,
}

impl RootFacts<'_> {
    fn read(&self, logical: &str) -> Option<String> {
        std::fs::read_to_string(self.root.host_path(Path::new(logical))).ok()
    }

    /// `/etc/machine-id` as 32 lowercase hex digits, if it holds a valid id; else the
    /// transient `/run/machine-id` a unitbox PID 1 could not mount over it (no
    /// CAP_SYS_ADMIN, see init/boot_state.rs).
    pub fn machine_id(&self) -> Option<String> {
        ["/etc/machine-id", "/run/machine-id"].iter().find_map(|p| {
            let id = self.read(p)?.trim().to_ascii_lowercase();
            is_id128(&id).then_some(id)
        })
    }

    /// The first name line of `/etc/hostname` (comments and blank lines skipped).
    pub fn static_hostname(&self) -> Option<String> {
        self.read("/etc/hostname")?
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
    }

    /// One os-release field (`ID`, `VERSION_ID`, …), if set.
    pub fn os_release_field(&self, key: &str) -> Option<String> {
        self.os_release()?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// First boot: `/run/systemd/first-boot` (written by a systemd PID 1), or a missing,
    /// empty or `uninitialized` `/etc/machine-id`, which is what makes systemd create it.
    pub fn first_boot(&self) -> bool {
        if self
            .root
            .host_path(Path::new("/run/systemd/first-boot"))
            .exists()
        {
            return true;
        }
        match self.read("/etc/machine-id") {
            None => true,
            Some(id) => matches!(id.trim(), "" | "uninitialized"),
        }
    }

    pub fn in_initrd(&self) -> bool {
        self.root
            .host_path(Path::new("/etc/initrd-release"))
            .exists()
    }

    /// The os-release assignments (`/etc/os-release`, else `/usr/lib/os-release`).
    pub fn os_release(&self) -> Option<Vec<(String, String)>> {
        let text = self
            .read("/etc/os-release")
            .or_else(|| self.read("/usr/lib/os-release"))?;
        Some(crate::unit::env::parse_environment_file(&text).0.vars)
    }
}

/// `proc_cmdline_get_bool()`: `key` alone is true, `key=value` a boolean.
pub(super) fn cmdline_bool(line: &str, key: &str) -> Option<bool> {
    let words = split_words(line, SplitOptions::default()).unwrap_or_default();
    let mut found = None;
    for w in words {
        if w == key {
            found = Some(true);
        } else if let Some(v) = w.strip_prefix(key).and_then(|r| r.strip_prefix('=')) {
            if let Some(b) = parse_bool(v) {
                found = Some(b);
            }
        }
    }
    found
}

/// 32 hex digits: the form of machine and boot ids (`sd_id128`).
pub fn is_id128(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `sd_id128_from_string()`: 32 hex digits, or the UUID form with dashes at 8, 13, 18, 23.
pub fn parse_id128(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let plain: String = match b.len() {
        32 => text.to_string(),
        36 if [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') => {
            text.chars().filter(|&c| c != '-').collect()
        }
        _ => return None,
    };
    is_id128(&plain).then(|| plain.to_ascii_lowercase())
}

/// A 128-bit id as systemd prints it: 32 lowercase hex digits, dashes of the UUID form
/// dropped; `None` when it is none.
pub fn normalize_id128(text: &str) -> Option<String> {
    let id: String = text
        .trim()
        .chars()
        .filter(|&c| c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    is_id128(&id).then_some(id)
}

/// The kernel's boot id (`/proc/sys/kernel/random/boot_id`), normalized.
pub fn boot_id() -> Option<String> {
    normalize_id128(&std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?)
}

/// The kernel's host name (`gethostname(2)`, uname's nodename).
pub fn kernel_hostname() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().into_owned())
}

/// The kernel release (`uname -r`).
pub fn kernel_release() -> Option<String> {
    uname().map(|(release, _)| release)
}

/// uname(2): (release, machine).
fn uname() -> Option<(String, String)> {
    let raw = nix::sys::utsname::uname().ok()?;
    let text = |field: &std::ffi::OsStr| field.to_string_lossy().into_owned();
    Some((text(raw.release()), text(raw.machine())))
}

fn read_physical_memory() -> u64 {
    use nix::unistd::{sysconf, SysconfVar};
    let value = |var| {
        sysconf(var)
            .ok()
            .flatten()
            .and_then(|v| u64::try_from(v).ok())
    };
    let page = value(SysconfVar::PAGE_SIZE).unwrap_or(4096).max(1);
    let mem = value(SysconfVar::_PHYS_PAGES)
        .unwrap_or(0)
        .saturating_mul(page);
    let Some(limit) = cgroup_memory_limit() else {
        return mem;
    };
    mem.min(limit / page * page)
}

/// The memory limit of PID 1's cgroup (`memory.max`, or v1's `memory.limit_in_bytes`).
fn cgroup_memory_limit() -> Option<u64> {
    let cgroups = std::fs::read_to_string("/proc/1/cgroup").ok()?;
    let unified = is_cgroup2("/sys/fs/cgroup");
    let wanted = if unified { "0::" } else { "1:name=systemd:" };
    let path = cgroups
        .lines()
        .find_map(|l| {
            l.strip_prefix(wanted)
                .or_else(|| l.split_once(":name=systemd:").map(|x| x.1))
        })
        .unwrap_or("/");
    let path = path.strip_suffix("/init.scope").unwrap_or(path);
    let path = path.trim_start_matches('/');
    let file = if unified {
        Path::new("/sys/fs/cgroup").join(path).join("memory.max")
    } else {
        Path::new("/sys/fs/cgroup/memory")
            .join(path)
            .join("memory.limit_in_bytes")
    };
    read_trimmed(&file)?.parse().ok()
}

pub fn is_cgroup2(path: &str) -> bool {
    nix::sys::statfs::statfs(path)
        .map(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_command_line_booleans() {
        assert_eq!(cmdline_bool("quiet a.b", "a.b"), Some(true));
        assert_eq!(cmdline_bool("a.b=no", "a.b"), Some(false));
        assert_eq!(cmdline_bool("a.bc=no", "a.b"), None);
    }

    #[test]
    fn os_release_values_lose_their_quotes() {
        let kv = crate::unit::env::parse_environment_file(
            "# c\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID='12'\nX=\"a\\\"b\"\nbogus\n",
        )
        .0
        .vars;
        assert_eq!(
            kv,
            [
                ("ID".to_string(), "debian".to_string()),
                (
                    "PRETTY_NAME".to_string(),
                    "Debian GNU/Linux 12 (bookworm)".to_string()
                ),
                ("VERSION_ID".to_string(), "12".to_string()),
                ("X".to_string(), "a\"b".to_string()),
            ]
        );
    }

    #[test]
    fn machine_id_and_first_boot_come_from_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        let facts = RootFacts { root: &root };
        assert!(facts.first_boot());
        assert_eq!(facts.machine_id(), None);
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/machine-id"), "uninitialized\n").unwrap();
        assert!(facts.first_boot());
        std::fs::write(
            dir.path().join("etc/machine-id"),
            "0123456789ABCDEF0123456789abcdef\n",
        )
        .unwrap();
        assert!(!facts.first_boot());
        assert_eq!(
            facts.machine_id().as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn pinned_facts_are_not_read_from_the_host() {
        let facts = HostFacts::default()
            .with_hostname("web1")
            .with_kernel_release("5.10.0")
            .with_virtualization(Virtualization::container("podman"))
            .with_cpus(3);
        assert_eq!(facts.hostname(), Some("web1"));
        assert_eq!(facts.kernel_release(), Some("5.10.0"));
        assert_eq!(facts.virtualization().id, "podman");
        assert_eq!(facts.cpus(), Some(3));
    }
}

//! Units a container has no use for. When a target or another unit pulls them in, they
//! are skipped quietly (naming one explicitly still works). This is the documented list:
//!
//! - systemd's own units (`systemd-*`): journald, logind, udevd, networkd, … — unitbox is
//!   the manager, and the kernel-facing daemons need a real machine;
//! - terminals and logins: `getty@*`, `serial-getty@*`, `container-getty@*`,
//!   `console-getty.service`, `autovt@*`;
//! - hardware and early boot: `*.device`, `*.mount`, `*.automount`, `*.swap`, `udev*`,
//!   `kmod-static-nodes.service`, `ldconfig.service`, `plymouth*`, `cryptsetup*`,
//!   `dev-*`, `sys-*`, `proc-*`, `initrd*`, `emergency.*`, `rescue.*`;
//! - slices and scopes (no cgroups here): `*.slice`, `*.scope`;
//! - `dbus-org.freedesktop.*` aliases of systemd's bus services.

const PREFIXES: &[&str] = &[
    "systemd-",
    "getty@",
    "serial-getty@",
    "container-getty@",
    "autovt@",
    "udev",
    "plymouth",
    "cryptsetup",
    "dev-",
    "sys-",
    "proc-",
    "initrd",
    "dbus-org.freedesktop.",
];

const NAMES: &[&str] = &[
    "console-getty.service",
    "kmod-static-nodes.service",
    "ldconfig.service",
    "emergency.service",
    "emergency.target",
    "rescue.service",
    "rescue.target",
];

const TYPES: &[&str] = &["device", "mount", "automount", "swap", "slice", "scope"];

pub fn irrelevant_in_container(name: &str) -> bool {
    let unit_type = name.rsplit('.').next().unwrap_or("");
    TYPES.contains(&unit_type)
        || NAMES.contains(&name)
        || PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_systemd_and_hardware_units_only() {
        for skip in [
            "systemd-journald.service",
            "getty@tty1.service",
            "home.mount",
            "user.slice",
        ] {
            assert!(irrelevant_in_container(skip), "{skip}");
        }
        for keep in [
            "nginx.service",
            "multi-user.target",
            "sysinit.target",
            "dbus.service",
        ] {
            assert!(!irrelevant_in_container(keep), "{keep}");
        }
    }
}

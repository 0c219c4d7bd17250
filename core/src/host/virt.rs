//! systemd's `detect_virtualization()`: which container manager or hypervisor we run
//! under, from the traces each leaves (`/.dockerenv`, `container=` of PID 1, DMI, CPUID).

use super::files::read_trimmed;
use std::path::Path;

/// A detected virtualization: systemd's identifier (`docker`, `kvm`, …; `none`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Virtualization {
    pub id: String,
    pub is_container: bool,
}

impl Virtualization {
    pub fn none() -> Self {
        Virtualization {
            id: "none".into(),
            is_container: false,
        }
    }

    pub fn container(id: &str) -> Self {
        Virtualization {
            id: id.into(),
            is_container: true,
        }
    }

    pub fn vm(id: &str) -> Self {
        Virtualization {
            id: id.into(),
            is_container: false,
        }
    }

    pub fn is_none(&self) -> bool {
        self.id == "none"
    }
}

/// systemd's `detect_virtualization()`: a container first, else a VM.
pub fn detect_virtualization() -> Virtualization {
    detect_container().unwrap_or_else(detect_vm)
}

const CONTAINER_IDS: &[&str] = &[
    "lxc",
    "lxc-libvirt",
    "systemd-nspawn",
    "docker",
    "podman",
    "rkt",
    "wsl",
    "proot",
    "pouch",
];

fn detect_container() -> Option<Virtualization> {
    let exists = |p: &str| Path::new(p).exists();
    if exists("/proc/vz") && !exists("/proc/bc") {
        return Some(Virtualization::container("openvz"));
    }
    if let Some(release) = read_trimmed(Path::new("/proc/sys/kernel/osrelease")) {
        if release.contains("Microsoft") || release.contains("WSL") {
            return Some(Virtualization::container("wsl"));
        }
    }
    if traced_by_proot() {
        return Some(Virtualization::container("proot"));
    }
    let declared = if std::process::id() == 1 {
        std::env::var("container").ok()
    } else {
        read_trimmed(Path::new("/run/systemd/container"))
            .or_else(|| pid1_environment_variable("container"))
    };
    match declared.as_deref() {
        Some("") | None => container_files(),
        Some("oci") => {
            Some(container_files().unwrap_or_else(|| Virtualization::container("container-other")))
        }
        Some(id) if CONTAINER_IDS.contains(&id) => Some(Virtualization::container(id)),
        Some(_) => Some(Virtualization::container("container-other")),
    }
}

/// The files container managers leave behind.
fn container_files() -> Option<Virtualization> {
    if Path::new("/run/.containerenv").exists() {
        return Some(Virtualization::container("podman"));
    }
    if Path::new("/.dockerenv").exists() {
        return Some(Virtualization::container("docker"));
    }
    None
}

fn pid1_environment_variable(name: &str) -> Option<String> {
    let raw = std::fs::read("/proc/1/environ").ok()?;
    raw.split(|&b| b == 0).find_map(|kv| {
        let kv = String::from_utf8_lossy(kv);
        kv.strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .map(str::to_string)
    })
}

fn traced_by_proot() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let Some(tracer) = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .map(str::trim)
    else {
        return false;
    };
    if tracer == "0" {
        return false;
    }
    read_trimmed(&Path::new("/proc").join(tracer).join("comm"))
        .is_some_and(|comm| comm.starts_with("proot"))
}

fn detect_vm() -> Virtualization {
    let dmi = detect_vm_dmi();
    if let Some(id) = dmi {
        if matches!(id, "oracle" | "xen" | "amazon" | "parallels") {
            return Virtualization::vm(id);
        }
    }
    if Path::new("/proc/xen").exists() {
        return Virtualization::vm("xen");
    }
    let mut other = false;
    match detect_vm_cpuid() {
        Some("vm-other") => other = true,
        Some(id) => return Virtualization::vm(id),
        None => {}
    }
    if let Some(id) = dmi {
        return Virtualization::vm(id);
    }
    if let Some(kind) = read_trimmed(Path::new("/sys/hypervisor/type")) {
        return Virtualization::vm(if kind == "xen" { "xen" } else { "vm-other" });
    }
    if other {
        Virtualization::vm("vm-other")
    } else {
        Virtualization::none()
    }
}

fn detect_vm_dmi() -> Option<&'static str> {
    const VENDORS: &[(&str, &str)] = &[
        ("KVM", "kvm"),
        ("OpenStack", "kvm"),
        ("KubeVirt", "kvm"),
        ("Amazon EC2", "amazon"),
        ("QEMU", "qemu"),
        ("VMware", "vmware"),
        ("VMW", "vmware"),
        ("innotek GmbH", "oracle"),
        ("VirtualBox", "oracle"),
        ("Oracle Corporation", "oracle"),
        ("Xen", "xen"),
        ("Bochs", "bochs"),
        ("Parallels", "parallels"),
        ("BHYVE", "bhyve"),
        ("Hyper-V", "microsoft"),
        ("Apple Virtualization", "apple"),
        ("Google Compute Engine", "google"),
    ];
    for file in [
        "product_name",
        "sys_vendor",
        "board_vendor",
        "bios_vendor",
        "product_version",
    ] {
        let Some(value) = read_trimmed(&Path::new("/sys/class/dmi/id").join(file)) else {
            continue;
        };
        if let Some((_, id)) = VENDORS.iter().find(|(v, _)| value.starts_with(v)) {
            return Some(id);
        }
    }
    None
}

#[cfg(target_arch = "x86_64")]
// `__cpuid` became a safe function in newer Rust; older ones need the block.
#[allow(unused_unsafe)]
fn detect_vm_cpuid() -> Option<&'static str> {
    use std::arch::x86_64::__cpuid;
    const VENDORS: &[(&[u8; 12], &str)] = &[
        (b"XenVMMXenVMM", "xen"),
        (b"KVMKVMKVM\0\0\0", "kvm"),
        (b"Linux KVM Hv", "kvm"),
        (b"TCGTCGTCGTCG", "qemu"),
        (b"VMwareVMware", "vmware"),
        (b"Microsoft Hv", "microsoft"),
        (b"bhyve bhyve ", "bhyve"),
        (b"QNXQVMBSQG\0\0", "qnx"),
        (b"ACRNACRNACRN", "acrn"),
        (b"SRESRESRESRE", "sre"),
        (b"Apple VZ\0\0\0\0", "apple"),
    ];
    // SAFETY: CPUID exists on every x86_64 CPU and has no side effects.
    let leaf1 = unsafe { __cpuid(1) };
    if leaf1.ecx & (1 << 31) == 0 {
        return None;
    }
    // SAFETY: as above; leaf 0x40000000 is the hypervisor vendor leaf.
    let hv = unsafe { __cpuid(0x4000_0000) };
    let mut sig = [0u8; 12];
    sig[..4].copy_from_slice(&hv.ebx.to_le_bytes());
    sig[4..8].copy_from_slice(&hv.ecx.to_le_bytes());
    sig[8..].copy_from_slice(&hv.edx.to_le_bytes());
    Some(
        VENDORS
            .iter()
            .find(|(v, _)| **v == sig)
            .map(|(_, id)| *id)
            .unwrap_or("vm-other"),
    )
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_vm_cpuid() -> Option<&'static str> {
    None
}

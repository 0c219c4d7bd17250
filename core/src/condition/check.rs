//! One test per condition type, as systemd 252's `condition_test_*()` functions: `Ok(bool)`
//! is the raw answer (before `!`), `Err` means "could not determine" (the condition fails
//! whatever its negation). Paths are logical: looked up inside the scope's root, with
//! symlinks resolved inside the root.

use super::compare::{
    parse_operator, parse_unsigned, test_order, version_or_fnmatch_compare, Operator,
    OperatorFlags, OPERATOR_CHARS,
};
use super::glob::glob_exists;
use super::paths::{
    directory_not_empty, is_mount_point, is_read_write, is_symlink, metadata, needs_update, resolve,
};
use super::{Condition, ConditionContext, ConditionType};
use crate::arch;
use crate::glob::{fnmatch, MatchFlags};
use crate::host::{self, RootFacts};
use crate::root::Root;
use crate::unit::value::{parse_bool, parse_size, split_words, SplitOptions};
use nix::errno::Errno;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub fn test(c: &Condition, ctx: &ConditionContext) -> Result<bool, Errno> {
    let p = c.parameter.as_str();
    let root = &ctx.scope.root;
    use ConditionType::*;
    match c.ctype {
        PathExists => Ok(resolve(root, p).is_ok()),
        PathExistsGlob => Ok(glob_exists(root, p)),
        PathIsDirectory => Ok(metadata(root, p).is_some_and(|m| m.is_dir())),
        PathIsSymbolicLink => Ok(is_symlink(root, p)),
        PathIsMountPoint => Ok(is_mount_point(root, p)),
        PathIsReadWrite => Ok(is_read_write(root, p)),
        // Telling dm-crypt from plain block devices needs sysfs walks of the backing device;
        // in a container the answer is practically always "no".
        PathIsEncrypted => Ok(false),
        DirectoryNotEmpty => Ok(directory_not_empty(root, p)),
        FileNotEmpty => Ok(metadata(root, p).is_some_and(|m| m.is_file() && m.len() > 0)),
        FileIsExecutable => {
            Ok(metadata(root, p)
                .is_some_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
        }
        NeedsUpdate => needs_update(ctx, p),
        FirstBoot => {
            let wanted = parse_bool(p).ok_or(Errno::EINVAL)?;
            Ok(RootFacts { root }.first_boot() == wanted)
        }
        KernelCommandLine => kernel_command_line(ctx, p),
        KernelVersion => kernel_version(ctx, p),
        OSRelease => os_release(root, p),
        Credential => Ok(credential(ctx, p)),
        Virtualization => Ok(virtualization(ctx, p)),
        Architecture => Ok(architecture(ctx, p)),
        Host => host(ctx, p),
        Security => Ok(security(p)),
        Capability => capability(ctx, p),
        ACPower => {
            let wanted = parse_bool(p).ok_or(Errno::EINVAL)?;
            Ok(ctx.host.ac_power() == wanted)
        }
        User => Ok(user(ctx, p)),
        Group => Ok(group(ctx, p)),
        ControlGroupController => control_group_controller(p),
        CPUs => cpus(ctx, p),
        Memory => memory(ctx, p),
        Environment => Ok(environment(ctx, p)),
        CPUFeature => Ok(cpu_feature(&p.to_ascii_lowercase())),
        Firmware => Ok(firmware(p)),
        MemoryPressure => pressure("memory", p),
        CPUPressure => pressure("cpu", p),
        IOPressure => pressure("io", p),
    }
}

fn kernel_command_line(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    let line = ctx.host.kernel_cmdline().ok_or(Errno::ENOENT)?;
    let words = split_words(line, SplitOptions::default()).map_err(|_| Errno::EINVAL)?;
    let with_value = p.contains('=');
    Ok(words.iter().any(|w| {
        if with_value {
            w == p
        } else {
            w.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        }
    }))
}

fn kernel_version(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    let release = ctx.host.kernel_release().ok_or(Errno::ENOENT)?;
    let words = split_words(p, SplitOptions::default()).map_err(|_| Errno::EINVAL)?;
    let mut words = words.into_iter();
    let mut first = true;
    while let Some(word) = words.next() {
        let word = word.trim();
        let (op, rest) =
            parse_operator(word, OperatorFlags::VERSION).unwrap_or((Operator::FnmatchEqual, word));
        let rest = rest.trim_start();
        let value = if rest.is_empty() {
            // `>= 4.0`: whitespace after the operator is allowed in the first expression.
            if !first {
                return Err(Errno::EINVAL);
            }
            words.next().ok_or(Errno::EINVAL)?
        } else {
            rest.to_string()
        };
        if !version_or_fnmatch_compare(op, Some(release), &value)? {
            return Ok(false);
        }
        first = false;
    }
    Ok(true)
}

fn os_release(root: &Root, p: &str) -> Result<bool, Errno> {
    let words = split_words(p, SplitOptions::default()).map_err(|_| Errno::EINVAL)?;
    let mut release: Option<Vec<(String, String)>> = None;
    for word in words {
        let key_len = word.find(OPERATOR_CHARS).unwrap_or(word.len());
        let (key, rest) = word.split_at(key_len);
        if key.is_empty() || rest.is_empty() || !env_name_is_valid(key) {
            return Err(Errno::EINVAL);
        }
        let (op, value) = parse_operator(rest, OperatorFlags::VERSION).ok_or(Errno::EINVAL)?;
        if value.is_empty() || value.starts_with(char::is_whitespace) {
            return Err(Errno::EINVAL);
        }
        if release.is_none() {
            release = Some(RootFacts { root }.os_release().ok_or(Errno::ENOENT)?);
        }
        let actual = release
            .as_ref()
            .and_then(|r| r.iter().rev().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str());
        if !version_or_fnmatch_compare(op, actual, value)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn env_name_is_valid(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn credential(ctx: &ConditionContext, name: &str) -> bool {
    let valid =
        !name.is_empty() && name.len() <= 255 && !name.contains('/') && name != "." && name != "..";
    if !valid {
        return false;
    }
    ["CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"]
        .iter()
        .filter_map(|var| ctx.env_var(var))
        .filter(|dir| dir.starts_with('/'))
        .any(|dir| {
            std::fs::symlink_metadata(ctx.scope.root.host_path(&Path::new(dir).join(name))).is_ok()
        })
}

fn virtualization(ctx: &ConditionContext, p: &str) -> bool {
    if p == "private-users" {
        return ctx.host.user_namespace();
    }
    let v = ctx.host.virtualization();
    if let Some(b) = parse_bool(p) {
        return b != v.is_none();
    }
    match p {
        "vm" => !v.is_none() && !v.is_container,
        "container" => v.is_container,
        id => !v.is_none() && v.id == id,
    }
}

fn architecture(ctx: &ConditionContext, p: &str) -> bool {
    let actual = ctx.host.machine().and_then(arch::architecture_from_uname);
    let wanted = if p == "native" {
        arch::native_architecture()
    } else {
        arch::ARCHITECTURES.iter().copied().find(|a| *a == p)
    };
    matches!((actual, wanted), (Some(a), Some(w)) if a == w)
}

fn host(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    if let Some(id) = crate::host::parse_id128(p) {
        let root = &ctx.scope.root;
        let machine = RootFacts { root }.machine_id().ok_or(Errno::ENOMEDIUM)?;
        return Ok(machine == id);
    }
    let hostname = ctx.host.hostname().ok_or(Errno::ENOENT)?;
    Ok(fnmatch(
        p,
        hostname,
        MatchFlags {
            casefold: true,
            ..MatchFlags::default()
        },
    ))
}

/// Whether a mandatory access control or integrity system is active; checks that need
/// firmware variables or a TPM answer no.
fn security(p: &str) -> bool {
    let exists = |path: &str| Path::new(path).exists();
    match p {
        "selinux" => exists("/sys/fs/selinux/enforce"),
        "smack" => exists("/sys/fs/smackfs"),
        "apparmor" => std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.starts_with('Y')),
        "audit" => audit_available(),
        "ima" => exists("/sys/kernel/security/ima"),
        "tomoyo" => exists("/sys/kernel/security/tomoyo/version"),
        _ => false,
    }
}

/// `use_audit()`: the kernel has audit when an audit netlink socket can be created.
fn audit_available() -> bool {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
    let sock = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkAudit,
    );
    // The socket is closed right away (dropped).
    !matches!(
        sock,
        Err(Errno::EAFNOSUPPORT | Errno::EPROTONOSUPPORT | Errno::EPERM)
    )
}

fn capability(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    let bit = crate::exec::caps::capability_from_name(p).ok_or(Errno::EINVAL)?;
    let set = ctx.host.capability_bounding_set().ok_or(Errno::EIO)?;
    Ok(set & (1u64 << bit) != 0)
}

/// The highest uid/gid of system users (systemd's compiled-in default).
const SYSTEM_ID_MAX: u32 = 999;
const NOBODY_ID: u32 = 65534;

fn user(ctx: &ConditionContext, p: &str) -> bool {
    let uid = ctx.manager.uid;
    match p {
        "root" => return uid == 0,
        "nobody" => return uid == NOBODY_ID,
        "@system" => return uid <= SYSTEM_ID_MAX,
        _ => {}
    }
    if let Some(id) = crate::users::parse_id(p) {
        return id == uid;
    }
    if ctx.manager.user == p {
        return true;
    }
    ctx.users.user_by_name(p).is_some_and(|u| u.uid == uid)
}

fn group(ctx: &ConditionContext, p: &str) -> bool {
    let gid = match crate::users::parse_id(p) {
        Some(id) => Some(id),
        None => ctx.users.group_by_name(p).map(|g| g.gid).or_else(|| {
            // A manager without /etc/group still knows its root group.
            (p == "root").then_some(0)
        }),
    };
    gid.is_some_and(|g| ctx.manager.groups.contains(&g))
}

/// cgroup controllers systemd knows, and which of them cgroup v2 has.
const CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "io",
    "blkio",
    "memory",
    "devices",
    "pids",
    "bpf-firewall",
    "bpf-devices",
    "bpf-foreign",
    "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
];
const V2_CONTROLLERS: &[&str] = &["cpu", "cpuset", "io", "memory", "pids"];
const V1_CONTROLLERS: &[&str] = &[
    "cpu", "cpuacct", "cpuset", "blkio", "memory", "devices", "pids",
];

fn control_group_controller(p: &str) -> Result<bool, Errno> {
    let unified = host::is_cgroup2("/sys/fs/cgroup");
    match p {
        "v2" => return Ok(unified),
        "v1" => {
            return if Path::new("/sys/fs/cgroup").exists() {
                Ok(!unified)
            } else {
                Err(Errno::ENOMEDIUM)
            }
        }
        _ => {}
    }
    let wanted: Vec<String> = split_words(p, SplitOptions::default())
        .map_err(|_| Errno::EINVAL)?
        .into_iter()
        .filter(|w| CONTROLLERS.contains(&w.as_str()))
        .collect();
    // Nothing systemd knows of: it does not judge, the condition holds.
    if wanted.is_empty() {
        return Ok(true);
    }
    let supported: Vec<String> = if unified {
        std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .unwrap_or_default()
            .split_whitespace()
            .filter(|c| V2_CONTROLLERS.contains(c))
            .map(str::to_string)
            .collect()
    } else {
        V1_CONTROLLERS
            .iter()
            .filter(|c| Path::new("/sys/fs/cgroup").join(c).exists())
            .map(|c| c.to_string())
            .collect()
    };
    Ok(wanted.iter().all(|w| supported.contains(w)))
}

fn cpus(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    let n = ctx.host.cpus().ok_or(Errno::EINVAL)?;
    let (op, rest) =
        parse_operator(p, OperatorFlags::NUMERIC).unwrap_or((Operator::GreaterOrEqual, p));
    let wanted = parse_unsigned(rest)?;
    test_order(n.cmp(&wanted), op)
}

fn memory(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    let (op, rest) =
        parse_operator(p, OperatorFlags::NUMERIC).unwrap_or((Operator::GreaterOrEqual, p));
    let wanted = parse_size(rest)?;
    test_order(ctx.host.physical_memory().cmp(&wanted), op)
}

fn environment(ctx: &ConditionContext, p: &str) -> bool {
    let with_value = p.contains('=');
    ctx.environment.iter().any(|entry| {
        if with_value {
            entry == p
        } else {
            entry
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        }
    })
}

/// CPU flags as the kernel names them in `/proc/cpuinfo`; systemd only knows x86 flags.
fn cpu_feature(flag: &str) -> bool {
    if !cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        return false;
    }
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .filter(|l| l.starts_with("flags"))
            .filter_map(|l| l.split_once(':'))
            .any(|(_, flags)| flags.split_whitespace().any(|f| f == flag))
    })
}

fn firmware(p: &str) -> bool {
    if p == "device-tree" {
        return Path::new("/sys/firmware/devicetree").exists();
    }
    if p == "uefi" {
        return Path::new("/sys/firmware/efi").exists();
    }
    if let Some(arg) = p
        .strip_prefix("device-tree-compatible(")
        .and_then(|a| a.strip_suffix(')'))
    {
        return std::fs::read("/proc/device-tree/compatible").is_ok_and(|raw| {
            raw.split(|&b| b == 0)
                .any(|c| !c.is_empty() && c == arg.as_bytes())
        });
    }
    if let Some(arg) = p
        .strip_prefix("smbios-field(")
        .and_then(|a| a.strip_suffix(')'))
    {
        return smbios_field(arg).unwrap_or(false);
    }
    false
}

fn smbios_field(expression: &str) -> Option<bool> {
    let key_len = expression.find(OPERATOR_CHARS)?;
    let (field, rest) = expression.split_at(key_len);
    let field = field.trim_end();
    let (op, value) = parse_operator(rest, OperatorFlags::VERSION)?;
    let words = split_words(value, SplitOptions::default()).ok()?;
    let [value] = words.as_slice() else {
        return None;
    };
    if field.is_empty() || field.contains('/') || field == "." || field == ".." {
        return None;
    }
    let actual = std::fs::read_to_string(Path::new("/sys/class/dmi/id").join(field)).ok()?;
    version_or_fnmatch_compare(op, Some(actual.trim_end()), value).ok()
}

/// `ConditionMemoryPressure=` and friends, for the whole system (`/proc/pressure`). Without
/// PSI, or for a slice (which needs cgroups), the check is skipped and holds, as systemd
/// does when it cannot measure.
fn pressure(resource: &str, p: &str) -> Result<bool, Errno> {
    let file = Path::new("/proc/pressure").join(resource);
    if !Path::new("/proc/pressure").exists() || p.contains(':') {
        return Ok(true);
    }
    let (value, window) = match p.split_once('/') {
        Some((v, w)) => (v, w.trim()),
        None => (p, "5min"),
    };
    let field = if window.starts_with("10sec") {
        "avg10"
    } else if window.starts_with("1min") {
        "avg60"
    } else if window.starts_with("5min") {
        "avg300"
    } else {
        return Err(Errno::EINVAL);
    };
    let limit = parse_percent(value.trim())?;
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(true);
    };
    let line = text
        .lines()
        .find(|l| l.starts_with("full"))
        .or_else(|| text.lines().find(|l| l.starts_with("some")))
        .ok_or(Errno::ENODATA)?;
    let current = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(field)?.strip_prefix('='))
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or(Errno::EIO)?;
    Ok(current * 100.0 <= limit as f64 + 1e-9)
}

/// `parse_permyriad()`: `12%`, `12.34%`, `5‰`, `7‱`, as hundredths of a percent.
fn parse_percent(s: &str) -> Result<u64, Errno> {
    let (number, scale) = if let Some(n) = s.strip_suffix('%') {
        (n, 100.0)
    } else if let Some(n) = s.strip_suffix('‰') {
        (n, 10.0)
    } else if let Some(n) = s.strip_suffix('‱') {
        (n, 1.0)
    } else {
        return Err(Errno::EINVAL);
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(Errno::EINVAL);
    }
    let v: f64 = number.parse().map_err(|_| Errno::EINVAL)?;
    let permyriad = (v * scale).round();
    if permyriad > 10000.0 {
        return Err(Errno::ERANGE);
    }
    Ok(permyriad as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_and_numbers() {
        assert_eq!(
            crate::exec::caps::capability_from_name("CAP_NET_ADMIN"),
            Some(12)
        );
        assert_eq!(
            crate::exec::caps::capability_from_name("cap_net_admin"),
            Some(12)
        );
        assert_eq!(crate::exec::caps::capability_from_name("12"), Some(12));
        assert_eq!(crate::exec::caps::capability_from_name("63"), Some(63));
        assert_eq!(crate::exec::caps::capability_from_name("64"), None);
        assert_eq!(crate::exec::caps::capability_from_name("CAP_FOO"), None);
        assert_eq!(crate::exec::caps::capability_from_name("NET_ADMIN"), None);
        assert_eq!(
            crate::exec::caps::capability_from_name("cap_checkpoint_restore"),
            Some(40)
        );
    }

    #[test]
    fn id128_in_both_spellings() {
        let id = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(
            crate::host::parse_id128(id).as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            crate::host::parse_id128("01234567-89ab-cdef-0123-456789abcdef").as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(crate::host::parse_id128("web1"), None);
        assert_eq!(
            crate::host::parse_id128("0123456789abcdef0123456789abcdeg"),
            None
        );
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("10%"), Ok(1000));
        assert_eq!(parse_percent("12.34%"), Ok(1234));
        assert_eq!(parse_percent("5‰"), Ok(50));
        assert_eq!(parse_percent("10"), Err(Errno::EINVAL));
        assert_eq!(parse_percent("101%"), Err(Errno::ERANGE));
    }
}

//! Capabilities of a service process as systemd 252 sets them (systemd.exec(5)
//! "Capabilities"; `exec_child()`, `enforce_user()`, capability-util.c):
//! `CapabilityBoundingSet=`, `AmbientCapabilities=`, `SecureBits=`.
//!
//! Parsing is `config_parse_capability_set()`: a `~` inverts, unknown names are skipped,
//! an empty value (or the first assignment) replaces, later ones are ORed (with `~`:
//! removed). In the child, after the group change and before `setresuid()`: the bounding
//! set is dropped to the kept capabilities (and they leave the inheritable set), the
//! ambient ones are raised (missing from the bounding set: skipped), `SECURE_KEEP_CAPS`
//! carries them over the uid change, they are raised again after it, and the secure bits
//! are set last (with CAP_SETPCAP gained for it). A failure exits 218/CAPABILITIES
//! (213/SECUREBITS for the secure bits). The `+` prefix skips all of it.

use crate::sys::{capget, capset, prctl};
use nix::errno::Errno;

/// The capability names of 252 (`capability_to_name()` without `cap_`), by number.
pub const CAPABILITIES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// `capability_from_name()`: `CAP_NET_ADMIN` in any case, or a number below 64.
pub fn capability_from_name(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return (n < 64).then_some(n);
    }
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("cap_")?;
    CAPABILITIES
        .iter()
        .position(|c| *c == bare)
        .and_then(|i| u32::try_from(i).ok())
}

/// Every capability: `CapabilityBoundingSet=`'s default.
pub const CAP_ALL: u64 = u64::MAX;

/// One `CapabilityBoundingSet=`/`AmbientCapabilities=` assignment applied to `set`, whose
/// unset value is `initial` (all for the bounding set, none for the ambient one).
pub fn apply_capability_assignment(set: &mut u64, initial: u64, value: &str) {
    let (invert, list) = match value.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let words = crate::unit::value::split_words(list, Default::default()).unwrap_or_default();
    let sum = words
        .iter()
        .filter_map(|w| capability_from_name(w))
        .fold(0u64, |acc, bit| acc | (1u64 << bit));
    if sum == 0 || *set == initial {
        *set = if invert { !sum } else { sum };
    } else if invert {
        *set &= !sum;
    } else {
        *set |= sum;
    }
}

/// `secure_bits_from_string()`: unknown words are skipped.
pub fn parse_secure_bits(value: &str) -> u32 {
    const NAMES: [&str; 6] = [
        "noroot",
        "noroot-locked",
        "no-setuid-fixup",
        "no-setuid-fixup-locked",
        "keep-caps",
        "keep-caps-locked",
    ];
    value
        .split_whitespace()
        .filter_map(|w| NAMES.iter().position(|n| *n == w))
        .fold(0, |acc, bit| acc | (1 << bit))
}

const SECURE_KEEP_CAPS: u32 = 4;
const CAP_SETPCAP: u32 = 8;
const PR_CAP_AMBIENT_IS_SET: u64 = 1;
const PR_CAP_AMBIENT_RAISE: u64 = 2;
const PR_CAP_AMBIENT_LOWER: u64 = 3;

/// What the child applies (absent under the `+` prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privileges {
    pub bounding: u64,
    pub ambient: u64,
    pub secure_bits: u32,
}

/// The highest capability the kernel knows (`cap_last_cap()` by probing). No allocation.
fn last_cap() -> u32 {
    let mut last = 0;
    for i in 0..64u32 {
        if prctl(libc::PR_CAPBSET_READ, u64::from(i), 0).is_err() {
            break;
        }
        last = i;
    }
    last
}

fn bit(data: &mut [crate::sys::CapData; 2], cap: u32) -> (&mut crate::sys::CapData, u32) {
    (&mut data[(cap / 32) as usize], 1 << (cap % 32))
}

impl Privileges {
    /// Before `setresuid()`: the bounding set and the ambient set (also inheritable).
    /// Async-signal-safe.
    pub fn before_uid_change(&self) -> Result<(), Errno> {
        let last = last_cap();
        let all = if last >= 63 {
            u64::MAX
        } else {
            (1u64 << (last + 1)) - 1
        };
        if self.bounding & all != all {
            self.drop_bounding_set(last)?;
        }
        if self.ambient != 0 {
            self.apply_ambient(last, true)?;
        }
        Ok(())
    }

    /// `capability_bounding_set_drop(keep, right_now = false)`.
    fn drop_bounding_set(&self, last: u32) -> Result<(), Errno> {
        let before = capget()?;
        let mut after = before;
        let (word, mask) = bit(&mut after, CAP_SETPCAP);
        word.effective |= mask;
        capset(&after)?;
        let mut result = Ok(());
        for i in 0..=last {
            if self.bounding & (1u64 << i) != 0 {
                continue;
            }
            if let Err(e) = prctl(libc::PR_CAPBSET_DROP, u64::from(i), 0) {
                if prctl(libc::PR_CAPBSET_READ, u64::from(i), 0) != Ok(0) {
                    result = Err(e);
                    break;
                }
            }
            let (word, mask) = bit(&mut after, i);
            word.inheritable &= !mask;
        }
        // The inheritable set without the dropped capabilities (execve() recomputes the
        // effective one).
        if let Err(e) = capset(&after) {
            if after != before && result.is_ok() {
                result = Err(e);
            }
        }
        result
    }

    /// `capability_ambient_set_apply()`.
    fn apply_ambient(&self, last: u32, also_inherit: bool) -> Result<(), Errno> {
        let mut set = self.ambient;
        for i in 0..=last {
            if set & (1u64 << i) != 0 && prctl(libc::PR_CAPBSET_READ, u64::from(i), 0) != Ok(1) {
                set &= !(1u64 << i);
            }
        }
        if also_inherit {
            let mut data = capget()?;
            for i in 0..=last {
                if set & (1u64 << i) != 0 {
                    let (word, mask) = bit(&mut data, i);
                    word.inheritable |= mask;
                }
            }
            capset(&data)?;
        }
        for i in 0..=last {
            let cap = u64::from(i);
            if set & (1u64 << i) != 0 {
                prctl(libc::PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)?;
            } else if prctl(libc::PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap)? != 0 {
                prctl(libc::PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap)?;
            }
        }
        Ok(())
    }

    /// `enforce_user()`'s first step: keep the capabilities over the uid change when
    /// ambient capabilities or secure bits are wanted (failure: 217/USER).
    pub fn keep_caps_for(&self, uid: u32) -> Result<(), Errno> {
        if uid == 0 || (self.ambient == 0 && self.secure_bits == 0) {
            return Ok(());
        }
        let wanted = self.secure_bits | (1 << SECURE_KEEP_CAPS);
        if prctl(libc::PR_GET_SECUREBITS, 0, 0)? as u32 != wanted {
            prctl(libc::PR_SET_SECUREBITS, u64::from(wanted), 0)?;
        }
        Ok(())
    }

    /// After `setresuid()`: the ambient capabilities raised again.
    pub fn after_uid_change(&self) -> Result<(), Errno> {
        if self.ambient == 0 {
            return Ok(());
        }
        self.apply_ambient(last_cap(), false)
    }

    /// The secure bits, last: `Err((exit code, errno))` (218 without CAP_SETPCAP, 213).
    pub fn apply_secure_bits(&self) -> Result<(), (i32, Errno)> {
        use super::exit_status::code;
        let current = prctl(libc::PR_GET_SECUREBITS, 0, 0).map_err(|e| (code::SECUREBITS, e))?;
        if current as u32 == self.secure_bits {
            return Ok(());
        }
        let mut data = capget().map_err(|e| (code::CAPABILITIES, e))?;
        let (word, mask) = bit(&mut data, CAP_SETPCAP);
        if word.permitted & mask == 0 {
            return Err((code::CAPABILITIES, Errno::EPERM));
        }
        word.effective |= mask;
        capset(&data).map_err(|e| (code::CAPABILITIES, e))?;
        prctl(libc::PR_SET_SECUREBITS, u64::from(self.secure_bits), 0)
            .map(drop)
            .map_err(|e| (code::SECUREBITS, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(initial: u64, values: &[&str]) -> u64 {
        let mut set = initial;
        for v in values {
            apply_capability_assignment(&mut set, initial, v);
        }
        set
    }

    #[test]
    fn assignments_replace_merge_invert_and_reset_as_252() {
        let bit = |name: &str| 1u64 << capability_from_name(name).unwrap();
        let (chown, kill) = (bit("CAP_CHOWN"), bit("cap_kill"));
        assert_eq!(assign(CAP_ALL, &["CAP_CHOWN CAP_KILL"]), chown | kill);
        assert_eq!(assign(CAP_ALL, &["CAP_CHOWN", "CAP_KILL"]), chown | kill);
        assert_eq!(assign(CAP_ALL, &["CAP_CHOWN CAP_KILL", "~CAP_CHOWN"]), kill);
        assert_eq!(assign(CAP_ALL, &["~CAP_CHOWN"]), !chown);
        assert_eq!(assign(CAP_ALL, &["CAP_CHOWN", ""]), 0);
        assert_eq!(assign(CAP_ALL, &["CAP_CHOWN", "~"]), CAP_ALL);
        assert_eq!(assign(CAP_ALL, &["", "CAP_KILL"]), kill);
        assert_eq!(
            assign(0, &["CAP_NET_BIND_SERVICE", "CAP_NOPE 5"]),
            bit("cap_net_bind_service") | kill
        );
        assert_eq!(capability_from_name("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(capability_from_name("64"), None);
        assert_eq!(capability_from_name("chown"), None);
        assert_eq!(
            parse_secure_bits("keep-caps noroot-locked bogus"),
            (1 << 4) | (1 << 1)
        );
    }
}

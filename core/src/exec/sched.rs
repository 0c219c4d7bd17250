//! Scheduling settings of a service process as systemd 252 parses and applies them
//! (systemd.exec(5) "Scheduling"; load-fragment.c, cpu-set-util.c, ioprio-util.h):
//! `OOMScoreAdjust=`, `CPUAffinity=`, `IOSchedulingClass=`, `IOSchedulingPriority=`.
//!
//! In the child, before `Nice=`: the OOM score (a refusal for lack of privilege, such as
//! lowering it without CAP_SYS_RESOURCE in a container, is ignored as 252 does, "assuming
//! containerized execution"; other failures exit 206/OOM_ADJUST); after `Nice=`: the CPU
//! affinity (215/CPUAFFINITY), then the I/O priority (211/IOPRIO).

use super::Warnings;
use crate::unit::Entry;

/// `CPU_SIZE_MAX` of cpu-set-util.c: the highest CPU number + 1 a set may hold.
const CPU_SIZE_MAX: u32 = 8192 * 8;

/// `OOMScoreAdjust=`: `None` for an empty value (unset), else the value or a warning.
pub fn parse_oom_score_adjust(e: &Entry, w: &mut Warnings) -> Option<Option<i32>> {
    if e.value.is_empty() {
        return Some(None);
    }
    let message = match e.value.trim().parse::<i64>() {
        Ok(v) if (-1000..=1000).contains(&v) => return Some(Some(v as i32)),
        Ok(_) => format!("OOM score adjust value out of range, ignoring: {}", e.value),
        Err(_) => format!(
            "Failed to parse the OOM score adjust value '{}', ignoring: Invalid argument",
            e.value
        ),
    };
    w.push(e, message);
    None
}

/// A set of CPUs (`CPUSet`): one bit per CPU, in the words `sched_setaffinity()` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuSet(pub Vec<libc::c_ulong>);

const WORD_BITS: u32 = libc::c_ulong::BITS;

impl CpuSet {
    fn add(&mut self, cpu: u32) {
        let word = (cpu / WORD_BITS) as usize;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (cpu % WORD_BITS);
    }

    /// The CPUs in the set, ascending.
    pub fn cpus(&self) -> Vec<u32> {
        (0..self.0.len() as u32 * WORD_BITS)
            .filter(|&c| self.0[(c / WORD_BITS) as usize] & (1 << (c % WORD_BITS)) != 0)
            .collect()
    }
}

fn parse_range(word: &str) -> Option<(u32, u32)> {
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match word.split_once('-') {
        Some((a, b)) => Some((number(a)?, number(b)?)),
        None => number(word).map(|n| (n, n)),
    }
}

/// One `CPUAffinity=` assignment onto `set` (`parse_cpu_set_extend()`): an empty value
/// resets, later values add; `numa` (from `NUMAMask=`, not supported) resets too.
pub fn apply_cpu_affinity(set: &mut Option<CpuSet>, e: &Entry, value: &str, w: &mut Warnings) {
    if value == "numa" {
        *set = None;
        return;
    }
    let mut parsed: Option<CpuSet> = None;
    for word in value
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
    {
        let Some((lower, upper)) = parse_range(word) else {
            w.push(e, format!("Failed to parse CPU affinity '{word}'"));
            return;
        };
        let cpus = parsed.get_or_insert_with(CpuSet::default);
        if lower > upper {
            w.push(
                e,
                format!("Range '{word}' is invalid, {lower} > {upper}, ignoring."),
            );
            continue;
        }
        if upper >= CPU_SIZE_MAX {
            w.push(
                e,
                format!(
                    "Cannot add CPU {upper} to set: {}",
                    crate::error::os_error_text(&std::io::Error::from_raw_os_error(libc::ERANGE))
                ),
            );
            return;
        }
        for cpu in lower..=upper {
            cpus.add(cpu);
        }
    }
    match (parsed, set.as_mut()) {
        (None, _) => *set = None,
        (Some(new), None) => *set = Some(new),
        (Some(new), Some(old)) => {
            for cpu in new.cpus() {
                old.add(cpu);
            }
        }
    }
}

pub const IOPRIO_CLASS_NONE: i32 = 0;
pub const IOPRIO_CLASS_BE: i32 = 2;
const IOPRIO_CLASSES: [&str; 4] = ["none", "realtime", "best-effort", "idle"];

/// `IOPRIO_DEFAULT_CLASS_AND_PRIO`: best-effort, level 4.
pub const IOPRIO_DEFAULT: i32 = (IOPRIO_CLASS_BE << 13) | 4;

/// `ioprio_normalize()`: class `none` means the default.
fn normalize(v: i32) -> i32 {
    if v >> 13 == IOPRIO_CLASS_NONE {
        IOPRIO_DEFAULT
    } else {
        v
    }
}

/// `IOSchedulingClass=` onto the current value (`None`: unset, as empty resets it).
pub fn apply_io_class(ioprio: &mut Option<i32>, e: &Entry, w: &mut Warnings) {
    if e.value.is_empty() {
        *ioprio = None;
        return;
    }
    let class = IOPRIO_CLASSES
        .iter()
        .position(|c| *c == e.value)
        .map(|i| i as i32)
        .or_else(|| e.value.parse::<i32>().ok().filter(|c| (0..4).contains(c)));
    match class {
        Some(class) => {
            let data = ioprio.unwrap_or(IOPRIO_DEFAULT) & 0x1fff;
            *ioprio = Some(normalize((class << 13) | data));
        }
        None => w.push(
            e,
            format!("Failed to parse IO scheduling class, ignoring: {}", e.value),
        ),
    }
}

/// `IOSchedulingPriority=` onto the current value.
pub fn apply_io_priority(ioprio: &mut Option<i32>, e: &Entry, w: &mut Warnings) {
    if e.value.is_empty() {
        *ioprio = None;
        return;
    }
    match e.value.parse::<i32>().ok().filter(|p| (0..8).contains(p)) {
        Some(prio) => {
            let class = ioprio.unwrap_or(IOPRIO_DEFAULT) >> 13;
            *ioprio = Some(normalize((class << 13) | prio));
        }
        None => w.push(
            e,
            format!("Failed to parse IO priority, ignoring: {}", e.value),
        ),
    }
}

/// `set_oom_score_adjust()` in the child: the value prepared as text before the fork.
/// `Ok` also when the kernel refuses for lack of privilege. Async-signal-safe.
pub fn apply_oom_score_adjust(text: &[u8]) -> Result<(), nix::errno::Errno> {
    use nix::errno::Errno;
    use nix::fcntl::{open, OFlag};
    let fd = match open(
        c"/proc/self/oom_score_adj",
        OFlag::O_WRONLY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::EPERM | Errno::EACCES) => return Ok(()),
        Err(e) => return Err(e),
    };
    let result = crate::sys::write_raw(fd, text);
    let _ = nix::unistd::close(fd);
    match result {
        Ok(_) | Err(Errno::EPERM | Errno::EACCES) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn entry(key: &str, value: &str) -> Entry {
        Entry {
            section: "Service".into(),
            key: key.into(),
            value: value.into(),
            file: Arc::new(PathBuf::from("/t.service")),
            line: 1,
        }
    }

    #[test]
    fn cpu_affinity_ranges_merge_and_reset() {
        let mut w = Warnings::default();
        let mut set = None;
        for v in ["0-2,5", "7 9"] {
            apply_cpu_affinity(&mut set, &entry("CPUAffinity", v), v, &mut w);
        }
        assert_eq!(set.as_ref().unwrap().cpus(), [0, 1, 2, 5, 7, 9]);
        apply_cpu_affinity(&mut set, &entry("CPUAffinity", ""), "", &mut w);
        assert_eq!(set, None);
        assert!(w.0.is_empty());
    }

    #[test]
    fn io_priority_combines_class_and_level() {
        let mut w = Warnings::default();
        let mut p = None;
        apply_io_priority(&mut p, &entry("IOSchedulingPriority", "7"), &mut w);
        assert_eq!(p, Some((2 << 13) | 7));
        apply_io_class(&mut p, &entry("IOSchedulingClass", "idle"), &mut w);
        assert_eq!(p, Some((3 << 13) | 7));
        apply_io_class(&mut p, &entry("IOSchedulingClass", "none"), &mut w);
        assert_eq!(p, Some(IOPRIO_DEFAULT));
        assert!(w.0.is_empty());
        let oom =
            |v: &str, w: &mut Warnings| parse_oom_score_adjust(&entry("OOMScoreAdjust", v), w);
        assert_eq!(oom("-1000", &mut w), Some(Some(-1000)));
        assert_eq!(oom("", &mut w), Some(None));
        assert_eq!(oom("1001", &mut w), None);
        assert_eq!(
            w.0[0].message,
            "OOM score adjust value out of range, ignoring: 1001"
        );
    }
}

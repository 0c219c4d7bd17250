//! Which "boot" of the container this is. State files live in `/run`, which a container
//! restart usually empties, but not always (a bind-mounted or persistent `/run`): the boot
//! record tells state of this boot from leftovers. It holds the kernel's boot id (changes when
//! the host reboots) and the start time of PID 1 (inside the container's PID namespace PID 1
//! is the container's init, so restarting the container changes it).

use once_cell::sync::OnceCell;

const PID1_STAT_PATH: &str = "/proc/1/stat";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootRecord {
    /// 32 lowercase hex digits, without dashes (as journalctl prints boot ids).
    pub boot_id: String,
    /// PID 1's start time in clock ticks after boot (`/proc/1/stat` field 22); `None` when
    /// `/proc/1/stat` is not readable (hidepid), in which case the boot id decides alone.
    pub pid1_start: Option<u64>,
}

impl BootRecord {
    /// The record of the running system, read once per process.
    pub fn current() -> &'static BootRecord {
        static CURRENT: OnceCell<BootRecord> = OnceCell::new();
        CURRENT.get_or_init(|| BootRecord {
            boot_id: crate::host::boot_id().unwrap_or_else(|| "0".repeat(32)),
            pid1_start: std::fs::read_to_string(PID1_STAT_PATH)
                .ok()
                .and_then(|s| parse_stat_start_time(&s)),
        })
    }

    /// The `boot` file's text: `BootID=…` and `PID1StartTime=…` lines.
    pub fn to_text(&self) -> String {
        let start = self.pid1_start.map(|s| s.to_string()).unwrap_or_default();
        format!("BootID={}\nPID1StartTime={start}\n", self.boot_id)
    }

    /// Reads a `boot` file; `None` if it is damaged.
    pub fn parse(text: &str) -> Option<BootRecord> {
        let mut boot_id = None;
        let mut pid1_start = None;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("BootID", v)) => boot_id = normalize_boot_id(v),
                Some(("PID1StartTime", "")) => {}
                Some(("PID1StartTime", v)) => pid1_start = Some(v.parse().ok()?),
                _ => {}
            }
        }
        Some(BootRecord {
            boot_id: boot_id?,
            pid1_start,
        })
    }

    /// Whether state recorded under `self` belongs to the running boot `current`.
    pub fn matches(&self, current: &BootRecord) -> bool {
        self.boot_id == current.boot_id && self.pid1_start == current.pid1_start
    }
}

/// The current boot id (32 hex digits), for journal records and state files.
pub fn current_boot_id() -> &'static str {
    &BootRecord::current().boot_id
}

/// `0b7c…-…` or `0b7c…` → 32 lowercase hex digits.
pub fn normalize_boot_id(text: &str) -> Option<String> {
    crate::host::normalize_id128(text)
}

/// Field 22 (starttime) of a `/proc/PID/stat` line. The command name (field 2) may contain
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat_start_time(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // Field 3 is the first after the command name.
    after_comm.split_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_running_system() {
        let current = BootRecord::current();
        assert_eq!(current.boot_id.len(), 32);
        assert_ne!(
            current.boot_id,
            "0".repeat(32),
            "boot_id must be readable here"
        );
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_stat_start_time(&own).unwrap() > 0 || current.pid1_start.is_some());
    }

    #[test]
    fn stat_parsing_survives_odd_command_names() {
        let fields: Vec<String> = (3..=30).map(|i| i.to_string()).collect();
        let stat = format!("1 (my) (odd name) {}", fields.join(" "));
        assert_eq!(parse_stat_start_time(&stat), Some(22));
        assert_eq!(parse_stat_start_time("1 (x) S 1"), None);
        assert_eq!(parse_stat_start_time("garbage"), None);
    }

    #[test]
    fn record_round_trips_and_compares() {
        let a = BootRecord {
            boot_id: "0123456789abcdef0123456789abcdef".into(),
            pid1_start: Some(42),
        };
        assert_eq!(BootRecord::parse(&a.to_text()), Some(a.clone()));
        let restarted = BootRecord {
            pid1_start: Some(4711),
            ..a.clone()
        };
        assert!(a.matches(&a));
        assert!(!a.matches(&restarted));
        assert_eq!(BootRecord::parse("junk"), None);
        assert_eq!(
            normalize_boot_id("0B7C3E4F-1234-5678-9ABC-DEF012345678\n").as_deref(),
            Some("0b7c3e4f123456789abcdef012345678")
        );
        assert_eq!(normalize_boot_id("xyz"), None);
    }
}

//! `Limit*=` resource limits (systemd.exec(5) "Process Properties"): `soft:hard` or one
//! value for both, `infinity`, byte sizes with 1024-based suffixes, time for CPU/RTTIME,
//! and `LimitNICE=` as a nice level (`-5`) or a raw limit (`25`).

use crate::unit::value::{parse_size, parse_timespan};

/// The type `setrlimit(2)` takes for a resource: glibc declares an enum, musl an int.
#[cfg(target_env = "gnu")]
pub type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
pub type Resource = libc::c_int;

/// `RLIM_INFINITY`.
pub const INFINITY: u64 = u64::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bytes,
    Count,
    Seconds,
    Usec,
    Nice,
}

/// Every `Limit*=` setting with its resource and how its value is written.
const LIMITS: &[(&str, Resource, Kind)] = &[
    ("LimitCPU", libc::RLIMIT_CPU, Kind::Seconds),
    ("LimitFSIZE", libc::RLIMIT_FSIZE, Kind::Bytes),
    ("LimitDATA", libc::RLIMIT_DATA, Kind::Bytes),
    ("LimitSTACK", libc::RLIMIT_STACK, Kind::Bytes),
    ("LimitCORE", libc::RLIMIT_CORE, Kind::Bytes),
    ("LimitRSS", libc::RLIMIT_RSS, Kind::Bytes),
    ("LimitNOFILE", libc::RLIMIT_NOFILE, Kind::Count),
    ("LimitAS", libc::RLIMIT_AS, Kind::Bytes),
    ("LimitNPROC", libc::RLIMIT_NPROC, Kind::Count),
    ("LimitMEMLOCK", libc::RLIMIT_MEMLOCK, Kind::Bytes),
    ("LimitLOCKS", libc::RLIMIT_LOCKS, Kind::Count),
    ("LimitSIGPENDING", libc::RLIMIT_SIGPENDING, Kind::Count),
    ("LimitMSGQUEUE", libc::RLIMIT_MSGQUEUE, Kind::Bytes),
    ("LimitNICE", libc::RLIMIT_NICE, Kind::Nice),
    ("LimitRTPRIO", libc::RLIMIT_RTPRIO, Kind::Count),
    ("LimitRTTIME", libc::RLIMIT_RTTIME, Kind::Usec),
];

/// The names of all `Limit*=` settings.
pub fn setting_names() -> impl Iterator<Item = &'static str> {
    LIMITS.iter().map(|(name, _, _)| *name)
}

/// One configured limit, ready for `setrlimit()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimit {
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

/// CAP_SYS_RESOURCE: raising a hard limit needs it.
const CAP_SYS_RESOURCE: u32 = 24;

impl ResourceLimit {
    /// systemd's `rlimit_to_string()`: `NOFILE` for `RLIMIT_NOFILE`.
    pub fn resource_name(&self) -> &'static str {
        LIMITS
            .iter()
            .find(|(_, r, _)| *r == self.resource)
            .map(|(name, _, _)| name.trim_start_matches("Limit"))
            .unwrap_or("?")
    }

    /// Applies the limit as systemd's `setrlimit_closest()` does: when raising the hard
    /// limit is not permitted (a container without CAP_SYS_RESOURCE) and the current hard
    /// limit is finite, the closest allowed values are set instead. Only system calls, so
    /// it is safe in a forked child. `Err(errno)` when even that fails.
    pub fn apply_closest(&self) -> Result<(), i32> {
        let wanted = libc::rlimit {
            rlim_cur: self.soft,
            rlim_max: self.hard,
        };
        let Err(err) = crate::sys::setrlimit(self.resource, &wanted) else {
            return Ok(());
        };
        if err != libc::EPERM {
            return Err(err);
        }
        let highest = current(self.resource).ok_or(err)?;
        if highest.rlim_max == INFINITY {
            return Err(libc::EPERM);
        }
        let fixed = libc::rlimit {
            rlim_cur: self.soft.min(highest.rlim_max),
            rlim_max: self.hard.min(highest.rlim_max),
        };
        if fixed.rlim_cur == highest.rlim_cur && fixed.rlim_max == highest.rlim_max {
            return Ok(());
        }
        crate::sys::setrlimit(self.resource, &fixed)
    }

    /// The values [`Self::apply_closest`] will end up with when they differ from the
    /// configured ones (this process's hard limit is lower and it cannot raise it), for
    /// the manager's notice before the spawn.
    pub fn lowered(&self) -> Option<(u64, u64)> {
        let highest = current(self.resource)?;
        if self.hard <= highest.rlim_max || highest.rlim_max == INFINITY {
            return None;
        }
        if has_effective_capability(CAP_SYS_RESOURCE) {
            return None;
        }
        Some((
            self.soft.min(highest.rlim_max),
            self.hard.min(highest.rlim_max),
        ))
    }
}

fn current(resource: Resource) -> Option<libc::rlimit> {
    crate::sys::getrlimit(resource)
}

/// Whether this process has `cap` in its effective set (`CapEff:` of /proc/self/status).
fn has_effective_capability(cap: u32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << cap) != 0)
}

/// Parses the value of the `Limit*=` setting `setting`.
pub fn parse_limit(setting: &str, value: &str) -> Result<ResourceLimit, String> {
    let (_, resource, kind) = LIMITS
        .iter()
        .find(|(name, _, _)| *name == setting)
        .ok_or_else(|| format!("Unknown resource limit {setting}"))?;
    let (soft, hard) = match value.split_once(':') {
        Some((s, h)) => (parse_one(s, *kind)?, parse_one(h, *kind)?),
        None => {
            let v = parse_one(value, *kind)?;
            (v, v)
        }
    };
    if soft > hard {
        return Err(format!(
            "Soft resource limit chosen higher than hard limit, ignoring: {value}"
        ));
    }
    Ok(ResourceLimit {
        resource: *resource,
        soft,
        hard,
    })
}

fn parse_one(s: &str, kind: Kind) -> Result<u64, String> {
    let s = s.trim();
    if s == "infinity" {
        return Ok(INFINITY);
    }
    let bad = || format!("Failed to parse resource value, ignoring: {s}");
    match kind {
        Kind::Count => s.parse::<u64>().map_err(|_| bad()),
        Kind::Bytes => parse_size(s).map_err(|_| bad()),
        Kind::Seconds => parse_timespan(s, 1_000_000)
            .map(|usec| usec.div_ceil(1_000_000))
            .ok_or_else(bad),
        Kind::Usec => parse_timespan(s, 1).ok_or_else(bad),
        Kind::Nice => {
            if s.starts_with(['+', '-']) {
                let nice: i64 = s.parse().map_err(|_| bad())?;
                if !(-20..=19).contains(&nice) {
                    return Err(bad());
                }
                Ok((20 - nice) as u64)
            } else {
                let raw: u64 = s.parse().map_err(|_| bad())?;
                if raw > 40 {
                    return Err(bad());
                }
                Ok(raw)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sizes_and_infinity() {
        let l = parse_limit("LimitNOFILE", "1024:4096").unwrap();
        assert_eq!(
            (l.resource, l.soft, l.hard),
            (libc::RLIMIT_NOFILE, 1024, 4096)
        );
        let l = parse_limit("LimitCORE", "infinity").unwrap();
        assert_eq!((l.soft, l.hard), (INFINITY, INFINITY));
        let l = parse_limit("LimitFSIZE", "4K:1M").unwrap();
        assert_eq!((l.soft, l.hard), (4096, 1 << 20));
        let l = parse_limit("LimitAS", "1.5G").unwrap();
        assert_eq!(l.soft, 3 << 29);
        let l = parse_limit("LimitNPROC", "10:infinity").unwrap();
        assert_eq!((l.soft, l.hard), (10, INFINITY));
    }

    #[test]
    fn times_nice_and_errors() {
        assert_eq!(parse_limit("LimitCPU", "1min").unwrap().soft, 60);
        assert_eq!(parse_limit("LimitCPU", "1500ms").unwrap().soft, 2);
        assert_eq!(parse_limit("LimitRTTIME", "1s").unwrap().soft, 1_000_000);
        assert_eq!(parse_limit("LimitNICE", "-5").unwrap().soft, 25);
        assert_eq!(parse_limit("LimitNICE", "+19").unwrap().soft, 1);
        assert_eq!(parse_limit("LimitNICE", "30").unwrap().soft, 30);
        assert!(parse_limit("LimitNICE", "41").is_err());
        assert!(parse_limit("LimitNOFILE", "4096:1024").is_err());
        assert!(parse_limit("LimitNOFILE", "lots").is_err());
        assert!(parse_limit("LimitBOGUS", "1").is_err());
        assert_eq!(setting_names().count(), 16);
    }
}

//! The clocks systemd's timestamps are read from, in µs, and the dual (realtime +
//! monotonic) timestamp of unit state.

pub const USEC_PER_SEC: u64 = 1_000_000;
pub const USEC_PER_MINUTE: u64 = 60 * USEC_PER_SEC;
pub const USEC_PER_HOUR: u64 = 60 * USEC_PER_MINUTE;
pub const USEC_PER_DAY: u64 = 24 * USEC_PER_HOUR;
pub const USEC_PER_WEEK: u64 = 7 * USEC_PER_DAY;
/// systemd's month and year are averages (30.44 and 365.25 days).
pub const USEC_PER_MONTH: u64 = 2_629_800 * USEC_PER_SEC;
pub const USEC_PER_YEAR: u64 = 31_557_600 * USEC_PER_SEC;

fn clock_us(clock: libc::clockid_t) -> u64 {
    let Ok(ts) = nix::time::clock_gettime(nix::time::ClockId::from_raw(clock)) else {
        return 0;
    };
    if ts.tv_sec() < 0 {
        return 0;
    }
    ts.tv_sec() as u64 * USEC_PER_SEC + ts.tv_nsec() as u64 / 1000
}

/// µs since the epoch (CLOCK_REALTIME).
pub fn now_realtime_us() -> u64 {
    clock_us(libc::CLOCK_REALTIME)
}

/// µs since boot (CLOCK_MONOTONIC), the clock of `…TimestampMonotonic` properties.
pub fn now_monotonic_us() -> u64 {
    clock_us(libc::CLOCK_MONOTONIC)
}

/// A point in time on both clocks, as systemd records its unit timestamps. Zero means unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DualTimestamp {
    pub realtime: u64,
    pub monotonic: u64,
}

impl DualTimestamp {
    pub fn now() -> Self {
        DualTimestamp {
            realtime: now_realtime_us(),
            monotonic: now_monotonic_us(),
        }
    }

    pub fn is_set(&self) -> bool {
        self.realtime != 0 || self.monotonic != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_move_forward() {
        let a = DualTimestamp::now();
        let b = DualTimestamp::now();
        assert!(a.is_set());
        assert!(b.monotonic >= a.monotonic);
        assert!(a.realtime > 1_600_000_000 * USEC_PER_SEC);
    }
}

//! When a timer elapses next: systemd 252's `timer_enter_waiting()` as a pure function of
//! the timer's configuration and the moments it depends on, plus the random delay and
//! sd-event's coalescing of wake-ups within `AccuracySec=` (`sleep_between()`).

use super::config::{TimerBase, TimerConfig};
use crate::time::{DualTimestamp, TimeZone, USEC_PER_MINUTE, USEC_PER_SEC};

/// sd-event's accuracy when none is given (`AccuracySec=0`).
pub const DEFAULT_ACCURACY: u64 = 250_000;

/// What the next elapse depends on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    pub now: DualTimestamp,
    /// When the manager started (systemd's userspace timestamp): `OnStartupSec=`, and
    /// `OnBootSec=` in a container, count from here.
    pub startup_monotonic: u64,
    pub in_container: bool,
    /// The timer's own `InactiveExitTimestamp` while it is active.
    pub active_since: Option<DualTimestamp>,
    pub last_trigger: DualTimestamp,
    /// The triggered unit's `InactiveExitTimestampMonotonic` / `InactiveEnterTimestampMonotonic`.
    pub unit_inactive_exit: u64,
    pub unit_inactive_enter: u64,
    /// Recomputing because the clock was set.
    pub time_change: bool,
}

/// Per value: its last computed elapse, and whether it is used up (a one-shot value that
/// has fired in this activation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValueState {
    pub next_elapse: u64,
    pub disabled: bool,
}

/// The outcome of entering the waiting state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Wait for the earlier of these (µs on CLOCK_REALTIME / CLOCK_MONOTONIC), random
    /// delay included; both `None` only for timers of clock/zone changes alone.
    Waiting {
        realtime: Option<u64>,
        monotonic: Option<u64>,
    },
    /// Nothing left to wait for; `leave_around`: values on the unit's state may come back.
    Elapsed { leave_around: bool },
}

/// `timer_enter_waiting()` without the random delay (see [`add_random_delay`]).
pub fn next_elapse(
    config: &TimerConfig,
    values: &mut [ValueState],
    ctx: &Context,
    local: &TimeZone,
) -> Plan {
    let mut realtime: Option<u64> = None;
    let mut monotonic: Option<u64> = None;
    let mut leave_around = false;
    let startup_realtime = map_monotonic_to_realtime(ctx.startup_monotonic, ctx.now);
    for (value, state) in config.values.iter().zip(values.iter_mut()) {
        if state.disabled {
            continue;
        }
        if let Some(spec) = &value.calendar {
            let base = if ctx.last_trigger.realtime > 0 {
                ctx.last_trigger.realtime
            } else if let Some(since) = ctx.active_since {
                since.realtime
            } else {
                ctx.now.realtime
            };
            let Ok(Some(mut next)) = spec.next_elapse(base, local) else {
                continue;
            };
            // RandomizedDelaySec= also delays a catch-up at boot: an elapse before the
            // manager started counts from its start.
            next = next.max(startup_realtime);
            state.next_elapse = next;
            realtime = Some(realtime.map_or(next, |r| r.min(next)));
            continue;
        }
        let base = match value.base {
            TimerBase::Active => match ctx.active_since {
                Some(since) => since.monotonic,
                None => ctx.now.monotonic,
            },
            TimerBase::Boot if !ctx.in_container => 0,
            TimerBase::Boot | TimerBase::Startup => ctx.startup_monotonic,
            TimerBase::UnitActive | TimerBase::UnitInactive => {
                leave_around = true;
                let unit = if value.base == TimerBase::UnitActive {
                    ctx.unit_inactive_exit
                } else {
                    ctx.unit_inactive_enter
                };
                let base = unit.max(ctx.last_trigger.monotonic);
                if base == 0 {
                    continue;
                }
                base
            }
            TimerBase::Calendar => continue,
        };
        let next = base.saturating_add(value.usec);
        state.next_elapse = next;
        if ctx.last_trigger.is_set()
            && !ctx.time_change
            && next < ctx.now.monotonic
            && value.base.is_one_shot()
        {
            state.disabled = true;
            continue;
        }
        monotonic = Some(monotonic.map_or(next, |m| m.min(next)));
    }
    if realtime.is_none()
        && monotonic.is_none()
        && !config.on_clock_change
        && !config.on_timezone_change
    {
        return Plan::Elapsed { leave_around };
    }
    Plan::Waiting {
        realtime,
        monotonic,
    }
}

/// A monotonic moment on the realtime clock, as of `now` (`map_clock_usec()`).
pub fn map_monotonic_to_realtime(monotonic: u64, now: DualTimestamp) -> u64 {
    if monotonic >= now.monotonic {
        now.realtime.saturating_add(monotonic - now.monotonic)
    } else {
        now.realtime.saturating_sub(now.monotonic - monotonic)
    }
}

/// `add_random_delay()`: `offset` is a random (or, with `FixedRandomDelay=`, a stable) number.
pub fn add_random_delay(config: &TimerConfig, elapse: u64, offset: u64) -> u64 {
    if config.randomized_delay == 0 || elapse == u64::MAX {
        return elapse;
    }
    elapse
        .checked_add(offset % config.randomized_delay)
        .unwrap_or(u64::MAX - 1)
}

/// A stable number for `FixedRandomDelay=`: the same for one timer of one machine and
/// manager, as systemd's siphash of machine id, scope, uid and unit name (FNV-1a here).
pub fn fixed_delay_hash(machine_id: &str, system: bool, uid: u32, unit: &str) -> u64 {
    let mut bytes = machine_id.as_bytes().to_vec();
    bytes.push(system as u8);
    bytes.extend_from_slice(&uid.to_le_bytes());
    bytes.extend_from_slice(unit.as_bytes());
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// sd-event's per-boot perturbation: wake-ups of the whole system meet at the same
/// second of each minute.
pub fn perturbation(boot_id: &str) -> u64 {
    let Ok(bytes) = (0..16)
        .map(|i| u8::from_str_radix(boot_id.get(2 * i..2 * i + 2).unwrap_or("0"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return 0;
    };
    let q0 = u64::from_le_bytes(bytes[0..8].try_into().unwrap_or([0; 8]));
    let q1 = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or([0; 8]));
    (q0 ^ q1) % USEC_PER_MINUTE
}

/// sd-event's `sleep_between()`: the wake-up for an event due at `a` with accuracy up to
/// `b`, preferring late, system-wide shared moments (the perturbed spot of each minute,
/// else of each 10 s, 1 s, 250 ms).
pub fn sleep_between(a: u64, b: u64, perturb: u64) -> u64 {
    if a == 0 {
        return 0;
    }
    if a == u64::MAX {
        return u64::MAX;
    }
    if b <= a + 1 {
        return a;
    }
    for step in [USEC_PER_MINUTE, 10 * USEC_PER_SEC, USEC_PER_SEC, 250 * 1000] {
        let mut c = (b / step) * step + perturb % step;
        if c >= b {
            if c < step {
                return b;
            }
            c -= step;
        }
        if c >= a {
            return c;
        }
    }
    b
}

/// When to actually wake for an elapse at `at` (coalesced within the accuracy).
pub fn wake_time(at: u64, accuracy: u64, perturb: u64) -> u64 {
    let accuracy = if accuracy == 0 {
        DEFAULT_ACCURACY
    } else {
        accuracy
    };
    sleep_between(at, at.saturating_add(accuracy), perturb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::config::parse;
    use crate::unit::{syntax, Settings};

    fn config(text: &str) -> TimerConfig {
        let (entries, _) = syntax::parse(text, std::path::Path::new("/t.timer"));
        parse(&Settings { entries }, &|s| s.to_string(), &TimeZone::utc()).0
    }

    const NOW: DualTimestamp = DualTimestamp {
        // Thu 2026-12-03 06:00:00 UTC
        realtime: 1_796_277_600_000_000,
        monotonic: 1_000_000_000,
    };

    fn ctx() -> Context {
        Context {
            now: NOW,
            startup_monotonic: 400_000_000,
            in_container: true,
            ..Context::default()
        }
    }

    fn plan(c: &TimerConfig, ctx: &Context, values: &mut Vec<ValueState>) -> Plan {
        values.resize(c.values.len(), ValueState::default());
        next_elapse(c, values, ctx, &TimeZone::utc())
    }

    #[test]
    fn monotonic_values_count_from_their_bases() {
        let c = config("[Timer]\nOnActiveSec=10\nOnBootSec=1h\nOnStartupSec=2h\n");
        let mut v = Vec::new();
        let p = plan(&c, &ctx(), &mut v);
        assert_eq!(
            p,
            Plan::Waiting {
                realtime: None,
                monotonic: Some(1_010_000_000)
            }
        );
        assert_eq!(
            v[1].next_elapse,
            400_000_000 + 3_600_000_000,
            "boot = startup in a container"
        );
        let host = Context {
            in_container: false,
            ..ctx()
        };
        plan(&c, &host, &mut v);
        assert_eq!(v[1].next_elapse, 3_600_000_000, "boot = 0 on a host");
    }

    #[test]
    fn one_shot_values_are_used_up_and_the_timer_elapses() {
        let c = config("[Timer]\nOnActiveSec=10\n");
        let mut v = Vec::new();
        let fired = Context {
            active_since: Some(DualTimestamp {
                realtime: NOW.realtime - 20_000_000,
                monotonic: NOW.monotonic - 20_000_000,
            }),
            last_trigger: DualTimestamp {
                realtime: NOW.realtime - 10_000_000,
                monotonic: NOW.monotonic - 10_000_000,
            },
            ..ctx()
        };
        assert_eq!(
            plan(&c, &fired, &mut v),
            Plan::Elapsed {
                leave_around: false
            }
        );
        assert!(v[0].disabled);
        // Started long after boot and never triggered: an OnBootSec= in the past fires now.
        let c = config("[Timer]\nOnBootSec=1s\n");
        let mut v = Vec::new();
        assert_eq!(
            plan(&c, &ctx(), &mut v),
            Plan::Waiting {
                realtime: None,
                monotonic: Some(401_000_000)
            }
        );
    }

    #[test]
    fn unit_values_wait_for_the_unit_and_stay_around() {
        let c = config("[Timer]\nOnUnitActiveSec=30\n");
        let mut v = Vec::new();
        assert_eq!(
            plan(&c, &ctx(), &mut v),
            Plan::Elapsed { leave_around: true }
        );
        let ran = Context {
            unit_inactive_exit: 900_000_000,
            ..ctx()
        };
        assert_eq!(
            plan(&c, &ran, &mut v),
            Plan::Waiting {
                realtime: None,
                monotonic: Some(930_000_000)
            }
        );
    }

    #[test]
    fn calendar_values_count_from_the_last_trigger_persistent_catches_up() {
        let c = config("[Timer]\nOnCalendar=daily\n");
        let mut v = Vec::new();
        let midnight = 1_796_342_400_000_000; // Fri 2026-12-04 00:00 UTC
        assert_eq!(
            plan(&c, &ctx(), &mut v),
            Plan::Waiting {
                realtime: Some(midnight),
                monotonic: None
            }
        );
        // A stamp from two days ago: the elapse after it is past, so it is due now — no
        // earlier than the manager's start.
        let stamped = Context {
            last_trigger: DualTimestamp {
                realtime: midnight - 3 * 86_400_000_000 + 5,
                monotonic: 0,
            },
            ..ctx()
        };
        let startup_realtime = NOW.realtime - 600_000_000;
        assert_eq!(
            plan(&c, &stamped, &mut v),
            Plan::Waiting {
                realtime: Some(startup_realtime),
                monotonic: None
            }
        );
    }

    #[test]
    fn coalescing_prefers_the_perturbed_spot_of_the_minute() {
        let perturb = 17_000_000;
        let a = 3 * USEC_PER_MINUTE + 1;
        assert_eq!(
            sleep_between(a, a + USEC_PER_MINUTE, perturb),
            3 * USEC_PER_MINUTE + perturb
        );
        assert_eq!(wake_time(a, 1, perturb), a, "AccuracySec=1us fires on time");
        let w = wake_time(a, USEC_PER_SEC, perturb);
        assert!((a..=a + USEC_PER_SEC).contains(&w));
        assert_eq!(perturbation(&"0".repeat(32)), 0);
        assert!(perturbation("0123456789abcdef0123456789abcdee") < USEC_PER_MINUTE);
    }

    #[test]
    fn random_delay_stays_in_its_bound() {
        let c = config("[Timer]\nOnActiveSec=1\nRandomizedDelaySec=10\n");
        for r in [0, 1, 9_999_999, 10_000_000, u64::MAX] {
            let d = add_random_delay(&c, 100, r) - 100;
            assert!(d < 10_000_000);
        }
        assert_eq!(
            fixed_delay_hash("m", true, 0, "a.timer"),
            fixed_delay_hash("m", true, 0, "a.timer")
        );
    }
}

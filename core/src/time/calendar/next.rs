//! The next elapse of a calendar event: systemd 252's `find_next()`, which walks a
//! broken-down time field by field and lets `mktime()` normalise it (here: [`Tm::mktime`]
//! over the one zone model), in the event's zone (UTC, a named zone, or the local one).

use super::{CalendarSpec, Chain, MAX_YEAR, USEC_PER_SEC};
use crate::time::civil::{civil_from_days, days_from_civil, days_in_month, weekday_of_days};
use crate::time::timestamp::USEC_TIMESTAMP_FORMATTABLE_MAX;
use crate::time::tz::{TimeZone, ZONEINFO};
use crate::time::TimeError;
use std::path::Path;

/// systemd's safety valve against a calculation that does not converge.
const MAX_ITERATIONS: usize = 1000;

/// `struct tm` with a full year and a 0-based month; fields may be out of range until
/// [`Tm::mktime`] normalises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
}

/// The zone an event is computed in, with `mktime()`'s `tm_isdst` hint.
struct Zone<'a> {
    tz: &'a TimeZone,
    dst_offset: Option<i32>,
}

impl Tm {
    fn from_unix(t: i64, zone: &Zone) -> Tm {
        let local = t + zone.tz.offset_at(t).0 as i64;
        let days = local.div_euclid(86_400);
        let in_day = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Tm {
            year,
            mon: month as i64 - 1,
            mday: day as i64,
            hour: in_day / 3600,
            min: in_day / 60 % 60,
            sec: in_day % 60,
        }
    }

    fn local_seconds(&self) -> i64 {
        let year = self.year + self.mon.div_euclid(12);
        let month = self.mon.rem_euclid(12) as u32 + 1;
        let days = days_from_civil(year, month, 1) + self.mday - 1;
        days * 86_400 + self.hour * 3600 + self.min * 60 + self.sec
    }

    /// `mktime()`: the Unix time, and `self` normalised to what it reads as locally.
    fn mktime(&mut self, zone: &Zone) -> i64 {
        let local = self.local_seconds();
        let t = match zone.dst_offset {
            Some(offset) => local - offset as i64,
            None => zone.tz.local_to_utc(local),
        };
        *self = Tm::from_unix(t, zone);
        t
    }

    fn weekday_monday_first(&self) -> u32 {
        let days = self.local_seconds().div_euclid(86_400);
        (weekday_of_days(days) + 6) % 7
    }
}

/// The day of the month `day` days counted back from its end (`~01` is the last day).
fn end_of_month(tm: &Tm, day: i64) -> i64 {
    if day < 0 {
        return -1;
    }
    let year = tm.year + tm.mon.div_euclid(12);
    let dim = days_in_month(year, tm.mon.rem_euclid(12) as u32 + 1) as i64;
    let result = dim + 1 - day;
    if result < 1 {
        -1
    } else {
        result
    }
}

/// The earliest value ≥ `*val` a chain allows; `Ok(true)` if it moved `*val`.
fn find_matching(
    spec: &CalendarSpec,
    chain: &Chain,
    is_day: bool,
    tm: &Tm,
    val: &mut i64,
) -> Result<bool, ()> {
    let Some(list) = chain else {
        return Ok(false);
    };
    let from_end = spec.end_of_month && is_day;
    let mut best: Option<i64> = None;
    for c in list {
        let (mut start, mut stop) = (c.start, c.stop);
        if from_end {
            start = end_of_month(tm, c.start);
            stop = end_of_month(tm, c.stop);
            if stop > 0 {
                std::mem::swap(&mut start, &mut stop);
            }
        }
        if start >= *val {
            if best.is_none_or(|d| start < d) {
                best = Some(start);
            }
        } else if c.repeat > 0 {
            let steps = (*val - start + c.repeat - 1) / c.repeat;
            let k = start + c.repeat * steps;
            if best.is_none_or(|d| k < d) && (stop < 0 || k <= stop) {
                best = Some(k);
            }
        }
    }
    let d = best.ok_or(())?;
    let moved = *val != d;
    *val = d;
    Ok(moved)
}

enum Bounds {
    Invalid,
    Normalised,
    Exact,
}

/// Did `mktime()` have to normalise `tm`? Then it was out of range; carry on from the
/// normalised time with the next smaller field reset.
fn within_bounds(tm: &mut Tm, zone: &Zone) -> Bounds {
    if tm.year > MAX_YEAR {
        return Bounds::Invalid;
    }
    let mut t = *tm;
    if t.mktime(zone) < 0 {
        return Bounds::Invalid;
    }
    let cmp = if t.year != tm.year {
        t.mon = 0;
        t.year.cmp(&tm.year)
    } else if t.mon != tm.mon {
        t.mday = 1;
        t.mon.cmp(&tm.mon)
    } else if t.mday != tm.mday {
        t.hour = 0;
        t.mday.cmp(&tm.mday)
    } else if t.hour != tm.hour {
        t.min = 0;
        t.hour.cmp(&tm.hour)
    } else if t.min != tm.min {
        t.sec = 0;
        t.min.cmp(&tm.min)
    } else {
        t.sec.cmp(&tm.sec)
    };
    match cmp {
        std::cmp::Ordering::Less => Bounds::Invalid,
        std::cmp::Ordering::Greater => {
            *tm = t;
            Bounds::Normalised
        }
        std::cmp::Ordering::Equal => Bounds::Exact,
    }
}

fn reset_below_day(c: &mut Tm, usec: &mut i64) {
    c.hour = 0;
    c.min = 0;
    c.sec = 0;
    *usec = 0;
}

/// systemd's `find_next()`; `Err(true)` when the event never elapses again.
fn find_next(spec: &CalendarSpec, tm: &mut Tm, tm_usec: &mut i64, zone: &Zone) -> bool {
    let mut c = *tm;
    let mut usec = *tm_usec;
    for _ in 0..MAX_ITERATIONS {
        c.mktime(zone);

        let mut year = c.year;
        let r = find_matching(spec, &spec.year, false, &c, &mut year);
        c.year = year;
        match r {
            Err(()) => return false,
            Ok(true) => {
                c.mon = 0;
                c.mday = 1;
                reset_below_day(&mut c, &mut usec);
            }
            Ok(false) => {}
        }
        if !matches!(within_bounds(&mut c, zone), Bounds::Exact) {
            return false;
        }

        let mut month = c.mon + 1;
        let r = find_matching(spec, &spec.month, false, &c, &mut month);
        c.mon = month - 1;
        if let Ok(true) = r {
            c.mday = 1;
            reset_below_day(&mut c, &mut usec);
        }
        let bounds = if r.is_ok() {
            within_bounds(&mut c, zone)
        } else {
            Bounds::Invalid
        };
        match bounds {
            Bounds::Invalid => {
                c.year += 1;
                c.mon = 0;
                c.mday = 1;
                reset_below_day(&mut c, &mut usec);
                continue;
            }
            Bounds::Normalised => continue,
            Bounds::Exact => {}
        }

        let mut day = c.mday;
        let r = find_matching(spec, &spec.day, true, &c, &mut day);
        c.mday = day;
        if let Ok(true) = r {
            reset_below_day(&mut c, &mut usec);
        }
        let bounds = if r.is_ok() {
            within_bounds(&mut c, zone)
        } else {
            Bounds::Invalid
        };
        match bounds {
            Bounds::Invalid => {
                c.mon += 1;
                c.mday = 1;
                reset_below_day(&mut c, &mut usec);
                continue;
            }
            Bounds::Normalised => continue,
            Bounds::Exact => {}
        }

        if let Some(bits) = spec.weekdays {
            if bits & (1 << c.weekday_monday_first()) == 0 {
                c.mday += 1;
                reset_below_day(&mut c, &mut usec);
                continue;
            }
        }

        let mut hour = c.hour;
        let r = find_matching(spec, &spec.hour, false, &c, &mut hour);
        c.hour = hour;
        if let Ok(true) = r {
            c.min = 0;
            c.sec = 0;
            usec = 0;
        }
        let bounds = if r.is_ok() {
            within_bounds(&mut c, zone)
        } else {
            Bounds::Invalid
        };
        match bounds {
            Bounds::Invalid => {
                c.mday += 1;
                reset_below_day(&mut c, &mut usec);
                continue;
            }
            // The hour may not exist on a day the clocks change: start again from there.
            Bounds::Normalised => continue,
            Bounds::Exact => {}
        }

        let mut minute = c.min;
        let r = find_matching(spec, &spec.minute, false, &c, &mut minute);
        c.min = minute;
        if let Ok(true) = r {
            c.sec = 0;
            usec = 0;
        }
        let bounds = if r.is_ok() {
            within_bounds(&mut c, zone)
        } else {
            Bounds::Invalid
        };
        match bounds {
            Bounds::Invalid => {
                c.hour += 1;
                c.min = 0;
                c.sec = 0;
                usec = 0;
                continue;
            }
            Bounds::Normalised => continue,
            Bounds::Exact => {}
        }

        let mut micro = c.sec * USEC_PER_SEC + usec;
        let r = find_matching(spec, &spec.microsecond, false, &c, &mut micro);
        usec = micro % USEC_PER_SEC;
        c.sec = micro / USEC_PER_SEC;
        let bounds = if r.is_ok() {
            within_bounds(&mut c, zone)
        } else {
            Bounds::Invalid
        };
        match bounds {
            Bounds::Invalid => {
                c.min += 1;
                c.sec = 0;
                usec = 0;
                continue;
            }
            Bounds::Normalised => continue,
            Bounds::Exact => {}
        }

        *tm = c;
        *tm_usec = usec;
        return true;
    }
    log::warn!(
        "Infinite loop in calendar calculation: {}",
        spec.to_normal_string(zone.tz)
    );
    false
}

impl CalendarSpec {
    /// The first elapse strictly after `after_us` (µs since the epoch), computed in the
    /// event's zone (`local` unless it names UTC or a zone); `Ok(None)`: never again.
    pub fn next_elapse(&self, after_us: u64, local: &TimeZone) -> Result<Option<u64>, TimeError> {
        if after_us > USEC_TIMESTAMP_FORMATTABLE_MAX {
            return Err(TimeError::Invalid);
        }
        let utc = TimeZone::utc();
        let named;
        let tz = if self.utc {
            &utc
        } else if let Some(name) = &self.timezone {
            named =
                TimeZone::from_file(&Path::new(ZONEINFO).join(name)).ok_or(TimeError::Invalid)?;
            &named
        } else {
            local
        };
        let dst_offset = self.dst.map(|j| {
            let (std, dst) = tz.standard_and_daylight();
            if j == 0 {
                std.offset
            } else {
                dst.offset
            }
        });
        let zone = Zone { tz, dst_offset };
        let after = after_us + 1;
        let mut tm = Tm::from_unix((after / USEC_PER_SEC as u64) as i64, &zone);
        let mut tm_usec = (after % USEC_PER_SEC as u64) as i64;
        if !find_next(self, &mut tm, &mut tm_usec, &zone) {
            return Ok(None);
        }
        let t = tm.mktime(&zone);
        if t < 0 {
            return Err(TimeError::Invalid);
        }
        Ok(Some(t as u64 * USEC_PER_SEC as u64 + tm_usec as u64))
    }
}

//! Just enough of a time zone implementation to print local times as systemctl does: a TZif
//! reader (RFC 8536, versions 1–4) and POSIX `TZ` rules such as `EST5EDT,M3.2.0,M11.1.0`,
//! which modern "slim" TZif files need for every date after their last transition. No
//! leap-second handling (systemd prints civil time as well).

use super::civil::{civil_from_days, days_from_civil, is_leap};
use once_cell::sync::OnceCell;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
struct LocalType {
    offset: i32,
    is_dst: bool,
    abbrev: String,
}

/// `Mm.w.d`, `Jn` or `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleDay {
    /// Julian day 1–365, February 29 never counted.
    Julian1(u32),
    /// Zero-based day of the year 0–365, counting February 29.
    Julian0(u32),
    MonthWeekDay {
        month: u32,
        week: u32,
        weekday: u32,
    },
}

/// A rule day with the local time of day (seconds) the change happens at.
type Transition = (RuleDay, i32);

#[derive(Debug, Clone, PartialEq, Eq)]
struct DstRule {
    dst: LocalType,
    start: Transition,
    end: Transition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixTz {
    std: LocalType,
    dst: Option<DstRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    transitions: Vec<i64>,
    transition_types: Vec<u8>,
    types: Vec<LocalType>,
    footer: Option<PosixTz>,
}

/// Where the zoneinfo database lives.
pub const ZONEINFO: &str = "/usr/share/zoneinfo";

impl TimeZone {
    pub fn utc() -> Self {
        TimeZone {
            transitions: Vec::new(),
            transition_types: Vec::new(),
            types: vec![LocalType {
                offset: 0,
                is_dst: false,
                abbrev: "UTC".into(),
            }],
            footer: None,
        }
    }

    /// The zone of this process, read once: `$TZ` (a zone name, `:name`, a file path or a
    /// POSIX rule; empty means UTC), else `/etc/localtime`, else UTC.
    pub fn local() -> &'static TimeZone {
        static LOCAL: OnceCell<TimeZone> = OnceCell::new();
        LOCAL.get_or_init(|| {
            Self::from_tz_env(std::env::var("TZ").ok().as_deref(), Path::new(ZONEINFO))
        })
    }

    pub fn from_tz_env(tz: Option<&str>, zoneinfo: &Path) -> Self {
        let Some(tz) = tz else {
            return Self::from_file(Path::new("/etc/localtime")).unwrap_or_else(Self::utc);
        };
        let name = tz.strip_prefix(':').unwrap_or(tz);
        if name.is_empty() {
            return Self::utc();
        }
        if name.starts_with('/') {
            return Self::from_file(Path::new(name)).unwrap_or_else(Self::utc);
        }
        let safe_name = !name.split('/').any(|c| c == ".." || c.is_empty());
        if safe_name {
            if let Some(tz) = Self::from_file(&zoneinfo.join(name)) {
                return tz;
            }
        }
        Self::from_posix(name).unwrap_or_else(Self::utc)
    }

    pub fn from_file(path: &Path) -> Option<Self> {
        let data = std::fs::read(path).ok()?;
        Self::from_tzif(&data)
    }

    pub fn from_posix(rule: &str) -> Option<Self> {
        let footer = parse_posix(rule)?;
        Some(TimeZone {
            transitions: Vec::new(),
            transition_types: Vec::new(),
            types: vec![footer.std.clone()],
            footer: Some(footer),
        })
    }

    /// Parses TZif data; `None` if it is not valid TZif.
    pub fn from_tzif(data: &[u8]) -> Option<Self> {
        let (header, body) = parse_header(data)?;
        if header.version >= 2 {
            // Skip the 32-bit block; the 64-bit block and the footer follow it.
            let rest = body.get(header.block_len(4)..)?;
            let (header64, body64) = parse_header(rest)?;
            let mut tz = parse_block(&header64, body64, 8)?;
            let footer_text = body64.get(header64.block_len(8)..)?;
            tz.footer = parse_footer(footer_text);
            Some(tz)
        } else {
            parse_block(&header, body, 4)
        }
    }

    /// The UTC offset (seconds east) and zone abbreviation in effect at a Unix time.
    pub fn offset_at(&self, unix: i64) -> (i32, &str) {
        let after_last = !matches!(self.transitions.last(), Some(&last) if unix < last);
        if after_last {
            if let Some(footer) = &self.footer {
                let t = footer.local_type_at(unix);
                return (t.offset, &t.abbrev);
            }
        }
        let ty = match self.transitions.partition_point(|&t| t <= unix) {
            0 => self.types.iter().find(|t| !t.is_dst).or(self.types.first()),
            n => self
                .transition_types
                .get(n - 1)
                .and_then(|&i| self.types.get(i as usize)),
        };
        match ty {
            Some(t) => (t.offset, &t.abbrev),
            None => (0, "UTC"),
        }
    }
}

/// A zone's name for standard or daylight time and its offset, as glibc's `tzname[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneName {
    pub abbrev: String,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl TimeZone {
    /// glibc's `tzname[0]`/`tzname[1]` after `tzset()`: the most recent standard and
    /// daylight types of the transition table (a rule-only zone: its rule's names); without
    /// daylight time both are the standard one.
    pub fn standard_and_daylight(&self) -> (ZoneName, ZoneName) {
        let name = |t: &LocalType| ZoneName {
            abbrev: t.abbrev.clone(),
            offset: t.offset,
        };
        if self.transitions.is_empty() {
            if let Some(footer) = &self.footer {
                let std = name(&footer.std);
                let dst = footer
                    .dst
                    .as_ref()
                    .map(|d| name(&d.dst))
                    .unwrap_or(std.clone());
                return (std, dst);
            }
        }
        let mut found: [Option<&LocalType>; 2] = [None, None];
        for &i in self.transition_types.iter().rev() {
            let Some(t) = self.types.get(i as usize) else {
                continue;
            };
            let slot = &mut found[usize::from(t.is_dst)];
            if slot.is_none() {
                *slot = Some(t);
                if found.iter().all(Option::is_some) {
                    break;
                }
            }
        }
        let std = found[0]
            .or(self.types.first())
            .map(name)
            .unwrap_or(ZoneName {
                abbrev: "UTC".into(),
                offset: 0,
            });
        let dst = found[1].map(name).unwrap_or(std.clone());
        (std, dst)
    }

    /// glibc's `timezone == 0 && daylight == 0`: what systemd calls "in UTC".
    pub fn is_utc(&self) -> bool {
        let (std, dst) = self.standard_and_daylight();
        std.offset == 0 && dst.offset == 0
    }

    /// Local seconds since the epoch → UTC seconds, like glibc's `mktime()` with
    /// `tm_isdst = -1`: in an overlap the later (standard) reading, in a DST gap the offset
    /// from before the change (02:30 on a spring-forward night is 03:30 summer time).
    pub fn local_to_utc(&self, local: i64) -> i64 {
        let first = self.offset_at(local - self.offset_at(local).0 as i64).0;
        let utc = local - first as i64;
        if self.offset_at(utc).0 == first {
            return utc;
        }
        // A gap: neither offset reads back. Take the one in effect before it.
        let second = self.offset_at(utc).0;
        let earlier = (local - first as i64).min(local - second as i64);
        local - self.offset_at(earlier).0 as i64
    }
}

struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn block_len(&self, time_size: usize) -> usize {
        self.timecnt * time_size
            + self.timecnt
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (time_size + 4)
            + self.isstdcnt
            + self.isutcnt
    }
}

fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

fn parse_header(data: &[u8]) -> Option<(Header, &[u8])> {
    if data.get(..4)? != b"TZif" {
        return None;
    }
    let version = match *data.get(4)? {
        0 => 1,
        v @ b'2'..=b'9' => v - b'0',
        _ => return None,
    };
    let count = |i: usize| be32(data.get(20 + 4 * i..)?).map(|v| v as usize);
    let header = Header {
        version,
        isutcnt: count(0)?,
        isstdcnt: count(1)?,
        leapcnt: count(2)?,
        timecnt: count(3)?,
        typecnt: count(4)?,
        charcnt: count(5)?,
    };
    if header.typecnt == 0 {
        return None;
    }
    Some((header, data.get(44..)?))
}

fn parse_block(h: &Header, body: &[u8], time_size: usize) -> Option<TimeZone> {
    if body.len() < h.block_len(time_size) {
        return None;
    }
    let mut at = 0;
    let mut transitions = Vec::with_capacity(h.timecnt);
    for _ in 0..h.timecnt {
        let raw = &body[at..at + time_size];
        transitions.push(if time_size == 8 {
            i64::from_be_bytes(raw.try_into().ok()?)
        } else {
            i32::from_be_bytes(raw.try_into().ok()?) as i64
        });
        at += time_size;
    }
    let transition_types = body[at..at + h.timecnt].to_vec();
    at += h.timecnt;
    let type_bytes = &body[at..at + h.typecnt * 6];
    at += h.typecnt * 6;
    let chars = &body[at..at + h.charcnt];
    let types = type_bytes
        .chunks_exact(6)
        .map(|t| {
            let offset = be32(t).map(|v| v as i32)?;
            let start = chars.get(t[5] as usize..)?;
            let end = start.iter().position(|&b| b == 0).unwrap_or(start.len());
            Some(LocalType {
                offset,
                is_dst: t[4] != 0,
                abbrev: String::from_utf8_lossy(&start[..end]).into_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    if transition_types.iter().any(|&i| i as usize >= types.len()) {
        return None;
    }
    Some(TimeZone {
        transitions,
        transition_types,
        types,
        footer: None,
    })
}

fn parse_footer(text: &[u8]) -> Option<PosixTz> {
    let text = std::str::from_utf8(text).ok()?;
    let rule = text.strip_prefix('\n')?.split('\n').next()?;
    parse_posix(rule)
}

/// Parses a POSIX TZ rule (`std offset [dst [offset] [,start[/time],end[/time]]]`).
fn parse_posix(rule: &str) -> Option<PosixTz> {
    let mut p = Cursor { s: rule.as_bytes() };
    let std_name = p.zone_name()?;
    let std_offset = -p.offset()?;
    let std = LocalType {
        offset: std_offset,
        is_dst: false,
        abbrev: std_name,
    };
    if p.s.is_empty() {
        return Some(PosixTz { std, dst: None });
    }
    let dst_name = p.zone_name()?;
    let dst_offset = if p.s.first().is_some_and(|&c| c != b',') {
        -p.offset()?
    } else {
        std_offset + 3600
    };
    let dst = LocalType {
        offset: dst_offset,
        is_dst: true,
        abbrev: dst_name,
    };
    // Without rules POSIX leaves the dates to the implementation; glibc uses the US rules.
    let (start, end) = if p.s.is_empty() {
        (
            (
                RuleDay::MonthWeekDay {
                    month: 3,
                    week: 2,
                    weekday: 0,
                },
                7200,
            ),
            (
                RuleDay::MonthWeekDay {
                    month: 11,
                    week: 1,
                    weekday: 0,
                },
                7200,
            ),
        )
    } else {
        p.expect(b',')?;
        let start = p.rule()?;
        p.expect(b',')?;
        let end = p.rule()?;
        (start, end)
    };
    if !p.s.is_empty() {
        return None;
    }
    Some(PosixTz {
        std,
        dst: Some(DstRule { dst, start, end }),
    })
}

struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn expect(&mut self, c: u8) -> Option<()> {
        if self.s.first() == Some(&c) {
            self.s = &self.s[1..];
            Some(())
        } else {
            None
        }
    }

    fn zone_name(&mut self) -> Option<String> {
        let (name, rest) = if self.s.first() == Some(&b'<') {
            let end = self.s.iter().position(|&c| c == b'>')?;
            (&self.s[1..end], &self.s[end + 1..])
        } else {
            let end = self
                .s
                .iter()
                .position(|c| !c.is_ascii_alphabetic())
                .unwrap_or(self.s.len());
            (&self.s[..end], &self.s[end..])
        };
        if name.len() < 3 {
            return None;
        }
        self.s = rest;
        Some(String::from_utf8_lossy(name).into_owned())
    }

    fn number(&mut self) -> Option<i32> {
        let end = self
            .s
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(self.s.len());
        if end == 0 || end > 3 {
            return None;
        }
        let n = std::str::from_utf8(&self.s[..end]).ok()?.parse().ok()?;
        self.s = &self.s[end..];
        Some(n)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, POSIX sign (positive = west of Greenwich).
    fn offset(&mut self) -> Option<i32> {
        let sign = match self.s.first() {
            Some(b'-') => {
                self.s = &self.s[1..];
                -1
            }
            Some(b'+') => {
                self.s = &self.s[1..];
                1
            }
            _ => 1,
        };
        let mut secs = self.number()? * 3600;
        for unit in [60, 1] {
            if self.expect(b':').is_none() {
                break;
            }
            secs += self.number()? * unit;
        }
        Some(sign * secs)
    }

    fn rule(&mut self) -> Option<(RuleDay, i32)> {
        let day = match self.s.first()? {
            b'J' => {
                self.s = &self.s[1..];
                RuleDay::Julian1(self.number()? as u32)
            }
            b'M' => {
                self.s = &self.s[1..];
                let month = self.number()? as u32;
                self.expect(b'.')?;
                let week = self.number()? as u32;
                self.expect(b'.')?;
                let weekday = self.number()? as u32;
                if !(1..=12).contains(&month) || !(1..=5).contains(&week) || weekday > 6 {
                    return None;
                }
                RuleDay::MonthWeekDay {
                    month,
                    week,
                    weekday,
                }
            }
            _ => RuleDay::Julian0(self.number()? as u32),
        };
        let time = if self.expect(b'/').is_some() {
            self.offset()?
        } else {
            7200
        };
        Some((day, time))
    }
}

impl RuleDay {
    /// Days since the epoch of this rule's day in `year`.
    fn day_in(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            RuleDay::Julian1(n) => {
                let n = n.clamp(1, 365) as i64;
                jan1 + n - 1 + i64::from(is_leap(year) && n >= 60)
            }
            RuleDay::Julian0(n) => jan1 + n.min(365) as i64,
            RuleDay::MonthWeekDay {
                month,
                week,
                weekday,
            } => {
                let first = days_from_civil(year, month, 1);
                let first_weekday = (first + 4).rem_euclid(7);
                let mut day = first + (weekday as i64 - first_weekday).rem_euclid(7);
                day += 7 * (week as i64 - 1);
                let next_month = if month == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, month + 1, 1)
                };
                while day >= next_month {
                    day -= 7;
                }
                day
            }
        }
    }
}

impl PosixTz {
    fn local_type_at(&self, unix: i64) -> &LocalType {
        let Some(DstRule {
            dst,
            start: (start_day, start_time),
            end: (end_day, end_time),
        }) = &self.dst
        else {
            return &self.std;
        };
        let year = civil_from_days((unix + self.std.offset as i64).div_euclid(86_400)).0;
        // Changes happen at local time: the start in standard time, the end in DST.
        let start = start_day.day_in(year) * 86_400 + *start_time as i64 - self.std.offset as i64;
        let end = end_day.day_in(year) * 86_400 + *end_time as i64 - dst.offset as i64;
        let in_dst = if start < end {
            unix >= start && unix < end
        } else {
            // Southern hemisphere: DST spans the new year.
            !(unix >= end && unix < start)
        };
        if in_dst {
            dst
        } else {
            &self.std
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{format_timestamp, USEC_PER_SEC};

    const SAT_2026_11_21_201130: u64 = 1_795_291_890 * USEC_PER_SEC;
    const WED_2026_07_01_160000: u64 = 1_782_921_600 * USEC_PER_SEC;

    #[test]
    fn posix_rules_switch_dst() {
        let ny = TimeZone::from_posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(
            format_timestamp(SAT_2026_11_21_201130, &ny),
            "Sat 2026-11-21 15:11:30 EST"
        );
        assert_eq!(
            format_timestamp(WED_2026_07_01_160000, &ny),
            "Wed 2026-07-01 12:00:00 EDT"
        );
        // Sydney: DST across the new year, names in angle brackets.
        let syd = TimeZone::from_posix("<+10>-10<+11>,M10.1.0,M4.1.0/3").unwrap();
        assert_eq!(syd.offset_at(1_767_225_600), (39_600, "+11")); // 2026-01-01
        assert_eq!(syd.offset_at(1_782_921_600), (36_000, "+10")); // 2026-07-01
        let fixed = TimeZone::from_posix("JST-9").unwrap();
        assert_eq!(fixed.offset_at(0), (32_400, "JST"));
        assert!(TimeZone::from_posix("X").is_none());
        assert!(TimeZone::from_posix("EST5EDT,M13.1.0,M11.1.0").is_none());
    }

    /// Against the real zoneinfo database when the machine has one, and against what
    /// `TZ=America/New_York systemd-analyze timestamp @1795291890` prints.
    #[test]
    fn reads_tzif_files() {
        let path = Path::new(ZONEINFO).join("America/New_York");
        let Some(ny) = TimeZone::from_file(&path) else {
            eprintln!("no {path:?}: skipped");
            return;
        };
        assert_eq!(
            format_timestamp(SAT_2026_11_21_201130, &ny),
            "Sat 2026-11-21 15:11:30 EST"
        );
        assert_eq!(
            format_timestamp(WED_2026_07_01_160000, &ny),
            "Wed 2026-07-01 12:00:00 EDT"
        );
        // 1999 lies inside the transition table, before any footer rule applies.
        assert_eq!(ny.offset_at(930_830_400), (-14_400, "EDT"));
        let via_env = TimeZone::from_tz_env(Some(":America/New_York"), Path::new(ZONEINFO));
        assert_eq!(via_env, ny);
    }

    /// Differential: `systemd-analyze timestamp @SECS` under several zones is the oracle.
    #[test]
    fn agrees_with_systemd_analyze() {
        let oracle = Path::new("/usr/bin/systemd-analyze");
        if !oracle.exists() {
            eprintln!("no systemd-analyze: skipped");
            return;
        }
        let zones = [
            "America/New_York",
            "Europe/Berlin",
            "Australia/Sydney",
            "Asia/Kolkata",
            "America/St_Johns",
            "UTC",
        ];
        // 2000-01-01, a DST switch day in Europe (2026-03-29 01:30 UTC), 2026-11-21, 2040-06-15.
        let times: [u64; 4] = [946_684_800, 1_774_747_800, 1_795_291_890, 2_223_417_600];
        for zone in zones {
            let Some(tz) = TimeZone::from_file(&Path::new(ZONEINFO).join(zone)) else {
                continue;
            };
            for t in times {
                let out = std::process::Command::new(oracle)
                    .arg("timestamp")
                    .arg(format!("@{t}"))
                    .env("TZ", format!(":{zone}"))
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                let expected = text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Normalized form: "))
                    .unwrap_or_else(|| panic!("unexpected oracle output: {text}"));
                assert_eq!(
                    format_timestamp(t * USEC_PER_SEC, &tz),
                    expected,
                    "{zone} @{t}"
                );
            }
        }
    }

    #[test]
    fn tz_env_fallbacks() {
        let none = Path::new("/nonexistent");
        assert_eq!(TimeZone::from_tz_env(Some(""), none), TimeZone::utc());
        assert_eq!(
            TimeZone::from_tz_env(Some("../../etc/passwd"), none),
            TimeZone::utc()
        );
        assert_eq!(
            TimeZone::from_tz_env(Some("CET-1"), none).offset_at(0),
            (3600, "CET")
        );
        assert!(TimeZone::from_tzif(b"TZif2garbage").is_none());
        assert!(TimeZone::from_tzif(b"").is_none());
    }
}

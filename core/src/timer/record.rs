//! What a timer's supervisor records for `systemctl status/show/list-timers`: the timer
//! properties of systemd (`NextElapseUSecRealtime=`, `LastTriggerUSec=`, …) as extra
//! `Key=Value` lines of the unit's state file, after the lines every unit has
//! ([`UnitState`], whose reader ignores these keys). Raw µs; 0 means unset.
//!
//! Also the `Persistent=` stamp: an empty file whose mtime is the last trigger, where 252
//! keeps it (`/var/lib/systemd/timers/stamp-NAME.timer`; user scope:
//! `$XDG_DATA_HOME/systemd/timers/`).

use crate::scope::Scope;
use crate::state::boot::current_boot_id;
use crate::state::dir::write_atomic;
use crate::state::UnitState;
use crate::time::DualTimestamp;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerRecord {
    pub next_elapse_realtime: u64,
    pub next_elapse_monotonic: u64,
    pub last_trigger: DualTimestamp,
    /// Each value's last computed elapse, in the order of the unit's values.
    pub value_elapses: Vec<u64>,
}

impl TimerRecord {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "NextElapseUSecRealtime={}", self.next_elapse_realtime);
        let _ = writeln!(
            out,
            "NextElapseUSecMonotonic={}",
            self.next_elapse_monotonic
        );
        let _ = writeln!(out, "LastTriggerUSec={}", self.last_trigger.realtime);
        let _ = writeln!(
            out,
            "LastTriggerUSecMonotonic={}",
            self.last_trigger.monotonic
        );
        let elapses: Vec<String> = self.value_elapses.iter().map(u64::to_string).collect();
        let _ = writeln!(out, "TimerValueElapses={}", elapses.join(" "));
        out
    }

    /// The timer lines of a state file's text; other lines and bad values are skipped.
    pub fn parse(text: &str) -> TimerRecord {
        let mut r = TimerRecord::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let num = || value.parse::<u64>().unwrap_or(0);
            match key {
                "NextElapseUSecRealtime" => r.next_elapse_realtime = num(),
                "NextElapseUSecMonotonic" => r.next_elapse_monotonic = num(),
                "LastTriggerUSec" => r.last_trigger.realtime = num(),
                "LastTriggerUSecMonotonic" => r.last_trigger.monotonic = num(),
                "TimerValueElapses" => {
                    r.value_elapses = value
                        .split_whitespace()
                        .map(|v| v.parse().unwrap_or(0))
                        .collect()
                }
                _ => {}
            }
        }
        r
    }

    /// The record in a state file of this boot (a missing or old file: the default).
    pub fn read(path: &Path) -> TimerRecord {
        let Ok(text) = std::fs::read_to_string(path) else {
            return TimerRecord::default();
        };
        let boot = text
            .lines()
            .find_map(|l| l.strip_prefix("Boot="))
            .unwrap_or_default();
        if !boot.is_empty() && boot != current_boot_id() {
            return TimerRecord::default();
        }
        TimerRecord::parse(&text)
    }
}

/// Writes the unit's state and the timer's record into its state file, atomically.
pub fn write(path: &Path, state: &UnitState, record: &TimerRecord) -> crate::Result<()> {
    let mut state = state.clone();
    if state.boot.is_empty() {
        state.boot = current_boot_id().to_string();
    }
    let text = state.to_text() + &record.to_text();
    write_atomic(path, text.as_bytes())
}

/// The logical path of a timer's `Persistent=` stamp.
pub fn stamp_path(scope: &Scope, timer: &str) -> PathBuf {
    let dir = if scope.is_system() {
        PathBuf::from("/var/lib/systemd/timers")
    } else {
        scope.xdg.data_home.join("systemd/timers")
    };
    dir.join(format!("stamp-{timer}"))
}

/// The stamp's mtime (µs since the epoch), if the stamp exists.
pub fn read_stamp(host_path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(host_path).ok()?.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(since.as_micros() as u64)
}

/// `touch_file()`: creates the stamp (and its directory), and sets its mtime to `at` (µs)
/// unless `None` (a new stamp of a timer that never ran keeps the time of its creation).
pub fn touch_stamp(host_path: &Path, at: Option<u64>) -> std::io::Result<()> {
    if let Some(dir) = host_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(host_path)?;
    if let Some(us) = at {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_micros(us);
        file.set_times(
            std::fs::FileTimes::new()
                .set_modified(time)
                .set_accessed(time),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_after_the_unit_state() {
        let r = TimerRecord {
            next_elapse_realtime: 5,
            next_elapse_monotonic: 6,
            last_trigger: DualTimestamp {
                realtime: 7,
                monotonic: 8,
            },
            value_elapses: vec![1, 2],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.timer.state");
        let mut state = UnitState::default();
        state.sub_state = crate::state::SubState::Waiting;
        write(&path, &state, &r).unwrap();
        assert_eq!(TimerRecord::read(&path), r);
        assert_eq!(UnitState::read(&path).sub_state, state.sub_state);
    }

    #[test]
    fn stamps_carry_the_last_trigger_in_their_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = dir.path().join("timers/stamp-a.timer");
        assert_eq!(read_stamp(&stamp), None);
        touch_stamp(&stamp, Some(1_700_000_000_123_456)).unwrap();
        assert_eq!(read_stamp(&stamp), Some(1_700_000_000_123_456));
    }
}

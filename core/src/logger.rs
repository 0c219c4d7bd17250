//! The one logger of every unitbox process (the `log` crate's facade, installed once).
//!
//! A command (systemctl, journalctl, …) prints warnings on its stderr, plain as systemd's
//! tools print them. A supervisor diverts them into its unit's journal (identifier
//! `systemd`, as systemd's manager logs about a unit) and, under a unitbox PID 1, onto the
//! console copy, where systemd 252 would show them. `SYSTEMD_LOG_LEVEL` sets the level as
//! it does for systemd's tools (default: warnings and worse).

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::Mutex;

/// Where records go instead of stderr: `(syslog priority, message)`.
pub type Sink = Box<dyn FnMut(u8, &str) + Send>;

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

struct Logger;

static LOGGER: Logger = Logger;

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if let Ok(mut sink) = SINK.lock() {
            if let Some(sink) = sink.as_mut() {
                sink(priority(record.level()), &message);
                return;
            }
        }
        let _ = writeln!(std::io::stderr().lock(), "{message}");
    }

    fn flush(&self) {}
}

/// The syslog priority systemd records for a level.
fn priority(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// systemd's log level names (and numbers) as `SYSTEMD_LOG_LEVEL` takes them.
fn parse_level(text: &str) -> Option<LevelFilter> {
    Some(match text.trim() {
        "emerg" | "alert" | "crit" | "err" | "0" | "1" | "2" | "3" => LevelFilter::Error,
        "warning" | "4" => LevelFilter::Warn,
        "notice" | "info" | "5" | "6" => LevelFilter::Info,
        "debug" | "7" => LevelFilter::Debug,
        _ => return None,
    })
}

/// Installs the logger (once per process; later calls do nothing).
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        let level = std::env::var("SYSTEMD_LOG_LEVEL")
            .ok()
            .and_then(|l| parse_level(&l))
            .unwrap_or(LevelFilter::Warn);
        log::set_max_level(level);
    }
}

/// Sends every later record to `sink` instead of stderr.
pub fn divert(sink: Sink) {
    if let Ok(mut slot) = SINK.lock() {
        *slot = Some(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_as_systemd_names_them() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level("warning"), Some(LevelFilter::Warn));
        assert_eq!(parse_level("err"), Some(LevelFilter::Error));
        assert_eq!(parse_level("6"), Some(LevelFilter::Info));
        assert_eq!(parse_level("loud"), None);
        assert_eq!(priority(Level::Warn), 4);
    }
}

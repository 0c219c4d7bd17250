//! The `systemd-analyze` applet (lite): the offline verbs of systemd-analyze(1) — `calendar`,
//! `timespan`, `timestamp` over core's one time model, `condition` over core's condition
//! module, `verify` over core's unit loader — printed exactly as systemd 252 prints them.
//!
//! `cli` reads the options and the verb, `time` prints timespan and timestamp, `calendar`
//! the calendar verb, `verify` the verify verb.

mod calendar;
mod cli;
mod condition;
mod time;
mod verify;

use cli::{Action, Verb};
use std::ffi::OsString;

/// Runs `systemd-analyze` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let (verb, operands, options) = match cli::parse(args) {
        Ok(Action::Run(verb, operands, options)) => (verb, operands, options),
        Ok(Action::Exit(code)) => return code,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let now = unitbox_core::time::now_realtime_us();
    let tz = unitbox_core::time::TimeZone::local();
    let mut out = std::io::stdout().lock();
    let result = match verb {
        Verb::Calendar => calendar::calendar(&operands, &options, now, tz, &mut out),
        Verb::Timespan => time::timespan(&operands, &mut out),
        Verb::Timestamp => time::timestamp(&operands, now, tz, &mut out),
        Verb::Condition => Ok(condition::condition(&operands, options.user)),
        Verb::Verify => Ok(verify::verify(&operands, &options)),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("Failed to write output: {e}");
            1
        }
    }
}

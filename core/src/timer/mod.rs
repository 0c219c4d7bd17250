//! `.timer` units as systemd 252 runs them (systemd.timer(5)), without a daemon:
//!
//! - [`config`]: the `[Timer]` section (values, accuracy, random delay, `Persistent=`, …),
//!   its warnings and the refusal of a timer without values.
//! - [`schedule`]: the next elapse (`timer_enter_waiting()` as a pure function), the
//!   random delay, and the coalescing of wake-ups within `AccuracySec=`.
//! - [`record`]: what the supervisor records in the state file for `status`/`show`/
//!   `list-timers`, and the `Persistent=` stamps.
//! - [`supervise`]: the timer's own supervisor process, which sleeps until the elapse and
//!   starts the unit through the transaction machinery.
//! - [`booted`]: `/run/systemd/system`, which tells cron fallbacks that timers run.

pub mod booted;
pub mod config;
pub mod record;
pub mod schedule;
pub mod supervise;

pub use config::{TimerBase, TimerConfig, TimerValue};
pub use record::TimerRecord;

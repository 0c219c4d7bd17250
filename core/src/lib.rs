//! unitbox-core: everything the applets share.
//!
//! - [`unit`]: reading unit files exactly as systemd does (syntax, drop-ins, templates,
//!   aliases, masks, specifiers, environment files).
//! - [`scope`]: which directories a scope (system, user, global, capsule) searches, and where
//!   its writes and state go; [`root`] maps those paths into a `--root` directory.
//! - [`users`]: `/etc/passwd` and `/etc/group` read directly (no NSS in a scratch image);
//!   [`uid_filter`] is the one rule deciding which system units a user-mode manager may run.
//! - [`install`]: the `[Install]` side: enable, disable, mask, presets, unit file states.
//! - [`state`]: the per-scope runtime state directory, unit state files, locks, liveness;
//!   [`journal`] is the log store the supervisors write and journalctl reads.
//! - [`time`]: the one time model: spans, timestamps, calendar events, time zones.
//! - [`timer`]: `.timer` units: configuration, next elapse, the timer's supervisor.
//! - [`socket`]: `.socket` units: configuration, listeners, the socket's supervisor, the
//!   service's side of socket activation.
//! - [`path_unit`]: `.path` units: configuration and the path unit's inotify supervisor.
//! - [`capsule`]: `capsule@NAME.service` and `--capsule=NAME`.

pub mod arch;
pub mod capsule;
pub mod condition;
pub mod dirent;
pub mod error;
pub mod exec;
pub mod generator;
pub mod getopt;
pub mod glob;
pub mod host;
pub mod init;
pub mod install;
pub mod journal;
pub mod json;
pub mod logger;
pub mod manager;
pub mod path_unit;
pub mod root;
pub mod scope;
pub mod select;
pub mod service;
pub mod socket;
pub mod state;
pub mod supervisor;
pub mod sys;
pub mod time;
pub mod timer;
pub mod tmpfiles;
pub mod uid_filter;
pub mod unit;
pub mod users;
pub mod version;

pub use error::{Error, Result};

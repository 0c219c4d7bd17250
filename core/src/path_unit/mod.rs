//! `.path` units as systemd 252 runs them (systemd.path(5)), without a daemon and without
//! polling:
//!
//! - [`config`]: the `[Path]` section, its warnings and the refusal of a path unit without
//!   a path setting.
//! - [`supervise`]: the path unit's own supervisor process, which watches with inotify
//!   and starts `Unit=` through the transaction machinery.

pub mod config;
pub mod supervise;

pub use config::{PathConfig, PathKind, PathSpec};

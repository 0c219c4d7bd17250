//! Services: the typed `[Service]` configuration ([`config::ServiceConfig`]) and its value
//! types ([`types`]). The load state (`bad-setting`) is decided by `unit::validate`; this
//! module only reads values.

pub mod config;
pub mod types;

pub use config::ServiceConfig;

//! The per-unit supervisor (see ARCHITECTURE.md): one process per started service that
//! runs its commands, watches its processes as their child subreaper, answers control
//! requests, writes its state and journal, and restarts it as `Restart=` asks.
//!
//! - [`protocol`]: the start report and the control requests.

pub mod protocol;

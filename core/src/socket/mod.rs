//! `.socket` units as systemd 252 runs them (systemd.socket(5)), without a daemon:
//!
//! - [`address`]: what a `Listen*=` value names, parsed and printed as 252 does.
//! - [`config`]: the `[Socket]` section, its warnings and the refusal of a socket without
//!   `Listen*=`.
//! - [`listen`]: opening the listeners with their options; `RemoveOnStop=`.
//! - [`supervise`]: the socket's own supervisor process, which holds the descriptors,
//!   starts the service on the first activity and hands the descriptors over.
//! - [`accept`]: `Accept=yes`, one service instance per connection.
//! - [`activation`]: the service's side: which sockets it gets descriptors from, and the
//!   `LISTEN_FDS`/`LISTEN_FDNAMES` it is given.
//! - [`record`]: the counters a socket records for `status`/`show`.

pub mod accept;
pub mod activation;
pub mod address;
pub mod config;
pub mod listen;
pub mod record;
pub mod supervise;

pub use address::{Listen, ListenKind};
pub use config::SocketConfig;

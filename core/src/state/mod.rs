//! Runtime state of a scope: where it lives ([`dir`]), what a unit's state file holds
//! ([`unit_state`]), the operation and liveness locks ([`lock`]), recognising leftovers of a
//! previous boot ([`boot`]). Times live in [`crate::time`].

pub mod boot;
pub mod dir;
pub mod escape;
pub mod lock;
pub mod unit_state;
pub mod words;

pub use dir::{SocketAddress, StateDir, UnitPaths};
pub use unit_state::{ActiveState, ExitCode, SubState, UnitResult, UnitState};

//! Jobs: which units a start or stop request involves (the transaction), in which order
//! they may run (waves of units that can go in parallel), and whether their conditions
//! hold.

pub mod executor;
pub mod isolate;
pub mod job_text;
pub mod runtime;
pub mod skip;
pub mod transaction;
pub mod transient;

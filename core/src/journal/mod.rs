//! The journal store: one append-only text file per unit in `<state dir>/journal/`, written
//! by the unit's supervisor ([`writer`]) and read, merged and followed by journalctl
//! ([`reader`]). [`record`] is the line format; [`format`] prints records as journalctl's
//! one-line output modes.

pub mod cursor;
pub mod format;
pub mod reader;
pub mod record;
pub mod sequence;
pub mod writer;

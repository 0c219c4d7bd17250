//! The journal store: one append-only text file per unit in `<state dir>/journal/` (volatile,
//! or persistent under `/var/log/journal` as [`storage`] decides), written
//! by the unit's supervisor ([`writer`]) and read, merged and followed by journalctl
//! ([`reader`]). [`record`] is the line format; [`format`] prints records as journalctl's
//! one-line output modes; [`sequence`] orders the records of a directory and [`cursor`]
//! names them; [`server`] is journald, the receivers of the journal's sockets, and
//! [`stream_client`] the client side of its stream socket (`sd_journal_stream_fd()`).

pub mod cursor;
pub mod format;
pub mod reader;
pub mod record;
pub mod sequence;
pub mod server;
pub mod storage;
pub mod stream_client;
pub mod vacuum;
pub mod writer;

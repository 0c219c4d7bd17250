//! What a socket's supervisor records for `status`/`show`: `NAccepted=`, `NConnections=`
//! and `NRefused=` as extra lines of the unit's state file (the [`UnitState`] reader ignores
//! them), as the timer's record does.

use crate::state::boot::current_boot_id;
use crate::state::dir::write_atomic;
use crate::state::UnitState;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketRecord {
    pub n_accepted: u32,
    pub n_connections: u32,
    pub n_refused: u32,
}

impl SocketRecord {
    pub fn to_text(&self) -> String {
        format!(
            "NAccepted={}\nNConnections={}\nNRefused={}\n",
            self.n_accepted, self.n_connections, self.n_refused
        )
    }

    pub fn parse(text: &str) -> SocketRecord {
        let mut r = SocketRecord::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let n = value.parse().unwrap_or(0);
            match key {
                "NAccepted" => r.n_accepted = n,
                "NConnections" => r.n_connections = n,
                "NRefused" => r.n_refused = n,
                _ => {}
            }
        }
        r
    }

    /// The record of this boot's state file (a missing or old file: zeros).
    pub fn read(path: &Path) -> SocketRecord {
        let Ok(text) = std::fs::read_to_string(path) else {
            return SocketRecord::default();
        };
        let boot = text
            .lines()
            .find_map(|l| l.strip_prefix("Boot="))
            .unwrap_or_default();
        if !boot.is_empty() && boot != current_boot_id() {
            return SocketRecord::default();
        }
        SocketRecord::parse(&text)
    }
}

/// Writes the unit's state and the socket's record, atomically.
pub fn write(path: &Path, state: &UnitState, record: &SocketRecord) -> crate::Result<()> {
    let mut state = state.clone();
    if state.boot.is_empty() {
        state.boot = current_boot_id().to_string();
    }
    let text = state.to_text() + &record.to_text();
    write_atomic(path, text.as_bytes())
}

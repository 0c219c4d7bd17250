//! The journal lines under a status block: the last `-n` records of the unit, those of its
//! current activation only (systemd's `not_before` = InactiveExitTimestampMonotonic), in
//! journalctl's one-line formats (`-o`, [`unitbox_core::journal::format`]).

use unitbox_core::journal::reader::Query;
use unitbox_core::journal::record::Record;
use unitbox_core::state::boot::current_boot_id;

/// The newest `lines` records of `unit`, without those from before `not_before` (monotonic
/// µs of this boot; 0 keeps all), oldest first. A unit without a journal has none.
pub fn unit_records(
    journal_dir: &std::path::Path,
    unit: &str,
    lines: usize,
    not_before: u64,
) -> Vec<Record> {
    if lines == 0 {
        return Vec::new();
    }
    let query = Query {
        units: vec![unit.to_string()],
        ..Query::default()
    };
    let records = match query.tail(journal_dir, lines) {
        Ok(r) => r,
        Err(e) => {
            log::warn!("Failed to read the journal of {unit}: {e}");
            return Vec::new();
        }
    };
    let boot = current_boot_id();
    records
        .into_iter()
        .filter(|r| not_before == 0 || (r.boot_id == boot && r.monotonic >= not_before))
        .collect()
}

//! Cursors: a record's identity as journalctl prints it (`__CURSOR=`, `--show-cursor`) and
//! takes it back (`--cursor=`, `--after-cursor=`, `--cursor-file=`), in systemd's shape
//!
//! ```text
//! s=SEQNUM_ID;i=SEQNUM;b=BOOT_ID;m=MONOTONIC;t=REALTIME;x=HASH   (numbers in hex)
//! ```
//!
//! The sequence number orders every record of a journal directory (see
//! [`super::sequence`]), so "after this cursor" is exact: every record numbered above it,
//! in every file, also after rotations. Records of format 1 (number 0) and cursors of
//! another sequence (the directory was recreated) fall back to the realtime stamp.

use super::record::Record;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub seqnum_id: String,
    pub seq: u64,
    pub boot_id: String,
    pub monotonic: u64,
    pub realtime: u64,
    pub hash: u64,
}

/// The `x=` of a record: FNV-1a over its unit and message.
fn record_hash(r: &Record) -> u64 {
    r.unit
        .bytes()
        .chain(r.message.iter().copied())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

impl Cursor {
    /// The cursor of `r` in the directory whose sequence id is `seqnum_id`.
    pub fn of(r: &Record, seqnum_id: &str) -> Cursor {
        Cursor {
            seqnum_id: seqnum_id.to_string(),
            seq: r.seq,
            boot_id: r.boot_id.clone(),
            monotonic: r.monotonic,
            realtime: r.realtime,
            hash: record_hash(r),
        }
    }

    /// Parses a cursor; fields may come in any order and unknown ones are ignored, as
    /// systemd does, but it must name a position (`i=` or `t=`).
    pub fn parse(text: &str) -> Option<Cursor> {
        let mut c = Cursor {
            seqnum_id: String::new(),
            seq: 0,
            boot_id: String::new(),
            monotonic: 0,
            realtime: 0,
            hash: 0,
        };
        let (mut has_seq, mut has_time) = (false, false);
        for part in text.trim().split(';') {
            let (key, value) = part.split_once('=')?;
            let hex = || u64::from_str_radix(value, 16).ok();
            match key {
                "s" => c.seqnum_id = value.to_string(),
                "i" => {
                    c.seq = hex()?;
                    has_seq = true;
                }
                "b" => c.boot_id = value.to_string(),
                "m" => c.monotonic = hex()?,
                "t" => {
                    c.realtime = hex()?;
                    has_time = true;
                }
                "x" => c.hash = hex()?,
                _ => {}
            }
        }
        (has_seq || has_time).then_some(c)
    }

    /// Whether `r` is this cursor's record.
    pub fn names(&self, r: &Record, seqnum_id: &str) -> bool {
        if self.seq != 0 && self.seqnum_id == seqnum_id {
            return r.seq == self.seq;
        }
        r.realtime == self.realtime && r.boot_id == self.boot_id && record_hash(r) == self.hash
    }

    /// Whether `r` comes after this cursor's record in the journal's order.
    pub fn precedes(&self, r: &Record, seqnum_id: &str) -> bool {
        let same_sequence = self.seqnum_id == seqnum_id && !seqnum_id.is_empty();
        match (self.seq, r.seq) {
            (0, 0) => (r.realtime, record_hash(r)) > (self.realtime, self.hash),
            (0, _) if same_sequence => true,
            (_, 0) if same_sequence => false,
            (a, b) if same_sequence => b > a,
            _ => r.realtime > self.realtime,
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "s={};i={:x};b={};m={:x};t={:x};x={:x}",
            self.seqnum_id, self.seq, self.boot_id, self.monotonic, self.realtime, self.hash
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Stream;

    fn record(seq: u64, realtime: u64) -> Record {
        Record {
            seq,
            realtime,
            monotonic: 5,
            boot_id: "b".repeat(32),
            priority: 6,
            stream: Stream::Stdout,
            pid: 1,
            uid: None,
            unit: "a.service".into(),
            identifier: "a".into(),
            invocation_id: String::new(),
            message: format!("m{seq}").into_bytes(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn prints_parses_and_orders() {
        let id = "1".repeat(32);
        let c = Cursor::of(&record(0x2a, 0x1000), &id);
        let text = c.to_string();
        assert!(text.starts_with(&format!("s={id};i=2a;b=")), "{text}");
        assert_eq!(Cursor::parse(&text), Some(c.clone()));
        assert!(c.names(&record(0x2a, 7), &id));
        assert!(c.precedes(&record(0x2b, 1), &id), "numbers win over clocks");
        assert!(!c.precedes(&record(0x2a, 0x1000), &id));
        assert!(
            !c.precedes(&record(0, 0x5000), &id),
            "format 1 records are older"
        );
        // Another sequence (a recreated directory): by time.
        assert!(c.precedes(&record(1, 0x1001), &"2".repeat(32)));
        assert!(!c.precedes(&record(99, 0x0fff), &"2".repeat(32)));
        assert_eq!(Cursor::parse("garbage"), None);
        assert_eq!(Cursor::parse("s=abc"), None);
        assert_eq!(Cursor::parse("i=zz"), None);
        assert_eq!(Cursor::parse("t=10;q=1").map(|c| c.realtime), Some(16));
    }
}

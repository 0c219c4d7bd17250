//! One journal record and its line in a `NAME.journal` file (format 2):
//!
//! ```text
//! @SEQ REALTIME MONOTONIC BOOT PRIORITY STREAM PID UID UNIT IDENTIFIER INVOCATION N F1 … FN MESSAGE\n
//! @17 1795291890123456 5000123 0b7c…e1 6 stdout 42 1000 foo.service foo 3f2a…9c 0 Hello, world
//! ```
//!
//! `@SEQ` is the record's sequence number in its journal directory (see
//! [`super::sequence`]): unique, increasing in the order records were appended, whichever
//! file they went to — the record's identity for cursors. Then ten space-separated columns
//! (escaped so they hold no spaces; `-` means empty), the number N of extra fields and N
//! `KEY=VALUE` words (the native protocol's and syslog's fields, trusted `_COMM=`, …), then
//! the message to the end of the line. Every byte that could break the line — `\n`,
//! control bytes, invalid UTF-8 — is escaped (see [`crate::state::escape`]), so a record is
//! always exactly one line and binary values come back byte for byte.
//!
//! Format 1 lines (no `@SEQ`, no fields: `REALTIME … INVOCATION MESSAGE`) are still read;
//! their sequence number is 0 (they sort before every numbered record, by time).

use crate::state::escape::{escape_into, unescape};

/// Which channel a message came through (`_TRANSPORT`-like).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
    /// `sd_notify()` traffic worth logging (STATUS=, errors).
    Notify,
    /// Messages of the manager about the unit ("Started foo.service.").
    Manager,
    /// A datagram on `/dev/log` (`_TRANSPORT=syslog`).
    Syslog,
    /// The native protocol on `/run/systemd/journal/socket` (`_TRANSPORT=journal`).
    Native,
    /// A stream on `/run/systemd/journal/stdout` (`_TRANSPORT=stdout`).
    StdoutStream,
    /// journald's own messages ("Suppressed N messages …", `_TRANSPORT=driver`).
    Driver,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Notify => "notify",
            Stream::Manager => "manager",
            Stream::Syslog => "syslog",
            Stream::Native => "journal",
            Stream::StdoutStream => "stream",
            Stream::Driver => "driver",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "stdout" => Stream::Stdout,
            "stderr" => Stream::Stderr,
            "notify" => Stream::Notify,
            "manager" => Stream::Manager,
            "syslog" => Stream::Syslog,
            "journal" => Stream::Native,
            "stream" => Stream::StdoutStream,
            "driver" => Stream::Driver,
            _ => return None,
        })
    }

    /// journald's `_TRANSPORT=` for records of this stream.
    pub fn transport(self) -> &'static str {
        match self {
            Stream::Stdout | Stream::Stderr | Stream::StdoutStream => "stdout",
            Stream::Notify | Stream::Manager | Stream::Native => "journal",
            Stream::Syslog => "syslog",
            Stream::Driver => "driver",
        }
    }
}

/// syslog priorities, as journalctl `-p` names them.
pub const PRIORITY_NAMES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// `info`: systemd's default `SyslogLevel=`, for stdout and stderr alike.
pub const DEFAULT_PRIORITY: u8 = 6;

/// A priority from a name (`err`) or a number (`3`).
pub fn parse_priority(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (n <= 7).then_some(n);
    }
    PRIORITY_NAMES
        .iter()
        .position(|&n| n == text)
        .map(|p| p as u8)
}

/// Who wrote the messages of one stream: everything a record has besides its time, priority
/// and text. The supervisor builds one per pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub boot_id: String,
    pub stream: Stream,
    pub pid: u32,
    pub uid: Option<u32>,
    pub unit: String,
    /// SyslogIdentifier=, else the command's name.
    pub identifier: String,
    pub invocation_id: String,
}

/// Extra fields of a record: `(KEY, VALUE)`, in the order they came.
pub type Fields = Vec<(String, Vec<u8>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The sequence number in the journal directory; 0 for records of format 1.
    pub seq: u64,
    /// µs since the epoch.
    pub realtime: u64,
    /// µs of CLOCK_MONOTONIC (valid within `boot_id`).
    pub monotonic: u64,
    pub boot_id: String,
    /// 0 (emerg) … 7 (debug).
    pub priority: u8,
    pub stream: Stream,
    /// 0 if unknown.
    pub pid: u32,
    pub uid: Option<u32>,
    pub unit: String,
    pub identifier: String,
    pub invocation_id: String,
    pub message: Vec<u8>,
    /// Fields beyond the columns (see the module documentation).
    pub fields: Fields,
}

const FIELDS_BEFORE_MESSAGE: usize = 10;

/// The marker that starts a format 2 line.
const FORMAT2: u8 = b'@';

fn push_field(out: &mut Vec<u8>, value: &[u8]) {
    if value.is_empty() {
        out.push(b'-');
    } else {
        escape_into(out, value, true);
    }
    out.push(b' ');
}

fn push_number(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.push(b' ');
}

/// Appends the line of a record made of its parts (no `Record` needed on the hot path).
#[allow(clippy::too_many_arguments)]
pub fn encode_into(
    out: &mut Vec<u8>,
    seq: u64,
    realtime: u64,
    monotonic: u64,
    priority: u8,
    source: &Source,
    fields: &[(String, Vec<u8>)],
    message: &[u8],
) {
    out.push(FORMAT2);
    push_number(out, seq);
    push_number(out, realtime);
    push_number(out, monotonic);
    push_field(out, source.boot_id.as_bytes());
    push_number(out, priority.min(7) as u64);
    push_field(out, source.stream.as_str().as_bytes());
    push_number(out, source.pid as u64);
    match source.uid {
        Some(uid) => push_number(out, uid as u64),
        None => push_field(out, b""),
    }
    push_field(out, source.unit.as_bytes());
    push_field(out, source.identifier.as_bytes());
    push_field(out, source.invocation_id.as_bytes());
    push_number(out, fields.len() as u64);
    for (key, value) in fields {
        let mut word = Vec::with_capacity(key.len() + value.len() + 1);
        word.extend_from_slice(key.as_bytes());
        word.push(b'=');
        word.extend_from_slice(value);
        push_field(out, &word);
    }
    escape_into(out, message, false);
    out.push(b'\n');
}

impl Record {
    pub fn source(&self) -> Source {
        Source {
            boot_id: self.boot_id.clone(),
            stream: self.stream,
            pid: self.pid,
            uid: self.uid,
            unit: self.unit.clone(),
            identifier: self.identifier.clone(),
            invocation_id: self.invocation_id.clone(),
        }
    }

    /// The record's line, including the final `\n`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.message.len() + 128);
        encode_into(
            &mut out,
            self.seq,
            self.realtime,
            self.monotonic,
            self.priority,
            &self.source(),
            &self.fields,
            &self.message,
        );
        out
    }

    /// The value of an extra field.
    pub fn field(&self, key: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// Parses one line (with or without its `\n`); `None` for a damaged line, which readers
    /// skip.
    pub fn decode(line: &[u8]) -> Option<Record> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let (seq, v2, mut rest) = match line.strip_prefix(&[FORMAT2]) {
            Some(v2) => {
                let (seq, rest) = split_word(v2)?;
                (std::str::from_utf8(seq).ok()?.parse().ok()?, true, rest)
            }
            None => (0, false, line),
        };
        let mut words = Vec::with_capacity(FIELDS_BEFORE_MESSAGE);
        for _ in 0..FIELDS_BEFORE_MESSAGE {
            let (word, tail) = split_word(rest)?;
            words.push(word);
            rest = tail;
        }
        let mut fields = Vec::new();
        if v2 {
            let (count, tail) = split_word(rest)?;
            rest = tail;
            let count: usize = std::str::from_utf8(count).ok()?.parse().ok()?;
            for _ in 0..count {
                let (word, tail) = split_word(rest)?;
                rest = tail;
                let word = unescape(word);
                let eq = word.iter().position(|&b| b == b'=')?;
                let key = String::from_utf8(word[..eq].to_vec()).ok()?;
                fields.push((key, word[eq + 1..].to_vec()));
            }
        }
        let mut parts = words.into_iter();
        let mut field = || -> Option<String> {
            let raw = parts.next()?;
            if raw == b"-" {
                return Some(String::new());
            }
            String::from_utf8(unescape(raw)).ok()
        };
        let realtime = field()?.parse().ok()?;
        let monotonic = field()?.parse().ok()?;
        let boot_id = field()?;
        let priority: u8 = field()?.parse().ok()?;
        let stream = Stream::parse(&field()?)?;
        let pid = field()?.parse().ok()?;
        let uid = match field()?.as_str() {
            "" => None,
            n => Some(n.parse().ok()?),
        };
        let unit = field()?;
        let identifier = field()?;
        let invocation_id = field()?;
        let message = unescape(rest);
        if priority > 7 {
            return None;
        }
        Some(Record {
            seq,
            realtime,
            monotonic,
            boot_id,
            priority,
            stream,
            pid,
            uid,
            unit,
            identifier,
            invocation_id,
            message,
            fields,
        })
    }

    /// The message as text, invalid UTF-8 replaced (for output formats that need text).
    pub fn message_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.message)
    }
}

/// The first space-separated word and the rest after the space (a last word without a
/// space is not a word: the message always follows).
fn split_word(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = text.iter().position(|&b| b == b' ')?;
    Some((&text[..space], &text[space + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(message: &[u8]) -> Record {
        Record {
            seq: 17,
            fields: Vec::new(),
            realtime: 1_795_291_890_123_456,
            monotonic: 5_000_123,
            boot_id: "0123456789abcdef0123456789abcdef".into(),
            priority: 6,
            stream: Stream::Stdout,
            pid: 42,
            uid: Some(1000),
            unit: "foo.service".into(),
            identifier: "my daemon".into(),
            invocation_id: String::new(),
            message: message.to_vec(),
        }
    }

    #[test]
    fn encodes_one_readable_line() {
        let line = sample(b"Hello, world").encode();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "@17 1795291890123456 5000123 0123456789abcdef0123456789abcdef 6 stdout 42 1000 \
             foo.service my\\x20daemon - 0 Hello, world\n"
        );
    }

    #[test]
    fn format_1_lines_still_read() {
        let line = b"1795291890123456 5000123 0123456789abcdef0123456789abcdef 6 stdout 42 1000 \
             foo.service my\\x20daemon - Hello, world\n";
        let mut expected = sample(b"Hello, world");
        expected.seq = 0;
        assert_eq!(Record::decode(line), Some(expected));
    }

    #[test]
    fn extra_fields_round_trip() {
        let mut r = sample(b"multi\nline");
        r.stream = Stream::Native;
        r.fields = vec![
            ("CODE_FILE".into(), b"a b.c".to_vec()),
            ("BINARY".into(), b"x\ny=z\0 -".to_vec()),
            ("EMPTY".into(), Vec::new()),
            ("DASH".into(), b"-".to_vec()),
        ];
        let line = r.encode();
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(Record::decode(&line), Some(r.clone()));
        assert_eq!(r.field("BINARY"), Some(&b"x\ny=z\0 -"[..]));
        r.seq = 0;
        assert_eq!(Record::decode(&r.encode()), Some(r));
    }

    #[test]
    fn round_trips_awkward_records() {
        let mut r = sample(b"two\nlines, \\ backslash, \xff\xfe binary\0, tab\t, trailing space ");
        assert_eq!(Record::decode(&r.encode()), Some(r.clone()));
        r.message.clear();
        r.uid = None;
        r.identifier = "-".into();
        r.stream = Stream::Manager;
        let line = r.encode();
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(Record::decode(&line), Some(r));
    }

    #[test]
    fn damaged_lines_are_rejected() {
        assert_eq!(Record::decode(b""), None);
        assert_eq!(Record::decode(b"garbage"), None);
        assert_eq!(Record::decode(b"1 2 b 9 stdout 1 - u i - msg"), None);
        assert_eq!(Record::decode(b"1 2 b 6 sideways 1 - u i - msg"), None);
        assert!(Record::decode(b"1 2 b 6 stdout 1 - u i - msg").is_some());
    }

    #[test]
    fn priorities_by_name_or_number() {
        assert_eq!(parse_priority("err"), Some(3));
        assert_eq!(parse_priority("7"), Some(7));
        assert_eq!(parse_priority("8"), None);
        assert_eq!(parse_priority("loud"), None);
    }
}

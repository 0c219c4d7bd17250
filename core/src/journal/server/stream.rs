//! `/run/systemd/journal/stdout`: the stream protocol of `systemd-cat`,
//! `sd_journal_stream_fd()` and services with `StandardOutput=journal` under systemd. A
//! client connects, sends seven header lines — identifier, unit id, priority, level prefix,
//! forward to syslog, to kmsg, to console — and then its output, split into messages as
//! service output is ([`LineSplitter`]). A bad header closes the stream, as journald does.

use crate::journal::writer::LineSplitter;
// journald reads the header's flags with parse_boolean(), case-insensitive as this one.
use crate::unit::value::parse_bool;

const HEADER_LINES: usize = 7;
/// A header line longer than this is an error (journald's `LINE_MAX`).
const HEADER_LINE_MAX: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub identifier: String,
    pub unit_id: String,
    /// As sent: may carry a facility (`30` = daemon.info), 0–999.
    pub priority: u32,
    pub level_prefix: bool,
    pub forward_to_console: bool,
}

/// One connection's parser.
pub struct StreamParser {
    header: Header,
    lines_seen: usize,
    pending: Vec<u8>,
    splitter: Option<LineSplitter>,
    line_max: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHeader;

impl StreamParser {
    pub fn new(line_max: usize) -> Self {
        StreamParser {
            header: Header::default(),
            lines_seen: 0,
            pending: Vec::new(),
            splitter: None,
            line_max,
        }
    }

    pub fn header(&self) -> Option<&Header> {
        self.splitter.as_ref().map(|_| &self.header)
    }

    fn header_line(&mut self, line: &[u8]) -> Result<(), BadHeader> {
        let text = std::str::from_utf8(line).map_err(|_| BadHeader)?;
        match self.lines_seen {
            0 => self.header.identifier = text.to_string(),
            1 => self.header.unit_id = text.to_string(),
            2 => {
                self.header.priority = text.parse().map_err(|_| BadHeader)?;
                if self.header.priority > 999 {
                    return Err(BadHeader);
                }
            }
            3 => self.header.level_prefix = parse_bool(text).ok_or(BadHeader)?,
            4 | 5 => {
                parse_bool(text).ok_or(BadHeader)?;
            }
            _ => self.header.forward_to_console = parse_bool(text).ok_or(BadHeader)?,
        }
        self.lines_seen += 1;
        if self.lines_seen == HEADER_LINES {
            self.splitter = Some(LineSplitter::new(
                self.line_max,
                self.header.level_prefix,
                (self.header.priority & 7) as u8,
            ));
        }
        Ok(())
    }

    /// Feeds bytes; `emit(header, level, message)` for every message.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        emit: &mut dyn FnMut(&Header, u8, &[u8]),
    ) -> Result<(), BadHeader> {
        while self.splitter.is_none() {
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                self.pending.extend_from_slice(data);
                if self.pending.len() > HEADER_LINE_MAX {
                    return Err(BadHeader);
                }
                return Ok(());
            };
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&data[..nl]);
            data = &data[nl + 1..];
            if line.len() > HEADER_LINE_MAX {
                return Err(BadHeader);
            }
            self.header_line(&line)?;
        }
        let header = &self.header;
        if let Some(s) = &mut self.splitter {
            s.feed(data, &mut |l, m| emit(header, l, m));
        }
        Ok(())
    }

    /// The client closed: a last line without a newline is still a message.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&Header, u8, &[u8])) {
        let header = &self.header;
        if let Some(s) = &mut self.splitter {
            s.finish(&mut |l, m| emit(header, l, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_lines() {
        let mut p = StreamParser::new(1024);
        let mut got = Vec::new();
        let mut emit =
            |_: &Header, l: u8, m: &[u8]| got.push((l, String::from_utf8_lossy(m).into_owned()));
        p.feed(b"myid\n\n", &mut emit).unwrap();
        assert!(p.header().is_none());
        p.feed(b"5\n1\n0\n0\n0\nhello\n<3>bad\npart", &mut emit)
            .unwrap();
        p.finish(&mut emit);
        assert_eq!(p.header().unwrap().identifier, "myid");
        assert_eq!(
            got,
            [(5, "hello".into()), (3, "bad".into()), (5, "part".into())]
        );
        let mut p = StreamParser::new(1024);
        assert_eq!(p.feed(b"id\n\nloud\n", &mut |_, _, _| {}), Err(BadHeader));
        let mut p = StreamParser::new(1024);
        assert!(p
            .feed(b"id\nu\n30\n0\n0\n0\n1\n", &mut |_, _, _| {})
            .is_ok());
        assert_eq!(p.header().unwrap().priority, 30);
        assert!(p.header().unwrap().forward_to_console);
        // parse_boolean() is case-insensitive.
        let mut p = StreamParser::new(1024);
        p.feed(
            b"id

6
YES
Off
no
True
",
            &mut |_, _, _| {},
        )
        .unwrap();
        assert!(p.header().unwrap().level_prefix && p.header().unwrap().forward_to_console);
    }
}

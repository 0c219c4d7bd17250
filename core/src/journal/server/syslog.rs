//! `/dev/log` datagrams, as journald 252 parses them (`journald-syslog.c`): `<PRI>` (facility
//! and level; LOG_USER|LOG_INFO without one), then for RFC 3164 an optional `Mmm dd
//! hh:mm:ss ` timestamp (kept in `SYSLOG_TIMESTAMP=`, trailing space included) and the
//! `identifier[pid]: ` tag; trailing whitespace is stripped from the message. RFC 5424
//! (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`), which journald 252 leaves unparsed in
//! MESSAGE, is parsed into the same fields plus `SYSLOG_MSGID=` and
//! `SYSLOG_STRUCTURED_DATA=`.

use crate::journal::record::Fields;

/// LOG_USER | LOG_INFO: a datagram without `<PRI>`.
const DEFAULT_PRIORITY: u32 = (1 << 3) | 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syslog {
    /// 0–7.
    pub level: u8,
    pub identifier: String,
    /// SYSLOG_FACILITY, SYSLOG_PID, SYSLOG_TIMESTAMP, … in journald's order.
    pub fields: Fields,
    pub message: Vec<u8>,
}

/// `syslog_parse_priority()` with the facility: `<N>`, one to three digits.
fn parse_pri(p: &[u8]) -> Option<(u32, &[u8])> {
    if p.first() != Some(&b'<') {
        return None;
    }
    let end = p.iter().take(5).position(|&b| b == b'>')?;
    let digits = &p[1..end];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u32, |n, &d| n * 10 + (d - b'0') as u32);
    Some((n, &p[end + 1..]))
}

/// `syslog_skip_timestamp()`: "Mmm dd hh:mm:ss " (16 bytes), else 0.
fn timestamp_len(p: &[u8]) -> usize {
    const PATTERN: &[u8; 16] = b"LLL SN SN:SN:SN ";
    if p.len() < PATTERN.len() {
        return 0;
    }
    let ok = PATTERN.iter().zip(p).all(|(&want, &c)| match want {
        b'L' => c.is_ascii_alphabetic(),
        b' ' => c == b' ',
        b'N' => c.is_ascii_digit(),
        b'S' => c == b' ' || c.is_ascii_digit(),
        b':' => c == b':',
        _ => false,
    });
    if ok {
        PATTERN.len()
    } else {
        0
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `syslog_parse_identifier()`: `ident[pid]: ` → (identifier, pid, rest).
fn parse_tag(p: &[u8]) -> (Option<String>, Option<String>, &[u8]) {
    let start = p.iter().position(|&b| !is_space(b)).unwrap_or(p.len());
    let q = &p[start..];
    let l = q.iter().position(|&b| is_space(b)).unwrap_or(q.len());
    if l == 0 || q[l - 1] != b':' {
        return (None, None, p);
    }
    let mut end = l - 1;
    let mut pid = None;
    if end > 0 && q[end - 1] == b']' {
        if let Some(open) = q[..end - 1].iter().rposition(|&b| b == b'[') {
            if open + 1 < end - 1 {
                pid = Some(String::from_utf8_lossy(&q[open + 1..end - 1]).into_owned());
            }
            end = open;
        }
    }
    let identifier = String::from_utf8_lossy(&q[..end]).into_owned();
    let mut rest = l;
    if q.get(rest).is_some_and(|&b| is_space(b)) {
        rest += 1;
    }
    (Some(identifier), pid, &q[rest..])
}

fn strip_trailing_space(mut m: &[u8]) -> &[u8] {
    while let [rest @ .., last] = m {
        if is_space(*last) {
            m = rest;
        } else {
            break;
        }
    }
    m
}

/// One word of an RFC 5424 header; `-` is the nil value.
fn word(p: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let end = p.iter().position(|&b| b == b' ')?;
    let w = &p[..end];
    Some(((w != b"-").then_some(w), &p[end + 1..]))
}

/// STRUCTURED-DATA: `-` or `[id k="v" …]…` (with `\"`, `\]`, `\\` escapes in values).
fn structured_data(p: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    if let Some(rest) = p.strip_prefix(b"-") {
        return Some((None, rest.strip_prefix(b" ").unwrap_or(rest)));
    }
    let mut i = 0;
    while p.get(i) == Some(&b'[') {
        let mut in_value = false;
        i += 1;
        loop {
            match *p.get(i)? {
                b'\\' if in_value => i += 1,
                b'"' => in_value = !in_value,
                b']' if !in_value => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let rest = &p[i..];
    Some((Some(&p[..i]), rest.strip_prefix(b" ").unwrap_or(rest)))
}

fn text(b: &[u8]) -> Vec<u8> {
    b.to_vec()
}

fn rfc5424(p: &[u8], fields: &mut Fields) -> Option<(Option<String>, Vec<u8>)> {
    let p = p.strip_prefix(b"1 ")?;
    let (timestamp, p) = word(p)?;
    let (_host, p) = word(p)?;
    let (app, p) = word(p)?;
    let (procid, p) = word(p)?;
    let (msgid, p) = word(p)?;
    let (sd, p) = structured_data(p)?;
    if let Some(pid) = procid {
        fields.push(("SYSLOG_PID".into(), text(pid)));
    }
    if let Some(ts) = timestamp {
        fields.push(("SYSLOG_TIMESTAMP".into(), text(ts)));
    }
    if let Some(m) = msgid {
        fields.push(("SYSLOG_MSGID".into(), text(m)));
    }
    if let Some(sd) = sd {
        fields.push(("SYSLOG_STRUCTURED_DATA".into(), text(sd)));
    }
    let message = p.strip_prefix("\u{feff}".as_bytes()).unwrap_or(p);
    Some((
        app.map(|a| String::from_utf8_lossy(a).into_owned()),
        strip_trailing_space(message).to_vec(),
    ))
}

pub fn parse(datagram: &[u8]) -> Syslog {
    let (priority, p) = parse_pri(datagram).unwrap_or((DEFAULT_PRIORITY, datagram));
    let mut fields = Fields::new();
    let facility = priority >> 3;
    if facility != 0 {
        fields.push(("SYSLOG_FACILITY".into(), facility.to_string().into_bytes()));
    }
    let level = (priority & 7) as u8;
    let mut extra = Fields::new();
    if let Some((identifier, message)) = rfc5424(p, &mut extra) {
        if let Some(id) = &identifier {
            fields.push(("SYSLOG_IDENTIFIER".into(), id.clone().into_bytes()));
        }
        fields.extend(extra);
        return Syslog {
            level,
            identifier: identifier.unwrap_or_default(),
            fields,
            message,
        };
    }
    let ts = timestamp_len(p);
    let (timestamp, p) = (&p[..ts], &p[ts..]);
    let (identifier, pid, p) = parse_tag(p);
    if let Some(id) = identifier.as_ref().filter(|i| !i.is_empty()) {
        fields.push(("SYSLOG_IDENTIFIER".into(), id.clone().into_bytes()));
    }
    if let Some(pid) = pid {
        fields.push(("SYSLOG_PID".into(), pid.into_bytes()));
    }
    if !timestamp.is_empty() {
        fields.push(("SYSLOG_TIMESTAMP".into(), timestamp.to_vec()));
    }
    Syslog {
        level,
        identifier: identifier.unwrap_or_default(),
        fields,
        message: strip_trailing_space(p).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(s: &'a Syslog, key: &str) -> Option<&'a str> {
        s.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn rfc3164_as_journald() {
        let s = parse(b"<38>Dec  3 06:16:09 sshd[123]: Accepted publickey for root\n");
        assert_eq!((s.level, s.identifier.as_str()), (6, "sshd"));
        assert_eq!(field(&s, "SYSLOG_FACILITY"), Some("4"));
        assert_eq!(field(&s, "SYSLOG_PID"), Some("123"));
        assert_eq!(field(&s, "SYSLOG_TIMESTAMP"), Some("Dec  3 06:16:09 "));
        assert_eq!(s.message, b"Accepted publickey for root");
        // No PRI: user.info; no tag: no identifier; `<3>`: facility kern (no field).
        let s = parse(b"just text");
        assert_eq!((s.level, field(&s, "SYSLOG_FACILITY")), (6, Some("1")));
        assert_eq!(
            (s.identifier.as_str(), s.message.as_slice()),
            ("", &b"just text"[..])
        );
        let s = parse(b"<3>cron: job done");
        assert_eq!((s.level, field(&s, "SYSLOG_FACILITY")), (3, None));
        assert_eq!(s.identifier, "cron");
        assert_eq!(s.message, b"job done");
        let s = parse(b"<13>postfix/smtpd[9]:   spaced  ");
        assert_eq!(
            (s.identifier.as_str(), field(&s, "SYSLOG_PID")),
            ("postfix/smtpd", Some("9"))
        );
        assert_eq!(s.message, b"  spaced");
    }

    #[test]
    fn rfc5424_parsed() {
        let s = parse(
            b"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog 77 ID47 \
              [exampleSDID@32473 iut=\"3\" eventSource=\"App\\]x\"] \xef\xbb\xbfAn application event",
        );
        assert_eq!((s.level, s.identifier.as_str()), (5, "evntslog"));
        assert_eq!(field(&s, "SYSLOG_FACILITY"), Some("20"));
        assert_eq!(field(&s, "SYSLOG_PID"), Some("77"));
        assert_eq!(
            field(&s, "SYSLOG_TIMESTAMP"),
            Some("2003-10-11T22:14:15.003Z")
        );
        assert_eq!(field(&s, "SYSLOG_MSGID"), Some("ID47"));
        assert!(field(&s, "SYSLOG_STRUCTURED_DATA")
            .unwrap()
            .ends_with("App\\]x\"]"));
        assert_eq!(s.message, b"An application event");
        let s = parse(b"<13>1 - - tag - - - hello");
        assert_eq!(
            (s.identifier.as_str(), s.message.as_slice()),
            ("tag", &b"hello"[..])
        );
        assert_eq!(field(&s, "SYSLOG_PID"), None);
    }
}

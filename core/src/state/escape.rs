//! Escaping arbitrary bytes into one line of text, shared by the state files (StatusText can
//! hold anything a service sends) and the journal store (messages may be binary). Valid UTF-8
//! stays readable; `\`, line breaks, control bytes and invalid UTF-8 become escapes, so one
//! value can never span two lines and the original bytes always come back exactly.

/// Appends `bytes` escaped to `out`. With `escape_space`, spaces and tabs are escaped too, for
/// values in space-separated positions; a value that is exactly `-` is escaped so that `-`
/// can mean "empty" in those positions.
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8], escape_space: bool) {
    if escape_space && bytes == b"-" {
        out.extend_from_slice(b"\\x2d");
        return;
    }
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        let mut plain_start = 0;
        for (i, &b) in valid.iter().enumerate() {
            let needs_escape = b == b'\\'
                || b == 0x7f
                || (b < 0x20 && (b != b'\t' || escape_space))
                || (b == b' ' && escape_space);
            if !needs_escape {
                continue;
            }
            out.extend_from_slice(&valid[plain_start..i]);
            plain_start = i + 1;
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                _ => push_hex(out, b),
            }
        }
        out.extend_from_slice(&valid[plain_start..]);
        for &b in chunk.invalid() {
            push_hex(out, b);
        }
    }
}

pub fn escape(bytes: &[u8], escape_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    escape_into(&mut out, bytes, escape_space);
    out
}

/// Escapes text for a `Key=Value` line; the result is always valid UTF-8.
pub fn escape_str(text: &str) -> String {
    String::from_utf8_lossy(&escape(text.as_bytes(), false)).into_owned()
}

fn push_hex(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

/// Reverses [`escape_into`]. Tolerant: a backslash that starts no known escape is kept as is,
/// so a hand-edited or damaged file still reads.
pub fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match text.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'n') => {
                out.push(b'\n');
                i += 2;
            }
            Some(b'x') => match (text.get(i + 2).and_then(hex), text.get(i + 3).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 4;
                }
                _ => {
                    out.push(b'\\');
                    i += 1;
                }
            },
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    out
}

fn hex(b: &u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_arbitrary_bytes_on_one_line() {
        let samples: Vec<Vec<u8>> = vec![
            b"plain text".to_vec(),
            b"back\\slash and \\x41 literal".to_vec(),
            b"two\nlines\r\n".to_vec(),
            vec![0, 1, 0x7f, 0xff, 0xfe, b'a', 0xc3],
            "grüße ✓".as_bytes().to_vec(),
            b"tab\there".to_vec(),
            b"-".to_vec(),
            Vec::new(),
        ];
        for s in samples {
            for space in [false, true] {
                let e = escape(&s, space);
                assert!(!e.contains(&b'\n'), "{e:?}");
                assert!(std::str::from_utf8(&e).is_ok());
                if space {
                    assert!(!e.contains(&b' ') && !e.contains(&b'\t'));
                }
                assert_eq!(unescape(&e), s, "{:?}", String::from_utf8_lossy(&e));
            }
        }
    }

    #[test]
    fn keeps_utf8_readable() {
        assert_eq!(escape("grüße ✓".as_bytes(), false), "grüße ✓".as_bytes());
        assert_eq!(escape(b"a b", true), b"a\\x20b");
        assert_eq!(escape(&[0xff], false), b"\\xff");
        assert_eq!(escape(b"-", true), b"\\x2d");
        assert_eq!(escape(b"-", false), b"-");
    }

    #[test]
    fn unescape_tolerates_damage() {
        assert_eq!(unescape(b"a\\qb\\x4"), b"a\\qb\\x4");
        assert_eq!(unescape(b"end\\"), b"end\\");
    }
}

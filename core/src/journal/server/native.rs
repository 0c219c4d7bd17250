//! The native protocol (`sd_journal_send()`, `logger --journald`, the journald loggers of
//! Go, Python, Rust, Java): one datagram per entry, made of fields, each either
//! `KEY=value\n` or, for values that may hold a newline, `KEY\n` + the value's length as
//! 64-bit little-endian + the value + `\n`. Entries too big for a datagram come as a
//! memfd passed with `SCM_RIGHTS` and an empty datagram. Parsed as journald 252's
//! `server_process_native_message()`: empty lines separate nothing, lines starting with `.`
//! or `#` are ignored, invalid field names (and the trusted `_…` ones) are dropped, a
//! damaged binary field ends the entry with what came before it.

use crate::journal::record::Fields;

/// journald's `ENTRY_FIELD_COUNT_MAX`.
pub const FIELD_COUNT_MAX: usize = 1024;

/// `journal_field_valid()` without protected names: 1–64 of `A-Z0-9_`, no leading digit
/// or `_`.
pub fn field_name_valid(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name[0].is_ascii_digit()
        && name[0] != b'_'
        && name
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The fields of one entry, in the order they came.
pub fn parse(data: &[u8]) -> Fields {
    let mut fields = Fields::new();
    let mut p = data;
    while !p.is_empty() && fields.len() < FIELD_COUNT_MAX {
        let Some(e) = p.iter().position(|&b| b == b'\n') else {
            // A last field without its newline: journald ignores it too.
            break;
        };
        let line = &p[..e];
        if line.is_empty() || line[0] == b'.' || line[0] == b'#' {
            p = &p[e + 1..];
            continue;
        }
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            if field_name_valid(&line[..eq]) {
                if let Ok(key) = std::str::from_utf8(&line[..eq]) {
                    fields.push((key.to_string(), line[eq + 1..].to_vec()));
                }
            }
            p = &p[e + 1..];
            continue;
        }
        // Binary form: KEY\n, u64 LE length, value, \n.
        let rest = &p[e + 1..];
        let Some(len_bytes) = rest.get(..8) else {
            break;
        };
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap_or([0; 8]));
        let Ok(len) = usize::try_from(len) else {
            break;
        };
        let Some(value) = rest.get(8..).and_then(|r| r.get(..len)) else {
            break;
        };
        if rest.get(8 + len) != Some(&b'\n') {
            break;
        }
        if field_name_valid(line) {
            if let Ok(key) = std::str::from_utf8(line) {
                fields.push((key.to_string(), value.to_vec()));
            }
        }
        p = &rest[8 + len + 1..];
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(key: &str, value: &[u8]) -> Vec<u8> {
        let mut out = key.as_bytes().to_vec();
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value);
        out.push(b'\n');
        out
    }

    #[test]
    fn text_and_binary_fields() {
        let mut data =
            b"MESSAGE=hello\nPRIORITY=3\n\n# comment\n_PID=1\nlower=x\nCODE_LINE=7\n".to_vec();
        data.extend(binary("MULTI", b"two\nlines=\0"));
        data.extend(b"TAIL=ok\n");
        let f = parse(&data);
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["MESSAGE", "PRIORITY", "CODE_LINE", "MULTI", "TAIL"]);
        assert_eq!(f[3].1, b"two\nlines=\0");
        // A binary field whose length runs past the end ends the entry.
        let mut bad = b"A=1\nB\n".to_vec();
        bad.extend_from_slice(&100u64.to_le_bytes());
        bad.extend_from_slice(b"short\n");
        assert_eq!(parse(&bad).len(), 1);
        assert_eq!(parse(b"NO_NEWLINE=x").len(), 0);
        assert!(field_name_valid(b"SYSLOG_IDENTIFIER"));
        assert!(!field_name_valid(b"9X") && !field_name_valid(&[b'A'; 65]));
    }
}

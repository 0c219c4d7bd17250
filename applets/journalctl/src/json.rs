//! journalctl's JSON: every field value is a string; a value that is not valid UTF-8 is an
//! array of its bytes; an over-long value is `null` unless `--all` (systemd's
//! `JSON_THRESHOLD`).

/// Values longer than this become `null` without `--all`.
pub const JSON_THRESHOLD: usize = 4096;

/// Appends `text` as a JSON string literal.
pub fn push_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Appends a field value: a string, an array of byte numbers, or `null`.
pub fn push_value(out: &mut Vec<u8>, value: &[u8], all: bool) {
    if !all && value.len() > JSON_THRESHOLD {
        out.extend_from_slice(b"null");
        return;
    }
    match std::str::from_utf8(value) {
        Ok(text) => push_string(out, text),
        Err(_) => {
            out.push(b'[');
            for (i, b) in value.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b.to_string().as_bytes());
            }
            out.push(b']');
        }
    }
}

/// One object from (name, value) pairs: compact on one line, or systemd's pretty layout
/// (a tab per level, `"KEY" : value`).
pub fn object(fields: &[(&str, Vec<u8>)], pretty: bool, all: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.push(b'{');
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if pretty {
            out.extend_from_slice(b"\n\t");
        }
        push_string(&mut out, name);
        out.extend_from_slice(if pretty { b" : " } else { b":" });
        push_value(&mut out, value, all);
    }
    if pretty {
        out.push(b'\n');
    }
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(fields: &[(&str, Vec<u8>)], pretty: bool) -> String {
        String::from_utf8(object(fields, pretty, false)).unwrap()
    }

    #[test]
    fn escapes_and_binary() {
        let fields = vec![
            ("MESSAGE", b"say \"hi\"\\\n\x01\x7f \xc3\xa4".to_vec()),
            ("BIN", vec![0xff, 0x00, 0x41]),
            ("BIG", vec![b'x'; JSON_THRESHOLD + 1]),
        ];
        assert_eq!(
            text(&fields, false),
            "{\"MESSAGE\":\"say \\\"hi\\\"\\\\\\n\\u0001\\u007f \u{e4}\",\"BIN\":[255,0,65],\"BIG\":null}"
        );
        assert!(String::from_utf8(object(&fields, false, true))
            .unwrap()
            .contains(&"x".repeat(JSON_THRESHOLD + 1)));
        assert_eq!(
            text(&[("A", b"1".to_vec()), ("B", b"2".to_vec())], true),
            "{\n\t\"A\" : \"1\",\n\t\"B\" : \"2\"\n}"
        );
    }
}

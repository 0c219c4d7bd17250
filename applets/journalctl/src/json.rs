//! journalctl's JSON: every field value is a string; a value that is not valid UTF-8 is an
//! array of its bytes; an over-long value is `null` unless `--all` (systemd's
//! `JSON_THRESHOLD`).

use unitbox_core::json::Json;

/// Values longer than this become `null` without `--all`.
pub const JSON_THRESHOLD: usize = 4096;

/// A field value: a string, an array of byte numbers when it is not UTF-8, or `null` when
/// it is too long.
fn value(bytes: &[u8], all: bool) -> Json {
    if !all && bytes.len() > JSON_THRESHOLD {
        return Json::Null;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Json::String(text.to_string()),
        Err(_) => Json::Array(bytes.iter().map(|&b| Json::Number(b.into())).collect()),
    }
}

/// One object from (name, value) pairs: compact on one line, or systemd's pretty layout.
pub fn object<S: AsRef<str>>(fields: &[(S, Vec<u8>)], pretty: bool, all: bool) -> Vec<u8> {
    let object = Json::Object(
        fields
            .iter()
            .map(|(name, bytes)| (name.as_ref().to_string(), value(bytes, all)))
            .collect(),
    );
    let text = if pretty {
        object.to_pretty()
    } else {
        object.to_compact()
    };
    text.into_bytes()
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

//! Just enough JSON for systemd's outputs (`systemctl -o json`, `journalctl -o json`), in
//! the layouts of systemd's `json_variant_dump()`: compact on one line, or pretty with a tab
//! per level and `" : "` between key and value.

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Number(u64),
    String(String),
    Array(Vec<Json>),
    /// Keys keep their insertion order, as systemd's tables keep column order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Compact form, one line (`-o json`).
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false, 0);
        out
    }

    /// `-o json-pretty`.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true, 0);
        out
    }

    fn write(&self, out: &mut String, pretty: bool, depth: usize) {
        let newline = |out: &mut String, depth: usize| {
            if pretty {
                out.push('\n');
                out.extend(std::iter::repeat_n('\t', depth));
            }
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, pretty, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Json::Object(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    write_string(out, key);
                    out.push_str(if pretty { " : " } else { ":" });
                    value.write(out, pretty, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

/// Writes a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, …
/// or `\u00XX`; everything else (UTF-8 included) verbatim.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_layouts() {
        let v = Json::Array(vec![Json::Object(vec![
            ("unit".into(), Json::String("a\"b\\c\nd\u{1}\u{7f}é".into())),
            ("sub".into(), Json::String("dead".into())),
            ("preset".into(), Json::Null),
            ("bytes".into(), Json::Array(vec![Json::Number(255)])),
        ])]);
        assert_eq!(
            v.to_compact(),
            r#"[{"unit":"a\"b\\c\nd\u0001\u007fé","sub":"dead","preset":null,"bytes":[255]}]"#
        );
        let pretty = Json::Object(vec![("a".into(), Json::Array(vec![]))]).to_pretty();
        assert_eq!(pretty, "{\n\t\"a\" : []\n}");
        assert_eq!(Json::Array(vec![]).to_compact(), "[]");
        let nested = Json::Array(vec![Json::Object(vec![(
            "unit_file".into(),
            Json::String("a.service".into()),
        )])]);
        assert_eq!(
            nested.to_pretty(),
            "[\n\t{\n\t\t\"unit_file\" : \"a.service\"\n\t}\n]"
        );
    }
}

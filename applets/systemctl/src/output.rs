//! Output helpers shared by the verbs: column tables as systemd's `format-table` prints them,
//! a small JSON writer for `--output=json`, and the terminal width.

use std::io::IsTerminal;

/// Formats rows into left-aligned columns separated by one space, like systemd's table
/// printer; the last column is not padded.
pub fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; ncols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count();
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// The width to ellipsize to, or `None` for "never": systemd ellipsizes to the terminal;
/// unitbox leaves piped output whole so scripts never see a truncated name.
pub fn terminal_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(cols);
    }
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ only writes into the winsize struct we pass.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    Some(if ok && ws.ws_col > 0 {
        ws.ws_col as usize
    } else {
        80
    })
}

/// Shortens `text` to `width` characters with a trailing `…`, as systemd's `ellipsize()`
/// does for the last column.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A JSON value, just enough for systemd's table-as-JSON output.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    String(String),
    Array(Vec<Json>),
    /// Keys keep their insertion order, as systemd's tables keep column order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Compact form, one line (`--output=json`).
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None, 0);
        out
    }

    /// systemd's `json-pretty` layout: eight-space indentation, `" : "` between key and
    /// value.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(8), 0);
        out
    }

    fn write(&self, out: &mut String, indent: Option<usize>, depth: usize) {
        let newline = |out: &mut String, depth: usize| {
            if let Some(step) = indent {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', step * depth));
            }
        };
        match self {
            Json::String(s) => write_json_string(out, s),
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
                    item.write(out, indent, depth + 1);
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
                    write_json_string(out, key);
                    out.push_str(if indent.is_some() { " : " } else { ":" });
                    value.write(out, indent, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

/// Writes a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, …
/// or `\u00XX`; everything else (UTF-8 included) verbatim.
fn write_json_string(out: &mut String, s: &str) {
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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
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
    fn columns_pad_all_but_the_last() {
        let rows = vec![
            vec!["A".to_string(), "BB".into(), "C".into()],
            vec!["AAA".to_string(), "B".into(), "".into()],
        ];
        assert_eq!(columns(&rows), ["A   BB C", "AAA B"]);
    }

    #[test]
    fn json_escapes_and_layouts() {
        let v = Json::Array(vec![Json::Object(vec![
            ("unit".into(), Json::String("a\"b\\c\nd\u{1}é".into())),
            ("sub".into(), Json::String("dead".into())),
        ])]);
        assert_eq!(
            v.to_compact(),
            r#"[{"unit":"a\"b\\c\nd\u0001é","sub":"dead"}]"#
        );
        let pretty = Json::Object(vec![("a".into(), Json::Array(vec![]))]).to_pretty();
        assert_eq!(pretty, "{\n        \"a\" : []\n}");
        assert_eq!(Json::Array(vec![]).to_compact(), "[]");
    }

    #[test]
    fn ellipsizes_with_one_glyph() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
    }
}

//! Output helpers shared by the verbs: column tables as systemd's `format-table` prints them
//! and the terminal width (JSON is [`unitbox_core::json`]).

use std::io::IsTerminal;
use std::os::fd::AsFd;

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
    let cols = unitbox_core::sys::window_size(stdout.as_fd()).map_or(0, |ws| ws.ws_col);
    Some(if cols > 0 { cols as usize } else { 80 })
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
    fn ellipsizes_with_one_glyph() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
    }
}

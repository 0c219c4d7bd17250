//! The unit file syntax (systemd.syntax(7)): sections, `Key=Value`, whole-line `#`/`;`
//! comments, backslash continuation. Problems never reject a file: they become diagnostics
//! with file and line, and the line is skipped, as systemd does — except a broken section
//! header, which makes systemd give up on the file ("Bad message").

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// systemd's `LONG_LINE_MAX`: a longer line (or continued line) fails the whole file.
pub const LONG_LINE_MAX: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    pub file: Arc<PathBuf>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    /// A problem with the setting `entry`, reported at its file and line.
    pub fn at(entry: &Entry, message: String) -> Diagnostic {
        Diagnostic {
            file: entry.file.to_path_buf(),
            line: entry.line,
            message,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every section header with its line (for unknown-section warnings).
    pub sections: Vec<(String, usize)>,
    /// The logical path the file was parsed as.
    pub path: PathBuf,
    /// Set when systemd would refuse the whole file (errno text, e.g. "Bad message").
    pub fatal: Option<String>,
}

/// Parses the text of one file (fragment or drop-in). `path` is the logical path used in
/// diagnostics and in `Entry::file`.
pub fn parse(text: &str, path: &Path) -> (Vec<Entry>, Vec<Diagnostic>) {
    let parsed = parse_bytes(text.as_bytes(), path);
    (parsed.entries, parsed.diagnostics)
}

/// Splits like systemd's `read_line()`: `\n`, `\r`, `\r\n`, `\n\r` and NUL end a line.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' || b == b'\r' || b == 0 {
            lines.push(&bytes[start..i]);
            let pair = match (b, bytes.get(i + 1)) {
                (b'\n', Some(b'\r')) | (b'\r', Some(b'\n')) => 2,
                _ => 1,
            };
            i += pair;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// Parses raw file content; invalid UTF-8 is replaced rather than rejected, so binary junk
/// still yields per-line diagnostics.
pub fn parse_bytes(bytes: &[u8], path: &Path) -> ParsedFile {
    let mut state = State {
        file: Arc::new(path.to_path_buf()),
        section: None,
        out: ParsedFile {
            path: path.to_path_buf(),
            ..ParsedFile::default()
        },
    };
    let mut continuation: Option<(String, usize)> = None;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let lines = split_lines(bytes);
    for (idx, raw) in lines.iter().enumerate() {
        let lineno = idx + 1;
        if raw.len() > LONG_LINE_MAX {
            return state.fatal(lineno, "Line too long", "No buffer space available");
        }
        let line = String::from_utf8_lossy(raw);
        if line.trim_start().starts_with(['#', ';']) {
            continue;
        }
        let joined = match continuation.take() {
            Some((mut c, _)) => {
                if c.len() + line.len() > LONG_LINE_MAX {
                    return state.fatal(
                        lineno,
                        "Continuation line too long",
                        "No buffer space available",
                    );
                }
                c.push_str(&line);
                c
            }
            None => line.into_owned(),
        };
        // systemd replaces an unescaped trailing backslash by a space and appends the next
        // raw line (comment lines in between are skipped).
        if ends_with_unescaped_backslash(&joined) {
            let mut joined = joined;
            joined.pop();
            joined.push(' ');
            continuation = Some((joined, lineno));
            continue;
        }
        if state.line(&joined, lineno).is_err() {
            return state.out;
        }
    }
    if let Some((rest, _)) = continuation {
        // A file ending inside a continuation still yields its last assignment.
        let _ = state.line(&rest, lines.len() + 1);
    }
    state.out
}

struct State {
    file: Arc<PathBuf>,
    section: Option<String>,
    out: ParsedFile,
}

/// The file must be abandoned (systemd's `config_parse()` returned an error).
struct Fatal;

impl State {
    fn diag(&mut self, line: usize, message: String) {
        self.out.diagnostics.push(Diagnostic {
            file: self.file.to_path_buf(),
            line,
            message,
        });
    }

    fn fatal(mut self, line: usize, message: &str, errno_text: &str) -> ParsedFile {
        self.diag(line, message.to_string());
        self.out.fatal = Some(errno_text.to_string());
        self.out
    }

    fn line(&mut self, joined: &str, lineno: usize) -> Result<(), Fatal> {
        let l = joined.trim();
        if l.is_empty() {
            return Ok(());
        }
        if let Some(rest) = l.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                self.diag(lineno, format!("Invalid section header '{l}'"));
                self.out.fatal = Some("Bad message".into());
                return Err(Fatal);
            };
            if !is_safe(name) {
                self.diag(lineno, format!("Bad characters in section header '{l}'"));
                self.out.fatal = Some("Bad message".into());
                return Err(Fatal);
            }
            self.section = Some(name.to_string());
            self.out.sections.push((name.to_string(), lineno));
            return Ok(());
        }
        let Some(section) = self.section.clone() else {
            self.diag(lineno, "Assignment outside of section. Ignoring.".into());
            return Ok(());
        };
        let Some((key, value)) = l.split_once('=') else {
            self.diag(lineno, "Missing '=', ignoring line.".into());
            return Ok(());
        };
        let key = key.trim();
        if key.is_empty() {
            self.diag(lineno, "Missing key name before '=', ignoring line.".into());
            return Ok(());
        }
        self.out.entries.push(Entry {
            section,
            key: key.to_string(),
            value: value.trim().to_string(),
            file: self.file.clone(),
            line: lineno,
        });
        Ok(())
    }
}

/// systemd's `string_is_safe()`: no control characters, quotes or backslashes.
fn is_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || matches!(c, '\\' | '"' | '\''))
}

fn ends_with_unescaped_backslash(line: &str) -> bool {
    let trailing = line.bytes().rev().take_while(|&b| b == b'\\').count();
    trailing % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, String)> {
        parse(text, Path::new("/x.service"))
            .0
            .into_iter()
            .map(|e| (e.section, e.key, e.value))
            .collect()
    }

    #[test]
    fn sections_keys_and_comments() {
        let e = kv("# c\n[Unit]\nDescription = Hello world \n; c\n[Service]\nExecStart=/bin/true # not a comment\n");
        assert_eq!(
            e,
            [
                ("Unit".into(), "Description".into(), "Hello world".into()),
                (
                    "Service".into(),
                    "ExecStart".into(),
                    "/bin/true # not a comment".into()
                ),
            ]
        );
    }

    #[test]
    fn continuation_appends_raw_lines_and_skips_comments() {
        // As config_parse(): the backslash becomes a space, the next raw line is appended.
        let e = kv("[Service]\nExecStart=/bin/echo a \\\n  b\\\n# comment\n c\n");
        assert_eq!(e[0].2, "/bin/echo a    b  c");
        let e = kv("[Service]\nA=x\\\n");
        assert_eq!(e[0].2, "x");
        let e = kv("[Service]\nA=x\\\\\nB=y\n");
        assert_eq!((e[0].2.as_str(), e[1].2.as_str()), ("x\\\\", "y"));
    }

    #[test]
    fn problems_are_diagnostics_with_line_numbers() {
        let (e, d) = parse(
            "Foo=bar\n[Unit]\nnoequals\n=v\nA=b\n",
            Path::new("/u.service"),
        );
        assert_eq!(e.len(), 1);
        let lines: Vec<usize> = d.iter().map(|d| d.line).collect();
        assert_eq!(lines, [1, 3, 4]);
        assert_eq!(
            d[0].to_string(),
            "/u.service:1: Assignment outside of section. Ignoring."
        );
        assert_eq!(d[2].message, "Missing key name before '=', ignoring line.");
    }

    #[test]
    fn broken_section_header_is_fatal() {
        let p = parse_bytes(b"[Unit]\nA=1\n[Broken\nB=2\n", Path::new("/u.service"));
        assert_eq!(p.fatal.as_deref(), Some("Bad message"));
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.diagnostics[0].message, "Invalid section header '[Broken'");
    }

    #[test]
    fn line_ends_and_binary_junk() {
        let p = parse_bytes(b"[Unit]\r\nA=1\rB=2\0C=3\n\xff\xfe=\x01\n", Path::new("/u"));
        let keys: Vec<&str> = p.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", "C", "\u{fffd}\u{fffd}"]);
        assert!(p.fatal.is_none());
        let long = format!("[Unit]\nA={}\n", "x".repeat(LONG_LINE_MAX + 1));
        let p = parse_bytes(long.as_bytes(), Path::new("/u"));
        assert_eq!(p.fatal.as_deref(), Some("No buffer space available"));
        assert_eq!(p.diagnostics[0].to_string(), "/u:2: Line too long");
    }
}

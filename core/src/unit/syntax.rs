//! The unit file syntax (systemd.syntax(7)): sections, `Key=Value`, whole-line `#`/`;`
//! comments, backslash continuation. Problems never reject a file: they become diagnostics
//! with file and line, and the line is skipped, as systemd does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

/// Parses the text of one file (fragment or drop-in). `path` is the logical path used in
/// diagnostics and in `Entry::file`.
pub fn parse(text: &str, path: &Path) -> (Vec<Entry>, Vec<Diagnostic>) {
    let file = Arc::new(path.to_path_buf());
    let mut entries = Vec::new();
    let mut diags = Vec::new();
    let mut section: Option<String> = None;
    let mut diag = |line: usize, message: String| {
        diags.push(Diagnostic {
            file: path.to_path_buf(),
            line,
            message,
        })
    };

    let mut lines = text.lines().enumerate().peekable();
    while let Some((idx, raw)) = lines.next() {
        let lineno = idx + 1;
        let mut line = raw.trim().to_string();
        if line.is_empty() || is_comment(&line) {
            continue;
        }
        // Continuation: an unescaped trailing backslash becomes a space and the next
        // (trimmed) line is appended; comment lines inside a continued value are skipped.
        while ends_with_unescaped_backslash(&line) {
            line.pop();
            line.push(' ');
            let next = lines
                .by_ref()
                .map(|(_, l)| l.trim())
                .find(|l| !is_comment(l));
            match next {
                Some(next) => line.push_str(next),
                None => break,
            }
        }
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix('[') {
            match rest.strip_suffix(']') {
                Some(name) if !name.is_empty() => section = Some(name.to_string()),
                _ => diag(lineno, format!("Invalid section header '{line}'")),
            }
            continue;
        }
        if line.starts_with(".include") {
            diag(
                lineno,
                ".include directives are not supported, ignoring.".into(),
            );
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            diag(lineno, "Missing '=', ignoring line.".into());
            continue;
        };
        let Some(sec) = &section else {
            diag(lineno, "Assignment outside of section. Ignoring.".into());
            continue;
        };
        entries.push(Entry {
            section: sec.clone(),
            key: key.trim().to_string(),
            value: value.trim().to_string(),
            file: file.clone(),
            line: lineno,
        });
    }
    (entries, diags)
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#') || line.starts_with(';')
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
    fn continuation_lines_join_with_a_space_and_skip_comments() {
        let e = kv("[Service]\nExecStart=/bin/echo a \\\n  b\\\n# comment\n c\n");
        assert_eq!(e[0].2, "/bin/echo a  b c");
    }

    #[test]
    fn problems_are_diagnostics_with_line_numbers() {
        let (e, d) = parse(
            "Foo=bar\n[Unit]\nnoequals\n[Broken\nA=b\n",
            Path::new("/u.service"),
        );
        assert_eq!(e.len(), 1);
        let lines: Vec<usize> = d.iter().map(|d| d.line).collect();
        assert_eq!(lines, [1, 3, 4]);
        assert!(d[0].to_string().starts_with("/u.service:1: "));
    }
}

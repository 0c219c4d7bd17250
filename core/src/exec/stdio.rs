//! `StandardInput=`, `StandardOutput=`, `StandardError=` values (systemd.exec(5) "Logging
//! and standard input/output") and opening their files.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdInput {
    Null,
    /// `tty`, `tty-force`, `tty-fail`: the terminal of `TTYPath=`.
    Tty,
    TtyForce,
    TtyFail,
    File(PathBuf),
    /// `socket` and `fd:NAME` need socket activation, which is not supported yet.
    Socket,
    Fd(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdOutput {
    /// stdout: the same as stdin; stderr: the same as stdout.
    Inherit,
    Null,
    Tty,
    Journal,
    Kmsg,
    JournalConsole,
    KmsgConsole,
    /// `file:PATH`: opened for writing without truncation, positioned at the start.
    File(PathBuf),
    Append(PathBuf),
    Truncate(PathBuf),
    Socket,
    Fd(String),
}

impl StdInput {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "null" => StdInput::Null,
            "tty" => StdInput::Tty,
            "tty-force" => StdInput::TtyForce,
            "tty-fail" => StdInput::TtyFail,
            "socket" => StdInput::Socket,
            _ => {
                if let Some(p) = s.strip_prefix("file:") {
                    StdInput::File(absolute(p)?)
                } else {
                    StdInput::Fd(s.strip_prefix("fd:")?.to_string())
                }
            }
        })
    }

    pub fn is_tty(&self) -> bool {
        matches!(self, StdInput::Tty | StdInput::TtyForce | StdInput::TtyFail)
    }

    /// The `show` property value (`StandardInput=null`, `file:/x`).
    pub fn as_string(&self) -> String {
        match self {
            StdInput::Null => "null".into(),
            StdInput::Tty => "tty".into(),
            StdInput::TtyForce => "tty-force".into(),
            StdInput::TtyFail => "tty-fail".into(),
            StdInput::File(p) => format!("file:{}", p.display()),
            StdInput::Socket => "socket".into(),
            StdInput::Fd(n) => format!("fd:{n}"),
        }
    }
}

impl StdOutput {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "inherit" => StdOutput::Inherit,
            "null" => StdOutput::Null,
            "tty" => StdOutput::Tty,
            "journal" | "syslog" => StdOutput::Journal,
            "kmsg" => StdOutput::Kmsg,
            "journal+console" | "syslog+console" => StdOutput::JournalConsole,
            "kmsg+console" => StdOutput::KmsgConsole,
            "socket" => StdOutput::Socket,
            _ => {
                if let Some(p) = s.strip_prefix("file:") {
                    StdOutput::File(absolute(p)?)
                } else if let Some(p) = s.strip_prefix("append:") {
                    StdOutput::Append(absolute(p)?)
                } else if let Some(p) = s.strip_prefix("truncate:") {
                    StdOutput::Truncate(absolute(p)?)
                } else {
                    StdOutput::Fd(s.strip_prefix("fd:")?.to_string())
                }
            }
        })
    }

    /// The `show` property value.
    pub fn as_string(&self) -> String {
        match self {
            StdOutput::Inherit => "inherit".into(),
            StdOutput::Null => "null".into(),
            StdOutput::Tty => "tty".into(),
            StdOutput::Journal => "journal".into(),
            StdOutput::Kmsg => "kmsg".into(),
            StdOutput::JournalConsole => "journal+console".into(),
            StdOutput::KmsgConsole => "kmsg+console".into(),
            StdOutput::File(p) => format!("file:{}", p.display()),
            StdOutput::Append(p) => format!("append:{}", p.display()),
            StdOutput::Truncate(p) => format!("truncate:{}", p.display()),
            StdOutput::Socket => "socket".into(),
            StdOutput::Fd(n) => format!("fd:{n}"),
        }
    }

    /// Output the supervisor captures into the journal (`kmsg` goes there too: a container
    /// has no kernel log of its own).
    pub fn is_journal(&self) -> bool {
        matches!(
            self,
            StdOutput::Journal
                | StdOutput::JournalConsole
                | StdOutput::Kmsg
                | StdOutput::KmsgConsole
        )
    }
}

fn absolute(p: &str) -> Option<PathBuf> {
    p.starts_with('/').then(|| PathBuf::from(p))
}

/// Opens the file of `file:`/`append:`/`truncate:` output on the host (as systemd, before
/// any privilege change), created 0666 minus the umask.
pub fn open_output_file(host_path: &Path, output: &StdOutput) -> std::io::Result<OwnedFd> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true);
    match output {
        StdOutput::Append(_) => {
            opts.append(true);
        }
        StdOutput::Truncate(_) => {
            opts.truncate(true);
        }
        _ => {}
    }
    use std::os::unix::fs::OpenOptionsExt;
    opts.custom_flags(libc::O_NOCTTY);
    Ok(opts.open(host_path)?.into())
}

/// Opens a `file:` input (read-only).
pub fn open_input_file(host_path: &Path) -> std::io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    Ok(std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY)
        .open(host_path)?
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn parses_every_form() {
        assert_eq!(StdInput::parse("null"), Some(StdInput::Null));
        assert!(StdInput::parse("tty-force").unwrap().is_tty());
        assert_eq!(
            StdInput::parse("file:/etc/x"),
            Some(StdInput::File("/etc/x".into()))
        );
        assert_eq!(StdInput::parse("file:rel"), None);
        assert_eq!(StdInput::parse("bogus"), None);
        assert_eq!(StdOutput::parse("syslog"), Some(StdOutput::Journal));
        assert_eq!(
            StdOutput::parse("append:/var/log/a").unwrap().as_string(),
            "append:/var/log/a"
        );
        assert_eq!(
            StdOutput::parse("fd:foo"),
            Some(StdOutput::Fd("foo".into()))
        );
        assert!(StdOutput::parse("kmsg+console").unwrap().is_journal());
        assert_eq!(StdOutput::parse("journal+bogus"), None);
    }

    #[test]
    fn append_keeps_and_truncate_drops_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "old\n").unwrap();
        let mut f =
            std::fs::File::from(open_output_file(&path, &StdOutput::Append(path.clone())).unwrap());
        f.write_all(b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\nnew\n");
        let mut f = std::fs::File::from(
            open_output_file(&path, &StdOutput::Truncate(path.clone())).unwrap(),
        );
        f.write_all(b"x").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x");
        let mut s = String::new();
        std::fs::File::from(open_input_file(&path).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "x");
    }
}

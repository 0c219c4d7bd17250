//! The transient unit file systemd-run's options describe: what systemd would serialise
//! into `/run/systemd/transient/NAME` after `StartTransientUnit`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use unitbox_core::error::os_error_text;
use unitbox_core::unit::validate::is_known_key;

/// The header systemd writes into every transient unit file.
const HEADER: &str =
    "# This is a transient unit file, created programmatically via the systemd API. Do not edit.\n";

/// What goes into the file, already validated.
#[derive(Debug, Default)]
pub struct TransientService {
    pub description: String,
    pub unit_settings: Vec<String>,
    pub service_settings: Vec<String>,
    /// The command, its executable already absolute.
    pub command: Vec<OsString>,
    /// `--expand-environment=no`: the `:` prefix.
    pub no_env_expand: bool,
}

impl TransientService {
    pub fn to_text(&self) -> String {
        let mut text = String::from(HEADER);
        text.push_str("[Unit]\n");
        text.push_str(&format!(
            "Description={}\n",
            escape_specifiers(&self.description.replace('\n', " "))
        ));
        for line in &self.unit_settings {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str("\n[Service]\n");
        for line in &self.service_settings {
            text.push_str(line);
            text.push('\n');
        }
        let words: Vec<String> = self.command.iter().map(|w| quote_word(w)).collect();
        let prefix = if self.no_env_expand { ":" } else { "" };
        text.push_str(&format!("ExecStart={prefix}{}\n", words.join(" ")));
        text
    }

    /// Adds `-p KEY=VALUE` to the section that knows KEY.
    pub fn add_property(&mut self, assignment: &str) -> Result<(), String> {
        let Some((key, value)) = assignment.split_once('=') else {
            return Err(format!("Not an assignment: {assignment}"));
        };
        let key = key.trim();
        if value.contains('\n') {
            return Err(format!("Invalid assignment (contains a newline): {key}"));
        }
        let line = format!("{key}={value}");
        if key == "Description" {
            self.description = value.to_string();
        } else if is_known_key("Unit", key) {
            self.unit_settings.push(line);
        } else if is_known_key("Service", key) {
            self.service_settings.push(line);
        } else {
            return Err(format!("Unknown assignment: {assignment}"));
        }
        Ok(())
    }

    /// `-E NAME[=VALUE]`: a bare NAME takes the caller's value (empty if unset).
    pub fn add_environment(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = match assignment.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => (
                assignment.to_string(),
                std::env::var(assignment).unwrap_or_default(),
            ),
        };
        let valid_name = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid_name || value.contains('\n') {
            return Err(format!(
                "Cannot assign environment variable {assignment}: Invalid argument"
            ));
        }
        self.service_settings.push(format!(
            "Environment={}",
            quote_word(OsStr::new(&format!("{name}={value}")))
        ));
        Ok(())
    }
}

/// One word of a command line in unit-file syntax: double-quoted, C escapes for what the
/// parser would otherwise interpret, `%%` for specifiers.
pub fn quote_word(word: &OsStr) -> String {
    let mut out = String::from("\"");
    for &b in word.as_bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'%' => out.push_str("%%"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn escape_specifiers(s: &str) -> String {
    s.replace('%', "%%")
}

/// systemd's `find_executable()` on the client side: a name with a `/` is taken relative
/// to the working directory, a bare name is searched in `$PATH`.
pub fn resolve_executable(name: &OsStr) -> Result<PathBuf, String> {
    let fail = |err: std::io::Error| {
        format!(
            "Failed to find executable {}: {}",
            name.to_string_lossy(),
            os_error_text(&err)
        )
    };
    if name.is_empty() {
        return Err(fail(std::io::Error::from_raw_os_error(libc::ENOENT)));
    }
    if name.as_bytes().contains(&b'/') {
        let path = absolute(Path::new(name)).map_err(fail)?;
        return check_executable(&path).map(|_| path).map_err(fail);
    }
    let search = std::env::var_os("PATH")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from(unitbox_core::exec::manager_env::DEFAULT_PATH));
    let mut last_error = std::io::Error::from_raw_os_error(libc::ENOENT);
    for dir in std::env::split_paths(&search) {
        if !dir.is_absolute() {
            continue;
        }
        let candidate = dir.join(name);
        match check_executable(&candidate) {
            Ok(()) => return Ok(candidate),
            // A file we may not run is remembered, a missing one is not (as systemd).
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => last_error = e,
            Err(_) => {}
        }
    }
    Err(fail(last_error))
}

fn check_executable(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
    }
    if !meta.is_file() {
        return Err(std::io::Error::from_raw_os_error(libc::EACCES));
    }
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK)?;
    // Root passes access(X_OK) for any file with one x bit; none at all is not runnable.
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(std::io::Error::from_raw_os_error(libc::EACCES));
    }
    Ok(())
}

/// `path` made absolute against the working directory.
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()?.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_go_to_their_sections() {
        let mut s = TransientService {
            description: "/bin/echo 100%".into(),
            command: vec!["/bin/echo".into(), "a \"b\"\n%c$X".into()],
            ..Default::default()
        };
        s.add_property("After=x.service").unwrap();
        s.add_property("Environment=X=1").unwrap();
        s.add_environment("Y=two words").unwrap();
        assert_eq!(
            s.add_property("Frobnicate=yes").unwrap_err(),
            "Unknown assignment: Frobnicate=yes"
        );
        assert_eq!(
            s.add_property("Frobnicate").unwrap_err(),
            "Not an assignment: Frobnicate"
        );
        assert!(s.add_environment("1X=2").is_err());
        assert_eq!(
            s.to_text(),
            format!(
                "{HEADER}[Unit]\nDescription=/bin/echo 100%%\nAfter=x.service\n\n[Service]\n\
                 Environment=X=1\nEnvironment=\"Y=two words\"\n\
                 ExecStart=\"/bin/echo\" \"a \\\"b\\\"\\n%%c$X\"\n"
            )
        );
    }

    #[test]
    fn executables_resolve_like_systemd() {
        let sh = resolve_executable(OsStr::new("sh")).unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"));
        assert_eq!(
            resolve_executable(OsStr::new("no-such-command-xyz")).unwrap_err(),
            "Failed to find executable no-such-command-xyz: No such file or directory"
        );
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let err = resolve_executable(plain.as_os_str()).unwrap_err();
        assert!(err.ends_with("Permission denied"), "{err}");
    }
}

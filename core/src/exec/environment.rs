//! The environment of a spawned process, assembled in systemd's order (systemd.exec(5)
//! "Environment variables in spawned processes"):
//!
//! 1. the manager's defaults (`PATH`, locale, `DefaultEnvironment=`, `set-environment`);
//! 2. the variables the manager sets for this process ([`ManagerVars`]);
//! 3. the manager's own environment: only `PassEnvironment=` names for the system manager,
//!    all of it for a user manager;
//! 4. `Environment=`;
//! 5. `EnvironmentFile=` (read at exec time).
//!
//! Finally `UnsetEnvironment=` removes names or exact assignments.
//!
//! A later source replaces an earlier value in place, so the order of first appearance is
//! kept (as systemd's `strv_env_merge()`).

use crate::glob::{fnmatch, is_glob, MatchFlags};
use crate::root::Root;
use crate::unit::env::parse_environment_file;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// An ordered environment block without duplicate names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvBlock {
    vars: Vec<(String, String)>,
}

impl EnvBlock {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a variable, keeping its position if it exists.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.vars.push((name.to_string(), value.to_string())),
        }
    }

    pub fn extend<'a>(&mut self, pairs: impl IntoIterator<Item = &'a (String, String)>) {
        for (k, v) in pairs {
            self.set(k, v);
        }
    }

    /// `UnsetEnvironment=` semantics: `NAME` removes the variable, `NAME=VALUE` only that
    /// exact assignment.
    pub fn unset(&mut self, spec: &str) {
        match spec.split_once('=') {
            Some((name, value)) => self.vars.retain(|(k, v)| !(k == name && v == value)),
            None => self.vars.retain(|(k, _)| k != spec),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.vars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// `NAME=VALUE` strings for `execve()`; a value with a NUL byte cannot be passed and is
    /// dropped.
    pub fn to_cstrings(&self) -> Vec<CString> {
        self.vars
            .iter()
            .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
            .collect()
    }
}

impl FromIterator<(String, String)> for EnvBlock {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut block = EnvBlock::default();
        for (k, v) in iter {
            block.set(&k, &v);
        }
        block
    }
}

/// `User=` login variables: `USER`, `LOGNAME`, `HOME`, `SHELL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginVars {
    pub user: String,
    pub home: PathBuf,
    pub shell: PathBuf,
}

/// What the manager itself defines for one spawned process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagerVars {
    /// Set when the unit has `User=` (and always by a user manager, for its user).
    pub login: Option<LoginVars>,
    /// 32 lowercase hex digits, new for every activation.
    pub invocation_id: Option<String>,
    /// The main process, for control processes (ExecReload=, ExecStop=, …) only.
    pub main_pid: Option<u32>,
    /// The manager's PID (user managers).
    pub manager_pid: Option<u32>,
    pub notify_socket: Option<String>,
    /// `WATCHDOG_PID`, `WATCHDOG_USEC`.
    pub watchdog: Option<(u32, u64)>,
    /// `RUNTIME_DIRECTORY=/run/a:/run/b` and friends (see [`super::dirs`]).
    pub directories: Vec<(String, String)>,
    /// Anything else the caller defines (`SERVICE_RESULT`, `EXIT_CODE`, `EXIT_STATUS`,
    /// `TERM`, `JOURNAL_STREAM`, `LISTEN_FDS`, …), in this order.
    pub extra: Vec<(String, String)>,
}

impl ManagerVars {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.to_string(), v));
        if let Some(socket) = &self.notify_socket {
            push("NOTIFY_SOCKET", socket.clone());
        }
        if let Some(pid) = self.main_pid {
            push("MAINPID", pid.to_string());
        }
        if let Some(pid) = self.manager_pid {
            push("MANAGERPID", pid.to_string());
        }
        if let Some((pid, usec)) = self.watchdog {
            push("WATCHDOG_PID", pid.to_string());
            push("WATCHDOG_USEC", usec.to_string());
        }
        if let Some(login) = &self.login {
            push("HOME", login.home.display().to_string());
            push("LOGNAME", login.user.clone());
            push("USER", login.user.clone());
            push("SHELL", login.shell.display().to_string());
        }
        if let Some(id) = &self.invocation_id {
            push("INVOCATION_ID", id.clone());
        }
        out.extend(self.directories.iter().cloned());
        out.extend(self.extra.iter().cloned());
        out
    }
}

/// Everything [`assemble`] needs, already read: the function itself touches nothing.
#[derive(Debug, Clone, Copy)]
pub struct EnvInputs<'a> {
    /// Step 1: manager defaults (see [`super::manager_env`]).
    pub defaults: &'a [(String, String)],
    pub manager: &'a ManagerVars,
    /// The manager's own environment (`std::env::vars()` of the supervisor's caller).
    pub own_environment: &'a [(String, String)],
    /// A user manager passes its whole environment; the system manager only
    /// `pass_environment`.
    pub pass_all: bool,
    pub pass_environment: &'a [String],
    /// `Environment=`, parsed, in order.
    pub unit_environment: &'a [(String, String)],
    /// `EnvironmentFile=`, read (see [`read_environment_files`]).
    pub file_environment: &'a [(String, String)],
    /// `UnsetEnvironment=`: `NAME` or `NAME=VALUE`.
    pub unset: &'a [String],
}

/// Assembles the final environment of a process.
pub fn assemble(inputs: &EnvInputs<'_>) -> EnvBlock {
    let mut env = EnvBlock::default();
    env.extend(inputs.defaults);
    env.extend(&inputs.manager.pairs());
    if inputs.pass_all {
        env.extend(inputs.own_environment);
    } else {
        for name in inputs.pass_environment {
            if let Some(pair) = inputs.own_environment.iter().find(|(k, _)| k == name) {
                env.set(&pair.0, &pair.1);
            }
        }
    }
    env.extend(inputs.unit_environment);
    env.extend(inputs.file_environment);
    for spec in inputs.unset {
        env.unset(spec);
    }
    env
}

/// One `EnvironmentFile=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFileSpec {
    /// Absolute, inside the root; the last component may hold `glob(3)` wildcards.
    pub path: PathBuf,
    /// The `-` prefix: a missing file is fine.
    pub optional: bool,
}

impl EnvironmentFileSpec {
    /// Parses `[-]PATH`; `None` for a relative path (systemd rejects it).
    pub fn parse(value: &str) -> Option<Self> {
        let (optional, path) = match value.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, value),
        };
        path.starts_with('/').then(|| EnvironmentFileSpec {
            path: PathBuf::from(path),
            optional,
        })
    }
}

/// Reading an environment file failed: the process is not started (systemd fails the unit
/// with result `resources`).
#[derive(Debug, thiserror::Error)]
#[error("Failed to load environment files: {path}: {source}")]
pub struct EnvFileError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Reads the `EnvironmentFile=` entries in order (later files win), with the root mapped.
/// Invalid lines are skipped, as systemd does.
pub fn read_environment_files(
    specs: &[EnvironmentFileSpec],
    root: &Root,
) -> Result<Vec<(String, String)>, EnvFileError> {
    let mut out = Vec::new();
    for spec in specs {
        let paths = match glob_last_component(&spec.path, root) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) if spec.optional => continue,
            Ok(_) => {
                return Err(EnvFileError {
                    path: spec.path.clone(),
                    source: std::io::Error::from_raw_os_error(libc::ENOENT),
                })
            }
            Err(_) if spec.optional => continue,
            Err(source) => {
                return Err(EnvFileError {
                    path: spec.path.clone(),
                    source,
                })
            }
        };
        for path in paths {
            match std::fs::read(root.host_path(&path)) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    out.extend(parse_environment_file(&text).0.vars);
                }
                Err(_) if spec.optional => {}
                Err(source) => return Err(EnvFileError { path, source }),
            }
        }
    }
    Ok(out)
}

/// Logical paths matching `path` (wildcards only in the last component), sorted as glob(3).
fn glob_last_component(path: &Path, root: &Root) -> std::io::Result<Vec<PathBuf>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !is_glob(&name) {
        return Ok(if root.host_path(path).exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.host_path(dir))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| fnmatch(&name, n, MatchFlags::FILE_NAME))
        .map(|n| dir.join(n))
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::manager_env::DEFAULT_PATH;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn order_and_precedence_follow_systemd() {
        let defaults = pairs(&[("PATH", DEFAULT_PATH), ("LANG", "C.UTF-8")]);
        let manager = ManagerVars {
            login: Some(LoginVars {
                user: "nobody".into(),
                home: "/nonexistent".into(),
                shell: "/usr/sbin/nologin".into(),
            }),
            invocation_id: Some("0123456789abcdef0123456789abcdef".into()),
            main_pid: Some(42),
            notify_socket: Some("/run/unitbox/units/a.notify".into()),
            directories: pairs(&[("RUNTIME_DIRECTORY", "/run/a")]),
            ..Default::default()
        };
        let own = pairs(&[("TZ", "UTC"), ("SECRET", "x"), ("PATH", "/caller/bin")]);
        let pass = vec!["TZ".to_string(), "MISSING".to_string()];
        let unit = pairs(&[("LANG", "de_DE.UTF-8"), ("A", "unit"), ("B", "b")]);
        let files = pairs(&[("A", "file")]);
        let unset = vec![
            "B".to_string(),
            "NOTIFY_SOCKET".to_string(),
            "USER=other".to_string(),
        ];
        let inputs = EnvInputs {
            defaults: &defaults,
            manager: &manager,
            own_environment: &own,
            pass_all: false,
            pass_environment: &pass,
            unit_environment: &unit,
            file_environment: &files,
            unset: &unset,
        };
        let env = assemble(&inputs);
        let names: Vec<&str> = env.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "PATH",
                "LANG",
                "MAINPID",
                "HOME",
                "LOGNAME",
                "USER",
                "SHELL",
                "INVOCATION_ID",
                "RUNTIME_DIRECTORY",
                "TZ",
                "A"
            ]
        );
        assert_eq!(env.get("PATH"), Some(DEFAULT_PATH));
        assert_eq!(env.get("LANG"), Some("de_DE.UTF-8"));
        assert_eq!(env.get("A"), Some("file"));
        assert_eq!(env.get("USER"), Some("nobody"));
        assert_eq!(env.get("SECRET"), None);

        let user = assemble(&EnvInputs {
            pass_all: true,
            ..inputs
        });
        assert_eq!(user.get("PATH"), Some("/caller/bin"));
        assert_eq!(user.get("SECRET"), Some("x"));
    }

    #[test]
    fn environment_files_are_read_in_order_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(dir.path().join("etc/default")).unwrap();
        std::fs::write(dir.path().join("etc/default/a"), "X=1\nY=a\n").unwrap();
        std::fs::write(dir.path().join("etc/default/b.conf"), "Y=b\n").unwrap();
        std::fs::write(dir.path().join("etc/default/c.conf"), "Z=c\n").unwrap();
        let specs = [
            EnvironmentFileSpec::parse("/etc/default/a").unwrap(),
            EnvironmentFileSpec::parse("-/etc/default/missing").unwrap(),
            EnvironmentFileSpec::parse("/etc/default/*.conf").unwrap(),
        ];
        let env = read_environment_files(&specs, &root).unwrap();
        assert_eq!(
            env,
            pairs(&[("X", "1"), ("Y", "a"), ("Y", "b"), ("Z", "c")])
        );
        let missing = [EnvironmentFileSpec::parse("/etc/default/missing").unwrap()];
        let err = read_environment_files(&missing, &root).unwrap_err();
        assert_eq!(err.path, Path::new("/etc/default/missing"));
        assert_eq!(EnvironmentFileSpec::parse("relative"), None);
    }
}

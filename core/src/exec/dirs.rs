//! `RuntimeDirectory=`, `StateDirectory=`, `CacheDirectory=`, `LogsDirectory=`,
//! `ConfigurationDirectory=` (systemd.exec(5) "Paths"): created under the scope's bases
//! before the first process starts, owned by `User=`/`Group=` (except configuration), their
//! paths exported as `RUNTIME_DIRECTORY=…`, the runtime ones removed on stop.

use super::exit_status::code;
use crate::scope::Scope;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    Runtime,
    State,
    Cache,
    Logs,
    Configuration,
}

impl DirKind {
    pub const ALL: [DirKind; 5] = [
        DirKind::Runtime,
        DirKind::State,
        DirKind::Cache,
        DirKind::Logs,
        DirKind::Configuration,
    ];

    /// The setting name (`RuntimeDirectory`); the mode setting appends `Mode`.
    pub fn setting(self) -> &'static str {
        match self {
            DirKind::Runtime => "RuntimeDirectory",
            DirKind::State => "StateDirectory",
            DirKind::Cache => "CacheDirectory",
            DirKind::Logs => "LogsDirectory",
            DirKind::Configuration => "ConfigurationDirectory",
        }
    }

    pub fn env_name(self) -> &'static str {
        match self {
            DirKind::Runtime => "RUNTIME_DIRECTORY",
            DirKind::State => "STATE_DIRECTORY",
            DirKind::Cache => "CACHE_DIRECTORY",
            DirKind::Logs => "LOGS_DIRECTORY",
            DirKind::Configuration => "CONFIGURATION_DIRECTORY",
        }
    }

    /// The exit code of a process whose directory could not be set up.
    pub fn exit_code(self) -> i32 {
        match self {
            DirKind::Runtime => code::RUNTIME_DIRECTORY,
            DirKind::State => code::STATE_DIRECTORY,
            DirKind::Cache => code::CACHE_DIRECTORY,
            DirKind::Logs => code::LOGS_DIRECTORY,
            DirKind::Configuration => code::CONFIGURATION_DIRECTORY,
        }
    }

    /// The logical base directory in this scope (`/run`, `/var/lib`, …, or the XDG ones).
    pub fn base(self, scope: &Scope) -> PathBuf {
        match self {
            DirKind::Runtime => scope.runtime_base(),
            DirKind::State => scope.state_base(),
            DirKind::Cache => scope.cache_base(),
            DirKind::Logs => scope.logs_base(),
            DirKind::Configuration => scope.config_base(),
        }
    }
}

/// `RuntimeDirectoryPreserve=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Preserve {
    #[default]
    No,
    Yes,
    Restart,
}

impl Preserve {
    pub fn parse(s: &str) -> Option<Self> {
        if s == "restart" {
            return Some(Preserve::Restart);
        }
        crate::unit::value::parse_bool(s).map(|b| if b { Preserve::Yes } else { Preserve::No })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preserve::No => "no",
            Preserve::Yes => "yes",
            Preserve::Restart => "restart",
        }
    }
}

/// One kind's configured directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySet {
    /// Relative, normalized paths (`foo`, `foo/bar`).
    pub paths: Vec<PathBuf>,
    pub mode: u32,
}

impl Default for DirectorySet {
    fn default() -> Self {
        DirectorySet {
            paths: Vec::new(),
            mode: 0o755,
        }
    }
}

/// All five kinds plus `RuntimeDirectoryPreserve=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecDirectories {
    pub runtime: DirectorySet,
    pub state: DirectorySet,
    pub cache: DirectorySet,
    pub logs: DirectorySet,
    pub configuration: DirectorySet,
    pub runtime_preserve: Preserve,
}

impl ExecDirectories {
    pub fn get(&self, kind: DirKind) -> &DirectorySet {
        match kind {
            DirKind::Runtime => &self.runtime,
            DirKind::State => &self.state,
            DirKind::Cache => &self.cache,
            DirKind::Logs => &self.logs,
            DirKind::Configuration => &self.configuration,
        }
    }

    pub fn get_mut(&mut self, kind: DirKind) -> &mut DirectorySet {
        match kind {
            DirKind::Runtime => &mut self.runtime,
            DirKind::State => &mut self.state,
            DirKind::Cache => &mut self.cache,
            DirKind::Logs => &mut self.logs,
            DirKind::Configuration => &mut self.configuration,
        }
    }

    /// `RUNTIME_DIRECTORY=/run/a:/run/b` etc. for the kinds that have directories.
    pub fn environment(&self, scope: &Scope) -> Vec<(String, String)> {
        DirKind::ALL
            .iter()
            .filter(|k| !self.get(**k).paths.is_empty())
            .map(|k| {
                let base = k.base(scope);
                let joined: Vec<String> = self
                    .get(*k)
                    .paths
                    .iter()
                    .map(|p| base.join(p).display().to_string())
                    .collect();
                (k.env_name().to_string(), joined.join(":"))
            })
            .collect()
    }
}

/// Validates one word of a `*Directory=` setting: relative, no `..`, no empty components.
pub fn parse_directory_path(word: &str) -> Option<PathBuf> {
    let path = Path::new(word);
    if word.is_empty() || path.is_absolute() {
        return None;
    }
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Creating a directory failed; the process must not start and exits with
/// [`DirKind::exit_code`].
#[derive(Debug, thiserror::Error)]
#[error("Failed to set up {} {}: {source}", kind.setting(), path.display())]
pub struct DirError {
    pub kind: DirKind,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Creates every configured directory (parents 0755, the directory itself with its mode;
/// an existing directory keeps its mode) and hands the tree to `owner` (uid, gid), except
/// for configuration directories. Returns the environment variables to export.
pub fn create_directories(
    dirs: &ExecDirectories,
    scope: &Scope,
    owner: Option<(u32, u32)>,
) -> Result<Vec<(String, String)>, DirError> {
    for kind in DirKind::ALL {
        let set = dirs.get(kind);
        let base = kind.base(scope);
        for rel in &set.paths {
            let logical = base.join(rel);
            let host = scope.root.host_path(&logical);
            let fail = |source| DirError {
                kind,
                path: logical.clone(),
                source,
            };
            if let Some(parent) = host.parent() {
                create_parents(parent).map_err(fail)?;
            }
            match std::fs::create_dir(&host) {
                Ok(()) => {
                    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(set.mode))
                        .map_err(fail)?
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && host.is_dir() => {}
                Err(e) => return Err(fail(e)),
            }
            if let (Some((uid, gid)), false) = (owner, kind == DirKind::Configuration) {
                chown_tree(&host, uid, gid).map_err(fail)?;
            }
        }
    }
    Ok(dirs.environment(scope))
}

fn create_parents(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
}

/// Gives a directory tree to uid:gid without following symlinks.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Removes the runtime directories when the unit stops, unless
/// `RuntimeDirectoryPreserve=yes`, or `restart` and this stop is part of a restart.
pub fn remove_runtime_directories(
    dirs: &ExecDirectories,
    scope: &Scope,
    restarting: bool,
) -> std::io::Result<()> {
    match (dirs.runtime_preserve, restarting) {
        (Preserve::Yes, _) | (Preserve::Restart, true) => return Ok(()),
        _ => {}
    }
    let base = DirKind::Runtime.base(scope);
    for rel in &dirs.runtime.paths {
        let host = scope.root.host_path(&base.join(rel));
        match std::fs::remove_dir_all(&host) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;
    use std::os::unix::fs::MetadataExt;

    fn system_scope(dir: &Path) -> Scope {
        Scope::new(
            ScopeKind::System,
            Root::new(dir),
            Identity::root_user(),
            &|_| None,
        )
    }

    fn set(paths: &[&str], mode: u32) -> DirectorySet {
        DirectorySet {
            paths: paths.iter().map(PathBuf::from).collect(),
            mode,
        }
    }

    #[test]
    fn validates_paths() {
        assert_eq!(parse_directory_path("a/./b"), Some(PathBuf::from("a/b")));
        assert_eq!(parse_directory_path("/abs"), None);
        assert_eq!(parse_directory_path("a/../b"), None);
        assert_eq!(parse_directory_path(""), None);
    }

    #[test]
    fn creates_nested_dirs_with_modes_owners_and_env() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = system_scope(tmp.path());
        let dirs = ExecDirectories {
            runtime: set(&["a", "b/c"], 0o750),
            state: set(&["st"], 0o755),
            configuration: set(&["conf"], 0o755),
            ..Default::default()
        };
        let env = create_directories(&dirs, &scope, Some((65534, 65534))).unwrap();
        assert_eq!(
            env,
            [
                (
                    "RUNTIME_DIRECTORY".to_string(),
                    "/run/a:/run/b/c".to_string()
                ),
                ("STATE_DIRECTORY".to_string(), "/var/lib/st".to_string()),
                (
                    "CONFIGURATION_DIRECTORY".to_string(),
                    "/etc/conf".to_string()
                ),
            ]
        );
        let meta = std::fs::metadata(tmp.path().join("run/b/c")).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o750);
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        let parent = std::fs::metadata(tmp.path().join("run/b")).unwrap();
        assert_eq!(parent.uid(), 0);
        let conf = std::fs::metadata(tmp.path().join("etc/conf")).unwrap();
        assert_eq!(conf.uid(), 0);

        remove_runtime_directories(&dirs, &scope, false).unwrap();
        assert!(!tmp.path().join("run/a").exists());
        assert!(!tmp.path().join("run/b/c").exists());
        assert!(tmp.path().join("var/lib/st").exists());
    }

    #[test]
    fn preserve_keeps_runtime_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = system_scope(tmp.path());
        let mut dirs = ExecDirectories {
            runtime: set(&["keep"], 0o755),
            runtime_preserve: Preserve::Restart,
            ..Default::default()
        };
        create_directories(&dirs, &scope, None).unwrap();
        remove_runtime_directories(&dirs, &scope, true).unwrap();
        assert!(tmp.path().join("run/keep").is_dir());
        remove_runtime_directories(&dirs, &scope, false).unwrap();
        assert!(!tmp.path().join("run/keep").exists());
        dirs.runtime_preserve = Preserve::Yes;
        create_directories(&dirs, &scope, None).unwrap();
        remove_runtime_directories(&dirs, &scope, false).unwrap();
        assert!(tmp.path().join("run/keep").is_dir());
        assert_eq!(Preserve::parse("restart"), Some(Preserve::Restart));
        assert_eq!(Preserve::parse("on"), Some(Preserve::Yes));
        assert_eq!(Preserve::parse("x"), None);
    }

    #[test]
    fn a_file_in_the_way_fails_with_the_kinds_exit_code() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = system_scope(tmp.path());
        std::fs::create_dir_all(tmp.path().join("var/cache")).unwrap();
        std::fs::write(tmp.path().join("var/cache/x"), "").unwrap();
        let dirs = ExecDirectories {
            cache: set(&["x"], 0o755),
            ..Default::default()
        };
        let err = create_directories(&dirs, &scope, None).unwrap_err();
        assert_eq!(err.kind.exit_code(), 239);
        assert_eq!(err.path, Path::new("/var/cache/x"));
    }
}

//! Scopes and their directories: which unit directories a scope searches (in systemd's exact
//! order), where `enable`/`mask` write, where presets and state live. All paths here are
//! logical (see [`crate::root`]).

use crate::root::Root;
use crate::users::Identity;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    /// The system manager (`--system`, the default).
    System,
    /// A per-user manager (`--user`).
    User,
    /// `--global`: the user units shared by all users (install operations only).
    Global,
    /// `--capsule=NAME`: a user manager whose home is `/var/lib/capsules/NAME`.
    Capsule(String),
}

/// What a unit directory is for; decides `enabled` vs `enabled-runtime`, `generated`,
/// `transient`, and where writes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirClass {
    Control,
    ControlRuntime,
    Transient,
    GeneratorEarly,
    /// `/etc/systemd/system`, `~/.config/systemd/user`: persistent admin config.
    Config,
    /// `/run/systemd/system`: runtime admin config.
    ConfigRuntime,
    Attached,
    AttachedRuntime,
    Generator,
    /// Other configuration directories that are not the scope's own write target
    /// (`/etc/systemd/user` and `$XDG_CONFIG_DIRS` for a user).
    ConfigOther,
    /// Package directories (`/usr/lib/systemd/system`, …).
    Vendor,
    GeneratorLate,
    /// A directory from `$SYSTEMD_UNIT_PATH`.
    Custom,
}

impl DirClass {
    pub fn is_runtime(self) -> bool {
        matches!(
            self,
            DirClass::ControlRuntime
                | DirClass::Transient
                | DirClass::ConfigRuntime
                | DirClass::AttachedRuntime
                | DirClass::GeneratorEarly
                | DirClass::Generator
                | DirClass::GeneratorLate
        )
    }

    pub fn is_generator(self) -> bool {
        matches!(
            self,
            DirClass::GeneratorEarly | DirClass::Generator | DirClass::GeneratorLate
        )
    }

    /// Directories whose symlinks count as "enabled" by the administrator.
    pub fn is_config(self) -> bool {
        matches!(
            self,
            DirClass::Config
                | DirClass::ConfigRuntime
                | DirClass::Control
                | DirClass::ControlRuntime
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDir {
    pub path: PathBuf,
    pub class: DirClass,
}

/// The XDG base directories of a user, already defaulted as the basedir spec says
/// (empty or relative values count as unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xdg {
    pub config_home: PathBuf,
    pub config_dirs: Vec<PathBuf>,
    pub data_home: PathBuf,
    pub data_dirs: Vec<PathBuf>,
    pub state_home: PathBuf,
    pub cache_home: PathBuf,
    pub runtime_dir: Option<PathBuf>,
}

impl Xdg {
    pub fn from_env(home: &Path, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let abs = |k: &str| env(k).filter(|v| v.starts_with('/')).map(PathBuf::from);
        let list = |k: &str, default: &[&str]| -> Vec<PathBuf> {
            let dirs: Vec<PathBuf> = env(k)
                .unwrap_or_default()
                .split(':')
                .filter(|d| d.starts_with('/'))
                .map(PathBuf::from)
                .collect();
            if dirs.is_empty() {
                default.iter().map(PathBuf::from).collect()
            } else {
                dirs
            }
        };
        Xdg {
            config_home: abs("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config")),
            config_dirs: list("XDG_CONFIG_DIRS", &["/etc/xdg"]),
            data_home: abs("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local/share")),
            data_dirs: list("XDG_DATA_DIRS", &["/usr/local/share", "/usr/share"]),
            state_home: abs("XDG_STATE_HOME").unwrap_or_else(|| home.join(".local/state")),
            cache_home: abs("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache")),
            runtime_dir: abs("XDG_RUNTIME_DIR"),
        }
    }
}

/// Everything that decides where a scope finds and puts things.
#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub root: Root,
    /// The manager's identity (`%u`, `%h`, …): root for the system scope.
    pub identity: Identity,
    pub xdg: Xdg,
    /// `$SYSTEMD_UNIT_PATH`, verbatim.
    pub unit_path_env: Option<String>,
    /// `$SYSTEMD_PRESET_PATH`-free: presets come from fixed directories.
    unit_dirs: Vec<UnitDir>,
}

/// The base directory of the capsules' homes and runtime dirs.
pub const CAPSULE_HOME_BASE: &str = "/var/lib/capsules";
pub const CAPSULE_RUNTIME_BASE: &str = "/run/capsules";

impl Scope {
    /// Builds a scope from an environment lookup (the process environment in production,
    /// a closure in tests).
    pub fn new(
        kind: ScopeKind,
        root: Root,
        identity: Identity,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let (identity, xdg) = match &kind {
            ScopeKind::Capsule(name) => {
                let home = PathBuf::from(CAPSULE_HOME_BASE).join(name);
                let runtime = PathBuf::from(CAPSULE_RUNTIME_BASE).join(name);
                // A capsule's manager sees only its HOME and XDG_RUNTIME_DIR: the caller's
                // XDG variables must not leak into it.
                let capsule_env = |k: &str| match k {
                    "XDG_RUNTIME_DIR" => Some(runtime.to_string_lossy().into_owned()),
                    _ => None,
                };
                let xdg = Xdg::from_env(&home, &capsule_env);
                let mut id = identity;
                id.name = format!("c-{name}");
                id.home = home;
                (id, xdg)
            }
            _ => {
                let xdg = Xdg::from_env(&identity.home, env);
                (identity, xdg)
            }
        };
        let mut scope = Scope {
            kind,
            root,
            identity,
            xdg,
            unit_path_env: env("SYSTEMD_UNIT_PATH").filter(|v| !v.is_empty()),
            unit_dirs: Vec::new(),
        };
        scope.unit_dirs = scope.compute_unit_dirs();
        scope
    }

    pub fn is_system(&self) -> bool {
        self.kind == ScopeKind::System
    }

    /// The unit search path, highest priority first.
    pub fn unit_dirs(&self) -> &[UnitDir] {
        &self.unit_dirs
    }

    fn compute_unit_dirs(&self) -> Vec<UnitDir> {
        let defaults = self.default_unit_dirs();
        let Some(env) = &self.unit_path_env else {
            return defaults;
        };
        let mut dirs: Vec<UnitDir> = env
            .split(':')
            .filter(|d| d.starts_with('/'))
            .map(|d| UnitDir {
                path: PathBuf::from(d),
                class: defaults
                    .iter()
                    .find(|u| u.path == Path::new(d))
                    .map(|u| u.class)
                    .unwrap_or(DirClass::Custom),
            })
            .collect();
        if env.ends_with(':') {
            dirs.extend(defaults);
        }
        dedup(dirs)
    }

    fn default_unit_dirs(&self) -> Vec<UnitDir> {
        use DirClass::*;
        let d = |p: &str, class| UnitDir {
            path: PathBuf::from(p),
            class,
        };
        match &self.kind {
            ScopeKind::System => vec![
                d("/etc/systemd/system.control", Control),
                d("/run/systemd/system.control", ControlRuntime),
                d("/run/systemd/transient", Transient),
                d("/run/systemd/generator.early", GeneratorEarly),
                d("/etc/systemd/system", Config),
                d("/etc/systemd/system.attached", Attached),
                d("/run/systemd/system", ConfigRuntime),
                d("/run/systemd/system.attached", AttachedRuntime),
                d("/run/systemd/generator", Generator),
                d("/usr/local/lib/systemd/system", Vendor),
                d("/usr/lib/systemd/system", Vendor),
                d("/lib/systemd/system", Vendor),
                d("/run/systemd/generator.late", GeneratorLate),
            ],
            ScopeKind::Global => vec![
                d("/etc/systemd/user", Config),
                d("/run/systemd/user", ConfigRuntime),
                d("/usr/local/share/systemd/user", Vendor),
                d("/usr/share/systemd/user", Vendor),
                d("/usr/local/lib/systemd/user", Vendor),
                d("/usr/lib/systemd/user", Vendor),
            ],
            ScopeKind::User | ScopeKind::Capsule(_) => {
                let x = &self.xdg;
                let mut v = vec![UnitDir {
                    path: x.config_home.join("systemd/user.control"),
                    class: Control,
                }];
                if let Some(rt) = &x.runtime_dir {
                    v.push(UnitDir {
                        path: rt.join("systemd/user.control"),
                        class: ControlRuntime,
                    });
                    v.push(UnitDir {
                        path: rt.join("systemd/transient"),
                        class: Transient,
                    });
                    v.push(UnitDir {
                        path: rt.join("systemd/generator.early"),
                        class: GeneratorEarly,
                    });
                }
                v.push(UnitDir {
                    path: x.config_home.join("systemd/user"),
                    class: Config,
                });
                for dir in &x.config_dirs {
                    v.push(UnitDir {
                        path: dir.join("systemd/user"),
                        class: ConfigOther,
                    });
                }
                v.push(d("/etc/systemd/user", ConfigOther));
                if let Some(rt) = &x.runtime_dir {
                    v.push(UnitDir {
                        path: rt.join("systemd/user"),
                        class: ConfigRuntime,
                    });
                }
                v.push(d("/run/systemd/user", ConfigOther));
                if let Some(rt) = &x.runtime_dir {
                    v.push(UnitDir {
                        path: rt.join("systemd/generator"),
                        class: Generator,
                    });
                }
                v.push(UnitDir {
                    path: x.data_home.join("systemd/user"),
                    class: Vendor,
                });
                for dir in &x.data_dirs {
                    v.push(UnitDir {
                        path: dir.join("systemd/user"),
                        class: Vendor,
                    });
                }
                v.push(d("/usr/local/lib/systemd/user", Vendor));
                v.push(d("/usr/lib/systemd/user", Vendor));
                if let Some(rt) = &x.runtime_dir {
                    v.push(UnitDir {
                        path: rt.join("systemd/generator.late"),
                        class: GeneratorLate,
                    });
                }
                dedup(v)
            }
        }
    }

    /// The user mode of a non-root manager (unitbox as PID 1 under a plain uid, or
    /// `--user` in such a container): besides its own user units it may run the system
    /// units whose `User=` is its uid ([`crate::uid_filter`]). systemd's user manager has
    /// no such thing; this is systemctl.py's user mode, which images rely on.
    pub fn include_filtered_system_units(&self) -> bool {
        self.kind == ScopeKind::User && self.identity.uid != 0
    }

    /// The system unit directories a user-mode manager searches after its own (lowest
    /// priority), empty for every other scope. Only the unit store uses them; install
    /// operations stay within the scope's own directories.
    pub fn filtered_system_dirs(&self) -> Vec<UnitDir> {
        if !self.include_filtered_system_units() {
            return Vec::new();
        }
        let system = Scope {
            kind: ScopeKind::System,
            unit_dirs: Vec::new(),
            ..self.clone()
        };
        let own = self.unit_dirs();
        system
            .default_unit_dirs()
            .into_iter()
            .filter(|d| !own.iter().any(|o| o.path == d.path))
            .collect()
    }

    /// Where `enable`, `mask`, `set-default` write: persistent or `--runtime`.
    pub fn config_dir(&self, runtime: bool) -> Option<PathBuf> {
        self.default_dir(if runtime {
            DirClass::ConfigRuntime
        } else {
            DirClass::Config
        })
    }

    /// Where `set-property` writes: the control directory, persistent or `--runtime`.
    pub fn control_dir(&self, runtime: bool) -> Option<PathBuf> {
        self.default_dir(if runtime {
            DirClass::ControlRuntime
        } else {
            DirClass::Control
        })
    }

    fn default_dir(&self, class: DirClass) -> Option<PathBuf> {
        self.default_unit_dirs()
            .into_iter()
            .find(|d| d.class == class)
            .map(|d| d.path)
    }

    /// The `*.preset` directories, highest priority first.
    pub fn preset_dirs(&self) -> Vec<PathBuf> {
        let list: &[&str] = match self.kind {
            ScopeKind::System => &[
                "/etc/systemd/system-preset",
                "/run/systemd/system-preset",
                "/usr/local/lib/systemd/system-preset",
                "/usr/lib/systemd/system-preset",
                "/lib/systemd/system-preset",
            ],
            _ => &[
                "/etc/systemd/user-preset",
                "/run/systemd/user-preset",
                "/usr/local/lib/systemd/user-preset",
                "/usr/lib/systemd/user-preset",
            ],
        };
        list.iter().map(PathBuf::from).collect()
    }

    /// Where generators are found, highest priority first (systemd.generator(7); `/lib` as
    /// 252's split-usr lookup). Empty for `--global`.
    pub fn generator_binary_dirs(&self) -> Vec<PathBuf> {
        let list: &[&str] = match self.kind {
            ScopeKind::System => &[
                "/run/systemd/system-generators",
                "/etc/systemd/system-generators",
                "/usr/local/lib/systemd/system-generators",
                "/usr/lib/systemd/system-generators",
                "/lib/systemd/system-generators",
            ],
            ScopeKind::Global => &[],
            _ => &[
                "/run/systemd/user-generators",
                "/etc/systemd/user-generators",
                "/usr/local/lib/systemd/user-generators",
                "/usr/lib/systemd/user-generators",
            ],
        };
        list.iter().map(PathBuf::from).collect()
    }

    /// The generators' output directories `[normal, early, late]`: the unit directories
    /// of those classes on the default search path (`None` without a runtime directory or
    /// for `--global`).
    pub fn generator_output_dirs(&self) -> Option<[PathBuf; 3]> {
        let dirs = self.default_unit_dirs();
        let find = |class| {
            dirs.iter()
                .find(|d| d.class == class)
                .map(|d| d.path.clone())
        };
        Some([
            find(DirClass::Generator)?,
            find(DirClass::GeneratorEarly)?,
            find(DirClass::GeneratorLate)?,
        ])
    }

    /// `%t`: the runtime root (`/run`, or `$XDG_RUNTIME_DIR` for a user).
    pub fn runtime_base(&self) -> PathBuf {
        match self.kind {
            ScopeKind::System => PathBuf::from("/run"),
            _ => self
                .xdg
                .runtime_dir
                .clone()
                .unwrap_or_else(|| fallback_runtime_dir(self.identity.uid)),
        }
    }

    /// `%S`: state root (`/var/lib`, or `$XDG_STATE_HOME` as systemd ≥ 254).
    pub fn state_base(&self) -> PathBuf {
        match self.kind {
            ScopeKind::System => PathBuf::from("/var/lib"),
            _ => self.xdg.state_home.clone(),
        }
    }

    /// `%C`: cache root.
    pub fn cache_base(&self) -> PathBuf {
        match self.kind {
            ScopeKind::System => PathBuf::from("/var/cache"),
            _ => self.xdg.cache_home.clone(),
        }
    }

    /// `%L`: logs root.
    pub fn logs_base(&self) -> PathBuf {
        match self.kind {
            ScopeKind::System => PathBuf::from("/var/log"),
            _ => self.xdg.state_home.join("log"),
        }
    }

    /// `%E`: configuration root.
    pub fn config_base(&self) -> PathBuf {
        match self.kind {
            ScopeKind::System => PathBuf::from("/etc"),
            _ => self.xdg.config_home.clone(),
        }
    }
}

/// A user without `$XDG_RUNTIME_DIR` (typical in containers) still needs a private runtime
/// directory: `/tmp/unitbox-UID` (created 0700 by whoever needs it first).
pub fn fallback_runtime_dir(uid: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/unitbox-{uid}"))
}

fn dedup(dirs: Vec<UnitDir>) -> Vec<UnitDir> {
    let mut out: Vec<UnitDir> = Vec::with_capacity(dirs.len());
    for d in dirs {
        if !out.iter().any(|o| o.path == d.path) {
            out.push(d);
        }
    }
    out
}

/// Validates a capsule name: a file name whose `c-` user name is a strict POSIX user name
/// (`[A-Za-z_][A-Za-z0-9_-]*`, at most 31 characters with the prefix).
pub fn capsule_name_is_valid(name: &str) -> bool {
    let user = format!("c-{name}");
    !name.is_empty()
        && user.len() <= 31
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_env(k: &str) -> Option<String> {
        match k {
            "XDG_RUNTIME_DIR" => Some("/run/user/1000".into()),
            _ => None,
        }
    }

    fn alice() -> Identity {
        Identity {
            uid: 1000,
            gid: 1000,
            name: "alice".into(),
            group: "alice".into(),
            home: "/home/alice".into(),
            shell: "/bin/sh".into(),
        }
    }

    fn paths(scope: &Scope) -> Vec<String> {
        scope
            .unit_dirs()
            .iter()
            .map(|d| d.path.display().to_string())
            .collect()
    }

    #[test]
    fn system_search_path_in_systemd_order() {
        let s = Scope::new(
            ScopeKind::System,
            Root::host(),
            Identity::root_user(),
            &|_| None,
        );
        let p = paths(&s);
        assert_eq!(p[0], "/etc/systemd/system.control");
        let etc = p.iter().position(|x| x == "/etc/systemd/system").unwrap();
        let run = p.iter().position(|x| x == "/run/systemd/system").unwrap();
        let usr = p
            .iter()
            .position(|x| x == "/usr/lib/systemd/system")
            .unwrap();
        assert!(etc < run && run < usr);
        assert_eq!(
            s.config_dir(false).unwrap(),
            Path::new("/etc/systemd/system")
        );
        assert_eq!(
            s.config_dir(true).unwrap(),
            Path::new("/run/systemd/system")
        );
    }

    #[test]
    fn user_search_path_follows_xdg() {
        let s = Scope::new(ScopeKind::User, Root::host(), alice(), &user_env);
        let p = paths(&s);
        assert_eq!(
            p,
            [
                "/home/alice/.config/systemd/user.control",
                "/run/user/1000/systemd/user.control",
                "/run/user/1000/systemd/transient",
                "/run/user/1000/systemd/generator.early",
                "/home/alice/.config/systemd/user",
                "/etc/xdg/systemd/user",
                "/etc/systemd/user",
                "/run/user/1000/systemd/user",
                "/run/systemd/user",
                "/run/user/1000/systemd/generator",
                "/home/alice/.local/share/systemd/user",
                "/usr/local/share/systemd/user",
                "/usr/share/systemd/user",
                "/usr/local/lib/systemd/user",
                "/usr/lib/systemd/user",
                "/run/user/1000/systemd/generator.late",
            ]
        );
        assert_eq!(
            s.config_dir(false).unwrap(),
            Path::new("/home/alice/.config/systemd/user")
        );
        assert_eq!(
            s.config_dir(true).unwrap(),
            Path::new("/run/user/1000/systemd/user")
        );
    }

    #[test]
    fn unit_path_env_replaces_or_prepends() {
        let env = |k: &str| (k == "SYSTEMD_UNIT_PATH").then(|| "/opt/units".to_string());
        let s = Scope::new(ScopeKind::System, Root::host(), Identity::root_user(), &env);
        assert_eq!(paths(&s), ["/opt/units"]);
        let env = |k: &str| (k == "SYSTEMD_UNIT_PATH").then(|| "/opt/units:".to_string());
        let s = Scope::new(ScopeKind::System, Root::host(), Identity::root_user(), &env);
        assert_eq!(paths(&s)[0], "/opt/units");
        assert!(paths(&s).len() > 5);
    }

    #[test]
    fn capsule_scope_lives_under_var_lib_capsules() {
        let s = Scope::new(
            ScopeKind::Capsule("tatze".into()),
            Root::host(),
            alice(),
            &user_env,
        );
        assert_eq!(s.identity.name, "c-tatze");
        assert_eq!(paths(&s)[4], "/var/lib/capsules/tatze/.config/systemd/user");
        assert_eq!(s.runtime_base(), Path::new("/run/capsules/tatze"));
    }

    #[test]
    fn user_mode_of_a_plain_uid_appends_the_system_dirs() {
        let s = Scope::new(ScopeKind::User, Root::host(), alice(), &user_env);
        assert!(s.include_filtered_system_units());
        let extra: Vec<String> = s
            .filtered_system_dirs()
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        assert!(extra.contains(&"/etc/systemd/system".to_string()));
        assert!(extra.contains(&"/usr/lib/systemd/system".to_string()));
        assert!(!paths(&s).contains(&"/etc/systemd/system".to_string()));
        let root_user = Scope::new(
            ScopeKind::User,
            Root::host(),
            Identity::root_user(),
            &user_env,
        );
        assert!(root_user.filtered_system_dirs().is_empty());
        let system = Scope::new(ScopeKind::System, Root::host(), alice(), &user_env);
        assert!(!system.include_filtered_system_units());
    }

    #[test]
    fn capsule_names() {
        assert!(capsule_name_is_valid("tatze"));
        assert!(capsule_name_is_valid("a-b_c9"));
        assert!(!capsule_name_is_valid(""));
        assert!(!capsule_name_is_valid("a/b"));
        assert!(!capsule_name_is_valid("a.b"));
        assert!(!capsule_name_is_valid(&"x".repeat(30)));
        assert!(capsule_name_is_valid(&"x".repeat(29)));
    }
}

//! Specifiers (`%n`, `%i`, `%h`, …; systemd.unit(5) "Specifiers"), resolved against the
//! manager's scope, never against `User=`. Host facts (hostname, machine and boot id,
//! os-release, uname) are read only when a specifier needs them, inside `--root`.

use super::name::{unescape, unescape_path};
use super::{Unit, UnitName};
use crate::host::{self, RootFacts};
use crate::scope::{Scope, ScopeKind};
use std::path::{Path, PathBuf};

pub struct SpecifierContext<'a> {
    pub unit: &'a UnitName,
    pub fragment: Option<&'a Path>,
    pub scope: &'a Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecifierError {
    #[error("unknown specifier '%{0}'")]
    Unknown(char),
    #[error("cannot resolve '%{0}': {1}")]
    Unavailable(char, String),
}

/// Expands every `%x` in `text`; `%%` is `%`, a lone trailing `%` stays (as systemd).
pub fn expand(text: &str, ctx: &SpecifierContext) -> Result<String, SpecifierError> {
    expand_with(text, |spec| resolve(spec, ctx))
}

/// systemd's `specifier_printf()` loop with another table (tmpfiles.d, sysusers.d): every
/// `%x` is `resolve(x)`; a lone trailing `%` stays.
pub fn expand_with<E>(
    text: &str,
    mut resolve: impl FnMut(char) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('%'),
            Some('%') => out.push('%'),
            Some(spec) => out.push_str(&resolve(spec)?),
        }
    }
    Ok(out)
}

/// The host facts specifiers of every table (`%a %b %B %H %l %m %M %o %v %w %W %A`),
/// read inside `root` where systemd reads them there; `None` for other letters,
/// `Some(None)` when the fact is unavailable (no machine ID, no boot ID).
pub fn host_specifier(spec: char, root: &crate::root::Root) -> Option<Option<String>> {
    let facts = RootFacts { root };
    let os = |key: &str| Some(facts.os_release_field(key).unwrap_or_default());
    Some(match spec {
        'a' => Some(architecture().to_string()),
        'b' => host::boot_id(),
        'B' => os("BUILD_ID"),
        'H' => Some(host::kernel_hostname().unwrap_or_else(|| "localhost".into())),
        'l' => {
            let h = host::kernel_hostname().unwrap_or_else(|| "localhost".into());
            Some(h.split('.').next().unwrap_or(&h).to_string())
        }
        'm' => facts.machine_id(),
        'M' => os("IMAGE_ID"),
        'A' => os("IMAGE_VERSION"),
        'o' => os("ID"),
        'v' => Some(host::kernel_release().unwrap_or_default()),
        'w' => os("VERSION_ID"),
        'W' => os("VARIANT_ID"),
        _ => return None,
    })
}

fn path_text(p: PathBuf) -> String {
    p.to_string_lossy().into_owned()
}

fn resolve(spec: char, ctx: &SpecifierContext) -> Result<String, SpecifierError> {
    let unit = ctx.unit;
    let scope = ctx.scope;
    let id = &scope.identity;
    let system = scope.kind == ScopeKind::System;
    let instance = unit.instance().unwrap_or("");
    let last_dash = |p: &str| p.rsplit('-').next().unwrap_or(p).to_string();
    Ok(match spec {
        '%' => "%".into(),
        'n' => unit.to_string(),
        'N' => unit.stem().into(),
        'p' => unit.prefix().into(),
        'P' => unescape(unit.prefix()),
        'i' => instance.into(),
        'I' => unescape(instance),
        'j' => last_dash(unit.prefix()),
        'J' => unescape(&last_dash(unit.prefix())),
        'f' => {
            if unit.instance().is_some() {
                unescape_path(instance)
            } else {
                unescape_path(unit.prefix())
            }
        }
        'y' => path_text(fragment(spec, ctx)?.to_path_buf()),
        'Y' => path_text(
            fragment(spec, ctx)?
                .parent()
                .unwrap_or(Path::new("/"))
                .to_path_buf(),
        ),
        't' => path_text(scope.runtime_base()),
        'S' => path_text(scope.state_base()),
        'C' => path_text(scope.cache_base()),
        'L' => path_text(scope.logs_base()),
        'E' => path_text(scope.config_base()),
        'D' => path_text(if system {
            PathBuf::from("/usr/share")
        } else {
            scope.xdg.data_home.clone()
        }),
        'd' => path_text(scope.runtime_base().join("credentials").join(unit.as_str())),
        'T' => temp_dir(&["TMPDIR", "TEMP", "TMP"], "/tmp"),
        'V' => temp_dir(&["TMPDIR", "TEMP", "TMP"], "/var/tmp"),
        'h' => path_text(id.home.clone()),
        'u' => id.name.clone(),
        'U' => id.uid.to_string(),
        'g' => id.group.clone(),
        'G' => id.gid.to_string(),
        's' => path_text(id.shell.clone()),
        'H' => hostname(scope),
        'l' => short_hostname(scope),
        'q' => pretty_hostname(scope),
        'm' => machine_id(scope).ok_or_else(|| {
            SpecifierError::Unavailable(spec, "no machine ID set in /etc/machine-id".into())
        })?,
        'b' => host::boot_id()
            .ok_or_else(|| SpecifierError::Unavailable(spec, "cannot read the boot ID".into()))?,
        'v' => host::kernel_release().unwrap_or_default(),
        'a' => architecture().into(),
        'o' => os_release(scope, "ID"),
        'w' => os_release(scope, "VERSION_ID"),
        'W' => os_release(scope, "VARIANT_ID"),
        'B' => os_release(scope, "BUILD_ID"),
        'M' => os_release(scope, "IMAGE_ID"),
        'A' => os_release(scope, "IMAGE_VERSION"),
        other => return Err(SpecifierError::Unknown(other)),
    })
}

fn fragment<'a>(spec: char, ctx: &SpecifierContext<'a>) -> Result<&'a Path, SpecifierError> {
    ctx.fragment
        .ok_or_else(|| SpecifierError::Unavailable(spec, "the unit has no fragment".into()))
}

/// `tmp_dir()`: the first of the variables that is an absolute path, else the default.
fn temp_dir(vars: &[&str], default: &str) -> String {
    vars.iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| v.starts_with('/'))
        .unwrap_or_else(|| default.to_string())
}

fn read_in_root(scope: &Scope, path: &str) -> Option<String> {
    std::fs::read_to_string(scope.root.host_path(Path::new(path))).ok()
}

/// The host name: `/etc/hostname` inside a `--root`, the kernel's otherwise.
fn hostname(scope: &Scope) -> String {
    if !scope.root.is_host() {
        if let Some(name) = (RootFacts { root: &scope.root }).static_hostname() {
            return name;
        }
    }
    host::kernel_hostname().unwrap_or_else(|| "localhost".into())
}

fn short_hostname(scope: &Scope) -> String {
    let host = hostname(scope);
    host.split('.').next().unwrap_or(&host).to_string()
}

fn pretty_hostname(scope: &Scope) -> String {
    read_in_root(scope, "/etc/machine-info")
        .and_then(|t| {
            super::env::parse_environment_file(&t)
                .0
                .get("PRETTY_HOSTNAME")
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| short_hostname(scope))
}

fn machine_id(scope: &Scope) -> Option<String> {
    RootFacts { root: &scope.root }.machine_id()
}

/// systemd's architecture name for the machine this binary was built for.
pub fn architecture() -> &'static str {
    crate::arch::native_architecture().unwrap_or(std::env::consts::ARCH)
}

/// A field of os-release (`/etc/os-release`, else `/usr/lib/os-release`); empty if unset.
fn os_release(scope: &Scope, field: &str) -> String {
    RootFacts { root: &scope.root }
        .os_release_field(field)
        .unwrap_or_default()
}

impl Unit {
    /// The last value of a single-valued setting with specifiers expanded; `None` when unset.
    pub fn expanded(
        &self,
        section: &str,
        key: &str,
        scope: &Scope,
    ) -> Option<Result<String, SpecifierError>> {
        let raw = self.settings.get(section, key)?;
        let ctx = SpecifierContext {
            unit: &self.id,
            fragment: self.fragment_path.as_deref(),
            scope,
        };
        Some(expand(raw, &ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::users::Identity;

    fn alice() -> Identity {
        Identity {
            uid: 1000,
            gid: 100,
            name: "alice".into(),
            group: "users".into(),
            home: "/home/alice".into(),
            shell: "/bin/zsh".into(),
        }
    }

    fn with<T>(
        name: &str,
        kind: ScopeKind,
        root: Root,
        f: impl FnOnce(&SpecifierContext) -> T,
    ) -> T {
        let identity = if kind == ScopeKind::System {
            Identity::root_user()
        } else {
            alice()
        };
        let env = |k: &str| (k == "XDG_RUNTIME_DIR").then(|| "/run/user/1000".to_string());
        let scope = Scope::new(kind, root, identity, &env);
        let unit = UnitName::parse(name).unwrap();
        let fragment = Path::new("/etc/systemd/system/foo-db@.service");
        f(&SpecifierContext {
            unit: &unit,
            fragment: Some(fragment),
            scope: &scope,
        })
    }

    fn sys(name: &str, text: &str) -> String {
        with(name, ScopeKind::System, Root::host(), |c| {
            expand(text, c).unwrap()
        })
    }

    fn user(name: &str, text: &str) -> String {
        with(name, ScopeKind::User, Root::host(), |c| {
            expand(text, c).unwrap()
        })
    }

    #[test]
    fn name_specifiers() {
        let n = r"foo-db@a\x2db-c.service";
        assert_eq!(
            sys(n, "%n|%N|%p|%i"),
            r"foo-db@a\x2db-c.service|foo-db@a\x2db-c|foo-db|a\x2db-c"
        );
        assert_eq!(sys(n, "%I|%P|%j|%J"), "a-b/c|foo/db|db|db");
        assert_eq!(sys("fsck@dev-sda1.service", "%f"), "/dev/sda1");
        assert_eq!(sys("home-user.mount", "%f|%i|%j"), "/home/user||user");
        assert_eq!(sys("plain.service", "%j"), "plain");
        assert_eq!(sys("a.service", "100%% %"), "100% %");
    }

    #[test]
    fn fragment_specifiers() {
        assert_eq!(
            sys("foo-db@x.service", "%y %Y"),
            "/etc/systemd/system/foo-db@.service /etc/systemd/system"
        );
        let scope = Scope::new(
            ScopeKind::System,
            Root::host(),
            Identity::root_user(),
            &|_| None,
        );
        let unit = UnitName::parse("a.service").unwrap();
        let ctx = SpecifierContext {
            unit: &unit,
            fragment: None,
            scope: &scope,
        };
        assert!(matches!(
            expand("%y", &ctx),
            Err(SpecifierError::Unavailable('y', _))
        ));
    }

    #[test]
    fn scope_dependent_directories() {
        assert_eq!(
            sys("a.service", "%t %S %C %L %E %D"),
            "/run /var/lib /var/cache /var/log /etc /usr/share"
        );
        assert_eq!(
            user("a.service", "%t %S %C %L %E %D"),
            "/run/user/1000 /home/alice/.local/state /home/alice/.cache /home/alice/.local/state/log /home/alice/.config /home/alice/.local/share"
        );
        assert_eq!(sys("a.service", "%d"), "/run/credentials/a.service");
        assert_eq!(
            user("a.service", "%d"),
            "/run/user/1000/credentials/a.service"
        );
        let capsule = with(
            "a.service",
            ScopeKind::Capsule("tatze".into()),
            Root::host(),
            |c| expand("%h %u %t", c).unwrap(),
        );
        assert_eq!(
            capsule,
            "/var/lib/capsules/tatze c-tatze /run/capsules/tatze"
        );
    }

    #[test]
    fn identity_specifiers() {
        assert_eq!(sys("a.service", "%u %U %g %G %h"), "root 0 root 0 /root");
        assert_eq!(
            user("a.service", "%u %U %g %G %h %s"),
            "alice 1000 users 100 /home/alice /bin/zsh"
        );
    }

    #[test]
    fn host_facts_come_from_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, t: &str| {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        };
        w("etc/machine-id", "0123456789ABCDEF0123456789abcdef\n");
        w("etc/hostname", "# c\nbox.example.org\n");
        w(
            "usr/lib/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nBUILD_ID=b1\n",
        );
        let got = with("a.service", ScopeKind::System, Root::new(dir.path()), |c| {
            expand("%m|%H|%l|%q|%o|%w|%W|%B|%M|%A", c).unwrap()
        });
        assert_eq!(
            got,
            "0123456789abcdef0123456789abcdef|box.example.org|box|box|debian|12||b1||"
        );
        w("etc/machine-info", "PRETTY_HOSTNAME=\"Lab Box\"\n");
        let pretty = with("a.service", ScopeKind::System, Root::new(dir.path()), |c| {
            expand("%q", c).unwrap()
        });
        assert_eq!(pretty, "Lab Box");
        let missing = with(
            "a.service",
            ScopeKind::System,
            Root::new("/nonexistent-root"),
            |c| expand("%m", c),
        );
        assert!(matches!(missing, Err(SpecifierError::Unavailable('m', _))));
    }

    #[test]
    fn machine_facts_and_unknown_specifiers() {
        assert_eq!(sys("a.service", "%a"), architecture());
        assert!(!sys("a.service", "%v").is_empty());
        if Path::new("/proc/sys/kernel/random/boot_id").exists() {
            assert_eq!(sys("a.service", "%b").len(), 32);
        }
        assert_eq!(
            sys("a.service", "%T"),
            temp_dir(&["TMPDIR", "TEMP", "TMP"], "/tmp")
        );
        let err = with("a.service", ScopeKind::System, Root::host(), |c| {
            expand("x%zy", c)
        });
        assert_eq!(err, Err(SpecifierError::Unknown('z')));
    }
}

//! The manager environment: what every process the manager spawns starts from, and what
//! `systemctl show-environment` prints — one function, so the two cannot disagree.
//!
//! As systemd 252's `manager_default_environment()`: the system manager starts clean
//! (`PATH` plus the locale of `/etc/locale.conf`, or Debian's `/etc/default/locale`, or
//! `LANG=C.UTF-8`); a user manager passes on its own environment minus the variables that
//! describe its own invocation, with `PATH` replaced. `DefaultEnvironment=` of
//! `system.conf`/`user.conf` and their `.d/` drop-ins is added on top. What
//! `set-environment` & co. set (the client environment, [`super::client_env`]) comes last,
//! as 252's `manager_get_effective_environment()`: a name already there is replaced in
//! place, new names follow the sorted defaults in their own sorted order.

use crate::scope::Scope;
use crate::unit::syntax;
use crate::unit::value::{split_words, SplitOptions};
use std::path::{Path, PathBuf};

/// systemd 252's `DEFAULT_PATH` as Debian builds it (split `/usr`), for both managers.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The locale systemd falls back to when no configuration sets `LANG`.
const DEFAULT_LOCALE: &str = "C.UTF-8";

const LOCALE_VARIABLES: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
];

/// Variables a user manager drops from the environment it inherited (systemd's
/// `sanitize_environment()`): they describe its own invocation, not its children's.
const INVOCATION_VARIABLES: &[&str] = &[
    "EXIT_CODE",
    "EXIT_STATUS",
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "LISTEN_FDNAMES",
    "LISTEN_FDS",
    "LISTEN_PID",
    "MAINPID",
    "MANAGERPID",
    "NOTIFY_SOCKET",
    "PIDFILE",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVICE_RESULT",
    "WATCHDOG_PID",
    "WATCHDOG_USEC",
];

/// Variables of unitbox's own plumbing between a supervisor and its caller.
const INTERNAL_PREFIX: &str = "UNITBOX_";

/// The manager environment of `scope`, each name once: the defaults sorted by name, then
/// the client environment's new names. `own` is the
/// environment the manager process itself was started with (a user manager passes it on).
pub fn manager_environment(scope: &Scope, own: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let conf = if scope.is_system() {
        for pair in locale(scope) {
            set(&mut env, pair);
        }
        "system"
    } else {
        for (k, v) in own {
            if !INVOCATION_VARIABLES.contains(&k.as_str()) && !k.starts_with(INTERNAL_PREFIX) {
                set(&mut env, (k.clone(), v.clone()));
            }
        }
        "user"
    };
    set(&mut env, ("PATH".into(), DEFAULT_PATH.into()));
    for pair in default_environment(scope, conf) {
        set(&mut env, pair);
    }
    env.sort();
    for entry in super::client_env::read(scope) {
        if let Some((k, v)) = entry.split_once('=') {
            set(&mut env, (k.to_string(), v.to_string()));
        }
    }
    env
}

/// This process's environment as (name, value) pairs, non-UTF-8 entries left out.
pub fn own_environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn set(env: &mut Vec<(String, String)>, pair: (String, String)) {
    match env.iter_mut().find(|(k, _)| *k == pair.0) {
        Some(slot) => *slot = pair,
        None => env.push(pair),
    }
}

/// `LANG=` and `LC_*=` from `/etc/locale.conf`, else Debian's `/etc/default/locale` (as
/// Debian's systemd reads it); `LANG=C.UTF-8` when nothing sets `LANG`.
fn locale(scope: &Scope) -> Vec<(String, String)> {
    let root = &scope.root;
    let mut out: Vec<(String, String)> = Vec::new();
    for file in ["/etc/locale.conf", "/etc/default/locale"] {
        let Ok(text) = std::fs::read_to_string(root.host_path(Path::new(file))) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if !LOCALE_VARIABLES.contains(&key) {
                continue;
            }
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if !value.is_empty() {
                out.push((key.to_string(), value.to_string()));
            }
        }
        break;
    }
    if !out.iter().any(|(k, _)| k == "LANG") {
        out.push(("LANG".into(), DEFAULT_LOCALE.into()));
    }
    out
}

/// `DefaultEnvironment=` assignments of `/etc/systemd/{system,user}.conf` and drop-ins, in
/// order; an empty assignment resets the list.
fn default_environment(scope: &Scope, conf: &str) -> Vec<(String, String)> {
    let root = &scope.root;
    let main = PathBuf::from(format!("/etc/systemd/{conf}.conf"));
    let mut files = vec![main];
    let dropin_dir = PathBuf::from(format!("/etc/systemd/{conf}.conf.d"));
    files.extend(crate::dirent::conf_files(
        root,
        &[dropin_dir],
        Some(".conf"),
    ));
    let opts = SplitOptions {
        c_unescape: true,
        relax: false,
    };
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(root.host_path(&file)) else {
            continue;
        };
        let (entries, _) = syntax::parse(&text, &file);
        for e in entries
            .iter()
            .filter(|e| e.section == "Manager" && e.key == "DefaultEnvironment")
        {
            if e.value.is_empty() {
                out.clear();
                continue;
            }
            out.extend(
                split_words(&e.value, opts)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|w| {
                        let (k, v) = w.split_once('=')?;
                        Some((k.to_string(), v.to_string()))
                    }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn scope(kind: ScopeKind, dir: &Path) -> Scope {
        Scope::new(kind, Root::new(dir), Identity::root_user(), &|_| None)
    }

    #[test]
    fn locale_conf_feeds_the_system_environment() {
        let dir = tempfile::tempdir().unwrap();
        let system = scope(ScopeKind::System, dir.path());
        assert_eq!(
            manager_environment(&system, &[]),
            pairs(&[("LANG", "C.UTF-8"), ("PATH", DEFAULT_PATH)])
        );
        std::fs::create_dir_all(dir.path().join("etc/default")).unwrap();
        std::fs::write(dir.path().join("etc/default/locale"), "LANG=fr_FR.UTF-8\n").unwrap();
        assert_eq!(
            manager_environment(&system, &[])[0],
            ("LANG".to_string(), "fr_FR.UTF-8".to_string()),
            "Debian's /etc/default/locale when there is no locale.conf"
        );
        std::fs::write(
            dir.path().join("etc/locale.conf"),
            "LANG=de_DE.UTF-8\nOTHER=x\n",
        )
        .unwrap();
        assert_eq!(
            manager_environment(&system, &[("SECRET".into(), "x".into())]),
            pairs(&[("LANG", "de_DE.UTF-8"), ("PATH", DEFAULT_PATH)])
        );
    }

    #[test]
    fn default_environment_and_user_manager_inheritance() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/systemd/user.conf.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/systemd/user.conf"),
            "[Manager]\nDefaultEnvironment=A=1 \"B=two words\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/systemd/user.conf.d/50-x.conf"),
            "[Manager]\nDefaultEnvironment=C=3\n",
        )
        .unwrap();
        let user = scope(ScopeKind::User, dir.path());
        let own = pairs(&[("PATH", "/caller"), ("NOTIFY_SOCKET", "/x"), ("HOME", "/h")]);
        assert_eq!(
            manager_environment(&user, &own),
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "3"),
                ("HOME", "/h"),
                ("PATH", DEFAULT_PATH)
            ])
        );
    }
}

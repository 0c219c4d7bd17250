//! Capsules (`capsule@.service(5)`, systemd ≥ 256): extra service managers, one per name,
//! each running under a dynamic user `c-NAME` with its home in `/var/lib/capsules/NAME`
//! and its runtime directory `/run/capsules/NAME`.
//!
//! - The system unit `capsule@NAME.service` runs `unitbox systemctl --capsule=NAME init
//!   capsule@NAME.target`: a user-mode init as the capsule's user. unitbox provides the
//!   unit ([`builtin_unit`]) when no file of that name is on the unit path, and the user
//!   unit `capsule@.target` it starts likewise.
//! - `systemctl --capsule=NAME` works inside that capsule: [`enter`] switches the calling
//!   process to the capsule's user (read from the dynamic-user registry) so that
//!   everything it starts, writes and asks runs as the capsule, also when called by root.
//!
//! The user name is `c-NAME` as in systemd's implementation (`capsule_name_is_valid()`,
//! its tests) — the v256 man page's `p_`/`p-` is a documentation error fixed later.

use crate::exec::dynamic_user;
use crate::root::Root;
use crate::scope::{
    capsule_name_is_valid, Scope, ScopeKind, CAPSULE_HOME_BASE, CAPSULE_RUNTIME_BASE,
};
use crate::unit::UnitName;
use crate::users::Identity;
use std::path::{Path, PathBuf};

/// The name prefix of a capsule's user.
pub const USER_PREFIX: &str = "c-";

/// Where the built-in units appear to live: `systemctl cat` and `FragmentPath=` show this
/// path; no such file exists (a real file of the same name on the unit path wins).
pub const BUILTIN_DIR: &str = "/usr/lib/unitbox/built-in";

const SERVICE_TEMPLATE: &str = "capsule@.service";
const TARGET_TEMPLATE: &str = "capsule@.target";

/// A capsule name: a file name (no `/`, at most 255 bytes) that makes `c-NAME` a strict
/// POSIX user name (so in fact 1–29 characters of `[A-Za-z0-9_-]`).
pub fn name_is_valid(name: &str) -> bool {
    name.len() <= 255 && !name.contains('/') && capsule_name_is_valid(name)
}

pub fn user_name(name: &str) -> String {
    format!("{USER_PREFIX}{name}")
}

/// NAME of `capsule@NAME.service`, if `unit` is such an instance.
pub fn instance_of_service(unit: &str) -> Option<&str> {
    unit.strip_prefix("capsule@")?
        .strip_suffix(".service")
        .filter(|n| !n.is_empty())
}

/// A unit unitbox provides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    /// The logical path it is shown under (in [`BUILTIN_DIR`]).
    pub path: PathBuf,
    pub text: String,
}

/// The built-in unit for `name` in this scope, if there is one: `capsule@.service` for
/// the system, `capsule@.target` for user managers (capsules included). The caller has
/// already found no file of that name on the unit path.
pub fn builtin_unit(scope: &Scope, name: &UnitName) -> Option<Builtin> {
    if let Some(journald) = crate::journal::server::builtin::builtin(scope, name.as_str()) {
        return Some(journald);
    }
    let template = if name.is_template() {
        name.clone()
    } else {
        name.template()?
    };
    builtin_for_template(scope, template.as_str())
}

/// Every built-in template of the scope (for callers that must consider all units).
pub fn builtin_templates(scope: &Scope) -> Vec<Builtin> {
    [SERVICE_TEMPLATE, TARGET_TEMPLATE]
        .into_iter()
        .filter_map(|template| builtin_for_template(scope, template))
        .collect()
}

/// The built-in unit shown under `path` (for reading what [`builtin_unit`] named).
pub fn builtin_at(scope: &Scope, path: &Path) -> Option<Builtin> {
    let file = path.strip_prefix(BUILTIN_DIR).ok()?.to_str()?;
    crate::journal::server::builtin::builtin(scope, file)
        .or_else(|| builtin_for_template(scope, file))
}

fn builtin_for_template(scope: &Scope, template: &str) -> Option<Builtin> {
    let text = match (&scope.kind, template) {
        (ScopeKind::System, SERVICE_TEMPLATE) => service_text(scope)?,
        (ScopeKind::User | ScopeKind::Capsule(_), TARGET_TEMPLATE) => TARGET_TEXT.to_string(),
        _ => return None,
    };
    Some(Builtin {
        path: Path::new(BUILTIN_DIR).join(template),
        text,
    })
}

const TARGET_TEXT: &str = "\
# unitbox built-in: used because no capsule@.target is on the unit path.
# systemd's has Requires=basic.target; a container rarely has one, so it is wanted only.
[Unit]
Description=Capsule @%i
Documentation=man:capsule@.service(5)
Wants=basic.target
After=basic.target
AllowIsolate=yes
";

/// systemd's `units/capsule@.service.in`, with unitbox as the manager. The manager is
/// this very binary (its resolved path: `/proc/self/exe` means something else in the
/// service), called as `systemctl`; a `--root` is passed on.
fn service_text(scope: &Scope) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let root = if scope.root.is_host() {
        String::new()
    } else {
        format!(
            " {}",
            quote(&format!("--root={}", scope.root.dir().display()))
        )
    };
    Some(format!(
        "\
# unitbox built-in: used because no capsule@.service is on the unit path.
[Unit]
Description=Capsule @%i
Documentation=man:capsule@.service(5)

[Service]
ExecStart=@{exe} systemctl --capsule=%i{root} init capsule@%i.target
DynamicUser=yes
User={USER_PREFIX}%i
StateDirectory=capsules/%i
StateDirectoryMode=0700
RuntimeDirectory=capsules/%i
RuntimeDirectoryMode=0700
Environment=HOME={CAPSULE_HOME_BASE}/%i XDG_RUNTIME_DIR={CAPSULE_RUNTIME_BASE}/%i UNITBOX_CONSOLE=0
KillMode=mixed
TimeoutStopSec=120s
",
        exe = quote(&exe.display().to_string()),
    ))
}

/// One word of a command line: `%` escaped for the specifier expansion, quoted when it
/// holds blanks or quotes.
fn quote(word: &str) -> String {
    let word = word.replace('%', "%%");
    if word.contains([' ', '\t', '"', '\'', '\\']) {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        word
    }
}

/// Why `systemctl --capsule=NAME` cannot work inside a capsule, in systemd's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapsuleError {
    #[error("Invalid capsule name: {0}")]
    InvalidName(String),
    /// No running `capsule@NAME.service` holds the capsule's user.
    #[error(
        "Failed to connect to user scope bus via capsule transport: No such file or directory"
    )]
    NotRunning(String),
    /// The caller is neither root nor the capsule's user.
    #[error("Failed to connect to user scope bus via capsule transport: Permission denied")]
    AccessDenied(String),
    #[error("Failed to switch to the user of capsule {0}: {1}")]
    Switch(String, String),
}

/// The uid (= gid) of the running capsule `name`.
pub fn running_uid(root: &Root, name: &str) -> Option<u32> {
    dynamic_user::live_uid(root, &user_name(name))
}

/// Becomes the capsule's user for the rest of this process: as root, drops to the
/// capsule's uid/gid (no supplementary groups); as that user already (the capsule's own
/// manager), changes nothing. Sets `HOME`, `XDG_RUNTIME_DIR`, `USER`, `LOGNAME` and drops
/// the caller's other XDG variables, so that everything started from here sees the
/// capsule's environment. Call it early, while the process has one thread.
pub fn enter(root: &Root, name: &str) -> Result<Identity, CapsuleError> {
    if !name_is_valid(name) {
        return Err(CapsuleError::InvalidName(name.to_string()));
    }
    let uid = running_uid(root, name).ok_or_else(|| CapsuleError::NotRunning(name.into()))?;
    let euid = nix::unistd::geteuid().as_raw();
    if euid == 0 {
        switch_to(uid, uid).map_err(|e| CapsuleError::Switch(name.into(), e.to_string()))?;
    } else if euid != uid {
        return Err(CapsuleError::AccessDenied(name.into()));
    }
    let home = Path::new(CAPSULE_HOME_BASE).join(name);
    let runtime = Path::new(CAPSULE_RUNTIME_BASE).join(name);
    let user = user_name(name);
    for key in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_DIRS",
        "XDG_DATA_DIRS",
        "DBUS_SESSION_BUS_ADDRESS",
    ] {
        std::env::remove_var(key);
    }
    std::env::set_var("HOME", &home);
    std::env::set_var("XDG_RUNTIME_DIR", &runtime);
    std::env::set_var("USER", &user);
    std::env::set_var("LOGNAME", &user);
    Ok(Identity {
        uid,
        gid: uid,
        name: user.clone(),
        group: user,
        home,
        shell: PathBuf::from("/bin/sh"),
    })
}

/// setgroups/setgid/setuid, in that order (each needs the privileges the next drops).
fn switch_to(uid: u32, gid: u32) -> std::io::Result<()> {
    use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
    setgroups(&[Gid::from_raw(gid)])?;
    setgid(Gid::from_raw(gid))?;
    setuid(Uid::from_raw(uid))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(kind: ScopeKind) -> Scope {
        Scope::new(kind, Root::new("/tmp/r x"), Identity::root_user(), &|_| {
            None
        })
    }

    #[test]
    fn names() {
        assert!(name_is_valid("tatze"));
        assert!(!name_is_valid("a/b"));
        assert!(!name_is_valid("a.b"));
        assert!(!name_is_valid(&"x".repeat(30)));
        assert_eq!(user_name("tatze"), "c-tatze");
        assert_eq!(instance_of_service("capsule@tatze.service"), Some("tatze"));
        assert_eq!(instance_of_service("capsule@.service"), None);
        assert_eq!(instance_of_service("user@1000.service"), None);
    }

    #[test]
    fn builtins_by_scope() {
        let system = scope(ScopeKind::System);
        let svc = UnitName::parse("capsule@tatze.service").unwrap();
        let b = builtin_unit(&system, &svc).unwrap();
        assert_eq!(
            b.path,
            Path::new("/usr/lib/unitbox/built-in/capsule@.service")
        );
        assert!(
            b.text.contains("DynamicUser=yes\nUser=c-%i\n"),
            "{}",
            b.text
        );
        assert!(
            b.text
                .contains(" systemctl --capsule=%i \"--root=/tmp/r x\" init capsule@%i.target\n"),
            "{}",
            b.text
        );
        assert_eq!(builtin_at(&system, &b.path), Some(b));
        let tgt = UnitName::parse("capsule@tatze.target").unwrap();
        assert!(builtin_unit(&system, &tgt).is_none());
        let capsule = scope(ScopeKind::Capsule("tatze".into()));
        assert!(builtin_unit(&capsule, &tgt)
            .unwrap()
            .text
            .contains("AllowIsolate=yes"));
        assert!(builtin_unit(&capsule, &svc).is_none());
        let other = UnitName::parse("other@x.service").unwrap();
        assert!(builtin_unit(&system, &other).is_none());
    }

    #[test]
    fn quoting_for_command_lines() {
        assert_eq!(quote("/usr/bin/unitbox"), "/usr/bin/unitbox");
        assert_eq!(quote("/a b/%i"), "\"/a b/%%i\"");
    }
}

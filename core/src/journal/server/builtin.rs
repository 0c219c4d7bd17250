//! The built-in `systemd-journald.service` (system scope): unitbox's journald, provided
//! when no unit file of that name is on the unit path (a real file wins, as for the other
//! built-ins of [`crate::capsule`]). A unitbox PID 1 starts it before the default target
//! ([`boot_units`]); without a unitbox PID 1, `systemctl start systemd-journald` brings it up
//! (as root on a container's own root, any `systemctl start` does, see [`wanted_by_start`]).

use crate::capsule::{Builtin, BUILTIN_DIR};
use crate::scope::{Scope, ScopeKind};
use std::path::Path;

pub const UNIT: &str = "systemd-journald.service";

/// The unit's text: our own binary as `systemd-journald`, `--root` passed on.
pub fn builtin(scope: &Scope, name: &str) -> Option<Builtin> {
    if name != UNIT || scope.kind != ScopeKind::System {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let root = if scope.root.is_host() {
        String::new()
    } else {
        format!(" --root={}", scope.root.dir().display())
    };
    let text = format!(
        "\
# unitbox built-in: used because no {UNIT} is on the unit path.
[Unit]
Description=Journal Service
Documentation=man:systemd-journald.service(8) man:journald.conf(5)
DefaultDependencies=no
IgnoreOnIsolate=yes

[Service]
Type=notify
ExecStart=@{exe} systemd-journald{root}
Restart=always
RestartSec=0
",
        exe = exe.display().to_string().replace('%', "%%"),
        root = root.replace('%', "%%"),
    );
    Some(Builtin {
        path: Path::new(BUILTIN_DIR).join(UNIT),
        text,
    })
}

/// Whether this process may run journald for the scope: the system scope, as root.
pub fn may_run(scope: &Scope) -> bool {
    // SAFETY: geteuid cannot fail.
    scope.kind == ScopeKind::System && unsafe { libc::geteuid() } == 0
}

/// The boot's units with journald first (when it may run and is not masked away).
pub fn boot_units(scope: &Scope, mut names: Vec<String>) -> Vec<String> {
    if may_run(scope) && !names.iter().any(|n| n == UNIT) {
        names.insert(0, UNIT.to_string());
    }
    names
}

/// Whether a `systemctl start` should bring journald up too: only on a container's own
/// root (never for `--root` trees, which build images and run tests).
pub fn wanted_by_start(scope: &Scope) -> bool {
    may_run(scope) && scope.root.is_host()
}

//! `/run/systemd/system`: the directory a systemd PID 1 creates at boot, which
//! `sd_booted()` and every "does systemd run?" check test — Ansible's service module,
//! `invoke-rc.d`, `deb-systemd-invoke`, and the cron fallbacks of packages that ship
//! timers (`/etc/cron.daily/logrotate`, man-db, certbot, e2scrub_all, sysstat, …), which
//! exit at once when it exists because the timer does their job. A unitbox PID 1 runs
//! those timers, so it says so the same way.

use crate::scope::Scope;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

pub const BOOTED_MARKER: &str = "/run/systemd/system";

/// Creates the marker (mode 0755) for a system manager. A user-mode PID 1 (no root, no
/// write access to `/run`) leaves it alone.
pub fn mark_booted(scope: &Scope) {
    if !scope.is_system() {
        return;
    }
    let host = scope.root.host_path(Path::new(BOOTED_MARKER));
    if let Err(e) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&host)
    {
        log::warn!("Failed to create {BOOTED_MARKER}, ignoring: {e}");
    }
}

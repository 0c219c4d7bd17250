//! Where the system journal's records live, as journald.conf's `Storage=` says:
//! `volatile` keeps them in the runtime state (`/run/unitbox/journal`, gone with the
//! container); `persistent` (and `auto` when `/var/log/journal` exists, the way 252 decides)
//! puts them in `/var/log/journal/unitbox`, so a restarted container still has them.
//!
//! Writers (supervisors, journald) and readers (journalctl) all open `<state>/journal`;
//! for persistent storage that name is a relative symlink into `/var/log/journal`, so no
//! process needs to know the decision, and `--root` images work alike. It is taken once a
//! boot, when the state directory is made; a persistent place that cannot be made
//! (read-only `/var`) falls back to volatile with a warning, as journald does.
//! User scopes keep their journal volatile: 252 stores user records through the system's
//! journald, which writes where an unprivileged manager cannot.

use super::server::config::{Config, Storage};
use crate::scope::Scope;
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

/// journald's persistent directory, whose existence `Storage=auto` asks about.
pub const PERSISTENT_DIR: &str = "/var/log/journal";
/// Our directory in it (journald's is named by the machine id; this one's format is ours).
pub const PERSISTENT_NAME: &str = "unitbox";
/// `<state>/journal`'s target from `/run/unitbox/journal`.
const LINK_TARGET: &str = "../../var/log/journal/unitbox";

/// Whether `config` and the root's files make the system journal persistent.
pub fn is_persistent(config: &Config, scope: &Scope) -> bool {
    let persistent_dir = scope.root.host_path(Path::new(PERSISTENT_DIR));
    match config.storage {
        Storage::Persistent => true,
        Storage::Auto => persistent_dir.is_dir(),
        Storage::Volatile | Storage::None => false,
    }
}

/// Makes `journal` (the state directory's `journal` entry, not there yet) a symlink to the
/// persistent store when the scope's storage is persistent; otherwise leaves it to the
/// caller, which makes a directory. An existing entry is kept: the decision is per boot.
pub fn place(journal: &Path, scope: &Scope) {
    if !scope.is_system() || fs::symlink_metadata(journal).is_ok() {
        // Reattach a persistent store someone removed under the existing link.
        if let Ok(target) = fs::read_link(journal) {
            if let Some(dir) = journal.parent().map(|p| p.join(target)) {
                let _ = fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(dir);
            }
        }
        return;
    }
    if !is_persistent(&Config::load(&scope.root), scope) {
        return;
    }
    let store = scope
        .root
        .host_path(&Path::new(PERSISTENT_DIR).join(PERSISTENT_NAME));
    let made = fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&store)
        .and_then(|()| std::os::unix::fs::symlink(LINK_TARGET, journal));
    match made {
        Ok(()) => {}
        // Another first command of this boot made it: theirs is the same decision.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => log::warn!(
            "Failed to create persistent journal directory {}, using volatile storage: {e}",
            store.display()
        ),
    }
}

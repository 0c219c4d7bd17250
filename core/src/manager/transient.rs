//! Transient units (`systemd-run`): unit files in the scope's transient directory
//! (`/run/systemd/transient`, `$XDG_RUNTIME_DIR/systemd/transient`), created under a name
//! nobody else has, and garbage-collected when they come to rest.
//!
//! - Names: `run-uN.service` with N from a counter in the state directory, so a name is
//!   never reused within a boot (its journal would mix two runs); the file is created with
//!   `O_EXCL`, so two callers can never get the same unit.
//! - Collection (systemd's `unit_may_gc()` with `CollectMode=`): a transient unit that is
//!   inactive — or failed, with `CollectMode=inactive-or-failed` — loses its file and its
//!   state. The supervisor collects when it exits, `reset-failed` collects a failed one.
//!   A client that still wants to read the final state (`systemd-run --wait`) holds a
//!   [`Reference`] (a shared `flock` on the unit file, like systemd's bus references);
//!   collectors skip referenced units and the holder collects when done.
//! - Boots: the transient directory lives under `/run` and so vanishes with the boot. For
//!   trees that persist (`--root`), a marker in the state directory's `units/` (which the
//!   state directory discards on a boot change) tells whether the transient files are from
//!   this boot; if not, they are removed before new ones are made.

use crate::scope::{DirClass, Scope};
use crate::state::lock;
use crate::state::{ActiveState, StateDir, UnitState};
use crate::unit::{Unit, UnitName, UnitStore};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Serialises name allocation and the boot check (inside the state directory).
const ALLOCATION_LOCK: &str = "transient.lock";
/// The next `run-uN` number.
const COUNTER_FILE: &str = "transient.next";
/// In `units/`: present once this boot's transient directory has been checked.
const BOOT_MARKER: &str = ".transient-boot";
/// `CollectMode=` value that collects failed units too.
const COLLECT_FAILED: &str = "inactive-or-failed";

#[derive(Debug, thiserror::Error)]
pub enum TransientError {
    /// A user scope without `$XDG_RUNTIME_DIR` has no transient directory to search.
    #[error("No transient unit directory: $XDG_RUNTIME_DIR is not set.")]
    NoTransientDir,
    #[error("Unit {0} was already loaded or has a fragment file.")]
    Exists(String),
    #[error(transparent)]
    Core(#[from] crate::Error),
}

/// The scope's transient directory (logical), if its search path has one.
pub fn transient_dir(scope: &Scope) -> Option<PathBuf> {
    scope
        .unit_dirs()
        .iter()
        .find(|d| d.class == DirClass::Transient)
        .map(|d| d.path.clone())
}

/// Whether `unit` was made by [`create`]: its fragment is in the transient directory.
pub fn is_transient(scope: &Scope, unit: &Unit) -> bool {
    let Some(dir) = transient_dir(scope) else {
        return false;
    };
    unit.fragment_path
        .as_deref()
        .is_some_and(|f| f.parent() == Some(dir.as_path()))
}

/// Writes `text` as a new transient unit: `name`, or the next free `run-uN.service`.
/// Refuses names that have a unit file anywhere on the search path or live state.
/// Returns the unit's name.
pub fn create(
    scope: &Scope,
    state: &StateDir,
    name: Option<&UnitName>,
    text: &str,
) -> Result<String, TransientError> {
    let logical = transient_dir(scope).ok_or(TransientError::NoTransientDir)?;
    let host = scope.root.host_path(&logical);
    let _lock = lock::lock(&state.path().join(ALLOCATION_LOCK), Duration::from_secs(30))?;
    discard_previous_boot(state, &host)?;
    let mode = if scope.is_system() { 0o755 } else { 0o700 };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(&host)
        .map_err(|e| crate::Error::io(&host, e))?;
    let store = UnitStore::new(scope.clone());
    let taken = |n: &str| {
        store.entry(n).is_some()
            || !crate::manager::runtime::runtime_state(state, n)
                .active_state
                .is_inactive_or_failed()
            || state.unit_paths(n).state.exists()
    };
    if let Some(name) = name {
        let name = name.as_str();
        if taken(name) {
            return Err(TransientError::Exists(name.to_string()));
        }
        return match write_new(&host.join(name), text) {
            Ok(()) => Ok(name.to_string()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(TransientError::Exists(name.to_string()))
            }
            Err(e) => Err(crate::Error::io(host.join(name), e).into()),
        };
    }
    let counter = state.path().join(COUNTER_FILE);
    let mut next: u64 = fs::read_to_string(&counter)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1);
    loop {
        let candidate = format!("run-u{next}.service");
        next += 1;
        if taken(&candidate) {
            continue;
        }
        match write_new(&host.join(&candidate), text) {
            Ok(()) => {
                crate::state::dir::write_atomic(&counter, format!("{next}\n").as_bytes())?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(crate::Error::io(host.join(&candidate), e).into()),
        }
    }
}

fn write_new(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|_| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Removes transient units left by a previous boot (see the module documentation).
fn discard_previous_boot(state: &StateDir, transient_host: &Path) -> crate::Result<()> {
    let marker = state.units_dir().join(BOOT_MARKER);
    if marker.exists() {
        return Ok(());
    }
    if let Ok(entries) = fs::read_dir(transient_host) {
        for entry in entries.flatten() {
            let path = entry.path();
            let removed = match entry.file_type() {
                Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
                _ => fs::remove_file(&path),
            };
            if let Err(e) = removed {
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(crate::Error::io(path, e));
                }
            }
        }
    }
    crate::state::dir::write_atomic(&marker, b"")
}

/// A client's hold on a transient unit: while it exists, nobody else collects the unit.
#[derive(Debug)]
pub struct Reference {
    _file: File,
}

/// Takes a [`Reference`] on the transient unit `name`.
pub fn reference(scope: &Scope, name: &str) -> crate::Result<Reference> {
    let logical = transient_dir(scope)
        .ok_or_else(|| crate::Error::Invalid(TransientError::NoTransientDir.to_string()))?;
    let host = scope.root.host_path(&logical.join(name));
    let file = File::open(&host).map_err(|e| crate::Error::io(&host, e))?;
    crate::sys::flock(&file, libc::LOCK_SH).map_err(|e| crate::Error::io(&host, e))?;
    Ok(Reference { _file: file })
}

/// Whether a unit in this state with this `CollectMode=` may be collected.
pub fn collectable(state: &UnitState, collect_mode: Option<&str>) -> bool {
    match state.active_state {
        ActiveState::Inactive => true,
        ActiveState::Failed => collect_mode == Some(COLLECT_FAILED),
        _ => false,
    }
}

/// The supervisor's last act: if `unit` is transient and at rest as `CollectMode=`
/// allows, its file and state file go (unless a client holds a [`Reference`]).
pub fn collect_at_rest(scope: &Scope, unit: &Unit, state: &UnitState, state_path: &Path) {
    if !is_transient(scope, unit) {
        return;
    }
    if !collectable(state, unit.settings.get("Unit", "CollectMode")) {
        return;
    }
    let Some(fragment) = unit.fragment_path.as_deref() else {
        return;
    };
    remove_unreferenced(scope, fragment, state_path);
}

/// Collects the transient unit `name` if its recorded state allows it and its supervisor
/// is gone (after `reset-failed`, or when a [`Reference`] holder is done).
pub fn collect(scope: &Scope, state_dir: &StateDir, name: &str) {
    let Some(dir) = transient_dir(scope) else {
        return;
    };
    let Ok(parsed) = UnitName::parse(name) else {
        return;
    };
    let fragment = dir.join(parsed.as_str());
    if !scope.root.host_path(&fragment).is_file() {
        return;
    }
    if crate::manager::runtime::supervisor_alive(state_dir, name) {
        return;
    }
    let paths = state_dir.unit_paths(name);
    let state = UnitState::read(&paths.state);
    let unit = UnitStore::new(scope.clone()).load(&parsed);
    if !collectable(&state, unit.settings.get("Unit", "CollectMode")) {
        return;
    }
    remove_unreferenced(scope, &fragment, &paths.state);
}

/// Removes the unit file (with its drop-ins) and the state file, unless referenced.
fn remove_unreferenced(scope: &Scope, fragment: &Path, state_path: &Path) {
    let host = scope.root.host_path(fragment);
    let Ok(file) = File::open(&host) else {
        return;
    };
    // A reference holder has a shared lock: then it collects, not us.
    if crate::sys::flock(&file, libc::LOCK_EX | libc::LOCK_NB).is_err() {
        return;
    }
    let mut dropins = host.clone().into_os_string();
    dropins.push(".d");
    for result in [
        fs::remove_file(&host),
        fs::remove_dir_all(PathBuf::from(dropins)),
        fs::remove_file(state_path),
    ] {
        if let Err(e) = result {
            if e.kind() != io::ErrorKind::NotFound {
                log::warn!("{}: failed to collect: {e}", fragment.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::state::SubState;
    use crate::users::Identity;

    fn scope(root: &Path) -> Scope {
        Scope::new(
            ScopeKind::System,
            Root::new(root),
            Identity::root_user(),
            &|_| None,
        )
    }

    #[test]
    fn names_are_allocated_once_and_explicit_names_refused_when_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = scope(tmp.path());
        let state = StateDir::for_scope(&scope).unwrap();
        let text = "[Service]\nExecStart=/bin/true\n";
        let first = create(&scope, &state, None, text).unwrap();
        let second = create(&scope, &state, None, text).unwrap();
        assert_eq!(first, "run-u1.service");
        assert_eq!(second, "run-u2.service");
        let host = tmp.path().join("run/systemd/transient/run-u1.service");
        assert_eq!(fs::read_to_string(&host).unwrap(), text);
        // Collected units leave their number behind.
        fs::remove_file(&host).unwrap();
        assert_eq!(
            create(&scope, &state, None, text).unwrap(),
            "run-u3.service"
        );
        let name = UnitName::parse("run-u2.service").unwrap();
        assert!(matches!(
            create(&scope, &state, Some(&name), text),
            Err(TransientError::Exists(n)) if n == "run-u2.service"
        ));
        fs::create_dir_all(tmp.path().join("etc/systemd/system")).unwrap();
        fs::write(tmp.path().join("etc/systemd/system/x.service"), text).unwrap();
        let x = UnitName::parse("x.service").unwrap();
        assert!(matches!(
            create(&scope, &state, Some(&x), text),
            Err(TransientError::Exists(_))
        ));
    }

    #[test]
    fn a_new_boot_discards_old_transient_units() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = scope(tmp.path());
        let state = StateDir::for_scope(&scope).unwrap();
        let text = "[Service]\nExecStart=/bin/true\n";
        let old = create(&scope, &state, None, text).unwrap();
        // What the state directory does on a boot change: units/ goes.
        fs::remove_file(state.units_dir().join(BOOT_MARKER)).unwrap();
        create(&scope, &state, None, text).unwrap();
        assert!(!tmp.path().join("run/systemd/transient").join(old).exists());
    }

    #[test]
    fn collection_follows_collect_mode_and_references() {
        let tmp = tempfile::tempdir().unwrap();
        let scope = scope(tmp.path());
        let dir = StateDir::for_scope(&scope).unwrap();
        let name = create(&scope, &dir, None, "[Service]\nExecStart=/bin/true\n").unwrap();
        let paths = dir.unit_paths(&name);
        let mut state = UnitState::default();
        state.set_state(
            ActiveState::Failed,
            SubState::Failed,
            crate::time::DualTimestamp::now(),
        );
        state.write(&paths.state).unwrap();
        collect(&scope, &dir, &name);
        assert!(paths.state.exists(), "a failed unit stays");
        state.set_state(
            ActiveState::Inactive,
            SubState::Dead,
            crate::time::DualTimestamp::now(),
        );
        state.write(&paths.state).unwrap();
        let held = reference(&scope, &name).unwrap();
        collect(&scope, &dir, &name);
        assert!(paths.state.exists(), "a referenced unit stays");
        drop(held);
        collect(&scope, &dir, &name);
        assert!(!paths.state.exists());
        assert!(!tmp
            .path()
            .join("run/systemd/transient")
            .join(&name)
            .exists());
        assert!(collectable(&state, None));
        state.active_state = ActiveState::Failed;
        assert!(collectable(&state, Some("inactive-or-failed")));
        assert!(!collectable(&state, Some("inactive")));
    }
}

//! Whether the generators' output is current, for `systemctl` without a unitbox PID 1 (a
//! shell in an image, a `docker build` step). Their inputs, as far as we can know them,
//! are the generator directories (which generators exist, each file's size and mtime)
//! and, for the built-in SysV generator, `/etc/init.d` and `/etc/rc?.d`. Each run writes
//! the inputs' fingerprint to `generators.stamp` in the scope's state directory; the
//! output is current while the stamp matches. A generator's other inputs (PostgreSQL's
//! cluster configuration, `/etc/fstab`) are not watched: `systemctl daemon-reload` reruns
//! every generator, as it does under 252 (Debian's `pg_createcluster` calls it).

use crate::scope::Scope;
use crate::state::dir::logical_dir;
use crate::state::lock::{lock, FileLock};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const STAMP: &str = "generators.stamp";
const LOCK: &str = "generators.lock";

fn state_file(scope: &Scope, name: &str) -> Option<PathBuf> {
    let dir = logical_dir(scope).ok()?;
    Some(scope.root.host_path(&dir).join(name))
}

/// One line per entry of each input directory: name, type, size, mtime.
pub fn fingerprint(scope: &Scope) -> String {
    let mut dirs = scope.generator_binary_dirs();
    if scope.is_system() {
        dirs.push(PathBuf::from(super::sysv::INIT_D));
        dirs.extend(super::sysv::RC_DIRS.iter().map(PathBuf::from));
    }
    let mut out = String::new();
    for dir in dirs {
        let host = scope.root.host_path(&dir);
        let Ok(read) = std::fs::read_dir(&host) else {
            continue;
        };
        let mut entries: Vec<String> = read
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                // Through symlinks: a generator or script linked from elsewhere.
                let meta = std::fs::metadata(e.path()).or_else(|_| e.metadata());
                match meta {
                    Ok(m) => format!(
                        "{name} {:o} {} {}.{}",
                        m.mode(),
                        m.len(),
                        m.mtime(),
                        m.mtime_nsec()
                    ),
                    Err(_) => format!("{name} ?"),
                }
            })
            .collect();
        entries.sort();
        out.push_str(&format!("{}\n", dir.display()));
        for e in entries {
            out.push_str(&format!("  {e}\n"));
        }
    }
    out
}

/// Whether the last run's stamp matches the inputs now.
pub fn is_current(scope: &Scope) -> bool {
    let Some(path) = state_file(scope, STAMP) else {
        return true;
    };
    std::fs::read_to_string(path).is_ok_and(|s| s == fingerprint(scope))
}

/// Records the inputs of the run that just finished.
pub fn record(scope: &Scope) {
    if let Some(path) = state_file(scope, STAMP) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::state::dir::write_atomic(&path, fingerprint(scope).as_bytes());
    }
}

/// Serialises runs of the scope's generators (two `systemctl start` at once must not empty
/// the output directories under each other's feet).
pub fn lock_runs(scope: &Scope) -> Option<FileLock> {
    let path = state_file(scope, LOCK)?;
    std::fs::create_dir_all(path.parent()?).ok()?;
    lock(&path, Duration::from_secs(120)).ok()
}

/// Whether we may write the scope's generator output (and its state directory).
pub fn writable(scope: &Scope) -> bool {
    let Some([normal, ..]) = scope.generator_output_dirs() else {
        return false;
    };
    let Ok(state) = logical_dir(scope) else {
        return false;
    };
    let ok = [normal.parent(), state.parent()]
        .into_iter()
        .flatten()
        .all(|dir| can_write(&scope.root.host_path(dir)));
    ok
}

/// `access(W_OK)` of the nearest existing ancestor.
fn can_write(dir: &Path) -> bool {
    let mut dir = dir;
    loop {
        if dir.exists() {
            return nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok();
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return false,
        }
    }
}

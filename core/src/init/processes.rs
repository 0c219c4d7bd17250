//! The processes the init is responsible for at shutdown: as PID 1 every other process of
//! its PID namespace (processes entered with `nsenter`/`docker exec` included); as a
//! subreaper outside PID 1 only its descendants — it must never touch the rest of the
//! machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// (pid, parent pid) of every process in `/proc`.
fn process_table(proc: &Path) -> BTreeMap<i32, i32> {
    let Ok(entries) = std::fs::read_dir(proc) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
            Some((pid, crate::supervisor::kill::parse_ppid(&stat)?))
        })
        .collect()
}

/// The processes left besides `me` (`me` == 1: everything; else: descendants of `me`).
pub fn remaining(proc: &Path, me: i32) -> Vec<i32> {
    let table = process_table(proc);
    if me == 1 {
        return table.keys().copied().filter(|&p| p != 1).collect();
    }
    let mut mine: BTreeSet<i32> = BTreeSet::new();
    let mut frontier = vec![me];
    while let Some(parent) = frontier.pop() {
        for (&pid, &ppid) in &table {
            if ppid == parent && pid != me && mine.insert(pid) {
                frontier.push(pid);
            }
        }
    }
    mine.into_iter().collect()
}

/// Sends `signal` to what [`remaining`] names. As PID 1, `kill(-1)` reaches every process
/// of the namespace at once (the kernel spares the caller); outside PID 1 each descendant
/// is signalled by pid.
pub fn signal_remaining(me: i32, signal: i32) {
    if me == 1 {
        // kill(-1) from the init of a PID namespace stays inside that namespace.
        let _ = crate::sys::kill(-1, signal);
        return;
    }
    for pid in remaining(Path::new("/proc"), me) {
        let _ = crate::sys::kill(pid, signal);
    }
}

/// A pidfd per process (at most `limit`): readable when the process exits, also for
/// processes that are not our children.
pub fn pidfds(pids: &[i32], limit: usize) -> Vec<std::os::fd::OwnedFd> {
    pids.iter()
        .take(limit)
        .filter_map(|&pid| crate::sys::pidfd_open(pid).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_only_outside_pid1() {
        let proc = tempfile::tempdir().unwrap();
        let stat = |pid: i32, ppid: i32| {
            let d = proc.path().join(pid.to_string());
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("stat"), format!("{pid} (x y) S {ppid} 0 0")).unwrap();
        };
        stat(1, 0);
        stat(10, 1);
        stat(11, 10);
        stat(12, 11);
        stat(20, 1);
        assert_eq!(remaining(proc.path(), 10), vec![11, 12]);
        assert_eq!(remaining(proc.path(), 1), vec![10, 11, 12, 20]);
        assert!(remaining(proc.path(), 12).is_empty());
    }
}

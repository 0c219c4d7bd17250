//! The unit's processes and `KillMode=` (systemd.kill(5)). Without cgroups, the unit's
//! process set is the supervisor's descendants: it is their child subreaper, so processes
//! that double-fork stay below it. The tree is read from `/proc/PID/stat`.

use crate::service::types::KillMode;
use std::collections::{HashMap, HashSet};

/// (pid, parent pid) of every process, read from `/proc`.
pub fn process_table() -> Vec<(i32, i32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, parse_ppid(&stat)?))
        })
        .collect()
}

/// The parent pid from a `/proc/PID/stat` line; the command name may hold spaces and
/// parentheses, so the fields are counted after its last `)`.
pub fn parse_ppid(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    fields.next()?; // state
    fields.next()?.parse().ok()
}

/// Every process below `root` (not `root` itself), parents before children.
pub fn descendants(table: &[(i32, i32)], root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for &(pid, ppid) in table {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            if c != root && seen.insert(c) {
                out.push(c);
                queue.push(c);
            }
        }
    }
    out
}

/// The processes of the unit now: our descendants.
pub fn unit_processes() -> Vec<i32> {
    let me = nix::unistd::getpid().as_raw();
    descendants(&process_table(), me)
}

/// Whether `pid` belongs to the unit (`NotifyAccess=all`).
pub fn is_unit_process(pid: i32) -> bool {
    pid > 0 && unit_processes().contains(&pid)
}

/// Who gets a stop signal (`KillSignal=` first, then `FinalKillSignal=`), per `KillMode=`:
/// the main and control processes always (except with `none`), every other process of the
/// unit with `control-group`, and with `mixed` only in the final (SIGKILL) round.
pub fn stop_targets(
    mode: KillMode,
    final_round: bool,
    main: Option<i32>,
    control: Option<i32>,
    all: &[i32],
) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    if mode == KillMode::None {
        return out;
    }
    out.extend(main.iter().chain(control.iter()).copied());
    let everyone = mode == KillMode::ControlGroup || (mode == KillMode::Mixed && final_round);
    if everyone {
        out.extend(all.iter().copied());
    }
    let mut seen = HashSet::new();
    out.retain(|p| *p > 0 && seen.insert(*p));
    out
}

/// Sends `signal` to each pid; a process that is already gone is fine.
pub fn signal_all(pids: &[i32], signal: i32) {
    for &pid in pids {
        if pid > 1 {
            let _ = crate::sys::kill(pid, signal);
        }
    }
}

/// The command name of a process, for log lines (`Killing process 42 (sleep) …`).
pub fn process_name(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| "n/a".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 is the supervisor; 11 main, 12 a control process, 13 a child of main, 14 its
    /// grandchild, 20 an unrelated process with its own child 21.
    const TREE: [(i32, i32); 7] = [
        (10, 1),
        (11, 10),
        (12, 10),
        (13, 11),
        (14, 13),
        (20, 1),
        (21, 20),
    ];

    #[test]
    fn finds_descendants_only() {
        let mut d = descendants(&TREE, 10);
        d.sort();
        assert_eq!(d, [11, 12, 13, 14]);
        assert_eq!(descendants(&TREE, 14), Vec::<i32>::new());
        // A (bogus) cycle must not loop forever.
        assert_eq!(descendants(&[(5, 6), (6, 5)], 5), [6]);
    }

    #[test]
    fn kill_mode_selects() {
        let all = descendants(&TREE, 10);
        let sorted = |mut v: Vec<i32>| {
            v.sort();
            v
        };
        let cg = stop_targets(KillMode::ControlGroup, false, Some(11), Some(12), &all);
        assert_eq!(sorted(cg), [11, 12, 13, 14]);
        let mixed_term = stop_targets(KillMode::Mixed, false, Some(11), Some(12), &all);
        assert_eq!(sorted(mixed_term), [11, 12]);
        let mixed_kill = stop_targets(KillMode::Mixed, true, Some(11), None, &all);
        assert_eq!(sorted(mixed_kill), [11, 12, 13, 14]);
        let process = stop_targets(KillMode::Process, true, Some(11), None, &all);
        assert_eq!(process, [11]);
        assert!(stop_targets(KillMode::None, true, Some(11), Some(12), &all).is_empty());
    }

    #[test]
    fn reads_proc() {
        assert_eq!(parse_ppid("42 (a b) c)) S 7 42 42 0"), Some(7));
        assert_eq!(parse_ppid("garbage"), None);
        let me = std::process::id() as i32;
        let table = process_table();
        let parent = nix::unistd::getppid().as_raw();
        assert!(table.contains(&(me, parent)));
    }
}

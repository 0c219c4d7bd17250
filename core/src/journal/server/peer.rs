//! Who sent a message: the trusted fields journald adds from the sender's credentials
//! (`SCM_CREDENTIALS` on datagrams, `SO_PEERCRED` on streams) and `/proc`, and the unit the
//! process belongs to. unitbox has no cgroups per unit: a process belongs to the unit whose
//! supervisor is its ancestor (supervisors are subreapers, so double-forked daemons stay
//! below them), and only to supervisors of this journal's root and scope.

use crate::journal::record::Fields;
use crate::supervisor::protocol::{LaunchArgs, SUPERVISE_APPLET};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

/// What a sender is, from `/proc` (empty parts when it has exited already).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    pub unit: String,
    /// `_GID`, `_COMM`, `_EXE`, `_CMDLINE`, and the host's `_HOSTNAME`, `_MACHINE_ID`.
    pub fields: Fields,
    pub comm: String,
}

/// Looks up senders, remembering the unit of each pid (by its start time, so a reused pid
/// is looked up again) and, like journald's client contexts, a sender's whole description
/// for [`REFRESH`] (a flood from one process reads `/proc` once a second, not per message).
pub struct Peers {
    root: Option<PathBuf>,
    hostname: String,
    machine_id: Option<String>,
    units: HashMap<u32, (u64, String)>,
    recent: HashMap<(u32, u32, u32), (Instant, Peer)>,
}

/// journald's `REFRESH_USEC`: how long a sender's description is reused.
const REFRESH: Duration = Duration::from_secs(1);
/// Descriptions kept at most (journald's `CACHE_MAX_ACTIVE`).
const RECENT_MAX: usize = 256;

fn proc_stat(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    let fields: Vec<&str> = rest.split(' ').collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((ppid, start))
}

fn cmdline(pid: u32) -> Vec<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

impl Peers {
    /// Senders of the journal of `root` (`None`: the host's own root).
    pub fn new(root: Option<PathBuf>, machine_id: Option<String>) -> Peers {
        Peers {
            root,
            hostname: crate::journal::format::local_hostname(),
            machine_id,
            units: HashMap::new(),
            recent: HashMap::new(),
        }
    }

    /// The unit of a supervisor process of our root and scope, if `pid` is one.
    fn supervised_unit(&self, pid: u32) -> Option<String> {
        let args = cmdline(pid);
        if args.get(1).map(Vec::as_slice) != Some(SUPERVISE_APPLET.as_bytes()) {
            return None;
        }
        let rest: Vec<OsString> = args[2..].iter().cloned().map(OsString::from_vec).collect();
        let launch = LaunchArgs::parse(&rest)?;
        let same_root = match (&launch.root, &self.root) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b || a.canonicalize().ok() == b.canonicalize().ok(),
            _ => false,
        };
        (same_root && launch.scope == crate::scope::ScopeKind::System).then_some(launch.unit)
    }

    /// The unit `pid` belongs to ("" for none).
    pub fn unit_of(&mut self, pid: u32) -> String {
        let Some((_, start)) = proc_stat(pid) else {
            return String::new();
        };
        if let Some((cached_start, unit)) = self.units.get(&pid) {
            if *cached_start == start {
                return unit.clone();
            }
        }
        let mut unit = String::new();
        let mut current = pid;
        for _ in 0..64 {
            if let Some(u) = self.supervised_unit(current) {
                unit = u;
                break;
            }
            match proc_stat(current) {
                Some((ppid, _)) if ppid > 1 => current = ppid,
                _ => break,
            }
        }
        if self.units.len() > 4096 {
            self.units.clear();
        }
        self.units.insert(pid, (start, unit.clone()));
        unit
    }

    /// The trusted fields of a sender.
    pub fn describe(&mut self, cred: Credentials) -> Peer {
        let key = (cred.pid, cred.uid, cred.gid);
        let now = Instant::now();
        if let Some((at, peer)) = self.recent.get(&key) {
            if now.duration_since(*at) < REFRESH {
                return peer.clone();
            }
        }
        let peer = self.look_up(cred);
        if self.recent.len() >= RECENT_MAX {
            self.recent
                .retain(|_, (at, _)| now.duration_since(*at) < REFRESH);
            if self.recent.len() >= RECENT_MAX {
                self.recent.clear();
            }
        }
        self.recent.insert(key, (now, peer.clone()));
        peer
    }

    fn look_up(&mut self, cred: Credentials) -> Peer {
        let mut fields = Fields::new();
        fields.push(("_GID".into(), cred.gid.to_string().into_bytes()));
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", cred.pid))
            .map(|c| c.trim_end().to_string())
            .unwrap_or_default();
        if !comm.is_empty() {
            fields.push(("_COMM".into(), comm.clone().into_bytes()));
        }
        if let Ok(exe) = std::fs::read_link(format!("/proc/{}/exe", cred.pid)) {
            fields.push(("_EXE".into(), exe.into_os_string().into_vec()));
        }
        let args = cmdline(cred.pid);
        if !args.is_empty() {
            fields.push(("_CMDLINE".into(), args.join(&b' ')));
        }
        fields.push(("_HOSTNAME".into(), self.hostname.clone().into_bytes()));
        if let Some(id) = &self.machine_id {
            fields.push(("_MACHINE_ID".into(), id.clone().into_bytes()));
        }
        Peer {
            unit: self.unit_of(cred.pid),
            fields,
            comm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_process_outside_any_unit() {
        let mut peers = Peers::new(Some(PathBuf::from("/nonexistent")), Some("ab".repeat(16)));
        let me = Credentials {
            pid: std::process::id(),
            uid: 0,
            gid: 0,
        };
        let peer = peers.describe(me);
        assert_eq!(peer.unit, "");
        let keys: Vec<&str> = peer.fields.iter().map(|(k, _)| k.as_str()).collect();
        for key in [
            "_GID",
            "_COMM",
            "_EXE",
            "_CMDLINE",
            "_HOSTNAME",
            "_MACHINE_ID",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        // A pid that does not exist: only what the credentials say.
        let gone = peers.describe(Credentials {
            pid: u32::MAX - 1,
            uid: 0,
            gid: 0,
        });
        assert_eq!(gone.unit, "");
        assert!(gone.comm.is_empty());
    }
}

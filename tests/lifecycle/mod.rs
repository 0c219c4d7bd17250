//! Service lifecycle: real services started and stopped by our `systemctl` in temp
//! `--root` trees (state under `<root>/run/unitbox`). Each test's [`Lab`] stops what it
//! started when dropped and, as a last resort, kills the supervisors and main processes
//! named in its state files — never anything else.

mod control;
mod deps;
mod failures;
mod robustness;
mod types;

use crate::support::{Run, Tree};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct Lab {
    pub tree: Tree,
}

impl Lab {
    pub fn new() -> Self {
        let lab = Lab { tree: Tree::new() };
        // Services write their results here (host paths: services run on the host).
        let out = lab.tree.host("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        lab
    }

    /// Writes `/etc/systemd/system/NAME`.
    pub fn unit(&self, name: &str, text: &str) -> &Self {
        self.tree
            .write(&format!("/etc/systemd/system/{name}"), text);
        self
    }

    pub fn ctl(&self, args: &[&str]) -> Run {
        self.tree.systemctl(args)
    }

    /// A host path under the tree's `out/` directory, for services to write to.
    pub fn out(&self, name: &str) -> PathBuf {
        self.tree.host("out").join(name)
    }

    pub fn read_out(&self, name: &str) -> String {
        std::fs::read_to_string(self.out(name)).unwrap_or_default()
    }

    pub fn state_path(&self, unit: &str) -> PathBuf {
        self.tree.host(&format!("/run/unitbox/units/{unit}.state"))
    }

    /// The unit's state file as a map (raw, not corrected for liveness).
    pub fn state(&self, unit: &str) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.state_path(unit))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn prop(&self, unit: &str, key: &str) -> String {
        self.state(unit).get(key).cloned().unwrap_or_default()
    }

    pub fn main_pid(&self, unit: &str) -> u32 {
        self.prop(unit, "MainPID").parse().unwrap_or(0)
    }

    /// `is-active` output.
    pub fn active(&self, unit: &str) -> String {
        self.ctl(&["is-active", unit]).stdout.trim().to_string()
    }

    /// Waits (up to 10 s) until `is-active` prints `state`.
    pub fn wait_state(&self, unit: &str, state: &str) {
        let ok = eventually(Duration::from_secs(10), || self.active(unit) == state);
        assert!(ok, "{unit} never became {state}: {:?}", self.state(unit));
    }

    fn units_with_state(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.tree.host("/run/unitbox/units")) else {
            return Vec::new();
        };
        rd.flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".state")
                    .map(str::to_string)
            })
            .filter(|n| !n.starts_with('.'))
            .collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let units = self.units_with_state();
        if units.is_empty() {
            return;
        }
        let mut args = vec!["stop"];
        args.extend(units.iter().map(String::as_str));
        self.ctl(&args);
        for unit in &units {
            let state = self.state(unit);
            for key in ["SupervisorPID", "MainPID", "ControlPID"] {
                if let Some(pid) = state.get(key).and_then(|p| p.parse::<i32>().ok()) {
                    if pid > 1 && pid_alive(pid as u32) {
                        // SAFETY: a pid recorded by a supervisor of this test.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                }
            }
        }
    }
}

/// Polls `cond` until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The live processes whose command line contains `token` (a unique word per test).
pub fn processes_with(token: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(token) && pid_alive(pid) {
            pids.push(pid);
        }
    }
    pids
}

/// A `sleep` with a duration unique to the caller, so its processes can be found.
pub fn unique_sleep(tag: u32) -> String {
    format!("/bin/sleep 7{tag:04}.5")
}

pub fn sleep_token(tag: u32) -> String {
    format!("7{tag:04}.5")
}

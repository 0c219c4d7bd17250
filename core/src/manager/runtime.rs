//! A unit's runtime state as `systemctl` should see it: its state file, corrected by
//! whether its supervisor is still alive (a supervisor that died mid-flight leaves a
//! `failed` unit, never a phantom `active` one).

use crate::state::lock::is_alive;
use crate::state::{StateDir, UnitState};
use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The effective state of `unit`. Liveness is checked before and after reading the file:
/// if it changed in between (a supervisor exiting or starting right then), we read again,
/// so a state file is never judged by the liveness of another moment.
pub fn runtime_state(dir: &StateDir, unit: &str) -> UnitState {
    let paths = dir.unit_paths(unit);
    let mut attempts = 0;
    loop {
        let before = is_alive(&paths.alive);
        let state = UnitState::read(&paths.state);
        let after = is_alive(&paths.alive);
        attempts += 1;
        if before == after || attempts >= 5 {
            return state.effective(after);
        }
    }
}

/// Whether a live supervisor holds the unit's liveness lock.
pub fn supervisor_alive(dir: &StateDir, unit: &str) -> bool {
    is_alive(&dir.unit_paths(unit).alive)
}

/// The units that are not at rest (active, activating, reloading, deactivating), sorted.
pub fn active_units(dir: &StateDir) -> Vec<String> {
    dir.units_with_state()
        .into_iter()
        .filter(|u| !runtime_state(dir, u).active_state.is_inactive_or_failed())
        .collect()
}

/// Blocks until no process holds the liveness lock at `alive` (the supervisor exited):
/// a blocking `F_OFD_SETLKW` read lock, released at once. An event, not a poll.
pub fn wait_for_supervisor_exit(alive: &Path) -> io::Result<()> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(alive)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let fl = crate::sys::whole_file_lock(libc::F_RDLCK);
    loop {
        match nix::fcntl::fcntl(file.as_raw_fd(), nix::fcntl::FcntlArg::F_OFD_SETLKW(&fl)) {
            Ok(_) => return Ok(()), // Dropping the file releases the read lock.
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

//! `PIDFile=` of Type=forking services: reading it, and waiting for it to appear with
//! inotify on its directory (no polling).

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;

/// The pid in the file, if it holds one (whitespace around it is fine).
pub fn read_pid(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.trim().parse().ok()
}

/// Whether `pid` is a live process (not a zombie).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next().map(str::to_string));
            !matches!(state.as_deref(), Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

/// An inotify watch on the directory of a file: readable when something in it changes.
pub struct Watch {
    inotify: Inotify,
}

impl Watch {
    pub fn new(file: &Path) -> Option<Watch> {
        let dir = file.parent()?;
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok()?;
        let mask = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MODIFY;
        inotify.add_watch(dir, mask).ok()?;
        Some(Watch { inotify })
    }

    pub fn fd(&self) -> RawFd {
        self.inotify.as_fd().as_raw_fd()
    }

    /// Discards the pending events (the caller re-reads the file anyway).
    pub fn drain(&self) {
        while matches!(self.inotify.read_events(), Ok(events) if !events.is_empty()) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::poll::{poll, PollFd, PollFlags};

    #[test]
    fn reads_and_watches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.pid");
        assert_eq!(read_pid(&path), None);
        let watch = Watch::new(&path).unwrap();
        std::fs::write(&path, format!(" {}\n", std::process::id())).unwrap();
        let mut p = [PollFd::new(watch.inotify.as_fd(), PollFlags::POLLIN)];
        assert_eq!(poll(&mut p, 1000u16), Ok(1), "the write wakes the watch");
        watch.drain();
        let pid = read_pid(&path).unwrap();
        assert_eq!(pid, std::process::id() as i32);
        assert!(alive(pid));
        assert!(!alive(i32::MAX));
    }
}

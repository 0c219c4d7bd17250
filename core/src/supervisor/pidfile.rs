//! `PIDFile=` of Type=forking services: reading it, and waiting for it to appear with
//! inotify on its directory (no polling).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
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
    fd: OwnedFd,
}

impl Watch {
    pub fn new(file: &Path) -> Option<Watch> {
        let dir = file.parent()?;
        let c_dir = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        // SAFETY: inotify_init1 returns a new descriptor or -1.
        let raw = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        if raw < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mask = libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_CLOSE_WRITE | libc::IN_MODIFY;
        // SAFETY: valid descriptor and NUL-terminated path.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c_dir.as_ptr(), mask) } < 0 {
            return None;
        }
        Some(Watch { fd })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Discards the pending events (the caller re-reads the file anyway).
    pub fn drain(&self) {
        let mut buf = [0u8; 4096];
        // SAFETY: reading into a local buffer from our own non-blocking descriptor.
        while unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_watches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.pid");
        assert_eq!(read_pid(&path), None);
        let watch = Watch::new(&path).unwrap();
        std::fs::write(&path, format!(" {}\n", std::process::id())).unwrap();
        let mut p = libc::pollfd {
            fd: watch.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        assert_eq!(
            unsafe { libc::poll(&mut p, 1, 1000) },
            1,
            "the write wakes the watch"
        );
        watch.drain();
        let pid = read_pid(&path).unwrap();
        assert_eq!(pid, std::process::id() as i32);
        assert!(alive(pid));
        assert!(!alive(i32::MAX));
    }
}

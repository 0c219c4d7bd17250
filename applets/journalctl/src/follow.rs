//! `-f`: after the initial records, wait for the journal directory to change (inotify: a
//! writer's append is an IN_MODIFY of the directory's child, a rotation an IN_MOVED_TO, a
//! new unit an IN_CREATE) and print what the store's follower returns. A missing directory
//! (nothing has logged yet) is polled for until it appears. Ends with SIGINT/SIGTERM (their
//! default action, as with systemd 252) or when our reader goes away.

use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use unitbox_core::journal::reader::Follower;
use unitbox_core::journal::record::Record;

/// How often to look again without an event: the directory may not exist yet, and inotify
/// misses nothing else, so this is only a safety net.
const IDLE_POLL_MS: u16 = 1000;
const MISSING_DIR_POLL_MS: u16 = 250;

pub enum Stop {
    /// Our stdout's reader is gone.
    OutputClosed,
}

fn watch(dir: &Path) -> Option<Inotify> {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok()?;
    let flags = AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF
        | AddWatchFlags::IN_ONLYDIR;
    inotify.add_watch(dir, flags).ok()?;
    Some(inotify)
}

/// Waits for a change, then hands every new record to `emit`; returns when `emit` fails
/// (output closed) or stdout hangs up.
pub fn run(
    dir: &Path,
    follower: &mut Follower,
    emit: &mut dyn FnMut(Vec<Record>) -> Result<(), Stop>,
) -> Result<Stop, String> {
    let stdout = std::io::stdout();
    let mut watcher = watch(dir);
    loop {
        let timeout = if watcher.is_some() {
            IDLE_POLL_MS
        } else {
            MISSING_DIR_POLL_MS
        };
        if wait(watcher.as_ref(), stdout.as_fd(), timeout)? {
            return Ok(Stop::OutputClosed);
        }
        if let Some(inotify) = &watcher {
            let mut gone = false;
            while let Ok(events) = inotify.read_events() {
                if events.is_empty() {
                    break;
                }
                gone |= events.iter().any(|e| {
                    e.mask.intersects(
                        AddWatchFlags::IN_DELETE_SELF
                            | AddWatchFlags::IN_MOVE_SELF
                            | AddWatchFlags::IN_IGNORED,
                    )
                });
            }
            if gone {
                watcher = None;
            }
        }
        if watcher.is_none() {
            watcher = watch(dir);
        }
        let records = follower.poll().map_err(|e| e.to_string())?;
        if !records.is_empty() {
            if let Err(stop) = emit(records) {
                return Ok(stop);
            }
        }
    }
}

/// Sleeps until the directory changes, the timeout passes, or stdout hangs up (`true`).
fn wait(watcher: Option<&Inotify>, stdout: BorrowedFd, timeout_ms: u16) -> Result<bool, String> {
    // Asking for no events on stdout still reports POLLERR/POLLHUP of a closed pipe.
    let mut fds = vec![PollFd::new(stdout, PollFlags::empty())];
    if let Some(inotify) = watcher {
        fds.push(PollFd::new(inotify.as_fd(), PollFlags::POLLIN));
    }
    match nix::poll::poll(&mut fds, PollTimeout::from(timeout_ms)) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => {}
        Err(e) => return Err(format!("Failed to wait for journal changes: {}", e.desc())),
    }
    let hung_up = fds[0]
        .revents()
        .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP));
    Ok(hung_up)
}

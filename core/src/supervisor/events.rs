//! One round of the supervisor's event loop: wait (poll) for signals, control clients,
//! notify messages, output or a deadline, and handle what arrived. The sequences in
//! `start`, `stop` and `run` call [`Supervisor::step`] until what they wait for happened.

use super::kill;
use super::notify::NotifyMessage;
use super::service::{Supervisor, NOTICE, WARNING};
use crate::exec::spawn::ExitStatus;
use crate::service::types::NotifyAccess;
use crate::supervisor::protocol::{KillWhom, Reply, Request};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

impl Supervisor {
    /// Waits for one batch of events (at most until `deadline` or the watchdog's) and
    /// handles it; always reaps exited children.
    pub fn step(&mut self, deadline: Option<Instant>) {
        self.step_with_extra(deadline, None)
    }

    /// [`Supervisor::step`] that also wakes when `extra` becomes readable (the caller
    /// handles it).
    pub fn step_with_extra(&mut self, deadline: Option<Instant>, extra: Option<RawFd>) {
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut add = |fd: RawFd| {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        };
        add(self.signal_fd.as_raw_fd());
        for fd in self.output.read_fds() {
            add(fd);
        }
        if let Some(n) = &self.notify_socket {
            add(n.fd());
        }
        if let Some(p) = &self.main_pidfd {
            add(p.as_raw_fd());
        }
        for fd in self.control.fds() {
            add(fd);
        }
        if let Some(fd) = extra {
            add(fd);
        }
        let wake = match (deadline, self.watchdog_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let timeout_ms: libc::c_int = match wake {
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                // Round up: waking a little early would just spin.
                let ms = (left + Duration::from_micros(999)).as_millis();
                ms.min(i32::MAX as u128) as libc::c_int
            }
        };
        let n = crate::sys::poll(&mut fds, timeout_ms).unwrap_or(0);
        if n > 0 {
            for p in fds.iter().filter(|p| p.revents != 0 && Some(p.fd) != extra) {
                self.handle_fd(p.fd);
            }
        }
        self.reap();
    }

    fn handle_fd(&mut self, fd: RawFd) {
        if fd == self.signal_fd.as_raw_fd() {
            while let Ok(Some(info)) = self.signal_fd.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGTERM | libc::SIGINT => {
                        if !self.stop_requested {
                            self.log(NOTICE, "Received SIGTERM, stopping the unit.");
                        }
                        self.stop_requested = true;
                    }
                    _ => {} // SIGCHLD: reaped below; SIGHUP: nothing to reload here.
                }
            }
        } else if self.output.owns(fd) {
            self.output.drain(fd);
        } else if self.notify_socket.as_ref().is_some_and(|n| n.fd() == fd) {
            self.receive_notifications();
        } else if self
            .main_pidfd
            .as_ref()
            .is_some_and(|p| p.as_raw_fd() == fd)
        {
            // A main process we cannot reap (not our child) ended; its status is unknown.
            if let Some(pid) = self.main_pid {
                self.exits.insert(pid, ExitStatus::Exited(0));
            }
            self.main_pidfd = None;
        } else if fd == self.control.listener_fd() {
            self.control.accept();
        } else if let Some((id, request)) = self.control.read(fd) {
            self.handle_request(id, request);
        }
    }

    fn handle_request(&mut self, id: u64, request: Request) {
        match request {
            Request::Stop => {
                self.stop_requested = true;
                self.stop_waiters.push(id);
            }
            Request::Reload => self.reload_queue.push_back(id),
            Request::Kill { signal, whom } => {
                let reply = self.kill_request(signal, whom);
                self.control.answer(id, &reply);
            }
            Request::Fds { .. } => self.control.answer(
                id,
                &Reply::Failed {
                    result: "not-a-socket".into(),
                },
            ),
        }
    }

    /// `systemctl kill`: signals now, answers at once.
    fn kill_request(&mut self, signal: i32, whom: KillWhom) -> Reply {
        let targets: Vec<i32> = match whom {
            KillWhom::Main => match self.main_pid {
                Some(p) => vec![p],
                None => {
                    return Reply::Failed {
                        result: "No main process to kill".into(),
                    }
                }
            },
            KillWhom::Control => match self.control_pid {
                Some(p) => vec![p],
                None => {
                    return Reply::Failed {
                        result: "No control process to kill".into(),
                    }
                }
            },
            KillWhom::All => {
                let mut all = kill::unit_processes();
                if let Some(p) = self.main_pid.filter(|p| !all.contains(p)) {
                    all.push(p);
                }
                all
            }
        };
        kill::signal_all(&targets, signal);
        Reply::Ok
    }

    fn notify_allowed(&self, pid: i32) -> bool {
        let main_or_control = |p: i32| Some(p) == self.main_pid || Some(p) == self.control_pid;
        match self.config.notify_access {
            NotifyAccess::None => false,
            NotifyAccess::Main => pid > 0 && Some(pid) == self.main_pid,
            NotifyAccess::Exec => pid > 0 && main_or_control(pid),
            NotifyAccess::All => pid > 0 && (main_or_control(pid) || kill::is_unit_process(pid)),
        }
    }

    fn receive_notifications(&mut self) {
        let Some(socket) = &self.notify_socket else {
            return;
        };
        let mut messages = Vec::new();
        // Bounded per round so a flood cannot starve the rest.
        for _ in 0..64 {
            match socket.receive() {
                Some(m) => messages.push(m),
                None => break,
            }
        }
        for (pid, message) in messages {
            if !self.notify_allowed(pid) {
                let why = match self.config.notify_access {
                    NotifyAccess::None => "reception is disabled".to_string(),
                    NotifyAccess::Main => format!(
                        "reception only permitted for main PID {}",
                        self.main_pid.unwrap_or(0)
                    ),
                    _ => "the sender is not a process of the unit".to_string(),
                };
                self.unit_log(
                    WARNING,
                    &format!("Got notification message from PID {pid}, but {why}"),
                );
                continue;
            }
            self.apply_notification(message);
        }
    }

    fn apply_notification(&mut self, m: NotifyMessage) {
        let mut changed = false;
        if let Some(pid) = m.main_pid {
            if Some(pid) != self.main_pid && pid as u32 != std::process::id() {
                self.set_main_pid(pid);
                changed = true;
            }
        }
        if let Some(status) = m.status {
            self.state.status_text = status;
            changed = true;
        }
        if let Some(errno) = m.errno {
            self.state.status_errno = errno;
            changed = true;
        }
        if m.ready {
            self.notified.ready = true;
        }
        if m.reloading {
            self.notified.reloading = true;
        }
        if m.stopping {
            self.notified.stopping = true;
        }
        if let Some(us) = m.watchdog_usec {
            self.watchdog_usec = us;
            self.rearm_watchdog();
        }
        if m.watchdog_ping {
            self.rearm_watchdog();
        }
        if m.watchdog_trigger {
            self.watchdog_deadline = Some(Instant::now());
        }
        if let Some(us) = m.extend_timeout_usec {
            self.extended_until = Instant::now().checked_add(Duration::from_micros(us));
        }
        if changed {
            self.save();
        }
    }

    pub fn rearm_watchdog(&mut self) {
        self.watchdog_deadline = super::service::usec(self.watchdog_usec)
            .filter(|_| self.watchdog_usec > 0 && self.main_pid.is_some())
            .and_then(|d| Instant::now().checked_add(d));
    }

    /// Makes `pid` the main process (MAINPID=, PIDFile=, guessing); watches it with a pidfd
    /// when it is not our child.
    pub fn set_main_pid(&mut self, pid: i32) {
        self.main_pid = Some(pid);
        self.main_pidfd = None;
        let me = nix::unistd::getpid().as_raw();
        let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| kill::parse_ppid(&s));
        if parent != Some(me) {
            self.main_pidfd = crate::sys::pidfd_open(pid).ok();
        }
        self.state.exec_main_pid = pid as u32;
        self.state.exec_main_start = crate::time::DualTimestamp::now();
        self.state.exec_main_code = crate::state::ExitCode::NotExited;
        self.state.exec_main_status = 0;
        self.save();
    }

    /// Reaps every exited child; keeps the statuses of the main and control processes.
    fn reap(&mut self) {
        while let Ok(Some((pid, status))) = crate::sys::waitpid(-1, libc::WNOHANG) {
            // Its last lines come before anything said about its exit.
            self.output.process_exited(pid as u32);
            if Some(pid) == self.main_pid || Some(pid) == self.control_pid {
                self.exits.insert(pid, ExitStatus::from_wait_status(status));
            }
            // Anything else is an orphan of the unit that ended: nothing to keep.
        }
    }
}

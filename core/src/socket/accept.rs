//! `Accept=yes`: every connection is accepted by the socket's supervisor and starts one
//! instance of `NAME@.service`, named as 252's `instance_from_socket()` names it
//! (`NAME@N-LOCAL-REMOTE.service` for TCP, `NAME@N-PID-UID.service` for unix peers). The
//! connection waits here until the instance's supervisor fetches it
//! ([`Request::Fds`](crate::supervisor::protocol::Request::Fds)); `MaxConnections=` and
//! `MaxConnectionsPerSource=` refuse the ones above the limits. An instance that ends
//! successfully is collected (its state file goes, as 252 unloads it); a failed one stays.

use super::config::SocketConfig;
use super::supervise::{SocketSupervisor, WARNING};
use crate::manager::runtime::{runtime_state, supervisor_alive};
use crate::manager::transaction::plan_start;
use crate::state::{ActiveState, StateDir};
use crate::supervisor::light::StartJob;
use crate::unit::{UnitName, UnitStore};
use nix::sys::socket::{self as sock, SockaddrStorage};
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

struct Pending {
    instance: String,
    /// Until the instance's supervisor takes it.
    fd: Option<OwnedFd>,
    job: StartJob,
    peer: Option<IpAddr>,
}

/// The instances started per connection: their start jobs, then the running ones.
#[derive(Default)]
pub struct Connections {
    pending: Vec<Pending>,
    running: Vec<(String, Option<IpAddr>)>,
}

impl Connections {
    /// 252 keeps accepting and refuses what is above the limits.
    pub fn may_accept(&self, _config: &SocketConfig) -> bool {
        true
    }

    pub fn pipe_fds(&self) -> Vec<RawFd> {
        self.pending.iter().map(|p| p.job.fd()).collect()
    }

    pub fn owns(&self, fd: RawFd) -> bool {
        self.pending.iter().any(|p| p.job.fd() == fd)
    }

    /// `NConnections=`: instances started and not at rest.
    pub fn count(&self) -> usize {
        self.pending.len() + self.running.len()
    }

    fn count_from(&self, peer: IpAddr) -> usize {
        let pending = self.pending.iter().filter(|p| p.peer == Some(peer));
        let running = self.running.iter().filter(|(_, p)| *p == Some(peer));
        pending.count() + running.count()
    }

    /// The connection of `instance`, once.
    pub fn take_fd(&mut self, instance: &str) -> Option<OwnedFd> {
        self.pending
            .iter_mut()
            .find(|p| p.instance == instance)
            .and_then(|p| p.fd.take())
    }

    /// Instances at rest leave; the successful ones are collected.
    fn settle(&mut self, dir: &StateDir) -> bool {
        let before = self.running.len();
        self.running.retain(|(name, _)| {
            if supervisor_alive(dir, name) {
                return true;
            }
            let state = runtime_state(dir, name);
            if !state.active_state.is_inactive_or_failed() {
                return true;
            }
            if state.active_state == ActiveState::Inactive {
                let _ = std::fs::remove_file(dir.unit_paths(name).state);
            }
            false
        });
        self.running.len() != before
    }

    pub fn reap(&mut self) {}
}

/// 252's `instance_from_socket()`.
fn instance_name(nr: u32, fd: &OwnedFd) -> String {
    let inet = |a: &SockaddrStorage| -> Option<(IpAddr, u16)> {
        if let Some(v4) = a.as_sockaddr_in() {
            return Some((IpAddr::V4(v4.ip()), v4.port()));
        }
        let v6 = a.as_sockaddr_in6()?;
        let ip = v6.ip();
        Some((
            ip.to_ipv4_mapped().map_or(IpAddr::V6(ip), IpAddr::V4),
            v6.port(),
        ))
    };
    let local = sock::getsockname::<SockaddrStorage>(fd.as_raw_fd()).ok();
    let remote = sock::getpeername::<SockaddrStorage>(fd.as_raw_fd()).ok();
    if let (Some((l, lp)), Some((r, rp))) = (
        local.as_ref().and_then(inet),
        remote.as_ref().and_then(inet),
    ) {
        return format!("{nr}-{l}:{lp}-{r}:{rp}");
    }
    match sock::getsockopt(fd, sock::sockopt::PeerCredentials) {
        Ok(c) => format!("{nr}-{}-{}", c.pid(), c.uid()),
        Err(_) => format!("{nr}-unknown"),
    }
}

fn peer_ip(fd: RawFd) -> Option<IpAddr> {
    let a = sock::getpeername::<SockaddrStorage>(fd).ok()?;
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    let ip = a.as_sockaddr_in6()?.ip();
    Some(ip.to_ipv4_mapped().map_or(IpAddr::V6(ip), IpAddr::V4))
}

impl SocketSupervisor {
    /// Accepts every waiting connection of listener `index`.
    pub(super) fn accept_connection(&mut self, index: usize) {
        loop {
            let Some(listener) = self.listeners.get(index) else {
                return;
            };
            let fd = match crate::sys::accept_cloexec(listener.fd.as_fd()) {
                Ok(fd) => fd,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            self.connection(fd);
            if self.listeners.is_empty() {
                return;
            }
        }
    }

    /// `socket_enter_running()` with a connection: the limits, then the instance.
    fn connection(&mut self, fd: OwnedFd) {
        if !self.trigger_allowed() {
            return;
        }
        let count = self.connections.count();
        if count >= self.config.max_connections as usize {
            self.output.manager(
                WARNING,
                &format!(
                    "{}: Too many incoming connections ({count}), dropping connection.",
                    self.name
                ),
            );
            self.refuse();
            return;
        }
        let peer = peer_ip(fd.as_raw_fd());
        if let (Some(ip), n) = (peer, self.config.max_connections_per_source) {
            let from = self.connections.count_from(ip);
            if n > 0 && from >= n as usize {
                self.output.manager(
                    WARNING,
                    &format!(
                        "{}: Too many incoming connections ({from}) from source {ip}, dropping connection.",
                        self.name
                    ),
                );
                self.refuse();
                return;
            }
        }
        let instance_part = instance_name(self.record.n_accepted, &fd);
        let template = self.config.service.trim_end_matches("@.service");
        let instance = format!("{template}@{instance_part}.service");
        let store = UnitStore::new(self.scope.clone());
        let tx = match UnitName::parse(&instance)
            .map_err(|e| e.to_string())
            .and_then(|n| plan_start(&store, &[n]).map_err(|e| e.to_string()))
        {
            Ok(tx) => tx,
            Err(e) => {
                self.output.manager(
                    WARNING,
                    &format!("{}: Failed to queue service startup job: {e}", self.name),
                );
                self.refuse();
                return;
            }
        };
        self.record.n_accepted += 1;
        match StartJob::spawn(&self.scope, &self.dir, tx, Some(instance.clone())) {
            Ok(job) => self.connections.pending.push(Pending {
                instance,
                fd: Some(fd),
                job,
                peer,
            }),
            Err(e) => log::warn!("Failed to queue service startup job: {e}"),
        }
        self.record.n_connections = self.connections.count() as u32;
        self.save();
    }

    fn refuse(&mut self) {
        self.record.n_refused += 1;
        self.save();
    }

    /// An instance's start job ended: its connection is closed here (the instance has its
    /// own copy, or failed).
    pub(super) fn connection_job_finished(&mut self, fd: RawFd) {
        let Some(i) = self
            .connections
            .pending
            .iter()
            .position(|p| p.job.fd() == fd)
        else {
            return;
        };
        let pending = self.connections.pending.remove(i);
        let result = pending.job.result();
        if result.is_success() {
            self.connections
                .running
                .push((pending.instance, pending.peer));
        } else {
            log::debug!(
                "{}: {} did not start: {result:?}",
                self.name,
                pending.instance
            );
        }
        self.connections.settle(&self.dir);
        self.record.n_connections = self.connections.count() as u32;
        self.save();
    }

    /// A state file changed: instances that came to rest leave the count.
    pub(super) fn connections_changed(&mut self) {
        if self.connections.settle(&self.dir) {
            self.record.n_connections = self.connections.count() as u32;
            self.save();
        }
    }
}

//! `Accept=yes`: one instance of `NAME@.service` per connection.

use super::config::SocketConfig;
use super::supervise::SocketSupervisor;
use std::os::fd::RawFd;

/// The instances started per connection and their start jobs.
#[derive(Default)]
pub struct Connections {}

impl Connections {
    /// Below `MaxConnections=`.
    pub fn may_accept(&self, _config: &SocketConfig) -> bool {
        true
    }

    pub fn pipe_fds(&self) -> Vec<RawFd> {
        Vec::new()
    }

    pub fn owns(&self, _fd: RawFd) -> bool {
        false
    }

    pub fn reap(&mut self) {}
}

impl SocketSupervisor {
    pub(super) fn accept_connection(&mut self, index: usize) {
        if let Some(l) = self.listeners.get(index) {
            let _ = nix::sys::socket::accept(std::os::fd::AsRawFd::as_raw_fd(&l.fd))
                .map(nix::unistd::close);
        }
    }

    pub(super) fn connection_job_finished(&mut self, _fd: RawFd) {}
}

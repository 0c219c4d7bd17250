//! The service's side of socket activation (`service_collect_fds()` of 252): at each start
//! its supervisor fetches the listening descriptors of every active socket unit that
//! triggers it (`Service=` or the same name) or that its `Sockets=` names, from the
//! socket's supervisor ([`Request::Fds`](crate::supervisor::protocol::Request::Fds)); the
//! main process gets them from fd 3 on with `LISTEN_FDS=`, `LISTEN_FDNAMES=` (each
//! socket's `FileDescriptorName=`) and `LISTEN_PID=` its own pid (set in the child).
//! An instance of an `Accept=yes` socket's template gets its connection instead (named
//! `connection`; on stdin/stdout with `StandardInput=socket`), and `REMOTE_ADDR=`/
//! `REMOTE_PORT=` of the peer.

use super::config::SocketConfig;
use crate::manager::runtime::{runtime_state, supervisor_alive};
use crate::state::StateDir;
use crate::supervisor::client::request_fds;
use crate::unit::{Unit, UnitName, UnitStore};
use std::os::fd::OwnedFd;
use std::time::Duration;

/// How long a socket's supervisor may take to answer.
const FDS_TIMEOUT: Duration = Duration::from_secs(5);

/// The descriptors passed to a service's main process, with their names.
#[derive(Default)]
pub struct ListenFds {
    pub fds: Vec<OwnedFd>,
    pub names: Vec<String>,
    /// `fds[0]` is the connection of an `Accept=yes` instance.
    pub accepted: bool,
}

impl ListenFds {
    /// `REMOTE_ADDR=`, `REMOTE_PORT=` of an accepted TCP connection (an IPv4-mapped peer as
    /// IPv4, as 252's `sockaddr_pretty()`).
    pub fn remote_env(&self) -> Vec<(String, String)> {
        use nix::sys::socket::{getpeername, SockaddrStorage};
        use std::os::fd::AsRawFd;
        let Some(fd) = self.fds.first().filter(|_| self.accepted) else {
            return Vec::new();
        };
        let Ok(peer) = getpeername::<SockaddrStorage>(fd.as_raw_fd()) else {
            return Vec::new();
        };
        let (ip, port) = if let Some(v4) = peer.as_sockaddr_in() {
            (std::net::IpAddr::V4(v4.ip()), v4.port())
        } else if let Some(v6) = peer.as_sockaddr_in6() {
            let ip = v6.ip();
            let ip = ip
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(ip), std::net::IpAddr::V4);
            (ip, v6.port())
        } else {
            return Vec::new();
        };
        vec![
            ("REMOTE_ADDR".into(), ip.to_string()),
            ("REMOTE_PORT".into(), port.to_string()),
        ]
    }
}

/// The socket units whose descriptors `service` gets, sorted by name.
pub fn sockets_of(
    store: &UnitStore,
    dir: &StateDir,
    service: &Unit,
) -> Vec<(String, SocketConfig)> {
    let scope = store.scope();
    let id = service.id.as_str();
    let explicit = service.settings.get_words("Service", "Sockets");
    let mut out = Vec::new();
    for name in dir.units_with_state() {
        if !name.ends_with(".socket") {
            continue;
        }
        let Ok(parsed) = UnitName::parse(&name) else {
            continue;
        };
        let unit = store.load(&parsed);
        if !unit.is_loaded() {
            continue;
        }
        let (config, _) = SocketConfig::from_unit(&unit, scope);
        let ours = if config.accept {
            service
                .id
                .template()
                .is_some_and(|t| t.to_string() == config.service)
        } else {
            config.service == id || explicit.contains(&name)
        };
        if ours {
            out.push((name, config));
        }
    }
    out
}

/// Fetches the descriptors of the active sockets of `service`; a socket that does not
/// answer is skipped with a warning.
pub fn collect(store: &UnitStore, dir: &StateDir, service: &Unit) -> ListenFds {
    let mut out = ListenFds::default();
    for (name, config) in sockets_of(store, dir, service) {
        let state = runtime_state(dir, &name);
        if !state.active_state.is_active_or_reloading() || !supervisor_alive(dir, &name) {
            continue;
        }
        match request_fds(&dir.unit_paths(&name), service.id.as_str(), FDS_TIMEOUT) {
            Ok(fds) if config.accept => {
                // One socket's connection, and nothing else (`service_collect_fds()`).
                return ListenFds {
                    names: vec!["connection".into(); fds.len().min(1)],
                    fds: fds.into_iter().take(1).collect(),
                    accepted: true,
                };
            }
            Ok(fds) => {
                out.names
                    .extend(std::iter::repeat_n(config.fd_name.clone(), fds.len()));
                out.fds.extend(fds);
            }
            Err(e) => log::warn!("Failed to get the descriptors of {name}: {e}"),
        }
    }
    out
}

//! The service's side of socket activation (`service_collect_fds()` of 252): at each start
//! its supervisor fetches the listening descriptors of every active socket unit that
//! triggers it (`Service=` or the same name) or that its `Sockets=` names, from the
//! socket's supervisor ([`Request::Fds`](crate::supervisor::protocol::Request::Fds)); the
//! main process gets them from fd 3 on with `LISTEN_FDS=`, `LISTEN_FDNAMES=` (each
//! socket's `FileDescriptorName=`) and `LISTEN_PID=` its own pid (set in the child).

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
        if !config.accept && (config.service == id || explicit.contains(&name)) {
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
        match request_fds(&dir.unit_paths(&name), FDS_TIMEOUT) {
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

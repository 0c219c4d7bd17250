//! The per-unit supervisor (see ARCHITECTURE.md): one process per started service that
//! runs its commands, watches its processes as their child subreaper, answers control
//! requests, writes its state and journal, and restarts it as `Restart=` asks.
//!
//! - [`protocol`]: the start report and the control requests; [`client`]: launching a
//!   supervisor and talking to it (the systemctl side).
//! - [`run`]: the process: setup, the lifecycle loop, the panic safety net ([`main`]).
//! - [`service`]: the supervisor's state and its primitives (transitions, the start
//!   report, running a command, waiting for a process); [`events`]: one round of the
//!   event loop (signals, clients, notifications, output, reaping).
//! - [`start`]: the start job by `Type=`; [`stop`]: supervision, reload and the stop
//!   sequence; [`restart`]: the pure rules of clean exits, `Restart=` and the start limit.
//! - [`launch`]: one command's environment, credentials and streams; [`output`]: each
//!   command's pipes into the journal; [`notify`]: the sd_notify socket; [`control`]: the
//!   control socket; [`kill`]: the unit's processes and `KillMode=`; [`pidfile`]:
//!   `PIDFile=`.

pub mod client;
pub mod control;
pub mod events;
pub mod kill;
pub mod launch;
pub mod light;
pub mod notify;
pub mod output;
pub mod pidfile;
pub mod protocol;
pub mod restart;
pub mod run;
pub mod service;
pub mod start;
pub mod stop;

pub use run::main;

/// A service configuration from unit file text, for the unit tests of this module.
#[cfg(test)]
pub(crate) fn test_config(text: &str) -> crate::service::ServiceConfig {
    let (entries, _) =
        crate::unit::syntax::parse(text, std::path::Path::new("/etc/systemd/system/t.service"));
    let settings = crate::unit::Settings { entries };
    let scope = crate::scope::Scope::new(
        crate::scope::ScopeKind::System,
        crate::root::Root::new("/nonexistent"),
        crate::users::Identity::root_user(),
        &|_| None,
    );
    crate::service::ServiceConfig::from_settings(&settings, &scope, &|s| Ok(s.to_string())).0
}

/// Runs the supervisor when `args` (full argv) ask for it (`unitbox __supervise …`: the
/// launcher re-executes `/proc/self/exe`, which is the multicall binary or a standalone
/// applet binary), and `applet` otherwise. Every binary's `main` goes through here.
pub fn or_applet(args: Vec<std::ffi::OsString>, applet: fn(Vec<std::ffi::OsString>) -> i32) -> i32 {
    crate::logger::init();
    if args.get(1).is_some_and(|a| a == protocol::SUPERVISE_APPLET) {
        return main(args.into_iter().skip(1).collect());
    }
    applet(args)
}

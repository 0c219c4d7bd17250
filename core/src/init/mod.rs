//! Init mode: unitbox as PID 1 of a container (or, outside PID 1, as `systemctl init`, a
//! child subreaper that behaves the same).
//!
//! - [`event_loop`]: the resident loop — boots, reaps every zombie, answers the control
//!   socket, runs the shutdown; event-driven and silent while idle.
//! - [`jobs`]: boot and the orderly stop, each in a forked child of the init.
//! - [`signals`]: the signalfd and the reaper; [`processes`]: what is left at the end.
//! - [`control`]: `init.ctl`, for `halt`/`poweroff`/`reboot`/`exit CODE` from other
//!   processes; [`record`]: `init.state`, which tells them (and `is-system-running`)
//!   that the init is unitbox and what it is doing.
//! - [`actions`]: `FailureAction=`/`SuccessAction=` and exit-when-idle.
//! - [`boot_state`]: first boot, the machine id and `/run/systemd/container`, as 252's
//!   PID 1 sets them up before it loads units.
//!
//! Configuration comes from the command line (`systemctl init [UNIT…]`) and from the
//! environment, which is what a container image can set (`ENV` in a Dockerfile):
//! `UNITBOX_CONSOLE=0` (no copy of service output on PID 1's stdout),
//! `UNITBOX_STOP_GRACE=10s` (SIGTERM → SIGKILL grace for what is left after the units
//! stopped), `UNITBOX_EXIT_WHEN_IDLE=1` (exit once no service runs).

pub mod actions;
pub mod boot_state;
pub mod control;
pub mod event_loop;
pub mod jobs;
pub mod processes;
pub mod record;
pub mod signals;

use crate::root::Root;
use crate::scope::{Scope, ScopeKind};
use crate::unit::value::{parse_bool, parse_timespan};
use crate::users::Identity;
use std::time::Duration;

pub use event_loop::run;

/// The grace period between SIGTERM and SIGKILL for processes left after the units
/// stopped: docker's own `stop` timeout, so a `docker stop` gets the same answer.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

pub const CONSOLE_ENV: &str = "UNITBOX_CONSOLE";
pub const STOP_GRACE_ENV: &str = "UNITBOX_STOP_GRACE";
pub const EXIT_WHEN_IDLE_ENV: &str = "UNITBOX_EXIT_WHEN_IDLE";

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub scope: Scope,
    /// `systemctl init UNIT…`: boot these instead of the default target.
    pub units: Vec<String>,
    /// Copy every service's output to our stdout, prefixed with the unit name.
    pub console: bool,
    pub stop_grace: Duration,
    /// Shut down (exit 0) once no service runs any more.
    pub exit_when_idle: bool,
}

impl InitOptions {
    /// Options from the environment; a value that does not parse is an error (a typo in
    /// an image's `ENV` must not silently change how the container stops).
    pub fn new(
        scope: Scope,
        units: Vec<String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<InitOptions, String> {
        let flag = |key: &str, default: bool| -> Result<bool, String> {
            match env(key) {
                None => Ok(default),
                Some(v) if v.is_empty() => Ok(default),
                Some(v) => parse_bool(&v).ok_or_else(|| format!("Failed to parse {key}={v}")),
            }
        };
        let stop_grace = match env(STOP_GRACE_ENV).filter(|v| !v.is_empty()) {
            None => DEFAULT_STOP_GRACE,
            Some(v) => parse_timespan(&v, 1_000_000)
                .map(Duration::from_micros)
                .ok_or_else(|| format!("Failed to parse {STOP_GRACE_ENV}={v}"))?,
        };
        Ok(InitOptions {
            scope,
            units,
            console: flag(CONSOLE_ENV, true)?,
            stop_grace,
            exit_when_idle: flag(EXIT_WHEN_IDLE_ENV, false)?,
        })
    }
}

/// The scope an init manages: the system as root; as any other uid the user mode — that
/// uid's user units plus the system units whose `User=` is it (see
/// [`Scope::include_filtered_system_units`]).
pub fn scope_for_init(root: Root, env: &dyn Fn(&str) -> Option<String>) -> Scope {
    if nix::unistd::geteuid().is_root() {
        Scope::new(ScopeKind::System, root, Identity::root_user(), env)
    } else {
        let identity = Identity::current(&root, env);
        Scope::new(ScopeKind::User, root, identity, env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new(
            ScopeKind::System,
            Root::host(),
            Identity::root_user(),
            &|_| None,
        )
    }

    #[test]
    fn options_from_the_environment() {
        let o = InitOptions::new(scope(), Vec::new(), &|_| None).unwrap();
        assert!(o.console && !o.exit_when_idle);
        assert_eq!(o.stop_grace, DEFAULT_STOP_GRACE);
        let env = |k: &str| match k {
            CONSOLE_ENV => Some("0".to_string()),
            STOP_GRACE_ENV => Some("1min 5s".to_string()),
            EXIT_WHEN_IDLE_ENV => Some("yes".to_string()),
            _ => None,
        };
        let o = InitOptions::new(scope(), Vec::new(), &env).unwrap();
        assert!(!o.console && o.exit_when_idle);
        assert_eq!(o.stop_grace, Duration::from_secs(65));
        let bad = |k: &str| (k == STOP_GRACE_ENV).then(|| "soon".to_string());
        assert_eq!(
            InitOptions::new(scope(), Vec::new(), &bad).unwrap_err(),
            "Failed to parse UNITBOX_STOP_GRACE=soon"
        );
    }
}

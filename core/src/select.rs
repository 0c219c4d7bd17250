//! Which scope a command works on, from its `--system`/`--user`/`--global`/`--capsule`/
//! `--root` options: one rule for every applet.
//!
//! Besides systemd's rules, one container rule: a non-root caller that names no scope,
//! while a unitbox init runs in user mode for its uid (a `USER 1000` or OpenShift
//! container), works on that user scope — so `docker exec ctr systemctl status app`
//! reaches the services PID 1 started, as systemctl.py's user mode does.

use crate::capsule::{self, CapsuleError};
use crate::init::record::InitRecord;
use crate::root::Root;
use crate::scope::{Scope, ScopeKind};
use crate::state::StateDir;
use crate::users::Identity;

/// The scope options of a command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeRequest<'a> {
    pub system: bool,
    pub user: bool,
    pub global: bool,
    pub capsule: Option<&'a str>,
    pub root: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("Cannot access system instance with --capsule=/-C.")]
    CapsuleWithSystem,
    #[error(transparent)]
    Capsule(#[from] CapsuleError),
}

/// Builds the scope a command line asks for. `--capsule` makes this process the capsule's
/// user (see [`capsule::enter`]): call it early, while the process has one thread.
pub fn select(
    request: &ScopeRequest,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scope, SelectError> {
    let root = request.root.map(Root::new).unwrap_or_default();
    if let Some(name) = request.capsule {
        if request.system {
            return Err(SelectError::CapsuleWithSystem);
        }
        let identity = capsule::enter(&root, name)?;
        return Ok(Scope::new(
            ScopeKind::Capsule(name.to_string()),
            root,
            identity,
            env,
        ));
    }
    if request.global {
        return Ok(Scope::new(
            ScopeKind::Global,
            root,
            Identity::root_user(),
            env,
        ));
    }
    if request.user && !request.system {
        let identity = Identity::current(&root, env);
        return Ok(Scope::new(ScopeKind::User, root, identity, env));
    }
    if !request.system && !nix::unistd::getuid().is_root() {
        let user = Scope::new(
            ScopeKind::User,
            root.clone(),
            Identity::current(&root, env),
            env,
        );
        if user_mode_init_runs(&user) {
            return Ok(user);
        }
    }
    Ok(Scope::new(
        ScopeKind::System,
        root,
        Identity::root_user(),
        env,
    ))
}

/// Whether a unitbox init manages `scope` right now (its record is live).
fn user_mode_init_runs(scope: &Scope) -> bool {
    matches!(StateDir::existing(scope), Ok(Some(dir)) if InitRecord::read_live(&dir).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_options_pick_the_scope() {
        let pick = |r: ScopeRequest| select(&r, &|_| None).map(|s| s.kind);
        let kind = pick(ScopeRequest {
            user: true,
            ..Default::default()
        });
        assert_eq!(kind.unwrap(), ScopeKind::User);
        let kind = pick(ScopeRequest {
            global: true,
            ..Default::default()
        });
        assert_eq!(kind.unwrap(), ScopeKind::Global);
        let kind = pick(ScopeRequest {
            user: true,
            system: true,
            ..Default::default()
        });
        assert_eq!(kind.unwrap(), ScopeKind::System);
        let err = pick(ScopeRequest {
            system: true,
            capsule: Some("tatze"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot access system instance with --capsule=/-C."
        );
        let err = pick(ScopeRequest {
            capsule: Some("a/b"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "Invalid capsule name: a/b");
    }
}

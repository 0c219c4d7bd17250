//! `isolate TARGET` (252's `JOB_ISOLATE` mode): start the target with everything it pulls
//! in, and stop every other active unit except those with `IgnoreOnIsolate=yes`
//! (`transaction_add_isolate_jobs()`). Only a unit with `AllowIsolate=yes` may be isolated;
//! a unit that does not load has no such setting and is refused the same way, as 252 does.
//!
//! 252 runs the stop and start jobs in one transaction; here the stops run first (in
//! reverse dependency order), then the start, which is the order 252's jobs settle in when
//! nothing orders a stopped unit after a started one.

use super::transaction::{plan_start, plan_stop, Transaction, TransactionError};
use crate::unit::{LoadState, Unit, UnitName, UnitStore};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum IsolateError {
    /// 252's `BUS_ERROR_NO_ISOLATION`.
    #[error("Operation refused, unit may not be isolated.")]
    NotAllowed,
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// The two halves of an isolation: what stops, then what starts.
#[derive(Debug)]
pub struct Isolation {
    /// The unit's id, aliases followed (`default.target` → `multi-user.target`).
    pub target: UnitName,
    pub stop: Transaction,
    pub start: Transaction,
}

/// The unit a name stands for: aliases followed to the unit that has the file.
pub fn resolve(store: &UnitStore, name: &UnitName) -> UnitName {
    store
        .resolve(name)
        .map(|(id, _)| id)
        .unwrap_or_else(|| name.clone())
}

/// Whether 252 lets this unit be isolated (`AllowIsolate=`, only on a loaded unit).
pub fn allows_isolate(unit: &Unit) -> bool {
    unit.load_state == LoadState::Loaded
        && unit
            .settings
            .get_bool("Unit", "AllowIsolate")
            .unwrap_or(false)
}

fn ignores_isolate(store: &UnitStore, name: &str) -> bool {
    UnitName::parse(name).is_ok_and(|n| {
        store
            .load(&n)
            .settings
            .get_bool("Unit", "IgnoreOnIsolate")
            .unwrap_or(false)
    })
}

/// Plans isolating `name` when `active` are the units not at rest.
pub fn plan_isolate(
    store: &UnitStore,
    name: &UnitName,
    active: &[String],
) -> Result<Isolation, IsolateError> {
    let target = resolve(store, name);
    if !allows_isolate(&store.load(&target)) {
        return Err(IsolateError::NotAllowed);
    }
    let start = plan_start(store, std::slice::from_ref(&target))?;
    // What the target pulls in stays, also what a container skips (it is not ours to stop).
    let kept: BTreeSet<&str> = start
        .members
        .keys()
        .chain(start.skipped.iter())
        .map(String::as_str)
        .collect();
    let to_stop: Vec<UnitName> = active
        .iter()
        .filter(|n| !kept.contains(n.as_str()))
        .filter(|n| !ignores_isolate(store, n))
        .filter_map(|n| UnitName::parse(n).ok())
        .collect();
    let mut stop = if to_stop.is_empty() {
        Transaction::default()
    } else {
        plan_stop(store, &to_stop, active)
    };
    // A unit the target keeps is never stopped by the propagation (PartOf= of a stopped
    // unit): 252 would refuse the conflicting jobs; keeping it is the safe side.
    stop.members.retain(|n, _| !kept.contains(n.as_str()));
    for wave in &mut stop.waves {
        wave.retain(|n| !kept.contains(n.as_str()));
    }
    stop.waves.retain(|w| !w.is_empty());
    Ok(Isolation {
        target,
        stop,
        start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::{Scope, ScopeKind};
    use crate::users::Identity;

    fn store(files: &[(&str, &str)]) -> (tempfile::TempDir, UnitStore) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("etc/systemd/system");
        std::fs::create_dir_all(&base).unwrap();
        for (name, text) in files {
            let p = base.join(name);
            if let Some(target) = text.strip_prefix("->") {
                std::os::unix::fs::symlink(target, p).unwrap();
            } else {
                std::fs::write(p, text).unwrap();
            }
        }
        let scope = Scope::new(
            ScopeKind::System,
            Root::new(dir.path()),
            Identity::root_user(),
            &|_| None,
        );
        (dir, UnitStore::new(scope))
    }

    const SVC: &str = "[Service]\nExecStart=/bin/true\n";

    fn name(n: &str) -> UnitName {
        UnitName::parse(n).unwrap()
    }

    #[test]
    fn stops_what_the_target_does_not_pull_in_except_ignore_on_isolate() {
        let (_d, s) = store(&[
            ("t.target", "[Unit]\nAllowIsolate=yes\nWants=kept.service\n"),
            ("kept.service", SVC),
            ("other.service", SVC),
            (
                "sticky.service",
                "[Unit]\nIgnoreOnIsolate=yes\n[Service]\nExecStart=/bin/true\n",
            ),
            (
                "dependent.service",
                "[Unit]\nRequires=other.service\nAfter=other.service\n[Service]\nExecStart=/bin/true\n",
            ),
        ]);
        let active: Vec<String> = [
            "kept.service",
            "other.service",
            "sticky.service",
            "dependent.service",
        ]
        .map(String::from)
        .to_vec();
        let plan = plan_isolate(&s, &name("t.target"), &active).unwrap();
        let stopped: BTreeSet<&str> = plan.stop.members.keys().map(String::as_str).collect();
        assert_eq!(stopped, ["dependent.service", "other.service"].into());
        assert_eq!(
            plan.stop.waves,
            vec![vec!["dependent.service"], vec!["other.service"]]
        );
        assert!(plan.start.members.contains_key("kept.service"));
    }

    #[test]
    fn refused_without_allow_isolate_or_a_unit_file() {
        let (_d, s) = store(&[("t.target", "[Unit]\nDescription=T\n")]);
        for n in ["t.target", "nope.target"] {
            let err = plan_isolate(&s, &name(n), &[]).unwrap_err();
            assert_eq!(
                err.to_string(),
                "Operation refused, unit may not be isolated."
            );
        }
    }

    #[test]
    fn an_alias_isolates_the_unit_it_names() {
        let (_d, s) = store(&[
            ("multi-user.target", "[Unit]\nAllowIsolate=yes\n"),
            ("default.target", "->/etc/systemd/system/multi-user.target"),
        ]);
        let plan = plan_isolate(&s, &name("default.target"), &[]).unwrap();
        assert_eq!(plan.target.as_str(), "multi-user.target");
        assert!(plan.start.members.contains_key("multi-user.target"));
    }
}

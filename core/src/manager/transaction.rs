//! The transaction of a start or stop request: which units it involves and in which order.
//!
//! Starting pulls in `Requires=`, `Requisite=` (checked, not started), `BindsTo=`, `Wants=`,
//! `Upholds=` and the `.wants/`, `.requires/`, `.upholds/` directories, transitively, and
//! stops what `Conflicts=` names. Ordering comes from `After=`/`Before=` among the units of
//! the transaction only; the result is a list of *waves*: every unit of a wave may start in
//! parallel once the previous waves are done. Stopping reverses the order and propagates
//! to the units that `Requires=`, `BindsTo=` or are `PartOf=` a stopped unit.
//!
//! Default dependencies (`DefaultDependencies=yes`) only add ordering here: a container has
//! no early-boot system to pull in, and `sysinit.target` would otherwise drag systemd's own
//! units into every start (see [`super::skip`]).

use super::skip;
use crate::scope::Scope;
use crate::unit::deps::{self, Dep};
use crate::unit::{LoadState, Unit, UnitName, UnitStore};
use std::collections::{BTreeMap, BTreeSet};

/// How a unit came into the transaction; decides how its failure propagates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pull {
    /// Named on the command line.
    Requested,
    /// `Requires=`/`BindsTo=` of another unit: its failure fails the dependents.
    Required,
    /// `Wants=`/`Upholds=`: its failure affects nobody else.
    Wanted,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub unit: Unit,
    pub pull: Pull,
}

#[derive(Debug, Clone, Default)]
pub struct Transaction {
    pub members: BTreeMap<String, Member>,
    /// Start (or stop) order: each wave's units may run in parallel.
    pub waves: Vec<Vec<String>>,
    /// Units named by `Requisite=`: they must already be active, they are not started.
    pub requisites: BTreeMap<String, Vec<String>>,
    /// Units to stop first because a member `Conflicts=` with them.
    pub conflicts: BTreeSet<String>,
    /// name → the members that require it (`Requires=`/`BindsTo=`): they fail with it.
    pub required_by: BTreeMap<String, BTreeSet<String>>,
    /// Ordering cycles that were broken, for a warning.
    pub broken_cycles: Vec<String>,
    /// Pulled-in units that a container has no use for, skipped quietly.
    pub skipped: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    #[error("Unit {0} not found.")]
    NotFound(String),
    #[error("Unit {0} is masked.")]
    Masked(String),
    #[error("Unit {name} failed to load properly, please adjust/correct and reload service manager: {reason}")]
    LoadFailed { name: String, reason: String },
}

const STRONG: &[Dep] = &[Dep::Requires, Dep::BindsTo];
const WEAK: &[Dep] = &[Dep::Wants, Dep::Upholds];

/// The valid unit names `unit` declares a dependency of this kind on (specifiers resolved,
/// dependency directories included): the one dependency model of [`deps`].
fn dependency_names(unit: &Unit, scope: &Scope, dep: Dep) -> Vec<String> {
    deps::declared_of(unit, scope, dep)
        .into_iter()
        .filter(|n| UnitName::parse(n).is_ok())
        .collect()
}

fn default_dependencies(unit: &Unit) -> bool {
    unit.settings
        .get_bool("Unit", "DefaultDependencies")
        .unwrap_or(true)
}

fn load_checked(store: &UnitStore, name: &str) -> Result<Unit, TransactionError> {
    let parsed = UnitName::parse(name).map_err(|_| TransactionError::NotFound(name.into()))?;
    let unit = store.load(&parsed);
    match unit.load_state {
        LoadState::Loaded => Ok(unit),
        LoadState::NotFound => Err(TransactionError::NotFound(name.into())),
        LoadState::Masked => Err(TransactionError::Masked(name.into())),
        LoadState::BadSetting | LoadState::Error => Err(TransactionError::LoadFailed {
            name: name.into(),
            reason: unit.load_error.clone().unwrap_or_default(),
        }),
    }
}

/// Plans starting `requested`. Errors only for problems of the requested units or of their
/// required dependencies; wanted units that cannot load are dropped, as systemd does.
pub fn plan_start(
    store: &UnitStore,
    requested: &[UnitName],
) -> Result<Transaction, TransactionError> {
    let scope = store.scope();
    let mut tx = Transaction::default();
    let mut queue: Vec<(String, Pull, Option<String>)> = requested
        .iter()
        .map(|n| (n.to_string(), Pull::Requested, None))
        .collect();
    while let Some((name, pull, parent)) = queue.pop() {
        if let Some(member) = tx.members.get_mut(&name) {
            member.pull = member.pull.min(pull);
            if let (Pull::Required, Some(p)) = (pull, parent) {
                tx.required_by.entry(name).or_default().insert(p);
            }
            continue;
        }
        if pull != Pull::Requested && skip::irrelevant_in_container(&name) {
            tx.skipped.insert(name);
            continue;
        }
        let unit = match load_checked(store, &name) {
            Ok(unit) => unit,
            Err(err) if pull == Pull::Wanted => {
                log::debug!("dropping wanted unit: {err}");
                continue;
            }
            Err(err) => return Err(err),
        };
        if let (Pull::Required, Some(p)) = (pull, &parent) {
            tx.required_by
                .entry(name.clone())
                .or_default()
                .insert(p.clone());
        }
        for diagnostic in &unit.diagnostics {
            log::warn!("{diagnostic}");
        }
        let id = unit.id.to_string();
        for kind in STRONG {
            for dep in dependency_names(&unit, scope, *kind) {
                queue.push((dep, Pull::Required, Some(id.clone())));
            }
        }
        for kind in WEAK {
            for dep in dependency_names(&unit, scope, *kind) {
                queue.push((dep, Pull::Wanted, Some(id.clone())));
            }
        }
        let requisites = dependency_names(&unit, scope, Dep::Requisite);
        if !requisites.is_empty() {
            tx.requisites.insert(id.clone(), requisites);
        }
        tx.conflicts
            .extend(dependency_names(&unit, scope, Dep::Conflicts));
        tx.members.insert(id, Member { unit, pull });
    }
    // Conflicts are symmetric: a member named in another unit's Conflicts= is not stopped
    // by it, but a member cannot both start and be stopped.
    let members: BTreeSet<String> = tx.members.keys().cloned().collect();
    tx.conflicts.retain(|c| !members.contains(c));
    let (waves, cycles) = order(&tx.members, store.scope(), false);
    tx.waves = waves;
    tx.broken_cycles = cycles;
    Ok(tx)
}

/// Plans stopping `requested` when `active` are the units currently running. Units that
/// require, bind to, or are part of a stopped unit stop too, before it.
pub fn plan_stop(store: &UnitStore, requested: &[UnitName], active: &[String]) -> Transaction {
    let scope = store.scope();
    let mut tx = Transaction::default();
    let active_units: Vec<Unit> = active
        .iter()
        .filter_map(|n| UnitName::parse(n).ok())
        .map(|n| store.load(&n))
        .collect();
    let mut queue: Vec<(String, Pull)> = requested
        .iter()
        .map(|n| (n.to_string(), Pull::Requested))
        .collect();
    while let Some((name, pull)) = queue.pop() {
        if tx.members.contains_key(&name) {
            continue;
        }
        let unit = match UnitName::parse(&name) {
            Ok(n) => store.load(&n),
            Err(_) => continue,
        };
        for other in &active_units {
            let id = other.id.to_string();
            let propagates = [Dep::Requires, Dep::BindsTo, Dep::PartOf]
                .iter()
                .any(|k| dependency_names(other, scope, *k).contains(&name));
            if propagates && !tx.members.contains_key(&id) {
                queue.push((id, Pull::Required));
            }
        }
        // ConsistsOf= is the reverse of PartOf=: the members of this unit stop with it.
        for part in dependency_names(&unit, scope, Dep::ConsistsOf) {
            queue.push((part, Pull::Required));
        }
        tx.members
            .insert(unit.id.to_string(), Member { unit, pull });
    }
    let (waves, cycles) = order(&tx.members, store.scope(), true);
    tx.waves = waves;
    tx.broken_cycles = cycles;
    tx
}

/// Orders members by After=/Before= (and the implicit ordering of default dependencies)
/// into waves; `reverse` gives stop order. Cycles are broken deterministically and named.
fn order(
    members: &BTreeMap<String, Member>,
    scope: &Scope,
    reverse: bool,
) -> (Vec<Vec<String>>, Vec<String>) {
    // edges[a] = units that must be done before a (for start order).
    let mut before: BTreeMap<&str, BTreeSet<&str>> = members
        .keys()
        .map(|k| (k.as_str(), BTreeSet::new()))
        .collect();
    let mut add = |first: &str, then: &str| {
        if first == then {
            return;
        }
        if let (Some((f, _)), Some(set)) = (members.get_key_value(first), before.get_mut(then)) {
            set.insert(f.as_str());
        }
    };
    for (name, member) in members {
        for dep in dependency_names(&member.unit, scope, Dep::After) {
            add(&dep, name);
        }
        for dep in dependency_names(&member.unit, scope, Dep::Before) {
            add(name, &dep);
        }
        // A target waits for the units it wants or requires, unless they opt out.
        if member.unit.id.unit_type() == "target" && default_dependencies(&member.unit) {
            let pulled = [Dep::Wants, Dep::Requires, Dep::BindsTo, Dep::Upholds]
                .iter()
                .flat_map(|k| dependency_names(&member.unit, scope, *k));
            for dep in pulled {
                if members
                    .get(&dep)
                    .is_some_and(|m| default_dependencies(&m.unit))
                {
                    add(&dep, name);
                }
            }
        }
    }
    let mut edges = before;
    if reverse {
        let mut rev: BTreeMap<&str, BTreeSet<&str>> =
            edges.keys().map(|k| (*k, BTreeSet::new())).collect();
        for (then, firsts) in &edges {
            for first in firsts {
                if let Some(set) = rev.get_mut(first) {
                    set.insert(then);
                }
            }
        }
        edges = rev;
    }
    let mut waves = Vec::new();
    let mut cycles = Vec::new();
    let mut remaining = edges;
    while !remaining.is_empty() {
        let mut ready: Vec<&str> = remaining
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            // A cycle: release the unit with the fewest unmet predecessors (ties by name).
            let victim = remaining
                .iter()
                .min_by_key(|(n, deps)| (deps.len(), **n))
                .map(|(n, _)| *n)
                .unwrap_or_default();
            cycles.push(victim.to_string());
            ready.push(victim);
        }
        for n in &ready {
            remaining.remove(n);
        }
        for deps in remaining.values_mut() {
            for n in &ready {
                deps.remove(n);
            }
        }
        waves.push(ready.into_iter().map(str::to_string).collect());
    }
    (waves, cycles)
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
        for (name, text) in files {
            let p = base.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
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

    fn names(v: &[&str]) -> Vec<UnitName> {
        v.iter().map(|n| UnitName::parse(n).unwrap()).collect()
    }

    const SVC: &str = "[Service]\nExecStart=/bin/true\n";

    #[test]
    fn pulls_in_dependencies_and_orders_them_in_waves() {
        let (_d, s) = store(&[
            ("app.service", "[Unit]\nRequires=db.service\nWants=cache.service\nAfter=db.service cache.service\n[Service]\nExecStart=/bin/true\n"),
            ("db.service", SVC),
            ("cache.service", SVC),
            ("app.service.wants/metrics.service", "->/etc/systemd/system/metrics.service"),
            ("metrics.service", SVC),
        ]);
        let tx = plan_start(&s, &names(&["app.service"])).unwrap();
        assert_eq!(
            tx.waves,
            vec![
                vec!["cache.service", "db.service", "metrics.service"],
                vec!["app.service"]
            ]
        );
        assert_eq!(tx.members["db.service"].pull, Pull::Required);
        assert_eq!(tx.members["cache.service"].pull, Pull::Wanted);
        assert!(tx.required_by["db.service"].contains("app.service"));
    }

    #[test]
    fn missing_required_dependency_fails_missing_wanted_one_is_dropped() {
        let (_d, s) = store(&[
            (
                "a.service",
                "[Unit]\nWants=ghost.service\n[Service]\nExecStart=/bin/true\n",
            ),
            (
                "b.service",
                "[Unit]\nRequires=ghost.service\n[Service]\nExecStart=/bin/true\n",
            ),
        ]);
        let tx = plan_start(&s, &names(&["a.service"])).unwrap();
        assert_eq!(tx.waves, vec![vec!["a.service"]]);
        let err = plan_start(&s, &names(&["b.service"])).unwrap_err();
        assert_eq!(err.to_string(), "Unit ghost.service not found.");
    }

    #[test]
    fn targets_wait_for_what_they_want_and_systemd_units_are_skipped() {
        let (_d, s) = store(&[
            ("multi-user.target", "[Unit]\nDescription=MU\n"),
            (
                "multi-user.target.wants/web.service",
                "->/etc/systemd/system/web.service",
            ),
            (
                "multi-user.target.wants/systemd-logind.service",
                "->/etc/systemd/system/systemd-logind.service",
            ),
            ("systemd-logind.service", SVC),
            ("web.service", SVC),
        ]);
        let tx = plan_start(&s, &names(&["multi-user.target"])).unwrap();
        assert_eq!(
            tx.waves,
            vec![vec!["web.service"], vec!["multi-user.target"]]
        );
        assert!(tx.skipped.contains("systemd-logind.service"));
    }

    #[test]
    fn cycles_are_broken_not_fatal() {
        let (_d, s) = store(&[
            (
                "a.service",
                "[Unit]\nWants=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n",
            ),
            (
                "b.service",
                "[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/true\n",
            ),
        ]);
        let tx = plan_start(&s, &names(&["a.service"])).unwrap();
        assert_eq!(tx.waves.concat().len(), 2);
        assert_eq!(tx.broken_cycles.len(), 1);
    }

    #[test]
    fn stop_propagates_to_dependents_and_reverses_order() {
        let (_d, s) = store(&[
            (
                "app.service",
                "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/true\n",
            ),
            ("db.service", SVC),
            (
                "side.service",
                "[Unit]\nWants=db.service\n[Service]\nExecStart=/bin/true\n",
            ),
        ]);
        let active = vec![
            "app.service".into(),
            "db.service".into(),
            "side.service".into(),
        ];
        let tx = plan_stop(&s, &names(&["db.service"]), &active);
        assert_eq!(tx.waves, vec![vec!["app.service"], vec!["db.service"]]);
    }

    #[test]
    fn conflicts_are_collected() {
        let (_d, s) = store(&[
            (
                "a.service",
                "[Unit]\nConflicts=b.service\n[Service]\nExecStart=/bin/true\n",
            ),
            ("b.service", SVC),
        ]);
        let tx = plan_start(&s, &names(&["a.service"])).unwrap();
        assert!(tx.conflicts.contains("b.service"));
    }
}

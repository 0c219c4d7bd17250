//! Which units exist for the read-only verbs, and what the user's unit arguments mean.
//!
//! Without a daemon there is no "units in memory" list, so unitbox defines the **loaded
//! units** ([`Universe`]) the way a freshly booted manager would have them: every unit name
//! on the search path (aliases folded into the unit they name, masked names included,
//! templates never — a bare template cannot be loaded), plus every unit referenced by a
//! dependency of those (`Wants=`, `After=`, `.wants/` directories, a timer's or socket's
//! unit, …), transitively. A referenced unit without a file is loaded as `not-found`, as
//! systemd does. Units named on the command line join the universe the same way.
//!
//! Dependencies are only those written down (files, drop-ins, `.wants/`/`.requires/`/
//! `.upholds/` directories, triggers); the implicit ones systemd adds (default
//! dependencies, slices, mounts) are not invented here. Every dependency also appears on
//! the other unit in its inverse form (`Wants=` ↔ `WantedBy=`, `Before=` ↔ `After=`), as
//! in systemd's unit graph.

mod reverse;

use crate::exit::{CtlError, CtlResult};
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use unitbox_core::glob::unit_name_matches;
use unitbox_core::scope::Scope;
use unitbox_core::unit::deps;
pub use unitbox_core::unit::deps::{specifiers, Dep};
use unitbox_core::unit::name::{self, UnitName};
use unitbox_core::unit::{Unit, UnitStore};

/// The loaded units and their dependency graph (see the module documentation).
///
/// The command line's units are loaded at once. Their dependencies, reverse ones
/// included, come from [`reverse::edges_of`], which reads every unit file but fully loads
/// only those that may name them; everything else (other units, listing all of them) is
/// built on first use, so `show UNIT` never loads the whole tree.
pub struct Universe {
    store: UnitStore,
    extra: Vec<UnitName>,
    /// The command line's units, one per id, in command line order.
    requested: Vec<Requested>,
    /// Every name of a requested unit → its index in `requested`.
    requested_names: HashMap<String, usize>,
    full: OnceCell<Graph>,
}

struct Requested {
    unit: Unit,
    /// Its edges; `None` when the quick scan cannot be sure and the full graph decides.
    edges: OnceCell<Option<Vec<(Dep, String)>>>,
}

/// Every loaded unit and every edge.
struct Graph {
    /// By id, sorted.
    units: BTreeMap<String, Unit>,
    /// Every name (ids and aliases) → id.
    ids: HashMap<String, String>,
    /// Per id: (kind, other unit id), forward and inverse edges, first occurrence order.
    edges: HashMap<String, Vec<(Dep, String)>>,
}

impl Universe {
    /// The universe of every unit on the search path, `extra` (the command line's units)
    /// and everything they reference.
    pub fn load(store: &UnitStore, extra: &[UnitName]) -> Self {
        let mut requested: Vec<Requested> = Vec::new();
        let mut requested_names = HashMap::new();
        for name in extra {
            if name.is_template() || requested_names.contains_key(name.as_str()) {
                continue;
            }
            let unit = store.load(name);
            let index = match requested.iter().position(|r| r.unit.id == unit.id) {
                Some(index) => index,
                None => {
                    for n in &unit.names {
                        requested_names.entry(n.clone()).or_insert(requested.len());
                    }
                    requested.push(Requested {
                        unit,
                        edges: OnceCell::new(),
                    });
                    requested.len() - 1
                }
            };
            requested_names.insert(name.to_string(), index);
        }
        Universe {
            store: store.clone(),
            extra: extra.to_vec(),
            requested,
            requested_names,
            full: OnceCell::new(),
        }
    }

    fn graph(&self) -> &Graph {
        self.full
            .get_or_init(|| Graph::load(&self.store, &self.extra))
    }

    /// The loaded units, sorted by id.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.graph().units.values()
    }

    /// A unit by any of its names.
    pub fn get(&self, name: &str) -> Option<&Unit> {
        match self.requested_names.get(name) {
            Some(&index) => Some(&self.requested[index].unit),
            None => self.graph().get(name),
        }
    }

    /// The ids a unit has a dependency of this kind on, in the order they were found.
    pub fn deps(&self, id: &str, dep: Dep) -> Vec<&str> {
        let quick = self
            .requested
            .iter()
            .position(|r| r.unit.id.as_str() == id)
            .and_then(|index| {
                self.requested[index]
                    .edges
                    .get_or_init(|| {
                        let units: Vec<&Unit> = self.requested.iter().map(|r| &r.unit).collect();
                        reverse::edges_of(&self.store, &units, index)
                    })
                    .as_ref()
            });
        let edges = match quick {
            Some(edges) => edges,
            None => match self.graph().edges.get(id) {
                Some(edges) => edges,
                None => return Vec::new(),
            },
        };
        edges
            .iter()
            .filter(|(d, _)| *d == dep)
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

impl Graph {
    /// Loads every unit on the search path, `extra` and everything they reference, in
    /// breadth-first order from `extra` and then the path's names (which decides the
    /// order of each unit's edges).
    fn load(store: &UnitStore, extra: &[UnitName]) -> Self {
        let mut graph = Graph {
            units: BTreeMap::new(),
            ids: HashMap::new(),
            edges: HashMap::new(),
        };
        let mut queue: VecDeque<String> = extra.iter().map(|n| n.to_string()).collect();
        queue.extend(store.entries().map(|(n, _)| n.to_string()));
        let mut raw_edges: Vec<(String, Dep, String)> = Vec::new();
        while let Some(name) = queue.pop_front() {
            if graph.ids.contains_key(&name) {
                continue;
            }
            let Ok(parsed) = UnitName::parse(&name) else {
                continue;
            };
            if parsed.is_template() {
                continue;
            }
            let unit = store.load(&parsed);
            let id = unit.id.to_string();
            graph.ids.insert(name, id.clone());
            if graph.units.contains_key(&id) {
                continue;
            }
            for n in &unit.names {
                graph.ids.entry(n.clone()).or_insert_with(|| id.clone());
            }
            for (dep, target) in deps::declared(&unit, store.scope()) {
                queue.push_back(target.clone());
                raw_edges.push((id.clone(), dep, target));
            }
            graph.units.insert(id, unit);
        }
        for (from, dep, to) in raw_edges {
            let Some(to) = graph.ids.get(&to).cloned() else {
                continue;
            };
            graph.add_edge(&from, dep, &to);
            graph.add_edge(&to, dep.inverse(), &from);
        }
        graph
    }

    fn add_edge(&mut self, from: &str, dep: Dep, to: &str) {
        let list = self.edges.entry(from.to_string()).or_default();
        if !list.iter().any(|(d, t)| *d == dep && t == to) {
            list.push((dep, to.to_string()));
        }
    }

    fn get(&self, name: &str) -> Option<&Unit> {
        self.units.get(self.ids.get(name)?)
    }
}

/// `Description=` (specifiers resolved), or the id for units without one or without a
/// file, as systemd's `unit_description()`: see [`Unit::display_description`].
pub fn description(unit: &Unit, scope: &Scope) -> String {
    unit.display_description(scope)
}

/// systemctl's name mangling for a unit argument of a job verb (`expand_unit_names()`:
/// globs allowed).
pub fn mangle(arg: &str) -> CtlResult<String> {
    name::mangle_with_suffix(arg, "service", true)
        .map(|m| m.name)
        .ok_or_else(|| CtlError::failure("Failed to mangle name: Invalid argument"))
}

/// The units the arguments name: globs expand to the matching loaded units (sorted), other
/// arguments are mangled and kept even when no such unit exists.
pub fn expand(universe: &Universe, args: &[String]) -> CtlResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        let mangled = mangle(arg)?;
        if name::is_glob(&mangled) {
            for unit in universe.units() {
                let id = unit.id.as_str();
                if unit_name_matches(&mangled, id) && !out.iter().any(|o| o == id) {
                    out.push(id.to_string());
                }
            }
        } else if !out.contains(&mangled) {
            out.push(mangled);
        }
    }
    Ok(out)
}

/// Parses the non-glob arguments into names (what [`Universe::load`] takes as `extra`).
pub fn plain_names(args: &[String]) -> Vec<UnitName> {
    args.iter()
        .filter_map(|a| mangle(a).ok())
        .filter(|m| !name::is_glob(m))
        .filter_map(|m| UnitName::parse(&m).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangles_like_systemctl() {
        assert_eq!(mangle("nginx").unwrap(), "nginx.service");
        assert_eq!(mangle("multi-user.target").unwrap(), "multi-user.target");
        assert_eq!(mangle("ng*").unwrap(), "ng*");
        assert_eq!(mangle("/dev/sda").unwrap(), "dev-sda.device");
        assert_eq!(mangle("a b").unwrap(), "a\\x20b.service");
        assert!(mangle("@").is_err());
    }

    /// Writes `files` (path relative to the root → text; a text starting with `->` makes
    /// a symlink) and opens the system store of that root.
    fn store_of(dir: &std::path::Path, files: &[(&str, &str)]) -> UnitStore {
        for (rel, text) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            match text.strip_prefix("->") {
                Some(target) => std::os::unix::fs::symlink(target, &path).unwrap(),
                None => std::fs::write(&path, text).unwrap(),
            }
        }
        let scope = Scope::new(
            unitbox_core::scope::ScopeKind::System,
            unitbox_core::root::Root::new(dir),
            unitbox_core::users::Identity::root_user(),
            &|_| None,
        );
        UnitStore::new(scope)
    }

    /// Every unit's edges of each kind, as the quick scan finds them (for one requested
    /// unit), are the full graph's, in the same order; returns how many units the quick
    /// scan settled.
    fn assert_quick_edges_match_full_graph(store: &UnitStore) -> usize {
        let everything = Universe::load(store, &[]);
        let ids: Vec<String> = everything.units().map(|u| u.id.to_string()).collect();
        let mut settled = 0;
        for id in &ids {
            let name = UnitName::parse(id).unwrap();
            let one = Universe::load(store, std::slice::from_ref(&name));
            let units: Vec<&Unit> = one.requested.iter().map(|r| &r.unit).collect();
            if reverse::edges_of(store, &units, 0).is_none() {
                continue;
            }
            settled += 1;
            // The command line's units come first in the load order, as in `show UNIT`.
            let full = Graph::load(store, std::slice::from_ref(&name));
            for dep in Dep::ALL {
                let full = full.edges.get(id.as_str()).into_iter().flatten();
                let full: Vec<&str> = full
                    .filter(|(d, _)| *d == dep)
                    .map(|(_, t)| t.as_str())
                    .collect();
                assert_eq!(one.deps(id, dep), full, "{id} {dep:?}");
            }
            assert!(one.full.get().is_none(), "{id}: the full graph was built");
        }
        settled
    }

    #[test]
    fn quick_edges_are_the_full_graphs() {
        let dir = tempfile::tempdir().unwrap();
        let usr = "usr/lib/systemd/system";
        let etc = "etc/systemd/system";
        let files: Vec<(String, &str)> = vec![
            (format!("{usr}/multi-user.target"), "[Unit]\nDescription=MU\nWants=b.service\n"),
            (format!("{usr}/a.service"), "[Unit]\nAfter=b.service c.service\nBefore=net.target\nWants=alias.service\n[Service]\nExecStart=/a\n"),
            (format!("{usr}/b.service"), "[Unit]\nBefore=a.service\nRequires=%p-extra.service\n[Service]\nExecStart=/b\n"),
            (format!("{usr}/c.service"), "[Unit]\nConflicts=b.service\n[Service]\nExecStart=/c\n"),
            (format!("{usr}/real.service"), "[Unit]\nPartOf=a.service\n[Service]\nExecStart=/r\n"),
            (format!("{etc}/alias.service"), "->/usr/lib/systemd/system/real.service"),
            (format!("{etc}/multi-user.target.wants/a.service"), "->/usr/lib/systemd/system/a.service"),
            (format!("{etc}/multi-user.target.wants/alias.service"), "->/usr/lib/systemd/system/real.service"),
            (format!("{etc}/c.service.d/deps.conf"), "[Unit]\nAfter=real.service\n"),
            (format!("{usr}/backup.timer"), "[Timer]\nOnCalendar=daily\n"),
            (format!("{usr}/backup.service"), "[Service]\nExecStart=/bk\n"),
            (format!("{usr}/other.timer"), "[Timer]\nOnCalendar=daily\nUnit=c.service\n"),
            (format!("{usr}/bad.service"), "[Unit]\nWants=a.service\n[Service]\nExecStart=/x ; /y\n"),
            (format!("{etc}/masked.service"), "->/dev/null"),
            (format!("{usr}/empty.service"), ""),
            (format!("{usr}/self.service"), "[Unit]\nAfter=self.service\n[Service]\nExecStart=/s\n"),
            (format!("{usr}/net.target"), "[Unit]\nAfter=%N-online.target\n"),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let store = store_of(dir.path(), &files);
        let settled = assert_quick_edges_match_full_graph(&store);
        assert!(settled >= 10, "only {settled} units settled quickly");
    }

    #[test]
    fn templates_and_type_directories_fall_back_to_the_full_graph() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_of(
            dir.path(),
            &[
                (
                    "usr/lib/systemd/system/t@.service",
                    "[Unit]\nAfter=x.service\n[Service]\nExecStart=/t %i\n",
                ),
                (
                    "usr/lib/systemd/system/x.service",
                    "[Unit]\nWants=t@one.service\n[Service]\nExecStart=/x\n",
                ),
                (
                    "usr/lib/systemd/system/y.service",
                    "[Service]\nExecStart=/y\n",
                ),
                (
                    "etc/systemd/system/service.d/all.conf",
                    "[Unit]\nAfter=y.service\n",
                ),
                (
                    "etc/systemd/system/y.service.wants/z.service",
                    "->/usr/lib/systemd/system/z.service",
                ),
                (
                    "usr/lib/systemd/system/z.service",
                    "[Service]\nExecStart=/z\n",
                ),
            ],
        );
        assert_quick_edges_match_full_graph(&store);
        for needs_full in ["x.service", "y.service"] {
            let name = UnitName::parse(needs_full).unwrap();
            let one = Universe::load(&store, std::slice::from_ref(&name));
            let units: Vec<&Unit> = one.requested.iter().map(|r| &r.unit).collect();
            assert!(
                reverse::edges_of(&store, &units, 0).is_none(),
                "{needs_full}"
            );
        }
        let x = UnitName::parse("x.service").unwrap();
        let one = Universe::load(&store, std::slice::from_ref(&x));
        assert_eq!(one.deps("x.service", Dep::Before), ["t@one.service"]);
        assert_eq!(one.deps("x.service", Dep::Wants), ["t@one.service"]);
        let z = UnitName::parse("z.service").unwrap();
        let one = Universe::load(&store, std::slice::from_ref(&z));
        assert_eq!(one.deps("z.service", Dep::WantedBy), ["y.service"]);
    }

    #[test]
    fn every_dependency_has_an_inverse_pair() {
        for d in Dep::ALL {
            assert_eq!(d.inverse().inverse(), d, "{}", d.name());
        }
    }
}

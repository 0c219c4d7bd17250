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

use crate::exit::{CtlError, CtlResult};
use std::collections::{BTreeMap, HashMap, VecDeque};
use unitbox_core::glob::unit_name_matches;
use unitbox_core::scope::Scope;
use unitbox_core::unit::name::{self, UnitName};
use unitbox_core::unit::specifier::{self, SpecifierContext};
use unitbox_core::unit::{LoadState, Unit, UnitStore};

/// systemd's dependency properties, in D-Bus (`systemctl show`) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dep {
    Requires,
    Requisite,
    Wants,
    BindsTo,
    PartOf,
    Upholds,
    RequiredBy,
    RequisiteOf,
    WantedBy,
    BoundBy,
    UpheldBy,
    ConsistsOf,
    Conflicts,
    ConflictedBy,
    Before,
    After,
    OnSuccess,
    OnSuccessOf,
    OnFailure,
    OnFailureOf,
    Triggers,
    TriggeredBy,
    PropagatesReloadTo,
    ReloadPropagatedFrom,
    PropagatesStopTo,
    StopPropagatedFrom,
    JoinsNamespaceOf,
}

impl Dep {
    pub const ALL: [Dep; 27] = [
        Dep::Requires,
        Dep::Requisite,
        Dep::Wants,
        Dep::BindsTo,
        Dep::PartOf,
        Dep::Upholds,
        Dep::RequiredBy,
        Dep::RequisiteOf,
        Dep::WantedBy,
        Dep::BoundBy,
        Dep::UpheldBy,
        Dep::ConsistsOf,
        Dep::Conflicts,
        Dep::ConflictedBy,
        Dep::Before,
        Dep::After,
        Dep::OnSuccess,
        Dep::OnSuccessOf,
        Dep::OnFailure,
        Dep::OnFailureOf,
        Dep::Triggers,
        Dep::TriggeredBy,
        Dep::PropagatesReloadTo,
        Dep::ReloadPropagatedFrom,
        Dep::PropagatesStopTo,
        Dep::StopPropagatedFrom,
        Dep::JoinsNamespaceOf,
    ];

    /// Keys a unit file may set in `[Unit]` (the others only arise as inverses).
    const FILE_KEYS: [Dep; 16] = [
        Dep::Requires,
        Dep::Requisite,
        Dep::Wants,
        Dep::BindsTo,
        Dep::PartOf,
        Dep::Upholds,
        Dep::Conflicts,
        Dep::Before,
        Dep::After,
        Dep::OnSuccess,
        Dep::OnFailure,
        Dep::PropagatesReloadTo,
        Dep::ReloadPropagatedFrom,
        Dep::PropagatesStopTo,
        Dep::StopPropagatedFrom,
        Dep::JoinsNamespaceOf,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dep::Requires => "Requires",
            Dep::Requisite => "Requisite",
            Dep::Wants => "Wants",
            Dep::BindsTo => "BindsTo",
            Dep::PartOf => "PartOf",
            Dep::Upholds => "Upholds",
            Dep::RequiredBy => "RequiredBy",
            Dep::RequisiteOf => "RequisiteOf",
            Dep::WantedBy => "WantedBy",
            Dep::BoundBy => "BoundBy",
            Dep::UpheldBy => "UpheldBy",
            Dep::ConsistsOf => "ConsistsOf",
            Dep::Conflicts => "Conflicts",
            Dep::ConflictedBy => "ConflictedBy",
            Dep::Before => "Before",
            Dep::After => "After",
            Dep::OnSuccess => "OnSuccess",
            Dep::OnSuccessOf => "OnSuccessOf",
            Dep::OnFailure => "OnFailure",
            Dep::OnFailureOf => "OnFailureOf",
            Dep::Triggers => "Triggers",
            Dep::TriggeredBy => "TriggeredBy",
            Dep::PropagatesReloadTo => "PropagatesReloadTo",
            Dep::ReloadPropagatedFrom => "ReloadPropagatedFrom",
            Dep::PropagatesStopTo => "PropagatesStopTo",
            Dep::StopPropagatedFrom => "StopPropagatedFrom",
            Dep::JoinsNamespaceOf => "JoinsNamespaceOf",
        }
    }

    /// What the dependency looks like from the other unit.
    pub fn inverse(self) -> Dep {
        use Dep::*;
        match self {
            Requires => RequiredBy,
            RequiredBy => Requires,
            Requisite => RequisiteOf,
            RequisiteOf => Requisite,
            Wants => WantedBy,
            WantedBy => Wants,
            BindsTo => BoundBy,
            BoundBy => BindsTo,
            PartOf => ConsistsOf,
            ConsistsOf => PartOf,
            Upholds => UpheldBy,
            UpheldBy => Upholds,
            Conflicts => ConflictedBy,
            ConflictedBy => Conflicts,
            Before => After,
            After => Before,
            OnSuccess => OnSuccessOf,
            OnSuccessOf => OnSuccess,
            OnFailure => OnFailureOf,
            OnFailureOf => OnFailure,
            Triggers => TriggeredBy,
            TriggeredBy => Triggers,
            PropagatesReloadTo => ReloadPropagatedFrom,
            ReloadPropagatedFrom => PropagatesReloadTo,
            PropagatesStopTo => StopPropagatedFrom,
            StopPropagatedFrom => PropagatesStopTo,
            JoinsNamespaceOf => JoinsNamespaceOf,
        }
    }
}

/// The loaded units and their dependency graph (see the module documentation).
pub struct Universe {
    /// By id, sorted.
    units: BTreeMap<String, Unit>,
    /// Every name (ids and aliases) → id.
    ids: HashMap<String, String>,
    /// Per id: (kind, other unit id), forward and inverse edges, first occurrence order.
    edges: HashMap<String, Vec<(Dep, String)>>,
}

impl Universe {
    /// Loads every unit on the search path, `extra` (the command line's units) and
    /// everything they reference.
    pub fn load(store: &UnitStore, extra: &[UnitName]) -> Self {
        let mut universe = Universe {
            units: BTreeMap::new(),
            ids: HashMap::new(),
            edges: HashMap::new(),
        };
        let mut queue: VecDeque<String> = extra.iter().map(|n| n.to_string()).collect();
        queue.extend(store.entries().map(|(n, _)| n.to_string()));
        let mut raw_edges: Vec<(String, Dep, String)> = Vec::new();
        while let Some(name) = queue.pop_front() {
            if universe.ids.contains_key(&name) {
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
            universe.ids.insert(name, id.clone());
            if universe.units.contains_key(&id) {
                continue;
            }
            for n in &unit.names {
                universe.ids.entry(n.clone()).or_insert_with(|| id.clone());
            }
            for (dep, target) in direct_dependencies(&unit, store.scope()) {
                queue.push_back(target.clone());
                raw_edges.push((id.clone(), dep, target));
            }
            universe.units.insert(id, unit);
        }
        for (from, dep, to) in raw_edges {
            let Some(to) = universe.ids.get(&to).cloned() else {
                continue;
            };
            universe.add_edge(&from, dep, &to);
            universe.add_edge(&to, dep.inverse(), &from);
        }
        universe
    }

    fn add_edge(&mut self, from: &str, dep: Dep, to: &str) {
        let list = self.edges.entry(from.to_string()).or_default();
        if !list.iter().any(|(d, t)| *d == dep && t == to) {
            list.push((dep, to.to_string()));
        }
    }

    /// The loaded units, sorted by id.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// A unit by any of its names.
    pub fn get(&self, name: &str) -> Option<&Unit> {
        self.units.get(self.ids.get(name)?)
    }

    /// The ids a unit has a dependency of this kind on, in the order they were found.
    pub fn deps(&self, id: &str, dep: Dep) -> Vec<&str> {
        self.edges
            .get(id)
            .map(|list| {
                list.iter()
                    .filter(|(d, _)| *d == dep)
                    .map(|(_, t)| t.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Dependencies a unit declares itself: `[Unit]` keys, dependency directories, and what
/// a timer, socket, path or automount unit triggers.
fn direct_dependencies(unit: &Unit, scope: &Scope) -> Vec<(Dep, String)> {
    let mut out = Vec::new();
    if unit.load_state != LoadState::Loaded && unit.load_state != LoadState::NotFound {
        return out;
    }
    for dep in Dep::FILE_KEYS {
        for entry in unit.settings.get_all("Unit", dep.name()) {
            for word in specifiers(unit, scope, &entry.value).split_whitespace() {
                out.push((dep, word.to_string()));
            }
        }
    }
    for (kind, target) in &unit.dir_dependencies {
        let dep = match kind.key() {
            "Requires" => Dep::Requires,
            "Upholds" => Dep::Upholds,
            _ => Dep::Wants,
        };
        out.push((dep, target.clone()));
    }
    if let Some(target) = triggered_unit(unit) {
        out.push((Dep::Triggers, specifiers(unit, scope, &target)));
    }
    out
}

/// The unit a timer/socket/path/automount activates (`Unit=`, `Service=`, or the same name
/// with the activated type).
fn triggered_unit(unit: &Unit) -> Option<String> {
    if !unit.is_loaded() {
        return None;
    }
    let same_name = |suffix: &str| format!("{}.{suffix}", unit.id.stem());
    match unit.id.unit_type() {
        "timer" => Some(
            unit.settings
                .get("Timer", "Unit")
                .map(str::to_string)
                .unwrap_or_else(|| same_name("service")),
        ),
        "path" => Some(
            unit.settings
                .get("Path", "Unit")
                .map(str::to_string)
                .unwrap_or_else(|| same_name("service")),
        ),
        "socket" => {
            if let Some(service) = unit.settings.get("Socket", "Service") {
                return Some(service.to_string());
            }
            // Accept=yes sockets spawn instances per connection: nothing is triggered
            // until a connection arrives.
            if unit.settings.get_bool("Socket", "Accept") == Some(true) {
                return None;
            }
            Some(same_name("service"))
        }
        "automount" => Some(same_name("mount")),
        _ => None,
    }
}

/// A setting's value with `%` specifiers resolved for the unit, as systemd does at load
/// time; a value with an unresolvable specifier stays as written.
pub fn specifiers(unit: &Unit, scope: &Scope, raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_string();
    }
    let ctx = SpecifierContext {
        unit: &unit.id,
        fragment: unit.fragment_path.as_deref(),
        scope,
    };
    specifier::expand(raw, &ctx).unwrap_or_else(|_| raw.to_string())
}

/// `Description=` (specifiers resolved), or the id for units without one or without a
/// file, as systemd's `unit_description()`.
pub fn description(unit: &Unit, scope: &Scope) -> String {
    match unit.settings.get("Unit", "Description") {
        Some(d) if unit.load_state == LoadState::Loaded => specifiers(unit, scope, d),
        _ => unit.id.to_string(),
    }
}

/// systemctl's name mangling for a unit argument (`unit_name_mangle_with_suffix` with
/// globs allowed): valid names and globs stay, paths become `.device`/`.mount` units,
/// other characters are escaped and a missing suffix becomes `.service`.
pub fn mangle(arg: &str) -> CtlResult<String> {
    if UnitName::parse(arg).is_ok() {
        return Ok(arg.to_string());
    }
    if name::is_glob(arg) {
        return Ok(arg.to_string());
    }
    let mangled = if arg.starts_with('/') {
        name::mangle(arg, "service")
    } else {
        let escaped: String = arg
            .chars()
            .map(|c| match c {
                '/' => "-".to_string(),
                c if c.is_ascii_alphanumeric() || ":-_.\\@".contains(c) => c.to_string(),
                c => {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("\\x{b:02x}"))
                        .collect()
                }
            })
            .collect();
        name::mangle(&escaped, "service")
    };
    if UnitName::parse(&mangled).is_ok() {
        Ok(mangled)
    } else {
        Err(CtlError::failure("Failed to mangle name: Invalid argument"))
    }
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

    #[test]
    fn every_dependency_has_an_inverse_pair() {
        for d in Dep::ALL {
            assert_eq!(d.inverse().inverse(), d, "{}", d.name());
        }
    }
}

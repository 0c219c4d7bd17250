//! The one dependency model: the kinds of systemd's unit graph with their inverses, and the
//! dependencies a unit declares (its `[Unit]` keys with specifiers resolved, its
//! `.wants/`/`.requires/`/`.upholds/` directories, and what a timer, socket, path or
//! automount unit triggers). Transactions, `list-dependencies`, `show` and `status` all
//! read dependencies through [`declared`], so they agree on every unit.

use crate::scope::Scope;
use crate::unit::specifier::{self, SpecifierContext};
use crate::unit::{LoadState, Unit};

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
    pub const FILE_KEYS: [Dep; 16] = [
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

/// Dependencies a unit declares itself: `[Unit]` keys, dependency directories, and what
/// a timer, socket, path or automount unit triggers.
pub fn declared(unit: &Unit, scope: &Scope) -> Vec<(Dep, String)> {
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
        let target = specifiers(unit, scope, &target);
        if matches!(unit.id.unit_type(), "timer" | "socket" | "path") {
            out.push((Dep::Before, target.clone()));
        }
        out.push((Dep::Triggers, target));
    }
    if unit.id.unit_type() == "timer" && unit.is_loaded() {
        out.extend(timer_default_dependencies(unit, scope));
    }
    if unit.id.unit_type() == "socket" && unit.is_loaded() && default_on(unit) {
        // socket_add_default_dependencies(): Before=sockets.target (the ordering against
        // sysinit.target and shutdown.target has no units to act on in a container).
        out.push((Dep::Before, SOCKETS_TARGET.to_string()));
    }
    if unit.id.unit_type() == "path" && unit.is_loaded() && default_on(unit) {
        // path_add_default_dependencies(): Before=paths.target.
        out.push((Dep::Before, PATHS_TARGET.to_string()));
    }
    out
}

/// The target every socket is ordered before by default.
pub const SOCKETS_TARGET: &str = "sockets.target";
/// The target every path unit is ordered before by default.
pub const PATHS_TARGET: &str = "paths.target";

fn default_on(unit: &Unit) -> bool {
    unit.settings
        .get_bool("Unit", "DefaultDependencies")
        .unwrap_or(true)
}

/// The targets every timer may name without saying so (its default dependencies).
pub const TIMER_DEFAULT_TARGETS: [&str; 3] =
    ["timers.target", "time-set.target", "time-sync.target"];

/// `timer_add_default_dependencies()` of 252: `Before=timers.target`, and for calendar
/// timers of the system `After=time-set.target time-sync.target`.
fn timer_default_dependencies(unit: &Unit, scope: &Scope) -> Vec<(Dep, String)> {
    let default = unit
        .settings
        .get_bool("Unit", "DefaultDependencies")
        .unwrap_or(true);
    if !default {
        return Vec::new();
    }
    let [timers, time_set, time_sync] = TIMER_DEFAULT_TARGETS;
    let mut out = vec![(Dep::Before, timers.to_string())];
    if scope.is_system() && !unit.settings.get_list("Timer", "OnCalendar").is_empty() {
        out.push((Dep::After, time_set.to_string()));
        out.push((Dep::After, time_sync.to_string()));
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
                .filter(|u| crate::unit::UnitName::parse(u).is_ok())
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

/// The units `unit` declares a dependency of kind `dep` on, specifiers resolved, in file
/// order.
pub fn declared_of(unit: &Unit, scope: &Scope, dep: Dep) -> Vec<String> {
    declared(unit, scope)
        .into_iter()
        .filter(|(d, _)| *d == dep)
        .map(|(_, name)| name)
        .collect()
}

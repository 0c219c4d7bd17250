//! The units verify loads, in the order 252's manager loads them: loading a unit queues
//! every unit it references (its dependency settings in file order, its `.wants/` and
//! `.requires/` directories, what it triggers, its slice, then its default dependencies),
//! and the load queue is a stack (`LIST_PREPEND`), so the closure is walked depth-first,
//! the last reference first. Each unit's warnings are printed when it is loaded.

use super::values;
use super::Printer;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use unitbox_core::scope::Scope;
use unitbox_core::unit::specifier::{self, SpecifierContext};
use unitbox_core::unit::{Diagnostic, LoadState, Unit, UnitName, UnitStore};

/// The `[Unit]` settings whose values are unit names (252's `config_parse_unit_deps`,
/// including the old spellings; the `…Overridable` ones warn first, see `values`).
pub const DEPENDENCY_KEYS: &[&str] = &[
    "Requires",
    "Requisite",
    "Wants",
    "BindsTo",
    "BindTo",
    "Upholds",
    "Conflicts",
    "Before",
    "After",
    "OnSuccess",
    "OnFailure",
    "PropagatesReloadTo",
    "PropagateReloadTo",
    "ReloadPropagatedFrom",
    "PropagateReloadFrom",
    "PropagatesStopTo",
    "StopPropagatedFrom",
    "PartOf",
    "JoinsNamespaceOf",
    "RequiresOverridable",
    "RequisiteOverridable",
];

/// Settings of the type sections that name units.
const TYPE_UNIT_KEYS: &[(&str, &str)] = &[
    ("Service", "Sockets"),
    ("Service", "Slice"),
    ("Socket", "Service"),
    ("Socket", "Slice"),
    ("Timer", "Unit"),
    ("Path", "Unit"),
];

pub struct Graph<'a> {
    store: &'a UnitStore,
    printer: &'a Printer,
    follow: bool,
    /// Every name a loaded unit answers to.
    units: HashMap<String, Rc<Unit>>,
    /// Names already queued (252's `manager_load_unit_prepare()` makes the unit object).
    queued: HashSet<String>,
    /// Ids of the units that had syntax warnings (252's `log_syntax_callback`).
    warned: BTreeSet<String>,
}

impl<'a> Graph<'a> {
    pub fn new(store: &'a UnitStore, printer: &'a Printer, follow: bool) -> Self {
        Graph {
            store,
            printer,
            follow,
            units: HashMap::new(),
            queued: HashSet::new(),
            warned: BTreeSet::new(),
        }
    }

    pub fn scope(&self) -> &Scope {
        self.store.scope()
    }

    /// Whether dependencies are loaded (not with `--recursive-errors=no`).
    pub fn follows(&self) -> bool {
        self.follow
    }

    pub fn syntax_warned(&self) -> &BTreeSet<String> {
        &self.warned
    }

    /// Loads `name` and (when following) everything it references, printing warnings.
    pub fn load(&mut self, name: &UnitName) -> Rc<Unit> {
        if let Some(unit) = self.units.get(name.as_str()) {
            return unit.clone();
        }
        self.queued.insert(name.to_string());
        let mut stack = vec![name.clone()];
        while let Some(next) = stack.pop() {
            let unit = Rc::new(self.store.load(&next));
            self.report(&unit);
            let references = if self.follow {
                references(&unit, self.scope())
            } else {
                Vec::new()
            };
            for n in unit.names.iter().chain([&next.to_string()]) {
                self.queued.insert(n.clone());
                self.units.insert(n.clone(), unit.clone());
            }
            for reference in references {
                if self.queued.insert(reference.to_string()) {
                    stack.push(reference);
                }
            }
        }
        self.units
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| Rc::new(self.store.load(name)))
    }

    /// [`Graph::load`] of a name given as text; `None` for an invalid name.
    pub fn load_named(&mut self, name: &str) -> Option<Rc<Unit>> {
        let name = UnitName::parse(name).ok()?;
        Some(self.load(&name))
    }

    /// Prints a unit's warnings as 252 logs them while loading it: the files' problems in
    /// file order (fragment, then drop-ins), then the unit's own verdicts.
    fn report(&mut self, unit: &Unit) {
        let mut lines: Vec<Diagnostic> = unit.diagnostics.clone();
        if unit.fragment_path.is_some() && unit.load_state != LoadState::Masked {
            lines.extend(values::check(unit, self.scope()));
        }
        let files: Vec<&std::path::Path> = unit
            .fragment_path
            .iter()
            .chain(unit.dropin_paths.iter())
            .map(|p| p.as_path())
            .collect();
        let position = |d: &Diagnostic| {
            if d.line == 0 {
                return (usize::MAX, 0);
            }
            let file = files.iter().position(|f| *f == d.file).unwrap_or(0);
            (file, d.line)
        };
        lines.sort_by_key(position);
        lines.dedup();
        for d in &lines {
            if d.line > 0 {
                self.warned.insert(unit.id.to_string());
                eprintln!("{}:{}: {}", self.printer.path(&d.file), d.line, d.message);
            } else {
                eprintln!("{}: {}", d.file.display(), d.message);
            }
        }
    }
}

/// Whether 252 adds the default dependencies (`DefaultDependencies=`, default yes).
pub fn default_dependencies(unit: &Unit) -> bool {
    unit.settings
        .get_bool("Unit", "DefaultDependencies")
        .unwrap_or(true)
}

/// The words of a unit-list value with specifiers resolved; a value whose specifiers do
/// not resolve names nothing (252 ignores it).
pub fn unit_words(unit: &Unit, scope: &Scope, value: &str) -> Vec<String> {
    let ctx = SpecifierContext {
        unit: &unit.id,
        fragment: unit.fragment_path.as_deref(),
        scope,
    };
    match specifier::expand(value, &ctx) {
        Ok(text) => text.split_whitespace().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

/// The unit a timer, path or socket triggers when no setting names it.
pub fn implicit_trigger(unit: &Unit) -> Option<String> {
    let s = &unit.settings;
    // An invalid name is ignored with a warning: the default stays.
    let named = |section: &str, key: &str| {
        s.get(section, key)
            .is_some_and(|n| UnitName::parse(n).is_ok_and(|n| !n.is_template()))
    };
    match unit.id.unit_type() {
        "timer" if !named("Timer", "Unit") => Some(same_name(unit, "service")),
        "path" if !named("Path", "Unit") => Some(same_name(unit, "service")),
        "socket" if !named("Socket", "Service") && s.get_bool("Socket", "Accept") != Some(true) => {
            Some(same_name(unit, "service"))
        }
        _ => None,
    }
}

/// `unit_name_change_suffix()`: the same name (instance included) with another type.
pub fn same_name(unit: &Unit, suffix: &str) -> String {
    format!("{}.{suffix}", unit.id.stem())
}

/// 252's default dependencies of a unit, as (kind, unit) with kind `Requires`, `After`,
/// `Before` or `Conflicts` (`*_add_default_dependencies()` of the unit types).
pub fn default_dependency_list(unit: &Unit, scope: &Scope) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !unit.is_loaded() || !default_dependencies(unit) {
        return out;
    }
    let system = scope.is_system();
    let kind = unit.id.unit_type();
    if matches!(kind, "service" | "socket" | "timer" | "path") && system {
        out.push(("Requires", "sysinit.target".to_string()));
        out.push(("After", "sysinit.target".to_string()));
    }
    match kind {
        "service" => out.push(("After", "basic.target".to_string())),
        "socket" => out.push(("Before", "sockets.target".to_string())),
        "path" => out.push(("Before", "paths.target".to_string())),
        "timer" => {
            out.push(("Before", "timers.target".to_string()));
            if system && !unit.settings.get_list("Timer", "OnCalendar").is_empty() {
                out.push(("After", "time-set.target".to_string()));
                out.push(("After", "time-sync.target".to_string()));
            }
        }
        _ => {}
    }
    if matches!(
        kind,
        "service" | "socket" | "timer" | "path" | "target" | "slice"
    ) {
        out.push(("Conflicts", "shutdown.target".to_string()));
        out.push(("Before", "shutdown.target".to_string()));
    }
    out
}

/// Every unit a loaded unit references, in the order 252 queues them.
fn references(unit: &Unit, scope: &Scope) -> Vec<UnitName> {
    let mut names: Vec<String> = Vec::new();
    if unit.load_state != LoadState::Loaded && unit.load_state != LoadState::BadSetting {
        return Vec::new();
    }
    for e in &unit.settings.entries {
        let is_dep = (e.section == "Unit" && DEPENDENCY_KEYS.contains(&e.key.as_str()))
            || TYPE_UNIT_KEYS.contains(&(e.section.as_str(), e.key.as_str()));
        if is_dep {
            names.extend(unit_words(unit, scope, &e.value));
        }
    }
    names.extend(unit.dir_dependencies.iter().map(|(_, n)| n.clone()));
    names.extend(implicit_trigger(unit));
    let has_slice = matches!(unit.id.unit_type(), "service" | "socket" | "mount" | "swap");
    if has_slice && scope.is_system() && unit.settings.get(section(unit), "Slice").is_none() {
        names.push("system.slice".to_string());
    }
    names.extend(
        default_dependency_list(unit, scope)
            .into_iter()
            .map(|(_, n)| n),
    );
    names
        .into_iter()
        .filter_map(|n| UnitName::parse(&n).ok())
        .collect()
}

fn section(unit: &Unit) -> &'static str {
    match unit.id.unit_type() {
        "socket" => "Socket",
        "mount" => "Mount",
        "swap" => "Swap",
        _ => "Service",
    }
}

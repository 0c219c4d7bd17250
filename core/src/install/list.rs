//! `list-unit-files`: every unit file name on the search path (the highest-priority entry
//! of each name), with its state and preset, as systemd 252's `unit_file_get_list`.

use super::index::{Index, Kind};
use super::info::{self, Diagnostics};
use super::preset::Presets;
use super::state;
use super::UnitFileState;
use crate::glob::unit_name_matches;
use crate::scope::Scope;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFileEntry {
    pub name: String,
    pub state: UnitFileState,
    /// `None` for states that show no preset (static, alias, generated, transient).
    pub preset: Option<bool>,
}

/// Unit files matching any of `patterns` (all if empty), sorted by name. `keep` filters on
/// the state before the (comparatively costly) preset lookup.
pub fn list(
    scope: &Scope,
    patterns: &[String],
    keep: &dyn Fn(&str, UnitFileState) -> bool,
    diag: Diagnostics,
) -> Vec<UnitFileEntry> {
    let index = Index::new(scope);
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    let mut presets: Option<Presets> = None;
    for dir in &index.dirs {
        for name in &dir.order {
            if !matches!(dir.entries.get(name), Some(Kind::File | Kind::Link(_))) {
                continue;
            }
            if !patterns.is_empty() && !patterns.iter().any(|p| unit_name_matches(p, name)) {
                continue;
            }
            if !info::is_valid_name(name) || !seen.insert(name.as_str()) {
                continue;
            }
            let state = state::lookup(scope, &index, name, diag).unwrap_or(UnitFileState::Bad);
            if !keep(name, state) {
                continue;
            }
            let preset = state.shows_preset().then(|| {
                presets
                    .get_or_insert_with(|| Presets::read(scope, diag))
                    .query(name)
            });
            out.push(UnitFileEntry {
                name: name.clone(),
                state,
                preset,
            });
        }
    }
    // systemctl sorts by unit type, then by name.
    let type_of = |n: &str| {
        n.rsplit_once('.')
            .map(|(_, t)| t.to_string())
            .unwrap_or_default()
    };
    out.sort_by(|a, b| (type_of(&a.name), &a.name).cmp(&(type_of(&b.name), &b.name)));
    out
}

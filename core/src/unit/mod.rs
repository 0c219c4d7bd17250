//! Unit files as systemd reads them.
//!
//! - [`syntax`]: the INI-like file format; [`value`]: booleans, time spans, quoting.
//! - [`name`]: unit names, templates and escaping.
//! - [`load`]: finding a unit on the search path: fragment, aliases, masks, drop-ins,
//!   `.wants/`/`.requires/` directories. The result is a [`Unit`].
//! - [`specifier`]: `%n`, `%i`, `%h`, … resolved against the scope.
//! - [`env`]: `Environment=` and `EnvironmentFile=` syntax.

pub mod deps;
pub mod dropin;
pub mod env;
mod known_keys;
pub mod load;
pub mod name;
pub mod specifier;
pub mod syntax;
pub mod validate;
pub mod value;

pub use load::UnitStore;
pub use name::UnitName;
pub use syntax::{Diagnostic, Entry};

use crate::scope::Scope;
use std::path::PathBuf;

/// systemd's `LoadState=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    Loaded,
    NotFound,
    BadSetting,
    Error,
    Masked,
}

impl LoadState {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::Loaded => "loaded",
            LoadState::NotFound => "not-found",
            LoadState::BadSetting => "bad-setting",
            LoadState::Error => "error",
            LoadState::Masked => "masked",
        }
    }
}

/// The merged settings of a unit: fragment first, then drop-ins in order. Single-valued
/// settings take the last assignment; list settings are reset by an empty assignment.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub entries: Vec<Entry>,
}

impl Settings {
    /// The last assignment of a single-valued setting (an empty assignment counts: it
    /// resets the setting to its default, reported as `None`).
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.last_entry(section, key).map(|e| e.value.as_str())
    }

    /// [`Settings::get`] with the entry, for warnings that name its file and line.
    pub fn last_entry(&self, section: &str, key: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.section == section && e.key == key)
            .filter(|e| !e.value.is_empty())
    }

    /// Every assignment of a list setting after the last empty one.
    pub fn get_list(&self, section: &str, key: &str) -> Vec<&str> {
        self.list_entries(section, key)
            .into_iter()
            .map(|e| e.value.as_str())
            .collect()
    }

    /// [`Settings::get_list`] with the entries.
    pub fn list_entries(&self, section: &str, key: &str) -> Vec<&Entry> {
        let mut out = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| e.section == section && e.key == key)
        {
            if e.value.is_empty() {
                out.clear();
            } else {
                out.push(e);
            }
        }
        out
    }

    /// Every assignment, empty ones included, for settings that cannot be reset
    /// (dependencies).
    pub fn get_all<'a>(
        &'a self,
        section: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.section == section && e.key == key)
    }

    pub fn get_bool(&self, section: &str, key: &str) -> Option<bool> {
        self.get(section, key).and_then(value::parse_bool)
    }

    /// Space-separated words of all assignments of a list setting (`After=a b`, `After=c`).
    pub fn get_words(&self, section: &str, key: &str) -> Vec<String> {
        self.get_list(section, key)
            .iter()
            .flat_map(|v| v.split_whitespace())
            .map(str::to_string)
            .collect()
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.entries.iter().any(|e| e.section == section)
    }
}

/// Dependency kinds that `.wants/`, `.requires/` and `.upholds/` directories add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirDependency {
    Wants,
    Requires,
    Upholds,
}

impl DirDependency {
    pub const ALL: [DirDependency; 3] = [
        DirDependency::Wants,
        DirDependency::Requires,
        DirDependency::Upholds,
    ];

    pub fn dir_suffix(self) -> &'static str {
        match self {
            DirDependency::Wants => ".wants",
            DirDependency::Requires => ".requires",
            DirDependency::Upholds => ".upholds",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            DirDependency::Wants => "Wants",
            DirDependency::Requires => "Requires",
            DirDependency::Upholds => "Upholds",
        }
    }
}

/// A unit as loaded from the search path.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The name it was asked for (after template instantiation: `foo@bar.service`).
    pub id: UnitName,
    /// All names: the id first, then the aliases found on the search path, sorted.
    pub names: Vec<String>,
    pub load_state: LoadState,
    /// Why the unit is not `loaded`, in systemd's words.
    pub load_error: Option<String>,
    /// The file providing the unit (logical path), if any.
    pub fragment_path: Option<PathBuf>,
    pub dropin_paths: Vec<PathBuf>,
    pub settings: Settings,
    /// Dependencies from `NAME.wants/` etc. directories: (kind, unit name).
    pub dir_dependencies: Vec<(DirDependency, String)>,
    /// Parse problems of the fragment and drop-ins.
    pub diagnostics: Vec<Diagnostic>,
}

impl Unit {
    /// A loaded unit `name` (a valid unit name) with these settings and nothing else: what
    /// `systemd-analyze condition` evaluates, and tests of what reads units.
    pub fn loaded_with(name: UnitName, entries: Vec<Entry>) -> Unit {
        let name_text = name.to_string();
        Unit {
            id: name,
            names: vec![name_text],
            load_state: LoadState::Loaded,
            load_error: None,
            fragment_path: None,
            dropin_paths: Vec::new(),
            settings: Settings { entries },
            dir_dependencies: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    pub fn is_loaded(&self) -> bool {
        self.load_state == LoadState::Loaded
    }

    /// What the unit is called in messages and listings (systemd's `unit_description()`):
    /// `Description=` with specifiers expanded, else the unit's id. As systemd's loader
    /// (`config_parse_unit_string_printf`), an assignment whose specifiers cannot be
    /// resolved is ignored, so the one before it (or the id) stays; an empty one resets.
    pub fn display_description(&self, scope: &Scope) -> String {
        let ctx = specifier::SpecifierContext {
            unit: &self.id,
            fragment: self.fragment_path.as_deref(),
            scope,
        };
        let mut description: Option<String> = None;
        for entry in self.settings.get_all("Unit", "Description") {
            if entry.value.is_empty() {
                description = None;
                continue;
            }
            match specifier::expand(&entry.value, &ctx) {
                Ok(text) => description = Some(text),
                Err(e) => log::debug!(
                    "{}:{}: Failed to resolve unit specifiers in '{}', ignoring: {e}",
                    entry.file.display(),
                    entry.line,
                    entry.value
                ),
            }
        }
        description
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| self.id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;

    fn described(name: &str, text: &str) -> String {
        let (entries, _) = syntax::parse(text, std::path::Path::new("/etc/systemd/system/t"));
        let scope = Scope::new(
            ScopeKind::System,
            Root::new("/nonexistent"),
            Identity::root_user(),
            &|_| None,
        );
        Unit::loaded_with(UnitName::parse(name).unwrap(), entries).display_description(&scope)
    }

    #[test]
    fn descriptions_expand_specifiers_and_fall_back_as_systemd() {
        assert_eq!(
            described(
                "foo@bar.service",
                "[Unit]\nDescription=Foo for %i (%n, 100%%)\n"
            ),
            "Foo for bar (foo@bar.service, 100%)"
        );
        assert_eq!(described("a.service", "[Service]\n"), "a.service");
        // An unknown specifier makes systemd ignore the assignment: the earlier one stays.
        assert_eq!(
            described("a.service", "[Unit]\nDescription=Old\nDescription=New %z\n"),
            "Old"
        );
        assert_eq!(
            described("a.service", "[Unit]\nDescription=%z\n"),
            "a.service"
        );
        assert_eq!(
            described("a.service", "[Unit]\nDescription=Old\nDescription=\n"),
            "a.service",
            "an empty assignment resets"
        );
        assert_eq!(
            described("a.service", "[Unit]\nDescription=%i\n"),
            "a.service",
            "an empty expansion resets too"
        );
    }
}

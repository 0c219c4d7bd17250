//! A `.path` unit's `[Path]` section as 252 reads it (`config_parse_path_spec()`): the
//! path settings in file order (an empty assignment of any resets them all), `Unit=`,
//! `MakeDirectory=`, `DirectoryMode=`, `TriggerLimit*=`.

use crate::exec::context::parse_mode;
use crate::scope::Scope;
use crate::time::parse_sec;
use crate::unit::deps::{self, Dep};
use crate::unit::syntax::Diagnostic;
use crate::unit::value::parse_bool;
use crate::unit::{Settings, Unit};
use std::path::PathBuf;

/// What a path setting waits for (252's `PathType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Exists,
    ExistsGlob,
    DirectoryNotEmpty,
    Changed,
    Modified,
}

impl PathKind {
    pub const ALL: [PathKind; 5] = [
        PathKind::Exists,
        PathKind::ExistsGlob,
        PathKind::DirectoryNotEmpty,
        PathKind::Changed,
        PathKind::Modified,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PathKind::Exists => "PathExists",
            PathKind::ExistsGlob => "PathExistsGlob",
            PathKind::DirectoryNotEmpty => "DirectoryNotEmpty",
            PathKind::Changed => "PathChanged",
            PathKind::Modified => "PathModified",
        }
    }

    pub fn from_key(key: &str) -> Option<PathKind> {
        PathKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Changes are events, the others states that hold or not.
    pub fn is_event(self) -> bool {
        matches!(self, PathKind::Changed | PathKind::Modified)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    pub kind: PathKind,
    /// Logical, absolute, simplified.
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathConfig {
    pub specs: Vec<PathSpec>,
    pub make_directory: bool,
    pub directory_mode: u32,
    pub trigger_limit_interval: u64,
    pub trigger_limit_burst: u32,
    /// `Unit=`, else the same-named service.
    pub unit: String,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            specs: Vec::new(),
            make_directory: false,
            directory_mode: 0o755,
            trigger_limit_interval: 2_000_000,
            trigger_limit_burst: 200,
            unit: String::new(),
        }
    }
}

/// 252's refusal (`path_verify()`).
pub const LACKS_PATH: &str = "Path unit lacks path setting. Refusing.";

impl PathConfig {
    pub fn from_unit(unit: &Unit, scope: &Scope) -> (PathConfig, Vec<Diagnostic>) {
        let expand = |raw: &str| deps::specifiers(unit, scope, raw);
        let (mut config, diagnostics) = parse(&unit.settings, &expand);
        config.unit = deps::declared_of(unit, scope, Dep::Triggers)
            .into_iter()
            .next()
            .unwrap_or_else(|| format!("{}.service", unit.id.stem()));
        (config, diagnostics)
    }
}

/// `path_simplify()`: no `//`, no `/./`, no trailing `/`.
fn simplify(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

pub fn parse(
    settings: &Settings,
    expand: &dyn Fn(&str) -> String,
) -> (PathConfig, Vec<Diagnostic>) {
    let mut c = PathConfig::default();
    let mut diagnostics = Vec::new();
    for e in settings.entries.iter().filter(|e| e.section == "Path") {
        let mut warn = |message: String| diagnostics.push(Diagnostic::at(e, message));
        let value = e.value.as_str();
        if let Some(kind) = PathKind::from_key(&e.key) {
            if value.is_empty() {
                c.specs.clear();
                continue;
            }
            let text = expand(value);
            if !text.starts_with('/') {
                // config_parse_path_spec() of 252 names the setting.
                warn(format!("{}= path is not absolute, ignoring: {text}", e.key));
                continue;
            }
            c.specs.push(PathSpec {
                kind,
                path: PathBuf::from(simplify(&text)),
            });
            continue;
        }
        match e.key.as_str() {
            "MakeDirectory" => match parse_bool(value) {
                Some(b) => c.make_directory = b,
                None => warn(format!("Failed to parse boolean value, ignoring: {value}")),
            },
            "DirectoryMode" => match parse_mode(value) {
                Some(m) => c.directory_mode = m,
                None => warn(format!("Failed to parse mode value, ignoring: {value}")),
            },
            "TriggerLimitIntervalSec" => match parse_sec(value) {
                Ok(v) => c.trigger_limit_interval = v,
                Err(_) => warn(format!("Failed to parse sec value, ignoring: {value}")),
            },
            "TriggerLimitBurst" => match value.parse() {
                Ok(v) => c.trigger_limit_burst = v,
                Err(_) => warn(format!("Failed to parse unsigned value, ignoring: {value}")),
            },
            _ => {}
        }
    }
    (c, diagnostics)
}

/// Load-time checks: warnings, and `bad-setting` for a path unit without path settings.
pub fn verify(unit: &mut Unit) {
    let settings = unit.settings.clone();
    let (config, diagnostics) = parse(&settings, &|s| s.to_string());
    unit.diagnostics.extend(diagnostics);
    if config.specs.is_empty() {
        crate::unit::validate::refuse(unit, LACKS_PATH);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::syntax;

    fn parsed(text: &str) -> (PathConfig, Vec<String>) {
        let (entries, _) = syntax::parse(text, std::path::Path::new("/t.path"));
        let (c, d) = parse(&Settings { entries }, &|s| s.to_string());
        (c, d.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn specs_accumulate_reset_and_are_simplified() {
        let (c, d) = parsed(
            "[Path]\nPathExists=/a\nPathChanged=\nPathModified=//x/./y/\nDirectoryNotEmpty=/q\nPathExistsGlob=rel*\nMakeDirectory=yes\nDirectoryMode=0700\n",
        );
        assert_eq!(
            d,
            ["/t.path:6: PathExistsGlob= path is not absolute, ignoring: rel*"]
        );
        let specs: Vec<_> = c
            .specs
            .iter()
            .map(|s| (s.kind, s.path.display().to_string()))
            .collect();
        assert_eq!(
            specs,
            [
                (PathKind::Modified, "/x/y".to_string()),
                (PathKind::DirectoryNotEmpty, "/q".to_string())
            ]
        );
        assert!(c.make_directory);
        assert_eq!(c.directory_mode, 0o700);
    }
}

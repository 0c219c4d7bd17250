//! Presets (systemd.preset(5)) as systemd 252 reads them: `*.preset` files from the scope's
//! preset directories (a file name in a higher-priority directory hides the same name
//! below), read in file name order; the first matching `enable PATTERN [INSTANCE…]` or
//! `disable PATTERN` line wins; no match means enable. (`ignore` came in systemd 254; 252
//! rejects the line, and so do we.)

use super::changes::ChangeLog;
use super::context::{self, Context};
use super::index::{template_of, Index, Kind};
use super::info::{self, Diagnostics};
use super::ops::{self, Flags};
use crate::glob::unit_name_matches;
use crate::scope::Scope;
use crate::unit::UnitName;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    enable: bool,
    /// For `enable foo@.service a b`: the instances to enable.
    instances: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Presets {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Full,
    EnableOnly,
    DisableOnly,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Mode::Full),
            "enable-only" => Some(Mode::EnableOnly),
            "disable-only" => Some(Mode::DisableOnly),
            _ => None,
        }
    }
}

impl Presets {
    pub fn read(scope: &Scope, diag: Diagnostics) -> Self {
        let files = crate::dirent::conf_files(&scope.root, &scope.preset_dirs(), Some(".preset"));
        let mut rules = Vec::new();
        for path in &files {
            let host = scope.root.host_path(path);
            let Ok(text) = std::fs::read_to_string(&host) else {
                continue;
            };
            for (n, raw) in text.lines().enumerate() {
                let line = raw.trim();
                if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                    continue;
                }
                match parse_rule(line) {
                    Some(rule) => rules.push(rule),
                    None if diag == Diagnostics::Print => eprintln!(
                        "{}:{}: Couldn't parse line '{line}'. Ignoring.",
                        host.display(),
                        n + 1
                    ),
                    None => {}
                }
            }
        }
        Presets { rules }
    }

    /// Whether `name` should be enabled (instance lists are not consulted).
    pub fn query(&self, name: &str) -> bool {
        self.query_instances(name, false).0
    }

    /// (enable?, the instances to enable for a template rule with an instance list).
    fn query_instances(&self, name: &str, want_instances: bool) -> (bool, Option<Vec<String>>) {
        for rule in &self.rules {
            if want_instances && !rule.instances.is_empty() {
                if let Some(found) = match_instances(rule, name) {
                    return (rule.enable, found);
                }
            }
            if unit_name_matches(&rule.pattern, name) {
                return (rule.enable, None);
            }
        }
        (true, None)
    }
}

/// A rule with instances matches a template (giving its instances) or one of the listed
/// instances. `None`: no match.
fn match_instances(rule: &Rule, name: &str) -> Option<Option<Vec<String>>> {
    let template = template_of(name)?;
    if rule.pattern != template {
        return None;
    }
    let parsed = UnitName::parse(name).ok()?;
    if parsed.is_template() {
        let names = rule
            .instances
            .iter()
            .filter_map(|i| parsed.with_instance(i).ok().map(|n| n.to_string()))
            .collect();
        return Some(Some(names));
    }
    let instance = parsed.instance()?;
    rule.instances.iter().any(|i| i == instance).then_some(None)
}

fn parse_rule(line: &str) -> Option<Rule> {
    let word_rest = |kw: &str| -> Option<String> {
        let rest = line.strip_prefix(kw)?;
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    };
    if let Some(rest) = word_rest("enable") {
        let mut words = rest.split_whitespace().map(str::to_string);
        let pattern = words.next()?;
        let instances: Vec<String> = words.collect();
        if !instances.is_empty() && !UnitName::parse(&pattern).is_ok_and(|n| n.is_template()) {
            return None;
        }
        return Some(Rule {
            pattern,
            enable: true,
            instances,
        });
    }
    let pattern = word_rest("disable")?;
    Some(Rule {
        pattern,
        enable: false,
        instances: Vec::new(),
    })
}

struct PresetRun {
    plus: Context,
    minus: Context,
    presets: Presets,
}

/// systemd's `preset_prepare_one`: sorts a name into the enable or the disable set.
fn prepare_one(
    run: &mut PresetRun,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    name: &str,
) -> i32 {
    if run.plus.contains(name) || run.minus.contains(name) {
        return 0;
    }
    let mut probe = Context::default();
    let found = match context::discover_only(&mut probe, scope, index, log, name) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if found.name != name {
        return 0;
    }
    let (enable, instances) = run.presets.query_instances(name, true);
    if !enable {
        return match context::discover_only(&mut run.minus, scope, index, log, name) {
            Ok(_) => 0,
            Err(r) => r,
        };
    }
    let names = instances.unwrap_or_else(|| vec![name.to_string()]);
    for n in &names {
        if let Err(r) = context::discover_and_check(&mut run.plus, scope, index, log, n) {
            return r;
        }
    }
    0
}

fn execute(
    run: &mut PresetRun,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    mode: Mode,
    flags: Flags,
) -> i32 {
    let Some(config) = scope.config_dir(flags.runtime) else {
        return -libc::ENXIO;
    };
    let mut r = 0;
    if mode != Mode::EnableOnly {
        let mut marked = ops::mark_for_removal(&mut run.minus, scope, index, log);
        r = log.remove_marked_symlinks(scope, &mut marked, &config);
    }
    if mode != Mode::DisableOnly {
        let index = Index::new(scope);
        let q = super::apply::apply(
            &mut run.plus,
            scope,
            &index,
            log,
            &config,
            flags.force,
            true,
        );
        if r >= 0 {
            r = if q < 0 { q } else { r + q };
        }
    }
    r
}

pub fn preset(
    scope: &Scope,
    names: &[String],
    mode: Mode,
    flags: Flags,
    log: &mut ChangeLog,
) -> i32 {
    let index = Index::new(scope);
    let mut run = PresetRun {
        plus: Context::default(),
        minus: Context::default(),
        presets: Presets::read(scope, Diagnostics::Print),
    };
    for name in names {
        let r = prepare_one(&mut run, scope, &index, log, name);
        if r < 0 {
            return r;
        }
    }
    execute(&mut run, scope, &index, log, mode, flags)
}

/// Errors `preset-all` reports and skips (masked, generated, missing, bad names, …).
const SKIPPED_ERRORS: [i32; 11] = [
    libc::EEXIST,
    libc::ERFKILL,
    libc::EADDRNOTAVAIL,
    libc::EBADSLT,
    libc::EIDRM,
    libc::EUCLEAN,
    libc::ELOOP,
    libc::ENOENT,
    libc::EUNATCH,
    libc::EXDEV,
    libc::ENOLINK,
];

pub fn preset_all(scope: &Scope, mode: Mode, flags: Flags, log: &mut ChangeLog) -> i32 {
    let index = Index::new(scope);
    let mut run = PresetRun {
        plus: Context::default(),
        minus: Context::default(),
        presets: Presets::read(scope, Diagnostics::Print),
    };
    let mut names: Vec<String> = Vec::new();
    for dir in &index.dirs {
        for name in &dir.order {
            let is_unit_file = matches!(dir.entries.get(name), Some(Kind::File | Kind::Link(_)));
            if is_unit_file && info::is_valid_name(name) {
                names.push(name.clone());
            }
        }
    }
    for name in &names {
        let r = prepare_one(&mut run, scope, &index, log, name);
        if r < 0 && !SKIPPED_ERRORS.contains(&-r) {
            return r;
        }
    }
    execute(&mut run, scope, &index, log, mode, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_like_systemd_252() {
        assert_eq!(
            parse_rule("enable foo@.service a b"),
            Some(Rule {
                pattern: "foo@.service".into(),
                enable: true,
                instances: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(parse_rule("enable foo.service a"), None);
        assert_eq!(parse_rule("ignore foo.service"), None);
        assert_eq!(parse_rule("enablefoo"), None);
        assert_eq!(parse_rule("disable *").map(|r| r.enable), Some(false));
    }

    #[test]
    fn first_match_wins_and_default_is_enable() {
        let p = Presets {
            rules: vec![
                parse_rule("enable a*.service").unwrap(),
                parse_rule("disable *").unwrap(),
            ],
        };
        assert!(p.query("ab.service"));
        assert!(!p.query("b.service"));
        assert!(Presets::default().query("x.service"));
        let t = Presets {
            rules: vec![parse_rule("enable t@.service x").unwrap()],
        };
        assert_eq!(
            t.query_instances("t@.service", true),
            (true, Some(vec!["t@x.service".to_string()]))
        );
        assert!(t.query("t@.service"));
    }
}

//! What systemd 252 says about a unit while loading it: unknown sections and keys (a
//! warning, never a failure; `X-` names are silent) and the service settings it refuses
//! (`service_verify()`), which make the unit `bad-setting`.

use super::known_keys::SECTIONS;
use super::syntax::{Diagnostic, ParsedFile};
use super::{LoadState, Settings, Unit};
use crate::exec::command::parse_exec_line;
use std::path::PathBuf;

/// The sections a unit type reads besides `[Unit]` and `[Install]`.
fn type_section(unit_type: &str) -> Option<&'static str> {
    Some(match unit_type {
        "service" => "Service",
        "socket" => "Socket",
        "mount" => "Mount",
        "swap" => "Swap",
        "automount" => "Automount",
        "timer" => "Timer",
        "path" => "Path",
        "slice" => "Slice",
        "scope" => "Scope",
        _ => return None,
    })
}

/// Whether `key` is a setting of `section` in systemd 252.
pub fn is_known_key(section: &str, key: &str) -> bool {
    SECTIONS
        .iter()
        .filter(|(name, _)| *name == section)
        .flat_map(|(_, groups)| groups.iter())
        .any(|group| group.split_ascii_whitespace().any(|k| k == key))
}

/// Warns about unknown sections and keys of one parsed file of a unit of `unit_type`, and
/// drops their entries (systemd ignores them).
pub fn check_file(unit_type: &str, parsed: &mut ParsedFile) {
    let own = type_section(unit_type);
    let section_ok = |s: &str| s == "Unit" || s == "Install" || Some(s) == own;
    for (section, line) in &parsed.sections {
        if !section_ok(section) && !section.starts_with("X-") {
            parsed.diagnostics.push(Diagnostic {
                file: parsed_file(parsed),
                line: *line,
                message: format!("Unknown section '{section}'. Ignoring."),
            });
        }
    }
    let mut unknown = Vec::new();
    parsed.entries.retain(|e| {
        if !section_ok(&e.section) {
            return false;
        }
        if is_known_key(&e.section, &e.key) {
            return true;
        }
        if !e.key.starts_with("X-") {
            unknown.push(Diagnostic::at(
                e,
                format!(
                    "Unknown key '{}' in section [{}], ignoring.",
                    e.key, e.section
                ),
            ));
        }
        false
    });
    parsed.diagnostics.extend(unknown);
    parsed.diagnostics.sort_by_key(|d| d.line);
}

fn parsed_file(parsed: &ParsedFile) -> PathBuf {
    parsed.path.clone()
}

const SERVICE_TYPES: &[&str] = &[
    "simple", "forking", "oneshot", "dbus", "notify", "idle", "exec",
];
const RESTART_VALUES: &[&str] = &[
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
];

/// The last valid assignment of an enumerated setting; invalid ones are warned about and
/// ignored, as systemd's parsers do.
fn enum_setting(unit: &mut Unit, key: &str, valid: &[&str], what: &str) -> Option<String> {
    let mut value = None;
    let mut diags = Vec::new();
    for e in unit.settings.get_all("Service", key) {
        if e.value.is_empty() {
            value = None;
        } else if valid.contains(&e.value.as_str()) {
            value = Some(e.value.clone());
        } else {
            diags.push(Diagnostic::at(
                e,
                format!("Failed to parse {what}, ignoring: {}", e.value),
            ));
        }
    }
    unit.diagnostics.extend(diags);
    value
}

/// How many commands an `Exec*=` setting holds: systemd counts commands, and one line may
/// hold several separated by ` ; `. Specifiers do not change the count, so they stay as
/// written here.
fn command_count(settings: &Settings, key: &str) -> usize {
    settings
        .get_list("Service", key)
        .into_iter()
        .map(|line| {
            parse_exec_line(line, &|word| Ok(word.to_string()))
                .commands
                .len()
        })
        .sum()
}

/// Unit-level checks after all files are read: sets `BadSetting` with systemd's message.
pub fn validate(unit: &mut Unit) {
    if unit.id.unit_type() == "timer" {
        crate::timer::config::verify(unit);
        return;
    }
    if unit.id.unit_type() == "path" {
        crate::path_unit::config::verify(unit);
        return;
    }
    if unit.id.unit_type() == "socket" {
        crate::socket::config::verify(unit);
        return;
    }
    if unit.id.unit_type() != "service" {
        return;
    }
    let declared = enum_setting(unit, "Type", SERVICE_TYPES, "service type");
    let restart = enum_setting(unit, "Restart", RESTART_VALUES, "service restart specifier");
    let s = &unit.settings;
    let starts = command_count(s, "ExecStart");
    let has_stop = command_count(s, "ExecStop") > 0;
    let success_action = s.get("Unit", "SuccessAction").is_some_and(|a| a != "none");
    let remain = s.get_bool("Service", "RemainAfterExit").unwrap_or(false);
    let bus_name = s.get("Service", "BusName").is_some();
    // service_add_extras(): without Type=, BusName= means dbus, no ExecStart= oneshot.
    let service_type = declared.unwrap_or_else(|| {
        if bus_name {
            "dbus".into()
        } else if starts > 0 {
            "simple".into()
        } else {
            "oneshot".into()
        }
    });
    let oneshot = service_type == "oneshot";
    let problem = if starts == 0 && !has_stop && !success_action {
        Some("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.")
    } else if !oneshot && starts == 0 {
        Some("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
    } else if !remain && starts == 0 && !success_action {
        Some("Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.")
    } else if !oneshot && starts > 1 {
        Some("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
    } else if oneshot && matches!(restart.as_deref(), Some("always" | "on-success")) {
        Some("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.")
    } else if oneshot && s.get("Service", "ExitType") == Some("cgroup") {
        Some("Service has ExitType=cgroup set, which isn't allowed for Type=oneshot services. Refusing.")
    } else if service_type == "dbus" && !bus_name {
        Some("Service is of type D-Bus but no D-Bus service name has been specified. Refusing.")
    } else {
        None
    };
    if let Some(message) = problem {
        refuse(unit, message);
    }
}

/// Marks the unit `bad-setting` with systemd's refusal `message` (also a diagnostic).
pub fn refuse(unit: &mut Unit, message: &str) {
    unit.load_state = LoadState::BadSetting;
    unit.load_error = Some(message.to_string());
    unit.diagnostics.push(Diagnostic {
        file: PathBuf::from(unit.id.as_str()),
        line: 0,
        message: message.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::syntax::parse_bytes;
    use std::path::Path;

    fn service(text: &str) -> Unit {
        let mut parsed = parse_bytes(text.as_bytes(), Path::new("/x.service"));
        check_file("service", &mut parsed);
        let mut unit = Unit::loaded_with(
            crate::unit::UnitName::parse("x.service").unwrap(),
            parsed.entries,
        );
        unit.fragment_path = Some("/x.service".into());
        unit.diagnostics = parsed.diagnostics;
        validate(&mut unit);
        unit
    }

    #[test]
    fn unknown_keys_and_sections_warn_but_load() {
        let u = service("[Unit]\nBogus=1\nX-Mine=2\n[Weird]\nA=1\n[X-Ext]\nB=2\n[Service]\nExecStart=/bin/true\n");
        assert_eq!(u.load_state, LoadState::Loaded);
        let msgs: Vec<String> = u.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "/x.service:2: Unknown key 'Bogus' in section [Unit], ignoring.",
                "/x.service:4: Unknown section 'Weird'. Ignoring.",
            ]
        );
        assert_eq!(u.settings.entries.len(), 1);
    }

    #[test]
    fn refused_services_are_bad_setting() {
        let cases = [
            ("[Service]\nDescription=x\n", "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."),
            ("[Service]\nType=simple\nExecStop=/bin/true\n", "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."),
            ("[Service]\nExecStop=/bin/true\n", "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."),
            ("[Service]\nExecStart=/a\nExecStart=/b\n", "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."),
            // One line, two commands (systemd-analyze verify agrees).
            ("[Service]\nExecStart=/bin/true ; /bin/false\n", "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."),
            ("[Service]\nType=oneshot\nRestart=always\nExecStart=/a\n", "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."),
            ("[Service]\nType=dbus\nExecStart=/a\n", "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."),
        ];
        for (text, message) in cases {
            let u = service(text);
            assert_eq!(u.load_state, LoadState::BadSetting, "{text}");
            assert_eq!(u.load_error.as_deref(), Some(message), "{text}");
        }
    }

    #[test]
    fn accepted_services_and_ignored_bad_values() {
        for ok in [
            "[Service]\nType=oneshot\nExecStart=/a\nExecStart=/b\n",
            "[Service]\nExecStart=/a\nExecStart=\nExecStart=/b\n",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStop=/b\n",
            // An escaped semicolon is an argument, not a separator.
            "[Service]\nExecStart=/bin/true \\; /bin/false\n",
            "[Service]\nType=oneshot\nExecStart=/a ; /b\n",
        ] {
            assert_eq!(service(ok).load_state, LoadState::Loaded, "{ok}");
        }
        let u = service("[Service]\nType=bogus\nExecStart=/a\n");
        assert_eq!(u.load_state, LoadState::Loaded);
        assert_eq!(
            u.diagnostics[0].to_string(),
            "/x.service:2: Failed to parse service type, ignoring: bogus"
        );
    }

    #[test]
    fn known_key_table() {
        assert!(is_known_key("Service", "ExecStart"));
        assert!(is_known_key("Service", "Environment"));
        assert!(is_known_key("Socket", "ListenStream"));
        assert!(is_known_key("Unit", "StartLimitIntervalSec"));
        assert!(is_known_key("Install", "WantedBy"));
        assert!(!is_known_key("Unit", "ExecStart"));
        assert!(!is_known_key("Target", "Description"));
    }
}

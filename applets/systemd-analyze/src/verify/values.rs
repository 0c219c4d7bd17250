//! The value warnings 252's config parsers log while loading a unit, for the settings
//! whose values core's loader takes as written: `[Unit]` (dependencies, URLs, paths,
//! booleans, time spans, actions) and the common `[Service]` value types (booleans, time
//! spans, paths, modes, signals, the enumerations). Texts are 252's, collected from
//! `systemd-analyze verify` with bad values for every setting of `systemd
//! --dump-configuration-items`; settings of other types are taken as written (no warning).

use super::graph::DEPENDENCY_KEYS;
use unitbox_core::exec::context::parse_mode;
use unitbox_core::exec::exit_status::signal_from_str;
use unitbox_core::scope::Scope;
use unitbox_core::unit::specifier::{self, SpecifierContext, SpecifierError};
use unitbox_core::unit::value::{parse_bool, parse_timespan};
use unitbox_core::unit::{Diagnostic, Entry, Unit, UnitName};

const SEC: u64 = 1_000_000;

/// How 252 parses a setting, and so when it warns.
#[derive(Clone, Copy)]
enum Kind {
    /// `config_parse_bool`-style: the message is the setting's.
    Bool(&'static str),
    /// A time span, seconds by default.
    Sec(&'static str),
    Unsigned,
    /// One of these words.
    Word(&'static [&'static str], &'static str),
    /// An absolute path (`KEY= path is not absolute, ignoring: VALUE`).
    AbsPath,
    /// Space-separated absolute paths.
    AbsPaths,
    /// An exit status 0…255.
    ExitStatus,
    /// An octal file mode.
    Mode,
    /// A signal name or number.
    Signal,
    /// An integer in a range (`Failed to parse WHAT 'VALUE', ignoring: Invalid argument`).
    Int(i64, i64, &'static str),
}

const BOOL: &str = "Failed to parse boolean value, ignoring";
const SEC_VALUE: &str = "Failed to parse sec value, ignoring";
const ACTIONS: &[&str] = &[
    "none",
    "reboot",
    "reboot-force",
    "reboot-immediate",
    "poweroff",
    "poweroff-force",
    "poweroff-immediate",
    "exit",
    "exit-force",
    "halt",
    "halt-force",
    "halt-immediate",
    "kexec",
    "kexec-force",
    "kexec-immediate",
];
const JOB_MODES: &[&str] = &[
    "fail",
    "replace",
    "replace-irreversibly",
    "isolate",
    "flush",
    "ignore-dependencies",
    "ignore-requirements",
    "triggering",
];

fn unit_kind(key: &str) -> Option<Kind> {
    Some(match key {
        "StopWhenUnneeded"
        | "RefuseManualStart"
        | "RefuseManualStop"
        | "AllowIsolate"
        | "DefaultDependencies"
        | "IgnoreOnIsolate" => Kind::Bool(BOOL),
        "OnFailureIsolate" => Kind::Bool("Failed to parse boolean, ignoring"),
        "OnSuccessJobMode" | "OnFailureJobMode" => {
            Kind::Word(JOB_MODES, "Failed to parse job mode, ignoring")
        }
        "JobTimeoutSec" => Kind::Sec("Failed to parse JobTimeoutSec= parameter, ignoring"),
        "JobRunningTimeoutSec" => {
            Kind::Sec("Failed to parse JobRunningTimeoutSec= parameter, ignoring")
        }
        "JobTimeoutAction" => Kind::Word(ACTIONS, "Failed to parse JobTimeoutAction=, ignoring"),
        "StartLimitAction" => Kind::Word(ACTIONS, "Failed to parse StartLimitAction=, ignoring"),
        "FailureAction" => Kind::Word(ACTIONS, "Failed to parse FailureAction=, ignoring"),
        "SuccessAction" => Kind::Word(ACTIONS, "Failed to parse SuccessAction=, ignoring"),
        "StartLimitIntervalSec" | "StartLimitInterval" => Kind::Sec(SEC_VALUE),
        "StartLimitBurst" => Kind::Unsigned,
        "FailureActionExitStatus" | "SuccessActionExitStatus" => Kind::ExitStatus,
        "CollectMode" => Kind::Word(
            &["inactive", "inactive-or-failed"],
            "Failed to parse garbage collection mode, ignoring",
        ),
        "SourcePath" => Kind::AbsPath,
        "RequiresMountsFor" => Kind::AbsPaths,
        _ => return None,
    })
}

const BOOL_SERVICE: &[&str] = &[
    "PermissionsStartOnly",
    "RootDirectoryStartOnly",
    "RemainAfterExit",
    "GuessMainPID",
    "NonBlocking",
    "CPUSchedulingResetOnFork",
    "RemoveIPC",
    "TTYReset",
    "TTYVHangup",
    "TTYVTDisallocate",
    "SyslogLevelPrefix",
    "NoNewPrivileges",
    "MemoryDenyWriteExecute",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "LockPersonality",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectClock",
    "ProtectControlGroups",
    "PrivateNetwork",
    "PrivateUsers",
    "PrivateMounts",
    "PrivateIPC",
    "IgnoreSIGPIPE",
    "ProtectHostname",
    "CPUAccounting",
    "MemoryAccounting",
    "IOAccounting",
    "BlockIOAccounting",
    "TasksAccounting",
    "IPAccounting",
    "SendSIGKILL",
    "SendSIGHUP",
];
const SEC_SERVICE: &[&str] = &[
    "RestartSec",
    "RuntimeMaxSec",
    "RuntimeRandomizedExtraSec",
    "WatchdogSec",
    "StartLimitInterval",
    "LogRateLimitIntervalSec",
    "TimeoutCleanSec",
];
const PATH_SERVICE: &[&str] = &[
    "USBFunctionDescriptors",
    "USBFunctionStrings",
    "TTYPath",
    "NetworkNamespacePath",
    "IPCNamespacePath",
];
const PATHS_SERVICE: &[&str] = &[
    "ExtensionDirectories",
    "ReadWriteDirectories",
    "ReadOnlyDirectories",
    "InaccessibleDirectories",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "ExecPaths",
    "NoExecPaths",
];
const MODE_SERVICE: &[&str] = &[
    "UMask",
    "RuntimeDirectoryMode",
    "StateDirectoryMode",
    "CacheDirectoryMode",
    "LogsDirectoryMode",
    "ConfigurationDirectoryMode",
];
const SIGNAL_SERVICE: &[&str] = &[
    "KillSignal",
    "RestartKillSignal",
    "FinalKillSignal",
    "WatchdogSignal",
];
const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "0", "1", "2", "3", "4",
    "5", "6", "7",
];
const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// The `[Service]` settings checked here (with the exec, kill and cgroup settings of
/// services); the others are taken as written.
fn service_kind(key: &str) -> Option<Kind> {
    if BOOL_SERVICE.contains(&key) {
        return Some(Kind::Bool(BOOL));
    }
    if SEC_SERVICE.contains(&key) {
        return Some(Kind::Sec(SEC_VALUE));
    }
    if PATH_SERVICE.contains(&key) {
        return Some(Kind::AbsPath);
    }
    if PATHS_SERVICE.contains(&key) {
        return Some(Kind::AbsPaths);
    }
    if MODE_SERVICE.contains(&key) {
        return Some(Kind::Mode);
    }
    if SIGNAL_SERVICE.contains(&key) {
        return Some(Kind::Signal);
    }
    Some(match key {
        "TimeoutSec" => Kind::Sec("Failed to parse TimeoutSec= parameter, ignoring"),
        "TimeoutStartSec" => Kind::Sec("Failed to parse TimeoutStartSec= parameter, ignoring"),
        "TimeoutStopSec" => Kind::Sec("Failed to parse time value, ignoring"),
        "TimeoutAbortSec" => Kind::Sec("Failed to parse TimeoutAbortSec= setting, ignoring"),
        "StartLimitBurst" | "FileDescriptorStoreMax" | "LogRateLimitBurst" => Kind::Unsigned,
        "StartLimitAction" => Kind::Word(ACTIONS, "Failed to parse StartLimitAction=, ignoring"),
        "FailureAction" => Kind::Word(ACTIONS, "Failed to parse FailureAction=, ignoring"),
        "ExitType" => Kind::Word(
            &["main", "cgroup"],
            "Failed to parse service exit type, ignoring",
        ),
        "NotifyAccess" => Kind::Word(
            &["none", "main", "exec", "all"],
            "Failed to parse notify access specifier, ignoring",
        ),
        "KillMode" => Kind::Word(
            &["control-group", "process", "mixed", "none"],
            "Failed to parse kill mode specification, ignoring",
        ),
        "TimeoutStartFailureMode" | "TimeoutStopFailureMode" => Kind::Word(
            &["terminate", "abort", "kill"],
            "Failed to parse timeout failure mode, ignoring",
        ),
        "OOMPolicy" => Kind::Word(
            &["continue", "stop", "kill"],
            "Failed to parse OOM policy, ignoring",
        ),
        "SyslogLevel" | "LogLevelMax" => Kind::Word(LEVELS, "Failed to parse log level, ignoring"),
        "SyslogFacility" => Kind::Word(FACILITIES, "Failed to parse log facility, ignoring"),
        "Nice" => Kind::Int(-20, 19, "nice priority"),
        _ => return None,
    })
}

/// Condition types whose value is an absolute path.
const PATH_CONDITIONS: &[&str] = &[
    "PathExists",
    "PathExistsGlob",
    "PathIsDirectory",
    "PathIsSymbolicLink",
    "PathIsMountPoint",
    "PathIsReadWrite",
    "PathIsEncrypted",
    "DirectoryNotEmpty",
    "FileNotEmpty",
    "FileIsExecutable",
    "NeedsUpdate",
];

/// 252's `documentation_url_is_valid()`.
pub fn documentation_url_is_valid(url: &str) -> bool {
    let rest = ["http://", "https://", "file:/", "info:", "man:"]
        .iter()
        .find_map(|p| url.strip_prefix(p));
    rest.is_some_and(|r| !r.is_empty() && r.is_ascii())
}

/// The specifier error as 252's errno text.
fn specifier_errno(e: &SpecifierError) -> String {
    match e {
        SpecifierError::Unknown(_) => "Invalid slot".into(),
        SpecifierError::Unavailable(_, why) => why.clone(),
    }
}

/// `nice priority` → `Nice priority`.
fn capitalized(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The `-` (ignore if missing) and `+` (inside the root directory) prefixes of a path list.
fn strip_path_prefix(word: &str) -> &str {
    let word = word.strip_prefix('-').unwrap_or(word);
    word.strip_prefix('+').unwrap_or(word)
}

fn valid_value(kind: Kind, value: &str) -> bool {
    match kind {
        Kind::Bool(_) => parse_bool(value).is_some(),
        Kind::Sec(_) => parse_timespan(value, SEC).is_some(),
        Kind::Unsigned => value.parse::<u32>().is_ok(),
        Kind::Word(words, _) => words.contains(&value),
        Kind::AbsPath => value.starts_with('/'),
        Kind::AbsPaths => value
            .split_whitespace()
            .map(strip_path_prefix)
            .all(|p| p.starts_with('/')),
        Kind::ExitStatus => value.parse::<u8>().is_ok(),
        Kind::Mode => parse_mode(value).is_some(),
        Kind::Signal => signal_from_str(value).is_some(),
        Kind::Int(min, max, _) => value.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n)),
    }
}

fn message(kind: Kind, key: &str, value: &str) -> String {
    match kind {
        Kind::Bool(m) | Kind::Sec(m) | Kind::Word(_, m) => format!("{m}: {value}"),
        Kind::Unsigned => format!("Failed to parse unsigned value, ignoring: {value}"),
        Kind::AbsPath => format!("{key}= path is not absolute, ignoring: {value}"),
        Kind::AbsPaths => {
            let bad = value
                .split_whitespace()
                .map(strip_path_prefix)
                .find(|p| !p.starts_with('/'))
                .unwrap_or(value);
            format!("{key}= path is not absolute, ignoring: {bad}")
        }
        Kind::Mode => format!("Failed to parse mode value, ignoring: {value}"),
        Kind::Signal => format!("Failed to parse signal name, ignoring: {value}"),
        Kind::Int(_, _, what) => match value.parse::<i64>() {
            Ok(_) => format!("{} out of range, ignoring: {value}", capitalized(what)),
            Err(_) => format!("Failed to parse {what} '{value}', ignoring: Invalid argument"),
        },
        Kind::ExitStatus => {
            // safe_atou8(): a number outside 0…255 (also a negative one) is out of range.
            let errno = if value.trim_start_matches('-').parse::<u64>().is_ok() {
                "Numerical result out of range"
            } else {
                "Invalid argument"
            };
            format!("Failed to parse exit status '{value}', ignoring: {errno}")
        }
    }
}

/// The value warnings of a unit's files, with file and line.
pub fn check(unit: &Unit, scope: &Scope) -> Vec<Diagnostic> {
    let ctx = SpecifierContext {
        unit: &unit.id,
        fragment: unit.fragment_path.as_deref(),
        scope,
    };
    let mut out = Vec::new();
    for e in &unit.settings.entries {
        if e.value.is_empty() {
            continue;
        }
        let mut warn = |m: String| out.push(Diagnostic::at(e, m));
        match e.section.as_str() {
            "Unit" => unit_entry(e, &ctx, &mut warn),
            "Service" if unit.id.unit_type() == "service" => {
                if let Some(kind) = service_kind(&e.key) {
                    if !valid_value(kind, &e.value) {
                        warn(message(kind, &e.key, &e.value));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn unit_entry(e: &Entry, ctx: &SpecifierContext, warn: &mut dyn FnMut(String)) {
    let key = e.key.as_str();
    let value = e.value.as_str();
    if let Some(new) = key.strip_suffix("Overridable") {
        warn(format!(
            "Unit dependency type {key}= is obsolete, replacing by {new}=, please update your unit file"
        ));
    }
    if DEPENDENCY_KEYS.contains(&key) {
        for word in value.split_whitespace() {
            match specifier::expand(word, ctx) {
                Err(err) => warn(format!(
                    "Failed to resolve unit specifiers in '{word}', ignoring: {}",
                    specifier_errno(&err)
                )),
                Ok(name) => {
                    let valid = UnitName::parse(&name).is_ok_and(|n| !n.is_template());
                    if !valid {
                        warn(format!(
                            "Failed to add dependency on {name}, ignoring: Invalid argument"
                        ));
                    }
                }
            }
        }
        return;
    }
    if key == "Documentation" {
        for word in value.split_whitespace() {
            match specifier::expand(word, ctx) {
                Err(err) => warn(format!(
                    "Failed to resolve unit specifiers in '{word}', ignoring: {}",
                    specifier_errno(&err)
                )),
                Ok(url) if !documentation_url_is_valid(&url) => {
                    warn(format!("Invalid URL, ignoring: {url}"))
                }
                Ok(_) => {}
            }
        }
        return;
    }
    let condition = key
        .strip_prefix("Condition")
        .or_else(|| key.strip_prefix("Assert"));
    if let Some(kind) = condition {
        if PATH_CONDITIONS.contains(&kind) {
            let path = value.trim_start_matches(['|', '!']).trim_start();
            let expanded = specifier::expand(path, ctx).unwrap_or_else(|_| path.to_string());
            if !expanded.starts_with('/') {
                warn(format!("{key}= path is not absolute, ignoring: {expanded}"));
            }
        }
        return;
    }
    if let Some(kind) = unit_kind(key) {
        if !valid_value(kind, value) {
            warn(message(kind, key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_urls_as_252() {
        for ok in [
            "man:systemd(1)",
            "https://x",
            "http://a/b",
            "file:/usr/share/doc",
            "info:x",
        ] {
            assert!(documentation_url_is_valid(ok), "{ok}");
        }
        for bad in ["man:", "xyzzy", "ftp://x", "file:relative", "https://"] {
            assert!(!documentation_url_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn values_and_their_messages() {
        assert!(valid_value(Kind::Bool(BOOL), "on"));
        assert!(!valid_value(Kind::Bool(BOOL), "maybe"));
        assert!(valid_value(Kind::Sec(SEC_VALUE), "5min 3s"));
        assert!(!valid_value(Kind::Sec(SEC_VALUE), "abc"));
        assert!(!valid_value(Kind::Unsigned, "-5"));
        assert_eq!(
            message(Kind::AbsPaths, "RequiresMountsFor", "/a b"),
            "RequiresMountsFor= path is not absolute, ignoring: b"
        );
    }
}

//! `ServiceConfig::from_unit`: the `[Service]` settings (and the `[Unit]` start limit and
//! actions) as typed values with systemd's defaults. A value systemd would ignore with a
//! warning becomes a [`Warnings`] entry and keeps its default; command lines systemd would
//! refuse (which make the unit `bad-setting`) are listed in `ServiceConfig::invalid`.

use super::types::{
    EmergencyAction, KillConfig, KillMode, NotifyAccess, RestartPolicy, ServiceType,
};
use crate::exec::command::{parse_exec_line, ExecCommand};
use crate::exec::context::{flag, resolve, ExecContext};
use crate::exec::exit_status::{signal_from_str, ExitStatusSet};
use crate::exec::Warnings;
use crate::scope::Scope;
use crate::unit::specifier::{expand, SpecifierContext};
use crate::unit::value::{parse_timespan, USEC_INFINITY};
use crate::unit::{Diagnostic, Settings, Unit};
use std::path::{Path, PathBuf};

const SEC: u64 = 1_000_000;
/// `DefaultTimeoutStartSec=`, `DefaultTimeoutStopSec=`, `DefaultTimeoutAbortSec=`.
pub const DEFAULT_TIMEOUT: u64 = 90 * SEC;
pub const DEFAULT_RESTART_SEC: u64 = 100_000;
/// `DefaultStartLimitIntervalSec=`, `DefaultStartLimitBurst=`.
pub const DEFAULT_START_LIMIT_INTERVAL: u64 = 10 * SEC;
pub const DEFAULT_START_LIMIT_BURST: u32 = 5;

/// The `Exec*=` settings in the order they run.
pub const EXEC_SETTINGS: [&str; 7] = [
    "ExecCondition",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    pub service_type: ServiceType,
    pub remain_after_exit: bool,
    pub guess_main_pid: bool,
    /// Absolute and logical (a relative `PIDFile=` is under the runtime base).
    pub pid_file: Option<PathBuf>,
    pub exec_condition: Vec<ExecCommand>,
    pub exec_start_pre: Vec<ExecCommand>,
    pub exec_start: Vec<ExecCommand>,
    pub exec_start_post: Vec<ExecCommand>,
    pub exec_reload: Vec<ExecCommand>,
    pub exec_stop: Vec<ExecCommand>,
    pub exec_stop_post: Vec<ExecCommand>,
    pub restart: RestartPolicy,
    /// Microseconds, as every time below; [`USEC_INFINITY`] is `infinity`.
    pub restart_sec: u64,
    pub success_exit_status: ExitStatusSet,
    pub restart_prevent_exit_status: ExitStatusSet,
    pub restart_force_exit_status: ExitStatusSet,
    pub timeout_start: u64,
    pub timeout_stop: u64,
    pub timeout_abort: u64,
    pub runtime_max: u64,
    pub watchdog: u64,
    /// `FileDescriptorStoreMax=`.
    pub fd_store_max: u32,
    pub notify_access: NotifyAccess,
    pub kill: KillConfig,
    pub reload_signal: i32,
    pub root_directory_start_only: bool,
    pub exec: ExecContext,
    pub start_limit_interval: u64,
    pub start_limit_burst: u32,
    pub failure_action: EmergencyAction,
    pub success_action: EmergencyAction,
    /// Command lines systemd refuses (no `-` prefix): the unit is `bad-setting`.
    pub invalid: Vec<Diagnostic>,
}

impl ServiceConfig {
    /// Reads a loaded unit. Specifiers are resolved against the scope (the manager).
    pub fn from_unit(unit: &Unit, scope: &Scope) -> (ServiceConfig, Warnings) {
        let ctx = SpecifierContext {
            unit: &unit.id,
            fragment: unit.fragment_path.as_deref(),
            scope,
        };
        let specifiers = |s: &str| expand(s, &ctx).map_err(|e| e.to_string());
        Self::from_settings(&unit.settings, scope, &specifiers)
    }

    /// [`ServiceConfig::from_unit`] with an explicit specifier resolver.
    pub fn from_settings(
        settings: &Settings,
        scope: &Scope,
        specifiers: &dyn Fn(&str) -> Result<String, String>,
    ) -> (ServiceConfig, Warnings) {
        let mut w = Warnings::default();
        let s = "Service";
        let mut invalid = Vec::new();
        let mut commands: Vec<Vec<ExecCommand>> = Vec::new();
        for key in EXEC_SETTINGS {
            let mut cmds = Vec::new();
            for e in settings.list_entries(s, key) {
                let parsed = parse_exec_line(&e.value, specifiers);
                cmds.extend(parsed.commands);
                if let Some(err) = parsed.error {
                    let d = Diagnostic {
                        file: (*e.file).clone(),
                        line: e.line,
                        message: err.message,
                    };
                    if err.ignored {
                        w.0.push(d);
                    } else {
                        invalid.push(d);
                    }
                }
            }
            commands.push(cmds);
        }
        let mut commands = commands.into_iter();
        let mut next = || commands.next().unwrap_or_default();
        let (exec_condition, exec_start_pre, exec_start, exec_start_post) =
            (next(), next(), next(), next());
        let (exec_reload, exec_stop, exec_stop_post) = (next(), next(), next());

        let service_type = match settings.last_entry(s, "Type") {
            Some(e) => ServiceType::parse(&e.value).unwrap_or_else(|| {
                w.push(
                    e,
                    format!("Failed to parse service type, ignoring: {}", e.value),
                );
                default_type(settings, &exec_start)
            }),
            None => default_type(settings, &exec_start),
        };
        let oneshot = service_type == ServiceType::Oneshot;

        let time = |key: &str, w: &mut Warnings| -> Option<u64> {
            let e = settings.last_entry(s, key)?;
            parse_timespan(&e.value, SEC).or_else(|| {
                w.push(
                    e,
                    format!("Failed to parse {key}= parameter, ignoring: {}", e.value),
                );
                None
            })
        };
        // TimeoutSec= sets both; the specific settings win whatever their order.
        let timeout_both = time("TimeoutSec", &mut w);
        let timeout_start =
            time("TimeoutStartSec", &mut w)
                .or(timeout_both)
                .unwrap_or(if oneshot {
                    USEC_INFINITY
                } else {
                    DEFAULT_TIMEOUT
                });
        let timeout_stop = time("TimeoutStopSec", &mut w)
            .or(timeout_both)
            .unwrap_or(DEFAULT_TIMEOUT);
        let timeout_abort = time("TimeoutAbortSec", &mut w).unwrap_or(timeout_stop);
        let zero_is_infinity = |t: u64| if t == 0 { USEC_INFINITY } else { t };

        let status_set = |key: &str, w: &mut Warnings| {
            let mut set = ExitStatusSet::default();
            for e in settings.list_entries(s, key) {
                for bad in set.extend_from(&e.value) {
                    w.push(e, format!("Failed to parse {key}= value, ignoring: {bad}"));
                }
            }
            set
        };
        let success_exit_status = status_set("SuccessExitStatus", &mut w);
        let restart_prevent_exit_status = status_set("RestartPreventExitStatus", &mut w);
        let restart_force_exit_status = status_set("RestartForceExitStatus", &mut w);

        let signal = |key: &str, default: i32, w: &mut Warnings| -> i32 {
            match settings.last_entry(s, key) {
                None => default,
                Some(e) => signal_from_str(&e.value).unwrap_or_else(|| {
                    w.push(e, format!("Failed to parse signal, ignoring: {}", e.value));
                    default
                }),
            }
        };
        let kill_signal = signal("KillSignal", libc::SIGTERM, &mut w);
        let kill = KillConfig {
            mode: parse_enum(settings, s, "KillMode", KillMode::parse, &mut w).unwrap_or_default(),
            signal: kill_signal,
            restart_signal: signal("RestartKillSignal", kill_signal, &mut w),
            final_signal: signal("FinalKillSignal", libc::SIGKILL, &mut w),
            watchdog_signal: signal("WatchdogSignal", libc::SIGABRT, &mut w),
            send_sigkill: flag(settings, s, "SendSIGKILL", true, &mut w),
            send_sighup: flag(settings, s, "SendSIGHUP", false, &mut w),
        };

        let watchdog = time("WatchdogSec", &mut w).unwrap_or(0);
        let fd_store_max = match settings.last_entry(s, "FileDescriptorStoreMax") {
            None => 0,
            Some(e) => e.value.parse().unwrap_or_else(|_| {
                w.push(
                    e,
                    format!(
                        "Failed to parse FileDescriptorStoreMax=, ignoring: {}",
                        e.value
                    ),
                );
                0
            }),
        };
        // systemd's service_add_extras(): a service that needs the notify socket gets
        // NotifyAccess=main, even over an explicit `none`.
        let mut notify_access =
            parse_enum(settings, s, "NotifyAccess", NotifyAccess::parse, &mut w);
        if notify_access.unwrap_or_default() == NotifyAccess::None
            && (service_type.is_notify() || watchdog > 0 || fd_store_max > 0)
        {
            notify_access = Some(NotifyAccess::Main);
        }

        let pid_file = settings
            .last_entry(s, "PIDFile")
            .and_then(|e| resolve(e, specifiers, &mut w))
            .map(|p| {
                if p.starts_with('/') {
                    crate::root::normalize(Path::new(&p))
                } else {
                    crate::root::normalize(&scope.runtime_base().join(p))
                }
            });

        let unit_time = |key: &str, default: u64, w: &mut Warnings| -> u64 {
            match settings.last_entry("Unit", key) {
                None => default,
                Some(e) => parse_timespan(&e.value, SEC).unwrap_or_else(|| {
                    w.push(
                        e,
                        format!("Failed to parse {key}= parameter, ignoring: {}", e.value),
                    );
                    default
                }),
            }
        };
        // StartLimitInterval= is the old name in [Unit] (and once in [Service]).
        let start_limit_interval = unit_time(
            "StartLimitIntervalSec",
            unit_time("StartLimitInterval", DEFAULT_START_LIMIT_INTERVAL, &mut w),
            &mut w,
        );
        let start_limit_burst = match settings.last_entry("Unit", "StartLimitBurst") {
            None => DEFAULT_START_LIMIT_BURST,
            Some(e) => e.value.parse().unwrap_or_else(|_| {
                w.push(
                    e,
                    format!("Failed to parse StartLimitBurst=, ignoring: {}", e.value),
                );
                DEFAULT_START_LIMIT_BURST
            }),
        };
        let action = |key: &str, w: &mut Warnings| {
            parse_enum(settings, "Unit", key, EmergencyAction::parse, w).unwrap_or_default()
        };

        let mut exec = ExecContext::from_settings(settings, s, specifiers, &mut w);
        // A user manager's services start in the user's home by default.
        if exec.working_directory.is_none() && !scope.is_system() {
            exec.working_directory = Some(crate::exec::context::WorkingDirectory::Home);
        }

        let config = ServiceConfig {
            service_type,
            remain_after_exit: flag(settings, s, "RemainAfterExit", false, &mut w),
            guess_main_pid: flag(settings, s, "GuessMainPID", true, &mut w),
            pid_file,
            exec_condition,
            exec_start_pre,
            exec_start,
            exec_start_post,
            exec_reload,
            exec_stop,
            exec_stop_post,
            restart: parse_enum(settings, s, "Restart", RestartPolicy::parse, &mut w)
                .unwrap_or_default(),
            restart_sec: time("RestartSec", &mut w).unwrap_or(DEFAULT_RESTART_SEC),
            success_exit_status,
            restart_prevent_exit_status,
            restart_force_exit_status,
            timeout_start: zero_is_infinity(timeout_start),
            timeout_stop: zero_is_infinity(timeout_stop),
            timeout_abort: zero_is_infinity(timeout_abort),
            runtime_max: time("RuntimeMaxSec", &mut w)
                .map(zero_is_infinity)
                .unwrap_or(USEC_INFINITY),
            watchdog,
            fd_store_max,
            notify_access: notify_access.unwrap_or_default(),
            kill,
            reload_signal: signal("ReloadSignal", libc::SIGHUP, &mut w),
            root_directory_start_only: flag(settings, s, "RootDirectoryStartOnly", false, &mut w),
            exec,
            start_limit_interval,
            start_limit_burst,
            failure_action: action("FailureAction", &mut w),
            success_action: action("SuccessAction", &mut w),
            invalid,
        };
        (config, w)
    }
}

/// Without `Type=`: `dbus` with `BusName=`, `simple` with `ExecStart=`, else `oneshot`.
fn default_type(settings: &Settings, exec_start: &[ExecCommand]) -> ServiceType {
    if settings.get("Service", "BusName").is_some() {
        ServiceType::Dbus
    } else if exec_start.is_empty() {
        ServiceType::Oneshot
    } else {
        ServiceType::Simple
    }
}

fn parse_enum<T>(
    settings: &Settings,
    section: &str,
    key: &str,
    parse: fn(&str) -> Option<T>,
    w: &mut Warnings,
) -> Option<T> {
    let e = settings.last_entry(section, key)?;
    let value = parse(&e.value);
    if value.is_none() {
        w.push(
            e,
            format!("Failed to parse {key}= value, ignoring: {}", e.value),
        );
    }
    value
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

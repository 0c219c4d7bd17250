//! The exec and kill contexts of a service (`org.freedesktop.systemd1.Service`'s
//! `ExecContext` and `KillContext` parts), in D-Bus order: environment, limits,
//! credentials, sandboxing, and how the service is stopped. What unitbox runs services with
//! comes from the typed [`ExecContext`] and [`KillConfig`]; the sandboxing settings it does
//! not apply are shown from the unit file with systemd 252's defaults.

use super::props::Props;
use super::unit::UnitView;
use unitbox_core::exec::context::{ExecContext, WorkingDirectory};
use unitbox_core::exec::dirs::DirKind;
use unitbox_core::service::types::KillConfig;
use unitbox_core::unit::value::format_timespan;

/// Resource limits: (property, soft property, resource), in D-Bus order.
const LIMITS: [(&str, &str, unitbox_core::exec::limits::Resource); 16] = [
    ("LimitCPU", "LimitCPUSoft", libc::RLIMIT_CPU),
    ("LimitFSIZE", "LimitFSIZESoft", libc::RLIMIT_FSIZE),
    ("LimitDATA", "LimitDATASoft", libc::RLIMIT_DATA),
    ("LimitSTACK", "LimitSTACKSoft", libc::RLIMIT_STACK),
    ("LimitCORE", "LimitCORESoft", libc::RLIMIT_CORE),
    ("LimitRSS", "LimitRSSSoft", libc::RLIMIT_RSS),
    ("LimitNOFILE", "LimitNOFILESoft", libc::RLIMIT_NOFILE),
    ("LimitAS", "LimitASSoft", libc::RLIMIT_AS),
    ("LimitNPROC", "LimitNPROCSoft", libc::RLIMIT_NPROC),
    ("LimitMEMLOCK", "LimitMEMLOCKSoft", libc::RLIMIT_MEMLOCK),
    ("LimitLOCKS", "LimitLOCKSSoft", libc::RLIMIT_LOCKS),
    (
        "LimitSIGPENDING",
        "LimitSIGPENDINGSoft",
        libc::RLIMIT_SIGPENDING,
    ),
    ("LimitMSGQUEUE", "LimitMSGQUEUESoft", libc::RLIMIT_MSGQUEUE),
    ("LimitNICE", "LimitNICESoft", libc::RLIMIT_NICE),
    ("LimitRTPRIO", "LimitRTPRIOSoft", libc::RLIMIT_RTPRIO),
    ("LimitRTTIME", "LimitRTTIMESoft", libc::RLIMIT_RTTIME),
];

/// systemd resets the soft `RLIMIT_NOFILE` of services to the `select()`-safe value.
const NOFILE_SOFT_DEFAULT: u64 = 1024;

/// `LOG_DAEMON`, the facility of services' log lines.
const SYSLOG_FACILITY_DAEMON: u8 = 3;

/// The limit a service gets: its setting, else what it inherits from the supervisor
/// (systemd: PID 1), with the soft `NOFILE` lowered as systemd does.
fn limit(exec: &ExecContext, resource: unitbox_core::exec::limits::Resource) -> (u64, u64) {
    if let Some(l) = exec.limits.iter().find(|l| l.resource == resource) {
        return (l.soft, l.hard);
    }
    let lim = unitbox_core::sys::getrlimit(resource).unwrap_or(libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    });
    let (mut soft, hard) = (lim.rlim_cur, lim.rlim_max);
    if resource == libc::RLIMIT_NOFILE {
        soft = soft.min(NOFILE_SOFT_DEFAULT).min(hard);
    }
    (soft, hard)
}

/// `Environment=` as the bus reports it: a later assignment of a name replaces the
/// earlier one in place.
fn environment(exec: &ExecContext) -> Vec<String> {
    let mut env: Vec<(&str, &str)> = Vec::new();
    for (name, value) in &exec.environment {
        match env.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => env.push((name, value)),
        }
    }
    env.into_iter().map(|(n, v)| format!("{n}={v}")).collect()
}

fn mode(m: u32) -> String {
    format!("{m:04o}")
}

impl UnitView<'_> {
    fn words(&self, key: &str) -> Vec<String> {
        self.unit
            .settings
            .get_words("Service", key)
            .iter()
            .map(|w| self.spec(w))
            .collect()
    }

    /// `WorkingDirectory=` as the bus reports it: `~` for the home, `!` when a missing
    /// directory is fine; a user manager's services default to `!` + the user's home.
    fn working_directory(&self, exec: &ExecContext) -> String {
        let scope = self.store.scope();
        let (dir, optional) = match &exec.working_directory {
            None => return String::new(),
            Some(WorkingDirectory::Home) if self.svc("WorkingDirectory").is_none() => {
                (scope.identity.home.display().to_string(), true)
            }
            Some(WorkingDirectory::Home) => ("~".to_string(), exec.working_directory_optional),
            Some(WorkingDirectory::Path(p)) => {
                (p.display().to_string(), exec.working_directory_optional)
            }
        };
        if optional {
            format!("!{dir}")
        } else {
            dir
        }
    }

    pub(super) fn exec_context_props(&self, p: &mut Props, exec: &ExecContext) {
        let dynamic_user = exec.dynamic_user;
        p.list("Environment", environment(exec));
        let env_files: Vec<String> = exec
            .environment_files
            .iter()
            .map(|f| {
                let ignore = if f.optional { "yes" } else { "no" };
                format!("{} (ignore_errors={ignore})", f.path.display())
            })
            .collect();
        p.lines("EnvironmentFiles", env_files);
        p.list("PassEnvironment", exec.pass_environment.iter().cloned());
        p.list("UnsetEnvironment", exec.unset_environment.iter().cloned());
        p.text("UMask", mode(exec.umask));
        for (hard_name, soft_name, resource) in LIMITS {
            let (soft, hard) = limit(exec, resource);
            let show = |v: u64| {
                if v == u64::MAX {
                    "infinity".to_string()
                } else {
                    v.to_string()
                }
            };
            p.text(hard_name, show(hard));
            p.text(soft_name, show(soft));
        }
        p.text("WorkingDirectory", self.working_directory(exec));
        p.text(
            "RootDirectory",
            exec.root_directory
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
        );
        p.text("RootImage", self.svc_path("RootImage"));
        p.text(
            "OOMScoreAdjust",
            self.svc_word("OOMScoreAdjust", &current_oom_score_adjust()),
        );
        p.text("CoredumpFilter", "0x33");
        p.text("Nice", exec.nice.unwrap_or(0).to_string());
        p.text("IOSchedulingClass", "2");
        p.text(
            "IOSchedulingPriority",
            self.svc_word("IOSchedulingPriority", "4"),
        );
        p.text("CPUSchedulingPolicy", "0");
        p.text(
            "CPUSchedulingPriority",
            self.svc_word("CPUSchedulingPriority", "0"),
        );
        p.yes_no("CPUAffinityFromNUMA", false);
        p.text("NUMAPolicy", "n/a");
        p.text("TimerSlackNSec", "50000");
        p.yes_no(
            "CPUSchedulingResetOnFork",
            self.svc_bool("CPUSchedulingResetOnFork", false),
        );
        p.yes_no("NonBlocking", self.svc_bool("NonBlocking", false));
        p.text("StandardInput", exec.standard_input.as_string());
        p.text("StandardOutput", exec.standard_output.as_string());
        p.text("StandardError", exec.standard_error.as_string());
        // The bus reports TTYPath= only when set; unset, services use /dev/console.
        let tty = if self.svc("TTYPath").is_some() {
            exec.tty_path.display().to_string()
        } else {
            String::new()
        };
        p.text("TTYPath", tty);
        for name in ["TTYReset", "TTYVHangup", "TTYVTDisallocate"] {
            p.yes_no(name, self.svc_bool(name, false));
        }
        p.text(
            "SyslogIdentifier",
            exec.syslog_identifier.clone().unwrap_or_default(),
        );
        p.text(
            "SyslogPriority",
            ((SYSLOG_FACILITY_DAEMON << 3) | exec.syslog_level).to_string(),
        );
        p.yes_no("SyslogLevelPrefix", exec.syslog_level_prefix);
        p.text("SyslogLevel", exec.syslog_level.to_string());
        p.text("SyslogFacility", SYSLOG_FACILITY_DAEMON.to_string());
        p.text("LogLevelMax", "-1");
        p.text("LogRateLimitIntervalUSec", "0");
        p.text("LogRateLimitBurst", "0");
        p.text("SecureBits", "0");
        p.text("User", exec.user.clone().unwrap_or_default());
        p.text("Group", exec.group.clone().unwrap_or_default());
        p.yes_no("DynamicUser", dynamic_user);
        p.yes_no("RemoveIPC", self.svc_bool("RemoveIPC", dynamic_user));
        p.list(
            "SupplementaryGroups",
            exec.supplementary_groups.iter().cloned(),
        );
        p.text("PAMName", self.svc_path("PAMName"));
        for name in ["ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths"] {
            p.list(name, self.words(name));
        }
        p.yes_no("PrivateTmp", self.svc_bool("PrivateTmp", dynamic_user));
        for name in [
            "PrivateDevices",
            "ProtectClock",
            "ProtectKernelTunables",
            "ProtectKernelModules",
            "ProtectKernelLogs",
            "ProtectControlGroups",
            "PrivateNetwork",
            "PrivateUsers",
            "PrivateMounts",
            "PrivateIPC",
        ] {
            p.yes_no(name, self.svc_bool(name, false));
        }
        let (home_default, system_default) = if dynamic_user {
            ("read-only", "strict")
        } else {
            ("no", "no")
        };
        p.text(
            "ProtectHome",
            bool_or_word(self.svc("ProtectHome"), home_default),
        );
        p.text(
            "ProtectSystem",
            bool_or_word(self.svc("ProtectSystem"), system_default),
        );
        p.yes_no("SameProcessGroup", self.svc_bool("SameProcessGroup", false));
        p.text("UtmpIdentifier", self.svc_path("UtmpIdentifier"));
        p.text("UtmpMode", self.svc_word("UtmpMode", "init"));
        p.yes_no("IgnoreSIGPIPE", exec.ignore_sigpipe);
        p.yes_no(
            "NoNewPrivileges",
            self.svc_bool("NoNewPrivileges", dynamic_user),
        );
        p.text("SystemCallErrorNumber", "2147483646");
        p.yes_no("LockPersonality", self.svc_bool("LockPersonality", false));
        p.text(
            "RuntimeDirectoryPreserve",
            exec.directories.runtime_preserve.as_str(),
        );
        for kind in [
            DirKind::Runtime,
            DirKind::State,
            DirKind::Cache,
            DirKind::Logs,
            DirKind::Configuration,
        ] {
            let set = exec.directories.get(kind);
            let mode_name = match kind {
                DirKind::Runtime => "RuntimeDirectoryMode",
                DirKind::State => "StateDirectoryMode",
                DirKind::Cache => "CacheDirectoryMode",
                DirKind::Logs => "LogsDirectoryMode",
                DirKind::Configuration => "ConfigurationDirectoryMode",
            };
            p.text(mode_name, mode(set.mode));
            p.list(
                kind.setting(),
                set.paths.iter().map(|d| d.display().to_string()),
            );
        }
        p.text(
            "TimeoutCleanUSec",
            format_timespan(self.svc_time("TimeoutCleanSec").unwrap_or(u64::MAX)),
        );
        p.yes_no(
            "MemoryDenyWriteExecute",
            self.svc_bool("MemoryDenyWriteExecute", false),
        );
        p.yes_no("RestrictRealtime", self.svc_bool("RestrictRealtime", false));
        p.yes_no(
            "RestrictSUIDSGID",
            self.svc_bool("RestrictSUIDSGID", dynamic_user),
        );
        p.yes_no("MountAPIVFS", self.svc_bool("MountAPIVFS", false));
        let keyring_default = if self.store.scope().is_system() {
            "private"
        } else {
            "inherit"
        };
        p.text("KeyringMode", self.svc_word("KeyringMode", keyring_default));
        p.text("ProtectProc", self.svc_word("ProtectProc", "default"));
        p.text("ProcSubset", self.svc_word("ProcSubset", "all"));
        p.yes_no("ProtectHostname", self.svc_bool("ProtectHostname", false));
    }

    pub(super) fn kill_props(&self, p: &mut Props, kill: &KillConfig) {
        p.text("KillMode", kill.mode.as_str());
        p.text("KillSignal", kill.signal.to_string());
        p.text("RestartKillSignal", kill.restart_signal.to_string());
        p.text("FinalKillSignal", kill.final_signal.to_string());
        p.yes_no("SendSIGKILL", kill.send_sigkill);
        p.yes_no("SendSIGHUP", kill.send_sighup);
        p.text("WatchdogSignal", kill.watchdog_signal.to_string());
    }
}

/// Settings like `ProtectHome=` take a boolean or a word; booleans print as `yes`/`no`.
fn bool_or_word(value: Option<&str>, default: &str) -> String {
    match value {
        None => default.to_string(),
        Some(v) => match unitbox_core::unit::value::parse_bool(v) {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => v.to_string(),
        },
    }
}

/// What a spawned service inherits when `OOMScoreAdjust=` is unset.
fn current_oom_score_adjust() -> String {
    std::fs::read_to_string("/proc/self/oom_score_adj")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0".into())
}

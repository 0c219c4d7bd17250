//! The exec and kill contexts of a service (`org.freedesktop.systemd1.Service`'s
//! `ExecContext` and `KillContext` parts), in D-Bus order: environment, limits,
//! credentials, sandboxing, and how the service is stopped.

use super::format::{parse_limit, parse_mode, parse_signal, LimitUnit};
use super::props::Props;
use super::unit::UnitView;
use unitbox_core::unit::value::{format_timespan, split_words, SplitOptions};

/// Resource limits: (property, setting kind, libc resource).
const LIMITS: [(&str, &str, LimitUnit, i32); 16] = [
    (
        "LimitCPU",
        "LimitCPUSoft",
        LimitUnit::Seconds,
        libc::RLIMIT_CPU as i32,
    ),
    (
        "LimitFSIZE",
        "LimitFSIZESoft",
        LimitUnit::Bytes,
        libc::RLIMIT_FSIZE as i32,
    ),
    (
        "LimitDATA",
        "LimitDATASoft",
        LimitUnit::Bytes,
        libc::RLIMIT_DATA as i32,
    ),
    (
        "LimitSTACK",
        "LimitSTACKSoft",
        LimitUnit::Bytes,
        libc::RLIMIT_STACK as i32,
    ),
    (
        "LimitCORE",
        "LimitCORESoft",
        LimitUnit::Bytes,
        libc::RLIMIT_CORE as i32,
    ),
    (
        "LimitRSS",
        "LimitRSSSoft",
        LimitUnit::Bytes,
        libc::RLIMIT_RSS as i32,
    ),
    (
        "LimitNOFILE",
        "LimitNOFILESoft",
        LimitUnit::Count,
        libc::RLIMIT_NOFILE as i32,
    ),
    (
        "LimitAS",
        "LimitASSoft",
        LimitUnit::Bytes,
        libc::RLIMIT_AS as i32,
    ),
    (
        "LimitNPROC",
        "LimitNPROCSoft",
        LimitUnit::Count,
        libc::RLIMIT_NPROC as i32,
    ),
    (
        "LimitMEMLOCK",
        "LimitMEMLOCKSoft",
        LimitUnit::Bytes,
        libc::RLIMIT_MEMLOCK as i32,
    ),
    (
        "LimitLOCKS",
        "LimitLOCKSSoft",
        LimitUnit::Count,
        libc::RLIMIT_LOCKS as i32,
    ),
    (
        "LimitSIGPENDING",
        "LimitSIGPENDINGSoft",
        LimitUnit::Count,
        libc::RLIMIT_SIGPENDING as i32,
    ),
    (
        "LimitMSGQUEUE",
        "LimitMSGQUEUESoft",
        LimitUnit::Bytes,
        libc::RLIMIT_MSGQUEUE as i32,
    ),
    (
        "LimitNICE",
        "LimitNICESoft",
        LimitUnit::Nice,
        libc::RLIMIT_NICE as i32,
    ),
    (
        "LimitRTPRIO",
        "LimitRTPRIOSoft",
        LimitUnit::Count,
        libc::RLIMIT_RTPRIO as i32,
    ),
    (
        "LimitRTTIME",
        "LimitRTTIMESoft",
        LimitUnit::Micros,
        libc::RLIMIT_RTTIME as i32,
    ),
];

/// systemd resets the soft `RLIMIT_NOFILE` of services to the `select()`-safe value.
const NOFILE_SOFT_DEFAULT: u64 = 1024;

impl UnitView<'_> {
    fn signal(&self, key: &str, default: i32) -> i32 {
        self.svc(key).and_then(parse_signal).unwrap_or(default)
    }

    /// `Environment=` assignments: later values of a name replace earlier ones in place.
    fn environment(&self) -> Vec<String> {
        let mut env: Vec<String> = Vec::new();
        let opts = SplitOptions {
            c_unescape: true,
            relax: false,
        };
        for value in self.unit.settings.get_list("Service", "Environment") {
            for word in split_words(&self.spec(value), opts).unwrap_or_default() {
                let Some((name, _)) = word.split_once('=') else {
                    continue;
                };
                if !valid_env_name(name) {
                    continue;
                }
                match env
                    .iter_mut()
                    .find(|e| e.split_once('=').map(|(n, _)| n) == Some(name))
                {
                    Some(slot) => *slot = word,
                    None => env.push(word),
                }
            }
        }
        env
    }

    fn words(&self, key: &str) -> Vec<String> {
        self.unit
            .settings
            .get_words("Service", key)
            .iter()
            .map(|w| self.spec(w))
            .collect()
    }

    /// `WorkingDirectory=` as the bus reports it: `~` for the home, `!` for `-` (missing
    /// is fine).
    fn working_directory(&self) -> String {
        let wd = self.svc_path("WorkingDirectory");
        if wd.is_empty() {
            return wd;
        }
        match wd.strip_prefix('-') {
            Some(rest) => format!("!{rest}"),
            None => wd,
        }
    }

    fn limit(&self, key: &str, kind: LimitUnit, resource: i32) -> (u64, u64) {
        if let Some((soft, hard)) = self.svc(key).and_then(|v| parse_limit(v, kind)) {
            return (soft, hard);
        }
        // Services inherit the supervisor's limits (systemd: PID 1's).
        let mut lim = libc::rlimit {
            rlim_cur: libc::RLIM_INFINITY,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: getrlimit writes into the struct we own.
        unsafe { libc::getrlimit(resource as _, &mut lim) };
        let (mut soft, hard) = (lim.rlim_cur, lim.rlim_max);
        if resource == libc::RLIMIT_NOFILE as i32 {
            soft = soft.min(NOFILE_SOFT_DEFAULT).min(hard);
        }
        (soft, hard)
    }

    fn mode(&self, key: &str, default: u32) -> String {
        format!(
            "{:04o}",
            self.svc(key).and_then(parse_mode).unwrap_or(default)
        )
    }

    pub(super) fn exec_context_props(&self, p: &mut Props) {
        let settings = &self.unit.settings;
        let dynamic_user = self.svc_bool("DynamicUser", false);
        p.list("Environment", self.environment());
        let env_files: Vec<String> = settings
            .get_list("Service", "EnvironmentFile")
            .iter()
            .map(|v| {
                let v = self.spec(v);
                match v.strip_prefix('-') {
                    Some(path) => format!("{path} (ignore_errors=yes)"),
                    None => format!("{v} (ignore_errors=no)"),
                }
            })
            .collect();
        p.lines("EnvironmentFiles", env_files);
        p.list("PassEnvironment", self.words("PassEnvironment"));
        p.list("UnsetEnvironment", self.words("UnsetEnvironment"));
        p.text("UMask", self.mode("UMask", 0o022));
        for (hard_name, soft_name, kind, resource) in LIMITS {
            let (soft, hard) = self.limit(hard_name, kind, resource);
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
        p.text("WorkingDirectory", self.working_directory());
        p.text("RootDirectory", self.svc_path("RootDirectory"));
        p.text("RootImage", self.svc_path("RootImage"));
        p.text(
            "OOMScoreAdjust",
            self.svc_word("OOMScoreAdjust", &current_oom_score_adjust()),
        );
        p.text("CoredumpFilter", "0x33");
        p.text("Nice", self.svc_word("Nice", "0"));
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
        let stdin = self.svc_word("StandardInput", "null");
        let stdout_default = if stdin.starts_with("tty") {
            "inherit"
        } else {
            "journal"
        };
        p.text("StandardInput", stdin.clone());
        p.text(
            "StandardOutput",
            self.svc_word("StandardOutput", stdout_default),
        );
        p.text("StandardError", self.svc_word("StandardError", "inherit"));
        p.text("TTYPath", self.svc_path("TTYPath"));
        for name in ["TTYReset", "TTYVHangup", "TTYVTDisallocate"] {
            p.yes_no(name, self.svc_bool(name, false));
        }
        p.text("SyslogIdentifier", self.svc_path("SyslogIdentifier"));
        p.text("SyslogPriority", "30");
        p.yes_no(
            "SyslogLevelPrefix",
            self.svc_bool("SyslogLevelPrefix", true),
        );
        p.text("SyslogLevel", "6");
        p.text("SyslogFacility", "3");
        p.text("LogLevelMax", "-1");
        p.text("LogRateLimitIntervalUSec", "0");
        p.text("LogRateLimitBurst", "0");
        p.text("SecureBits", "0");
        p.text("User", self.svc_path("User"));
        p.text("Group", self.svc_path("Group"));
        p.yes_no("DynamicUser", dynamic_user);
        p.yes_no("RemoveIPC", self.svc_bool("RemoveIPC", dynamic_user));
        p.list("SupplementaryGroups", self.words("SupplementaryGroups"));
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
        p.yes_no("IgnoreSIGPIPE", self.svc_bool("IgnoreSIGPIPE", true));
        p.yes_no(
            "NoNewPrivileges",
            self.svc_bool("NoNewPrivileges", dynamic_user),
        );
        p.text("SystemCallErrorNumber", "2147483646");
        p.yes_no("LockPersonality", self.svc_bool("LockPersonality", false));
        p.text(
            "RuntimeDirectoryPreserve",
            bool_or_word(self.svc("RuntimeDirectoryPreserve"), "no"),
        );
        for (mode, dirs) in [
            ("RuntimeDirectoryMode", "RuntimeDirectory"),
            ("StateDirectoryMode", "StateDirectory"),
            ("CacheDirectoryMode", "CacheDirectory"),
            ("LogsDirectoryMode", "LogsDirectory"),
            ("ConfigurationDirectoryMode", "ConfigurationDirectory"),
        ] {
            p.text(mode, self.mode(mode, 0o755));
            p.list(dirs, self.words(dirs));
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

    pub(super) fn kill_props(&self, p: &mut Props) {
        let kill_signal = self.signal("KillSignal", libc::SIGTERM);
        p.text("KillMode", self.svc_word("KillMode", "control-group"));
        p.text("KillSignal", kill_signal.to_string());
        p.text(
            "RestartKillSignal",
            self.signal("RestartKillSignal", kill_signal).to_string(),
        );
        p.text(
            "FinalKillSignal",
            self.signal("FinalKillSignal", libc::SIGKILL).to_string(),
        );
        p.yes_no("SendSIGKILL", self.svc_bool("SendSIGKILL", true));
        p.yes_no("SendSIGHUP", self.svc_bool("SendSIGHUP", false));
        p.text(
            "WatchdogSignal",
            self.signal("WatchdogSignal", libc::SIGABRT).to_string(),
        );
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

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a spawned service inherits when `OOMScoreAdjust=` is unset.
fn current_oom_score_adjust() -> String {
    std::fs::read_to_string("/proc/self/oom_score_adj")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0".into())
}

//! The `org.freedesktop.systemd1.Service` interface of a service unit, in D-Bus order:
//! the service's own settings and its cgroup (the exec and kill contexts that follow are
//! in [`super::context`]), with the runtime state. The service settings and their defaults
//! come from [`ServiceConfig`], the one typed reading of `[Service]` that the supervisor
//! runs on too; settings it does not model (cgroup limits, sandboxing, failure modes) are
//! shown from the unit file with systemd 252's defaults.

use super::exec::ExecLine;
use super::format::parse_size;
use super::props::Props;
use super::unit::UnitView;
use unitbox_core::exec::command::ExecCommand;
use unitbox_core::scope::ScopeKind;
use unitbox_core::service::ServiceConfig;
use unitbox_core::unit::value::{format_timespan, parse_timespan};

const SEC: u64 = 1_000_000;

impl UnitView<'_> {
    pub(super) fn svc(&self, key: &str) -> Option<&str> {
        self.unit.settings.get("Service", key)
    }

    /// A path or name setting, specifiers resolved; empty when unset.
    pub(super) fn svc_path(&self, key: &str) -> String {
        self.svc(key).map(|v| self.spec(v)).unwrap_or_default()
    }

    pub(super) fn svc_bool(&self, key: &str, default: bool) -> bool {
        self.unit
            .settings
            .get_bool("Service", key)
            .unwrap_or(default)
    }

    pub(super) fn svc_word(&self, key: &str, default: &str) -> String {
        self.svc(key).unwrap_or(default).to_string()
    }

    pub(super) fn svc_time(&self, key: &str) -> Option<u64> {
        self.svc(key).and_then(|v| parse_timespan(v, SEC))
    }

    /// The typed `[Service]` settings (warnings were shown when the unit was loaded).
    pub fn service_config(&self) -> ServiceConfig {
        ServiceConfig::from_unit(self.unit, self.store.scope()).0
    }

    fn default_slice(&self) -> String {
        if let Some(slice) = self.unit.settings.get("Service", "Slice") {
            return slice.to_string();
        }
        let base = match self.store.scope().kind {
            ScopeKind::System => "system",
            _ => "app",
        };
        if self.unit.id.is_instance() {
            let prefix = unitbox_core::unit::name::escape(self.unit.id.prefix());
            format!("{base}-{prefix}.slice")
        } else {
            format!("{base}.slice")
        }
    }

    fn size_or_infinity(&self, key: &str, default: u64) -> String {
        let v = self.svc(key).and_then(parse_size).unwrap_or(default);
        if v == u64::MAX {
            "infinity".into()
        } else {
            v.to_string()
        }
    }

    /// The service interface, in D-Bus order.
    pub fn service_props(&self, p: &mut Props) {
        let rt = &self.runtime;
        let config = self.service_config();
        let service_type = if self.is_loaded() {
            config.service_type.as_str()
        } else {
            ""
        };
        p.text("Type", service_type);
        p.text("ExitType", self.svc_word("ExitType", "main"));
        p.text("Restart", config.restart.as_str());
        p.text(
            "PIDFile",
            config
                .pid_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default(),
        );
        p.text("NotifyAccess", config.notify_access.as_str());
        p.text("RestartUSec", format_timespan(config.restart_sec));
        p.text("TimeoutStartUSec", format_timespan(config.timeout_start));
        p.text("TimeoutStopUSec", format_timespan(config.timeout_stop));
        p.text("TimeoutAbortUSec", format_timespan(config.timeout_abort));
        p.text(
            "TimeoutStartFailureMode",
            self.svc_word("TimeoutStartFailureMode", "terminate"),
        );
        p.text(
            "TimeoutStopFailureMode",
            self.svc_word("TimeoutStopFailureMode", "terminate"),
        );
        p.text("RuntimeMaxUSec", format_timespan(config.runtime_max));
        p.text(
            "RuntimeRandomizedExtraUSec",
            format_timespan(self.svc_time("RuntimeRandomizedExtraSec").unwrap_or(0)),
        );
        p.text("WatchdogUSec", format_timespan(config.watchdog));
        p.text("WatchdogTimestamp", "");
        p.text("WatchdogTimestampMonotonic", "0");
        p.yes_no("RootDirectoryStartOnly", config.root_directory_start_only);
        p.yes_no("RemainAfterExit", config.remain_after_exit);
        p.yes_no("GuessMainPID", config.guess_main_pid);
        p.text("MainPID", rt.main_pid.to_string());
        p.text("ControlPID", rt.control_pid.to_string());
        p.text("BusName", self.svc_word("BusName", ""));
        p.text("FileDescriptorStoreMax", config.fd_store_max.to_string());
        p.text("NFileDescriptorStore", "0");
        p.text("StatusText", rt.status_text.as_str());
        p.text("StatusErrno", rt.status_errno.to_string());
        p.text("Result", rt.result.as_str());
        p.text("ReloadResult", "success");
        p.text("CleanResult", "success");
        p.text("UID", "[not set]");
        p.text("GID", "[not set]");
        p.text("NRestarts", rt.n_restarts.to_string());
        p.text("OOMPolicy", self.svc_word("OOMPolicy", "stop"));
        p.dual_timestamp(
            "ExecMainStartTimestamp",
            "ExecMainStartTimestampMonotonic",
            rt.exec_main_start,
        );
        p.dual_timestamp(
            "ExecMainExitTimestamp",
            "ExecMainExitTimestampMonotonic",
            rt.exec_main_exit,
        );
        p.text("ExecMainPID", rt.exec_main_pid.to_string());
        p.text("ExecMainCode", rt.exec_main_code.to_string());
        p.text("ExecMainStatus", rt.exec_main_status.to_string());
        let exec_properties: [(&'static str, &'static str, &[ExecCommand]); 7] = [
            ("ExecCondition", "ExecConditionEx", &config.exec_condition),
            ("ExecStartPre", "ExecStartPreEx", &config.exec_start_pre),
            ("ExecStart", "ExecStartEx", &config.exec_start),
            ("ExecStartPost", "ExecStartPostEx", &config.exec_start_post),
            ("ExecReload", "ExecReloadEx", &config.exec_reload),
            ("ExecStop", "ExecStopEx", &config.exec_stop),
            ("ExecStopPost", "ExecStopPostEx", &config.exec_stop_post),
        ];
        let root = &self.store.scope().root;
        for (plain, ex, commands) in exec_properties {
            let lines: Vec<ExecLine> = commands.iter().map(|c| ExecLine::new(c, root)).collect();
            let render = |as_ex: bool| -> Vec<String> {
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| l.render(as_ex, &rt.exec_run(plain, i, lines.len())))
                    .collect()
            };
            p.lines(plain, render(false));
            p.lines(ex, render(true));
        }
        self.cgroup_props(p);
        self.exec_context_props(p, &config.exec);
        self.kill_props(p, &config.kill);
    }

    fn cgroup_props(&self, p: &mut Props) {
        p.text("Slice", self.default_slice());
        p.text("ControlGroup", "");
        p.text("ControlGroupId", "0");
        p.text("MemoryCurrent", "[not set]");
        p.text("MemoryAvailable", "infinity");
        p.text("CPUUsageNSec", "[not set]");
        p.text("TasksCurrent", "[not set]");
        for name in [
            "IPIngressBytes",
            "IPIngressPackets",
            "IPEgressBytes",
            "IPEgressPackets",
        ] {
            p.text(name, "[no data]");
        }
        for name in [
            "IOReadBytes",
            "IOReadOperations",
            "IOWriteBytes",
            "IOWriteOperations",
        ] {
            p.text(name, u64::MAX.to_string());
        }
        p.yes_no("Delegate", self.svc_bool("Delegate", false));
        p.yes_no("CPUAccounting", self.svc_bool("CPUAccounting", true));
        for name in [
            "CPUWeight",
            "StartupCPUWeight",
            "CPUShares",
            "StartupCPUShares",
        ] {
            p.text(name, self.svc_word(name, "[not set]"));
        }
        let quota = self
            .svc("CPUQuota")
            .and_then(|v| v.strip_suffix('%'))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|percent| percent * 10_000)
            .unwrap_or(u64::MAX);
        p.text("CPUQuotaPerSecUSec", format_timespan(quota));
        p.text("CPUQuotaPeriodUSec", "infinity");
        p.yes_no("IOAccounting", self.svc_bool("IOAccounting", false));
        for name in ["IOWeight", "StartupIOWeight"] {
            p.text(name, self.svc_word(name, "[not set]"));
        }
        p.yes_no(
            "BlockIOAccounting",
            self.svc_bool("BlockIOAccounting", false),
        );
        for name in ["BlockIOWeight", "StartupBlockIOWeight"] {
            p.text(name, self.svc_word(name, "[not set]"));
        }
        p.yes_no("MemoryAccounting", self.svc_bool("MemoryAccounting", true));
        p.text(
            "DefaultMemoryLow",
            self.size_or_infinity("DefaultMemoryLow", 0),
        );
        p.text(
            "DefaultMemoryMin",
            self.size_or_infinity("DefaultMemoryMin", 0),
        );
        p.text("MemoryMin", self.size_or_infinity("MemoryMin", 0));
        p.text("MemoryLow", self.size_or_infinity("MemoryLow", 0));
        for name in ["MemoryHigh", "MemoryMax", "MemorySwapMax", "MemoryLimit"] {
            p.text(name, self.size_or_infinity(name, u64::MAX));
        }
        p.text("DevicePolicy", self.svc_word("DevicePolicy", "auto"));
        p.yes_no("TasksAccounting", self.svc_bool("TasksAccounting", true));
        p.yes_no("IPAccounting", self.svc_bool("IPAccounting", false));
        p.text("ManagedOOMSwap", self.svc_word("ManagedOOMSwap", "auto"));
        p.text(
            "ManagedOOMMemoryPressure",
            self.svc_word("ManagedOOMMemoryPressure", "auto"),
        );
        p.text("ManagedOOMMemoryPressureLimit", "0");
        p.text(
            "ManagedOOMPreference",
            self.svc_word("ManagedOOMPreference", "none"),
        );
    }
}

//! The `org.freedesktop.systemd1.Service` interface of a service unit, in D-Bus order:
//! the service's own settings and its cgroup (the exec and kill contexts that follow are
//! in [`super::context`]), with systemd 252's defaults and the runtime state.

use super::exec::ExecCommand;
use super::format::parse_size;
use super::props::Props;
use super::unit::UnitView;
use unitbox_core::scope::ScopeKind;
use unitbox_core::unit::value::{format_timespan, parse_timespan};

const SEC: u64 = 1_000_000;
const DEFAULT_TIMEOUT: u64 = 90 * SEC;

/// The `Exec*` properties of a service, in D-Bus order.
const EXEC_PROPERTIES: [(&str, &str); 7] = [
    ("ExecCondition", "ExecConditionEx"),
    ("ExecStartPre", "ExecStartPreEx"),
    ("ExecStart", "ExecStartEx"),
    ("ExecStartPost", "ExecStartPostEx"),
    ("ExecReload", "ExecReloadEx"),
    ("ExecStop", "ExecStopEx"),
    ("ExecStopPost", "ExecStopPostEx"),
];

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

    /// `Timeout*Sec=0` means "no timeout", as in systemd.
    fn svc_timeout(&self, key: &str) -> Option<u64> {
        self.svc_time(key)
            .map(|v| if v == 0 { u64::MAX } else { v })
    }

    fn exec_commands(&self, key: &str) -> Vec<ExecCommand> {
        let root = &self.store.scope().root;
        self.unit
            .settings
            .get_list("Service", key)
            .iter()
            .filter_map(|v| ExecCommand::parse(&self.spec(v), root))
            .collect()
    }

    /// `Type=`, or systemd's choice when unset; empty for units that did not load.
    fn service_type(&self) -> String {
        if !self.is_loaded() {
            return String::new();
        }
        if let Some(t) = self.svc("Type") {
            return t.to_string();
        }
        if self.svc("BusName").is_some() {
            "dbus".into()
        } else if !self.exec_commands("ExecStart").is_empty() {
            "simple".into()
        } else {
            "oneshot".into()
        }
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
        let service_type = self.service_type();
        p.text("Type", service_type.clone());
        p.text("ExitType", self.svc_word("ExitType", "main"));
        p.text("Restart", self.svc_word("Restart", "no"));
        p.text("PIDFile", self.svc_path("PIDFile"));
        let watchdog = self.svc_time("WatchdogSec").unwrap_or(0);
        let fd_store_max: u32 = self
            .svc("FileDescriptorStoreMax")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let notify_default = if service_type == "notify" || watchdog > 0 || fd_store_max > 0 {
            "main"
        } else {
            "none"
        };
        p.text(
            "NotifyAccess",
            self.svc_word("NotifyAccess", notify_default),
        );
        p.text(
            "RestartUSec",
            format_timespan(self.svc_time("RestartSec").unwrap_or(100_000)),
        );
        let both = self.svc_timeout("TimeoutSec");
        let start_default = if service_type == "oneshot" {
            u64::MAX
        } else {
            DEFAULT_TIMEOUT
        };
        let start = self
            .svc_timeout("TimeoutStartSec")
            .or(both)
            .unwrap_or(start_default);
        let stop = self
            .svc_timeout("TimeoutStopSec")
            .or(both)
            .unwrap_or(DEFAULT_TIMEOUT);
        p.text("TimeoutStartUSec", format_timespan(start));
        p.text("TimeoutStopUSec", format_timespan(stop));
        p.text(
            "TimeoutAbortUSec",
            format_timespan(self.svc_time("TimeoutAbortSec").unwrap_or(stop)),
        );
        p.text(
            "TimeoutStartFailureMode",
            self.svc_word("TimeoutStartFailureMode", "terminate"),
        );
        p.text(
            "TimeoutStopFailureMode",
            self.svc_word("TimeoutStopFailureMode", "terminate"),
        );
        p.text(
            "RuntimeMaxUSec",
            format_timespan(self.svc_timeout("RuntimeMaxSec").unwrap_or(u64::MAX)),
        );
        p.text(
            "RuntimeRandomizedExtraUSec",
            format_timespan(self.svc_time("RuntimeRandomizedExtraSec").unwrap_or(0)),
        );
        p.text("WatchdogUSec", format_timespan(watchdog));
        p.text("WatchdogTimestamp", "");
        p.text("WatchdogTimestampMonotonic", "0");
        p.yes_no(
            "RootDirectoryStartOnly",
            self.svc_bool("RootDirectoryStartOnly", false),
        );
        p.yes_no("RemainAfterExit", self.svc_bool("RemainAfterExit", false));
        p.yes_no("GuessMainPID", self.svc_bool("GuessMainPID", true));
        p.text("MainPID", rt.main_pid.to_string());
        p.text("ControlPID", rt.control_pid.to_string());
        p.text("BusName", self.svc_word("BusName", ""));
        p.text("FileDescriptorStoreMax", fd_store_max.to_string());
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
        for (plain, ex) in EXEC_PROPERTIES {
            let commands = self.exec_commands(plain);
            let render = |as_ex: bool| -> Vec<String> {
                commands
                    .iter()
                    .enumerate()
                    .map(|(i, c)| c.render(as_ex, &rt.exec_run(plain, i)))
                    .collect()
            };
            p.lines(plain, render(false));
            p.lines(ex, render(true));
        }
        self.cgroup_props(p);
        self.exec_context_props(p);
        self.kill_props(p);
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

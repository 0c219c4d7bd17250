//! The `org.freedesktop.systemd1.Unit` properties every unit has, in D-Bus order, computed
//! from the unit file, the dependency graph, the install state and the runtime state.

use super::props::Props;
use super::runtime::RuntimeState;
use crate::units::{self, Dep, Universe};
use std::path::Path;
use unitbox_core::install::{self, UnitFileState};
use unitbox_core::scope::DirClass;
use unitbox_core::unit::value::{format_timespan, parse_timespan};
use unitbox_core::unit::{LoadState, Unit, UnitStore};

/// Everything the property tables of one unit are computed from.
pub struct UnitView<'a> {
    pub unit: &'a Unit,
    pub universe: &'a Universe,
    pub store: &'a UnitStore,
    pub runtime: RuntimeState,
}

impl UnitView<'_> {
    /// `value` with the unit's specifiers resolved.
    pub fn spec(&self, value: &str) -> String {
        units::specifiers(self.unit, self.store.scope(), value)
    }

    pub fn is_loaded(&self) -> bool {
        self.unit.load_state == LoadState::Loaded
    }

    fn unit_bool(&self, key: &str, default: bool) -> bool {
        self.unit.settings.get_bool("Unit", key).unwrap_or(default)
    }

    fn unit_word(&self, key: &str, default: &str) -> String {
        self.unit
            .settings
            .get("Unit", key)
            .unwrap_or(default)
            .to_string()
    }

    pub(crate) fn is_transient(&self) -> bool {
        let Some(fragment) = &self.unit.fragment_path else {
            return false;
        };
        self.store
            .scope()
            .unit_dirs()
            .iter()
            .any(|d| d.class == DirClass::Transient && fragment.parent() == Some(d.path.as_path()))
    }

    /// Units systemd never stops: the root mount and slice, and init.scope.
    fn is_perpetual(&self) -> bool {
        matches!(self.unit.id.as_str(), "-.mount" | "-.slice" | "init.scope")
    }

    fn type_can_start(&self) -> bool {
        !matches!(self.unit.id.unit_type(), "device")
    }

    fn can_reload(&self) -> bool {
        match self.unit.id.unit_type() {
            "service" => !self
                .unit
                .settings
                .get_list("Service", "ExecReload")
                .is_empty(),
            "mount" | "swap" => self.is_loaded(),
            _ => false,
        }
    }

    fn can_freeze(&self) -> bool {
        matches!(self.unit.id.unit_type(), "service" | "scope" | "slice")
    }

    /// `LoadError=`: `bus.error.Name "message"`, empty when loaded.
    fn load_error(&self) -> String {
        match self.load_error_parts() {
            Some((name, message)) => format!("{name} \"{message}\""),
            None => String::new(),
        }
    }

    /// The bus error name and message of a unit that did not load.
    pub(crate) fn load_error_parts(&self) -> Option<(&'static str, String)> {
        let id = &self.unit.id;
        let parts = match self.unit.load_state {
            LoadState::Loaded => return None,
            LoadState::NotFound => (
                "org.freedesktop.systemd1.NoSuchUnit",
                format!("Unit {id} not found."),
            ),
            LoadState::Masked => (
                "org.freedesktop.systemd1.UnitMasked",
                format!("Unit {id} is masked."),
            ),
            LoadState::BadSetting => (
                "org.freedesktop.systemd1.BadUnitSetting",
                format!("Unit {id} has a bad unit file setting."),
            ),
            LoadState::Error => (
                "org.freedesktop.systemd1.LoadFailed",
                format!(
                    "Unit {id} failed to load properly, please adjust/correct and reload service manager: {}",
                    self.unit.load_error.as_deref().unwrap_or("Input/output error")
                ),
            ),
        };
        Some(parts)
    }

    pub(crate) fn unit_file_state(&self) -> String {
        match install::unit_file_state(self.store, &self.unit.id) {
            UnitFileState::NotFound => String::new(),
            state => state.as_str().to_string(),
        }
    }

    pub(crate) fn unit_file_preset(&self) -> String {
        if self.unit.fragment_path.is_none() || self.unit.load_state == LoadState::Masked {
            return String::new();
        }
        match install::preset_enabled(self.store, &self.unit.id) {
            Some(true) => "enabled".into(),
            Some(false) => "disabled".into(),
            None => String::new(),
        }
    }

    fn start_limit_interval(&self) -> String {
        let s = &self.unit.settings;
        let value = s
            .get("Unit", "StartLimitIntervalSec")
            .or_else(|| s.get("Service", "StartLimitInterval"))
            .and_then(|v| parse_timespan(v, 1_000_000))
            .unwrap_or(10_000_000);
        format_timespan(value)
    }

    fn start_limit_burst(&self) -> String {
        let s = &self.unit.settings;
        s.get("Unit", "StartLimitBurst")
            .or_else(|| s.get("Service", "StartLimitBurst"))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(5)
            .to_string()
    }

    fn paths(list: &[impl AsRef<Path>]) -> Vec<String> {
        list.iter()
            .map(|p| p.as_ref().display().to_string())
            .collect()
    }

    /// The file systemd read: a mask symlink reports `/dev/null`, as systemd's name map
    /// records it.
    pub(crate) fn fragment_path(&self) -> String {
        let Some(path) = &self.unit.fragment_path else {
            return String::new();
        };
        if self.unit.load_state == LoadState::Masked {
            let root = &self.store.scope().root;
            if root
                .read_link(path)
                .is_ok_and(|t| t == Path::new("/dev/null"))
            {
                return "/dev/null".into();
            }
        }
        path.display().to_string()
    }

    /// The Unit interface, in D-Bus order.
    pub fn unit_props(&self, p: &mut Props) {
        let unit = self.unit;
        let rt = &self.runtime;
        let id = unit.id.as_str();
        p.text("Id", id);
        p.list("Names", unit.names.iter().cloned());
        p.text("Following", "");
        for dep in Dep::ALL {
            p.list(dep.name(), self.universe.deps(id, dep));
        }
        p.list(
            "RequiresMountsFor",
            unit.settings.get_words("Unit", "RequiresMountsFor"),
        );
        let scope = self.store.scope();
        let docs: Vec<String> = unit
            .settings
            .get_words("Unit", "Documentation")
            .iter()
            .map(|d| units::specifiers(unit, scope, d))
            .collect();
        p.list("Documentation", docs);
        p.text("Description", units::description(unit, scope));
        p.text("AccessSELinuxContext", "");
        p.text("LoadState", unit.load_state.as_str());
        p.text("ActiveState", rt.active_state.as_str());
        p.text("FreezerState", "running");
        p.text("SubState", rt.sub_state.as_str());
        p.text("FragmentPath", self.fragment_path());
        let source = self.unit_word("SourcePath", "");
        p.text("SourcePath", units::specifiers(unit, scope, &source));
        p.list("DropInPaths", Self::paths(&unit.dropin_paths));
        p.text("UnitFileState", self.unit_file_state());
        p.text("UnitFilePreset", self.unit_file_preset());
        p.dual_timestamp(
            "StateChangeTimestamp",
            "StateChangeTimestampMonotonic",
            rt.state_change,
        );
        p.dual_timestamp(
            "InactiveExitTimestamp",
            "InactiveExitTimestampMonotonic",
            rt.inactive_exit,
        );
        p.dual_timestamp(
            "ActiveEnterTimestamp",
            "ActiveEnterTimestampMonotonic",
            rt.active_enter,
        );
        p.dual_timestamp(
            "ActiveExitTimestamp",
            "ActiveExitTimestampMonotonic",
            rt.active_exit,
        );
        p.dual_timestamp(
            "InactiveEnterTimestamp",
            "InactiveEnterTimestampMonotonic",
            rt.inactive_enter,
        );
        let refuse_start = self.unit_bool("RefuseManualStart", false);
        let refuse_stop = self.unit_bool("RefuseManualStop", false);
        let allow_isolate = self.unit_bool("AllowIsolate", false);
        let startable = self.is_loaded() && self.type_can_start();
        p.yes_no("CanStart", startable && !refuse_start);
        p.yes_no(
            "CanStop",
            self.type_can_start() && !self.is_perpetual() && !refuse_stop,
        );
        p.yes_no("CanReload", self.can_reload());
        p.yes_no("CanIsolate", startable && allow_isolate);
        p.list("CanClean", Vec::<String>::new());
        p.yes_no("CanFreeze", self.can_freeze());
        p.text("Job", "");
        p.yes_no(
            "StopWhenUnneeded",
            self.unit_bool("StopWhenUnneeded", false),
        );
        p.yes_no("RefuseManualStart", refuse_start);
        p.yes_no("RefuseManualStop", refuse_stop);
        p.yes_no("AllowIsolate", allow_isolate);
        p.yes_no(
            "DefaultDependencies",
            self.unit_bool("DefaultDependencies", true),
        );
        p.text(
            "OnSuccessJobMode",
            self.unit_word("OnSuccessJobMode", "fail"),
        );
        p.text(
            "OnFailureJobMode",
            self.unit_word("OnFailureJobMode", "replace"),
        );
        p.yes_no("IgnoreOnIsolate", self.unit_bool("IgnoreOnIsolate", false));
        p.yes_no("NeedDaemonReload", false);
        p.list("Markers", Vec::<String>::new());
        let job_timeout = |key: &str| {
            self.unit
                .settings
                .get("Unit", key)
                .and_then(|v| parse_timespan(v, 1_000_000))
                .map(|v| if v == 0 { u64::MAX } else { v })
                .map(format_timespan)
                .unwrap_or_else(|| "infinity".into())
        };
        p.text("JobTimeoutUSec", job_timeout("JobTimeoutSec"));
        p.text("JobRunningTimeoutUSec", job_timeout("JobRunningTimeoutSec"));
        p.text(
            "JobTimeoutAction",
            self.unit_word("JobTimeoutAction", "none"),
        );
        p.text(
            "JobTimeoutRebootArgument",
            self.unit_word("JobTimeoutRebootArgument", ""),
        );
        p.yes_no("ConditionResult", rt.condition_result);
        p.yes_no("AssertResult", rt.assert_result);
        p.dual_timestamp(
            "ConditionTimestamp",
            "ConditionTimestampMonotonic",
            rt.condition,
        );
        p.dual_timestamp("AssertTimestamp", "AssertTimestampMonotonic", rt.assert);
        p.text("LoadError", self.load_error());
        p.yes_no("Transient", self.is_transient());
        p.yes_no("Perpetual", self.is_perpetual());
        p.text("StartLimitIntervalUSec", self.start_limit_interval());
        p.text("StartLimitBurst", self.start_limit_burst());
        p.text(
            "StartLimitAction",
            self.unit_word("StartLimitAction", "none"),
        );
        p.text("FailureAction", self.unit_word("FailureAction", "none"));
        p.text("SuccessAction", self.unit_word("SuccessAction", "none"));
        p.text("RebootArgument", self.unit_word("RebootArgument", ""));
        p.text("InvocationID", rt.invocation_id.as_str());
        p.text("CollectMode", self.unit_word("CollectMode", "inactive"));
        p.list("Refs", Vec::<String>::new());
    }
}

//! `systemctl show` without a unit: the manager's own properties (a sensible subset of
//! `org.freedesktop.systemd1.Manager`, in D-Bus order).

use super::props::Props;
use crate::context::Ctx;
use crate::units::Universe;
use crate::verbs::environment::manager_environment;
use unitbox_core::unit::specifier;
use unitbox_core::unit::value::format_timespan;
use unitbox_core::version::FEATURES;

/// systemd's `Virtualization` property: the detected id, empty for none.
fn virtualization() -> String {
    let v = unitbox_core::host::detect_virtualization();
    if v.is_none() {
        String::new()
    } else {
        v.id
    }
}

pub fn manager_props(ctx: &Ctx, universe: &Universe) -> Props {
    let mut p = Props::default();
    p.text("Version", "252");
    p.text("Features", FEATURES);
    p.text("Virtualization", virtualization());
    p.text("Architecture", specifier::architecture());
    p.text("Tainted", "");
    p.text("UserspaceTimestamp", "");
    p.text("UserspaceTimestampMonotonic", "0");
    p.text("FinishTimestamp", "");
    p.text("FinishTimestampMonotonic", "0");
    p.text("LogLevel", "info");
    p.text("LogTarget", "console");
    let names: usize = universe.units().map(|u| u.names.len()).sum();
    p.text("NNames", names.to_string());
    p.text("NFailedUnits", "0");
    p.text("NJobs", "0");
    p.text("NInstalledJobs", "0");
    p.text("NFailedJobs", "0");
    p.text("Progress", "1");
    p.list("Environment", manager_environment(ctx));
    p.yes_no("ConfirmSpawn", false);
    p.yes_no("ShowStatus", true);
    p.list(
        "UnitPath",
        ctx.scope
            .unit_dirs()
            .iter()
            .map(|d| d.path.display().to_string()),
    );
    p.text("DefaultStandardOutput", "journal");
    p.text("DefaultStandardError", "inherit");
    p.yes_no("ServiceWatchdogs", true);
    p.text("SystemState", "offline");
    p.text("ExitCode", "0");
    p.text("DefaultTimerAccuracyUSec", format_timespan(60_000_000));
    for name in [
        "DefaultTimeoutStartUSec",
        "DefaultTimeoutStopUSec",
        "DefaultTimeoutAbortUSec",
        "DefaultDeviceTimeoutUSec",
    ] {
        p.text(name, format_timespan(90_000_000));
    }
    p.text("DefaultRestartUSec", format_timespan(100_000));
    p.text("DefaultStartLimitIntervalUSec", format_timespan(10_000_000));
    p.text("DefaultStartLimitBurst", "5");
    p.yes_no("DefaultCPUAccounting", true);
    p.yes_no("DefaultBlockIOAccounting", false);
    p.yes_no("DefaultIOAccounting", false);
    p.yes_no("DefaultIPAccounting", false);
    p.yes_no("DefaultMemoryAccounting", true);
    p.yes_no("DefaultTasksAccounting", true);
    p.text("TimerSlackNSec", "50000");
    p.text("DefaultOOMPolicy", "stop");
    p.text("CtrlAltDelBurstAction", "reboot-force");
    p
}

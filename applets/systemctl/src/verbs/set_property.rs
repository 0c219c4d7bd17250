//! `systemctl set-property UNIT PROP=VALUE…` as systemd 252: each property becomes the
//! drop-in `50-PROP.conf` of the unit under `system.control/` (`--runtime`: the runtime
//! control directory), with 252's header and the value as 252 writes it back.
//!
//! 252 takes the unit's resource-control properties and `Description=` for units that are
//! not transient. unitbox has no cgroups: those are accepted into the drop-in as 252 accepts
//! them and said (on stderr, unless `-q`) to have no effect; `Description=` takes effect
//! (the loader reads the control directories). Every assignment is checked before the
//! first file is written, so a refusal changes nothing.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::units::mangle;
use std::path::PathBuf;
use unitbox_core::state::dir::write_atomic;
use unitbox_core::unit::validate::is_known_key;
use unitbox_core::unit::value::{parse_bool, parse_size};
use unitbox_core::unit::{LoadState, UnitName};

const HEADER: &str = "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n# or an equivalent operation. Do not edit.\n";

/// How a property's value is checked and written back.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    /// 1…10000 (`CPUWeight=` also `idle`); empty resets.
    Weight,
    /// Bytes (`1G` → 1073741824), a percentage or `infinity`.
    Size,
    /// A count, a percentage or `infinity`.
    Limit,
    Quota,
}

/// The resource-control properties of 252's `bus_cgroup_set_property()`.
const CGROUP: &[(&str, Kind)] = &[
    ("CPUAccounting", Kind::Bool),
    ("MemoryAccounting", Kind::Bool),
    ("IOAccounting", Kind::Bool),
    ("BlockIOAccounting", Kind::Bool),
    ("TasksAccounting", Kind::Bool),
    ("IPAccounting", Kind::Bool),
    ("Delegate", Kind::Text),
    ("CPUWeight", Kind::Weight),
    ("StartupCPUWeight", Kind::Weight),
    ("CPUShares", Kind::Limit),
    ("StartupCPUShares", Kind::Limit),
    ("IOWeight", Kind::Weight),
    ("StartupIOWeight", Kind::Weight),
    ("BlockIOWeight", Kind::Limit),
    ("StartupBlockIOWeight", Kind::Limit),
    ("CPUQuota", Kind::Quota),
    ("CPUQuotaPeriodSec", Kind::Text),
    ("AllowedCPUs", Kind::Text),
    ("StartupAllowedCPUs", Kind::Text),
    ("AllowedMemoryNodes", Kind::Text),
    ("StartupAllowedMemoryNodes", Kind::Text),
    ("MemoryMin", Kind::Size),
    ("MemoryLow", Kind::Size),
    ("DefaultMemoryMin", Kind::Size),
    ("DefaultMemoryLow", Kind::Size),
    ("MemoryHigh", Kind::Size),
    ("MemoryMax", Kind::Size),
    ("MemorySwapMax", Kind::Size),
    ("MemoryLimit", Kind::Size),
    ("TasksMax", Kind::Limit),
    ("IODeviceWeight", Kind::Text),
    ("IOReadBandwidthMax", Kind::Text),
    ("IOWriteBandwidthMax", Kind::Text),
    ("IOReadIOPSMax", Kind::Text),
    ("IOWriteIOPSMax", Kind::Text),
    ("IODeviceLatencyTargetSec", Kind::Text),
    ("BlockIODeviceWeight", Kind::Text),
    ("BlockIOReadBandwidth", Kind::Text),
    ("BlockIOWriteBandwidth", Kind::Text),
    ("DevicePolicy", Kind::Text),
    ("DeviceAllow", Kind::Text),
    ("IPAddressAllow", Kind::Text),
    ("IPAddressDeny", Kind::Text),
    ("ManagedOOMSwap", Kind::Text),
    ("ManagedOOMMemoryPressure", Kind::Text),
    ("ManagedOOMMemoryPressureLimit", Kind::Text),
    ("ManagedOOMPreference", Kind::Text),
    ("DisableControllers", Kind::Text),
];

/// The unit types with resource control, and the section their drop-ins use.
fn cgroup_section(unit_type: &str) -> Option<&'static str> {
    Some(match unit_type {
        "service" => "Service",
        "socket" => "Socket",
        "mount" => "Mount",
        "swap" => "Swap",
        "slice" => "Slice",
        "scope" => "Scope",
        _ => return None,
    })
}

fn parse_failure(key: &str, value: &str) -> CtlError {
    CtlError::failure(format!("Failed to parse {key}={value}: Invalid argument"))
}

fn percentage(value: &str) -> Option<f64> {
    let number: f64 = value.strip_suffix('%')?.parse().ok()?;
    (number >= 0.0).then_some(number)
}

/// The value as 252 writes it back, or the client's refusal.
fn normalize(key: &str, kind: Kind, value: &str) -> CtlResult<String> {
    if value.is_empty() {
        return Ok(String::new());
    }
    let ok = |v: String| Ok(v);
    match kind {
        Kind::Text => ok(value.to_string()),
        Kind::Bool => parse_bool(value)
            .map(|b| if b { "yes" } else { "no" }.to_string())
            .ok_or_else(|| parse_failure(key, value)),
        Kind::Weight => {
            if key == "CPUWeight" && value == "idle" {
                return ok(value.to_string());
            }
            match value.parse::<u64>() {
                Ok(n) if (1..=10000).contains(&n) => ok(n.to_string()),
                _ => Err(parse_failure(key, value)),
            }
        }
        Kind::Size | Kind::Limit if value == "infinity" => ok(value.to_string()),
        Kind::Size | Kind::Limit if value.ends_with('%') => match percentage(value) {
            Some(p) if p <= 100.0 => ok(value.to_string()),
            _ => Err(parse_failure(key, value)),
        },
        Kind::Size => parse_size(value)
            .map(|n| n.to_string())
            .map_err(|_| parse_failure(key, value)),
        Kind::Limit => value
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| parse_failure(key, value)),
        Kind::Quota => match percentage(value) {
            // 252 keeps µs per second and writes back whole percents, rounded up.
            Some(p) if p > 0.0 => ok(format!(
                "{}%",
                ((p * 10000.0).round() as u64).div_ceil(10000)
            )),
            _ => Err(CtlError::failure(format!("CPU quota '{value}' invalid."))),
        },
    }
}

/// A property every unit type has, or one of the unit's resource controls: (section, kind).
fn settable(unit_type: &str, key: &str) -> Option<(&'static str, Kind, bool)> {
    if key == "Description" {
        return Some(("Unit", Kind::Text, false));
    }
    let kind = CGROUP.iter().find(|(k, _)| *k == key)?.1;
    Some((cgroup_section(unit_type)?, kind, true))
}

/// Whether 252's client knows the property at all (then the manager refuses it), by the
/// unit-file keys of 252.
fn known_to_client(key: &str) -> bool {
    CGROUP.iter().any(|(k, _)| *k == key)
        || [
            "Unit", "Service", "Socket", "Mount", "Swap", "Timer", "Path", "Slice", "Scope",
        ]
        .iter()
        .any(|section| is_known_key(section, key))
}

pub fn set_property(ctx: &Ctx) -> CtlResult {
    let unit = mangle(&ctx.opts.args[0])?;
    let unit_name = UnitName::parse(&unit)
        .map_err(|_| CtlError::failure("Failed to mangle name: Invalid argument"))?;
    let fail = |reason: String| {
        CtlError::failure(format!("Failed to set unit properties on {unit}: {reason}"))
    };
    // The client's checks (252's bus_append_unit_property_assignment()).
    let mut assignments = Vec::new();
    for arg in &ctx.opts.args[1..] {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(CtlError::failure(format!("Not an assignment: {arg}")));
        };
        if key != "Description" && !known_to_client(key) {
            return Err(CtlError::failure(format!("Unknown assignment: {arg}")));
        }
        assignments.push((key, value));
    }
    // The manager's: the unit must be loaded, each property settable for its type.
    let loaded = ctx.store().load(&unit_name);
    if loaded.load_state == LoadState::NotFound {
        return Err(fail(format!("Unit {unit} not found.")));
    }
    let mut drop_ins = Vec::new();
    for (key, value) in assignments {
        let Some((section, kind, needs_cgroups)) = settable(unit_name.unit_type(), key) else {
            return Err(fail(format!(
                "Cannot set property {key}, or unknown property."
            )));
        };
        let value = normalize(key, kind, value)?;
        drop_ins.push((
            key,
            format!("{HEADER}[{section}]\n{key}={value}\n"),
            needs_cgroups,
        ));
    }
    let dir = control_dir(ctx)?.join(format!("{unit}.d"));
    let host_dir = ctx.scope.root.host_path(&dir);
    std::fs::create_dir_all(&host_dir).map_err(|e| {
        fail(format!(
            "Failed to create {}: {}",
            dir.display(),
            unitbox_core::error::os_error_text(&e)
        ))
    })?;
    for (key, text, needs_cgroups) in drop_ins {
        let file = host_dir.join(format!("50-{key}.conf"));
        write_atomic(&file, text.as_bytes()).map_err(|e| fail(e.to_string()))?;
        if needs_cgroups {
            ctx.info(format!(
                "{unit}: {key}= kept in {}, without effect: unitbox runs no cgroups.",
                dir.join(format!("50-{key}.conf")).display()
            ));
        }
    }
    Ok(ExitStatus::SUCCESS)
}

/// `system.control` (`--runtime`: `/run/systemd/system.control`) or the user scope's.
fn control_dir(ctx: &Ctx) -> CtlResult<PathBuf> {
    ctx.scope
        .control_dir(ctx.opts.runtime)
        .ok_or_else(|| CtlError::failure("Cannot set properties in this scope."))
}

//! `systemctl status [UNIT…|PID…]`: systemd 252's human-readable status of units (see
//! [`layout`]) followed by their last journal lines ([`journal`]), or a short summary of
//! the manager when no unit is given.
//!
//! Exit status as systemd: 0 when every unit is active (or reloading), else 3 for the
//! first unit that is not, 4 for a unit that does not exist (`Unit x.service could not be
//! found.` on stderr, no block); the first non-zero code wins. PIDs are looked up among the
//! processes the supervisors record and their descendants.

mod journal;
mod layout;

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::units::{self, Dep, Universe};
use crate::verbs::show::runtime::{recorded_state, RuntimeState};
use crate::verbs::show::unit::UnitView;
use journal::unit_records;
use layout::{render, Colors, StatusInfo};
use std::borrow::Cow;
use std::io::IsTerminal;
use unitbox_core::journal::format::{
    format_line, local_hostname, LineMode, LineStyle, OUTPUT_MODE_NAMES,
};
use unitbox_core::service::ServiceConfig;
use unitbox_core::state::{ActiveState, StateDir};
use unitbox_core::time::TimeZone;
use unitbox_core::time::{format_timestamp_local, format_timestamp_relative, now_realtime_us};
use unitbox_core::unit::value::USEC_INFINITY;
use unitbox_core::unit::{LoadState, Unit, UnitName};

const DEFAULT_LINES: usize = 10;

/// Output settings shared by every block.
struct Printer {
    lines: usize,
    mode: LineMode,
    colors: Colors,
    hostname: String,
    now: u64,
}

pub fn status(ctx: &Ctx) -> CtlResult {
    let mode = match ctx.opts.output.as_deref() {
        None => LineMode::Short,
        Some(word) => match LineMode::parse(word) {
            Some(m) => m,
            None if OUTPUT_MODE_NAMES.contains(&word) => {
                return Err(CtlError::failure(format!(
                    "Output mode '{word}' is not supported by unitbox."
                )))
            }
            None => return Err(CtlError::failure(format!("Unknown output '{word}'."))),
        },
    };
    let colors = Colors {
        enabled: std::io::stdout().is_terminal()
            && std::env::var("SYSTEMD_COLORS").map_or(true, |v| v != "0" && v != "false"),
    };
    let printer = Printer {
        lines: ctx.opts.lines.unwrap_or(DEFAULT_LINES),
        mode,
        colors,
        hostname: local_hostname(),
        now: now_realtime_us(),
    };
    let store = ctx.store();
    let universe = Universe::load(store, &units::plain_names(&ctx.opts.args));
    if ctx.opts.args.is_empty() {
        print!("{}", system_summary(ctx, &universe, &printer));
        return Ok(ExitStatus::SUCCESS);
    }

    let (pids, names): (Vec<&String>, Vec<&String>) =
        ctx.opts.args.iter().partition(|a| a.parse::<u32>().is_ok());
    let mut out = String::new();
    let mut exit = ExitStatus::SUCCESS;
    let mut failed = false;
    let mut units_to_show: Vec<String> = Vec::new();
    for pid in pids {
        let pid: u32 = pid.parse().unwrap_or(0);
        match unit_of_pid(ctx, pid) {
            Some(unit) => units_to_show.push(unit),
            None => {
                eprintln!(
                    "Failed to get unit for PID {pid}: PID {pid} does not belong to any loaded unit."
                );
                failed = true;
            }
        }
    }
    let names: Vec<String> = names.into_iter().cloned().collect();
    units_to_show.extend(units::expand(&universe, &names)?);

    let mut first = true;
    for name in &units_to_show {
        let parsed = match UnitName::parse(name) {
            Ok(n) if !n.is_template() => n,
            _ => {
                eprintln!("Failed to get properties: Unit name {name} is not valid.");
                failed = true;
                continue;
            }
        };
        let unit = match universe.get(name) {
            Some(u) => Cow::Borrowed(u),
            None => Cow::Owned(store.load(&parsed)),
        };
        let runtime = RuntimeState::of(store.scope(), &unit);
        if unit.load_state == LoadState::NotFound && runtime.active_state == "inactive" {
            eprintln!("Unit {name} could not be found.");
            keep_first(&mut exit, ExitStatus::NO_SUCH_UNIT);
            continue;
        }
        if !matches!(
            runtime.active_state.as_str(),
            "active" | "reloading" | "refreshing"
        ) {
            keep_first(&mut exit, ExitStatus::NOT_ACTIVE);
        }
        if !first {
            out.push('\n');
        }
        first = false;
        let view = UnitView {
            runtime,
            unit: &unit,
            universe: &universe,
            store,
        };
        unit_block(ctx, &view, &printer, &mut out);
    }
    print!("{out}");
    if failed && exit == ExitStatus::SUCCESS {
        return Err(CtlError::failure(""));
    }
    Ok(exit)
}

/// The first unit that is not fine decides the exit status.
fn keep_first(exit: &mut ExitStatus, code: ExitStatus) {
    if *exit == ExitStatus::SUCCESS {
        *exit = code;
    }
}

/// The first line of `/proc/PID/comm`, for `Main PID: N (comm)`.
fn comm(pid: u32) -> Option<String> {
    if pid == 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end_matches('\n').to_string())
}

/// The parent of a process, from `/proc/PID/stat` (the field after the `)` of the name).
fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The unit a process belongs to: one whose supervisor recorded it as main or control
/// process, or whose supervisor is among its ancestors (our substitute for the cgroup).
fn unit_of_pid(ctx: &Ctx, pid: u32) -> Option<String> {
    let dir = StateDir::existing(&ctx.scope).ok().flatten()?;
    let states: Vec<(String, u32, u32, u32)> = dir
        .units_with_state()
        .into_iter()
        .map(|unit| {
            let s = recorded_state(&ctx.scope, &unit);
            (unit, s.main_pid, s.control_pid, s.supervisor_pid)
        })
        .collect();
    if let Some((unit, ..)) = states
        .iter()
        .find(|(_, main, control, _)| pid != 0 && (*main == pid || *control == pid))
    {
        return Some(unit.clone());
    }
    let mut ancestor = Some(pid);
    // A bounded walk: PID 1 ends it, and so does a cycle in a racing /proc.
    for _ in 0..64 {
        let p = ancestor.filter(|&p| p > 1)?;
        if let Some((unit, ..)) = states.iter().find(|(.., sup)| *sup == p) {
            return Some(unit.clone());
        }
        ancestor = parent_pid(p);
    }
    None
}

/// The `ServiceConfig` of a loaded service, for `RuntimeMaxSec=` and the command lines.
fn service_config(view: &UnitView) -> Option<ServiceConfig> {
    (view.unit.id.unit_type() == "service" && view.is_loaded())
        .then(|| ServiceConfig::from_unit(view.unit, view.store.scope()).0)
}

fn status_info(view: &UnitView) -> StatusInfo {
    let unit: &Unit = view.unit;
    let scope = view.store.scope();
    let rt = view.runtime.clone();
    let config = service_config(view);
    let mut processes = rt.finished_processes();
    // systemd prints a process's argv joined by spaces, unquoted: find the command line it
    // ran (recorded in its display form, or not at all for a main process known only from
    // `ExecMain*`).
    if let Some(config) = &config {
        for p in processes.iter_mut() {
            let commands = match p.kind.as_str() {
                "ExecCondition" => &config.exec_condition,
                "ExecStartPre" => &config.exec_start_pre,
                "ExecStart" => &config.exec_start,
                "ExecStartPost" => &config.exec_start_post,
                "ExecReload" => &config.exec_reload,
                "ExecStop" => &config.exec_stop,
                _ => &config.exec_stop_post,
            };
            let ran = if p.command.is_empty() {
                commands.last()
            } else {
                commands.iter().find(|c| c.display() == p.command)
            };
            if let Some(c) = ran {
                p.command = c.argv.join(" ");
            }
        }
    }
    let related = |dep: Dep| -> Vec<(&'static str, String)> {
        view.universe
            .deps(unit.id.as_str(), dep)
            .into_iter()
            .map(|name| {
                let glyph = view
                    .universe
                    .get(name)
                    .map(|u| RuntimeState::of(scope, u).glyph())
                    .unwrap_or("○");
                (glyph, name.to_string())
            })
            .collect()
    };
    StatusInfo {
        id: unit.id.to_string(),
        description: units::description(unit, scope),
        load_state: unit.load_state.as_str().to_string(),
        load_error: view.load_error_parts().map(|(_, message)| message),
        path: view.fragment_path(),
        unit_file_state: view.unit_file_state(),
        unit_file_preset: view.unit_file_preset(),
        transient: view.is_transient(),
        dropins: unit
            .dropin_paths
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        runtime_max: config.as_ref().map_or(USEC_INFINITY, |c| c.runtime_max),
        timer_trigger: (unit.id.unit_type() == "timer" && unit.is_loaded())
            .then(|| crate::verbs::timers::trigger_line(scope, unit)),
        socket_lines: (unit.id.unit_type() == "socket" && unit.is_loaded())
            .then(|| crate::verbs::sockets::status_lines(scope, unit)),
        triggered_by: related(Dep::TriggeredBy),
        triggers: related(Dep::Triggers),
        processes,
        docs: unit
            .settings
            .get_words("Unit", "Documentation")
            .iter()
            .map(|d| units::specifiers(unit, scope, d))
            .collect(),
        main_comm: comm(rt.main_pid),
        control_comm: comm(rt.control_pid),
        runtime: rt,
    }
}

fn unit_block(ctx: &Ctx, view: &UnitView, printer: &Printer, out: &mut String) {
    render(&status_info(view), printer.now, printer.colors, out);
    let Ok(Some(dir)) = StateDir::existing(&ctx.scope) else {
        return;
    };
    let not_before = view.runtime.inactive_exit.monotonic;
    let records = unit_records(
        &dir.journal_dir(),
        view.unit.id.as_str(),
        printer.lines,
        not_before,
    );
    if records.is_empty() {
        return;
    }
    out.push('\n');
    let style = LineStyle {
        mode: printer.mode,
        hostname: Some(&printer.hostname),
        // `-a` shows unprintable messages in full, as journalctl's does.
        all: ctx.opts.all,
        zone: TimeZone::local(),
    };
    for r in &records {
        out.push_str(&format_line(r, &style));
    }
}

/// `systemctl status` without units: the manager in a few lines (`show_system_status()`),
/// without the cgroup tree.
fn system_summary(ctx: &Ctx, universe: &Universe, printer: &Printer) -> String {
    let failed = StateDir::existing(&ctx.scope)
        .ok()
        .flatten()
        .map(|dir| {
            dir.units_with_state()
                .iter()
                .filter(|u| recorded_state(&ctx.scope, u).active_state == ActiveState::Failed)
                .count()
        })
        .unwrap_or(0);
    let state = if failed > 0 { "degraded" } else { "running" };
    let names: usize = universe.units().map(|u| u.names.len()).sum();
    let mut out = format!("● {}\n", printer.hostname);
    out.push_str(&format!("    State: {state}\n"));
    out.push_str(&format!(
        "    Units: {names} loaded (incl. loaded aliases)\n"
    ));
    out.push_str("     Jobs: 0 queued\n");
    out.push_str(&format!("   Failed: {failed} units\n"));
    if let Some(since) = boot_realtime() {
        out.push_str(&format!(
            "    Since: {}; {}\n",
            format_timestamp_local(since),
            format_timestamp_relative(since, printer.now)
        ));
    }
    out.push_str("  systemd: 252\n");
    out
}

/// When PID 1 started (the container's boot), as realtime µs.
fn boot_realtime() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/1/stat").ok()?;
    let ticks = unitbox_core::state::boot::parse_stat_start_time(&stat)?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    let hz = u64::try_from(hz).ok().filter(|&h| h > 0)?;
    let since_boot = ticks * 1_000_000 / hz;
    let uptime_now = unitbox_core::time::now_monotonic_us();
    // CLOCK_MONOTONIC runs from the kernel's boot, as /proc/PID/stat's start times do.
    let age = uptime_now.checked_sub(since_boot)?;
    now_realtime_us().checked_sub(age)
}

//! The init's two big jobs, boot and the orderly stop, each run in a forked child of the
//! init: the init itself stays single-threaded and small, keeps reaping while the job
//! waits for start reports and stop answers, and a job that panics or hangs cannot take
//! it down. The supervisors a job launches are re-parented to the init (it is their
//! nearest subreaper), the job's own helper processes are reaped by the job.

use super::signals::Signals;
use crate::install::ops::DEFAULT_TARGET;
use crate::manager::executor::{Executor, JobResult};
use crate::manager::runtime::active_units;
use crate::manager::transaction::{plan_start, plan_stop};
use crate::scope::Scope;
use crate::state::StateDir;
use crate::unit::{LoadState, UnitName, UnitStore};
use std::io::Write;

/// The target booted when `default.target` does not resolve (systemd's fallback).
pub const FALLBACK_TARGET: &str = "multi-user.target";
/// Started with the default boot: the timers enabled with `WantedBy=timers.target`.
pub const TIMERS_TARGET: &str = "timers.target";

/// Forks a child that runs `job` and exits with its result; the child gets the signal
/// mask the init started with. Returns the child's pid.
pub fn spawn(signals: &Signals, job: impl FnOnce() -> i32) -> std::io::Result<i32> {
    let _ = std::io::stdout().flush();
    // SAFETY: the init is single-threaded, so the child may run ordinary Rust code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid > 0 {
        return Ok(pid);
    }
    signals.restore_mask();
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or(1);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: leaving the forked child without running the init's exit handlers.
    unsafe { libc::_exit(code) }
}

/// What `default.target` stands for: the target it is an alias of, or the fallback.
pub fn default_target(store: &UnitStore) -> String {
    let Ok(name) = UnitName::parse(DEFAULT_TARGET) else {
        return FALLBACK_TARGET.into();
    };
    match store.resolve(&name) {
        Some((id, _)) if store.load(&id).load_state == LoadState::Loaded => id.to_string(),
        _ => FALLBACK_TARGET.into(),
    }
}

/// The units to boot: those asked for, else the default target. A target without a unit
/// file (a scratch image has none, yet `enable` filled its `.wants/`) stands for the
/// units of its `.wants/` and `.requires/` directories.
pub fn boot_units(store: &UnitStore, requested: &[String]) -> Vec<String> {
    let mut targets: Vec<String> = if requested.is_empty() {
        if store.scope().include_filtered_system_units() {
            // User mode: the user's default.target (its `.wants/` even without a unit
            // file), and the system units enabled for this user under multi-user.target.
            let own = match UnitName::parse(DEFAULT_TARGET)
                .ok()
                .and_then(|n| store.resolve(&n))
            {
                Some((id, _)) => id.to_string(),
                None => DEFAULT_TARGET.to_string(),
            };
            vec![own, FALLBACK_TARGET.to_string()]
        } else {
            vec![default_target(store)]
        }
    } else {
        requested.to_vec()
    };
    if requested.is_empty() {
        // basic.target's Wants=sockets.target paths.target timers.target, which a scratch image has no
        // files for; sockets first, so they listen before any service starts.
        targets.insert(0, TIMERS_TARGET.to_string());
        targets.insert(0, crate::unit::deps::PATHS_TARGET.to_string());
        targets.insert(0, crate::unit::deps::SOCKETS_TARGET.to_string());
    }
    targets.dedup();
    let mut out = Vec::new();
    for target in targets {
        let loaded = UnitName::parse(&target)
            .map(|n| store.load(&n).load_state != LoadState::NotFound)
            .unwrap_or(false);
        if loaded || !target.ends_with(".target") {
            out.push(target);
            continue;
        }
        for dir in store.dirs() {
            for suffix in [".wants", ".requires"] {
                let host = store
                    .scope()
                    .root
                    .host_path(&dir.path.join(format!("{target}{suffix}")));
                let Ok(entries) = std::fs::read_dir(host) else {
                    continue;
                };
                for e in entries.flatten() {
                    let Ok(name) = e.file_name().into_string() else {
                        continue;
                    };
                    if UnitName::parse(&name).is_ok() && !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
    }
    out
}

/// The boot job: plans and runs the start of `requested` (or the default target).
/// Exit code 0 when every job succeeded, 1 otherwise.
pub fn boot(scope: &Scope, requested: &[String]) -> i32 {
    let first_boot = crate::host::RootFacts { root: &scope.root }.first_boot();
    crate::generator::run_all(scope, first_boot, &|line| println!("unitbox: {line}"));
    // tmpfiles.d before any service (systemd-tmpfiles-setup.service).
    let code = crate::tmpfiles::boot_setup(scope);
    if code != 0 {
        println!("unitbox: systemd-tmpfiles --create --remove --boot exited with {code}");
    }
    let store = UnitStore::new(scope.clone());
    let dir = match StateDir::for_scope(scope) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("unitbox: {e}");
            return 1;
        }
    };
    crate::timer::booted::mark_booted(scope);
    let names = crate::journal::server::builtin::boot_units(scope, boot_units(&store, requested));
    println!("unitbox: booting {}", names.join(" "));
    let mut ok = true;
    let exec = Executor::new(&store, dir, false);
    for name in &names {
        let Ok(unit) = UnitName::parse(name) else {
            eprintln!("unitbox: invalid unit name {name}");
            ok = false;
            continue;
        };
        let tx = match plan_start(&store, &[unit]) {
            Ok(tx) => tx,
            Err(e) => {
                eprintln!("unitbox: Failed to start {name}: {e}");
                ok = false;
                continue;
            }
        };
        for (unit, result) in exec.start(&tx) {
            if !result.is_success() {
                ok = false;
                println!("unitbox: Failed to start {unit}: {}", describe(&result));
            }
        }
    }
    i32::from(!ok)
}

/// The orderly stop: every unit that is not at rest, in reverse dependency order, each
/// with its own stop timeouts (the supervisors enforce them).
pub fn stop_all(scope: &Scope) -> i32 {
    let store = UnitStore::new(scope.clone());
    let Ok(Some(dir)) = StateDir::existing(scope) else {
        return 0;
    };
    let active = active_units(&dir);
    let names: Vec<UnitName> = active
        .iter()
        .filter_map(|n| UnitName::parse(n).ok())
        .collect();
    let tx = plan_stop(&store, &names, &active);
    let exec = Executor::new(&store, dir, false);
    let mut ok = true;
    for (unit, result) in exec.stop(&tx) {
        if !result.is_success() {
            ok = false;
            println!("unitbox: Failed to stop {unit}: {}", describe(&result));
        }
    }
    i32::from(!ok)
}

fn describe(result: &JobResult) -> String {
    match result {
        JobResult::Failed { result } => format!("Result={result}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

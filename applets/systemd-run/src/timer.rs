//! `systemd-run --on-active= --on-calendar= … [--timer-property=] [COMMAND…]`: a transient
//! `NAME.timer` (`RemainAfterElapse=no`, as systemd-run makes it) and, with a command,
//! the transient `NAME.service` it triggers. Only the timer is started; its supervisor
//! starts the service at the elapse, and both are collected once the timer is done.

use crate::cli::{Options, Stdio};
use crate::unit_text::{escape_specifiers, HEADER};
use unitbox_core::manager::executor::{Executor, JobResult};
use unitbox_core::manager::transaction::plan_start;
use unitbox_core::manager::transient::{self, TransientError};
use unitbox_core::scope::Scope;
use unitbox_core::state::StateDir;
use unitbox_core::time::{now_realtime_us, parse_calendar, parse_sec, TimeZone};
use unitbox_core::unit::validate::is_known_key;
use unitbox_core::unit::{UnitName, UnitStore};

/// The service and timer names `--unit=` asks for (`x`, `x.service` or `x.timer`).
fn requested_names(requested: &str) -> Result<(UnitName, UnitName), String> {
    let invalid = || format!("Failed to mangle unit name: {requested}: Invalid argument");
    let parsed = UnitName::parse(requested)
        .or_else(|_| UnitName::parse(&format!("{requested}.service")))
        .map_err(|_| invalid())?;
    if parsed.is_template() || !matches!(parsed.unit_type(), "service" | "timer") {
        return Err(invalid());
    }
    let with = |suffix: &str| {
        UnitName::parse(&format!("{}.{suffix}", parsed.stem())).map_err(|_| invalid())
    };
    Ok((with("service")?, with("timer")?))
}

/// Checks one `--on-*=` value as systemd-run does before sending it.
fn check_setting(setting: &str) -> Result<(), String> {
    let Some((key, value)) = setting.split_once('=') else {
        return Ok(());
    };
    match key {
        "OnCalendar" => {
            let spec = parse_calendar(value, TimeZone::local())
                .map_err(|e| format!("Failed to parse calendar event specification: {e}"))?;
            if let Ok(None) = spec.next_elapse(now_realtime_us(), TimeZone::local()) {
                eprintln!("Specified calendar expression is in the past, proceeding anyway.");
            }
        }
        "OnClockChange" | "OnTimezoneChange" => {}
        _ => {
            parse_sec(value).map_err(|e| format!("Failed to parse timer value {value}: {e}"))?;
        }
    }
    Ok(())
}

/// The timer's unit file.
fn timer_text(o: &Options, description: &str) -> Result<String, String> {
    let mut unit = Vec::new();
    let mut timer: Vec<String> = o.timer_settings.clone();
    let mut description = description.to_string();
    for p in &o.timer_properties {
        let Some((key, value)) = p.split_once('=') else {
            return Err(format!("Not an assignment: {p}"));
        };
        let key = key.trim();
        if value.contains('\n') {
            return Err(format!("Invalid assignment (contains a newline): {key}"));
        }
        if key == "Description" {
            description = value.to_string();
        } else if is_known_key("Timer", key) {
            timer.push(format!("{key}={value}"));
        } else if is_known_key("Unit", key) {
            unit.push(format!("{key}={value}"));
        } else {
            return Err(format!("Unknown assignment: {p}"));
        }
    }
    let mut text = String::from(HEADER);
    text.push_str("[Unit]\n");
    text.push_str(&format!(
        "Description={}\n",
        escape_specifiers(&description.replace('\n', " "))
    ));
    for line in unit {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("\n[Timer]\n");
    for line in timer {
        text.push_str(&line);
        text.push('\n');
    }
    // Automatically clean up transient timers (systemd-run's own words).
    text.push_str("RemainAfterElapse=no\n");
    Ok(text)
}

fn create_error(kind: &str, e: TransientError) -> String {
    format!("Failed to start transient {kind} unit: {e}")
}

pub fn run_timer(o: &Options, scope: &Scope) -> Result<i32, String> {
    for setting in &o.timer_settings {
        check_setting(setting)?;
    }
    let requested = o.unit.as_deref().map(requested_names).transpose()?;
    let dir = StateDir::for_scope(scope).map_err(|e| e.to_string())?;
    let with_command = !o.command.is_empty();
    let description = match (&o.description, with_command) {
        (Some(d), _) => d.clone(),
        (None, true) => o
            .command
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        (None, false) => String::new(),
    };
    let timer_unit = timer_text(o, &description)?;
    let service = if with_command {
        let text = crate::describe(o, Stdio::None, None)?.to_text();
        let name = requested.as_ref().map(|(service, _)| service);
        transient::create(scope, &dir, name, &text).map_err(|e| create_error("service", e))?
    } else {
        match &requested {
            Some((service, _)) => service.to_string(),
            None => return Err("Command line to execute required.".into()),
        }
    };
    let timer = match &requested {
        Some((_, timer)) => timer.clone(),
        None => UnitName::parse(&format!(
            "{}.timer",
            service.strip_suffix(".service").unwrap_or(&service)
        ))
        .map_err(|e| e.to_string())?,
    };
    let timer = transient::create(scope, &dir, Some(&timer), &timer_unit)
        .map_err(|e| create_error("timer", e))?;
    let store = UnitStore::new(scope.clone());
    let parsed = UnitName::parse(&timer).map_err(|e| e.to_string())?;
    let tx = plan_start(&store, std::slice::from_ref(&parsed))
        .map_err(|e| format!("Failed to start transient timer unit: {e}"))?;
    let results = Executor::new(&store, dir.clone(), o.no_block).start(&tx);
    let result = results.get(&timer).cloned().unwrap_or(JobResult::Done);
    if !result.is_success() {
        let text = unitbox_core::manager::job_text::job_failure(
            "start",
            &timer,
            &result,
            !scope.is_system(),
        );
        return Err(text);
    }
    if !o.quiet {
        eprintln!("Running timer as unit: {timer}");
        if with_command {
            eprintln!("Will run service as unit: {service}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_pair_a_timer_with_its_service() {
        let (s, t) = requested_names("backup").unwrap();
        assert_eq!((s.as_str(), t.as_str()), ("backup.service", "backup.timer"));
        let (s, t) = requested_names("backup.timer").unwrap();
        assert_eq!((s.as_str(), t.as_str()), ("backup.service", "backup.timer"));
        assert!(requested_names("backup.socket").is_err());
    }

    #[test]
    fn timer_files_end_with_remain_after_elapse_no() {
        let o = Options {
            timer_settings: vec!["OnActiveSec=5".into()],
            timer_properties: vec!["AccuracySec=1s".into(), "Wants=x.target".into()],
            ..Options::default()
        };
        let text = timer_text(&o, "50% done").unwrap();
        assert!(text.ends_with(
            "[Unit]\nDescription=50%% done\nWants=x.target\n\n[Timer]\nOnActiveSec=5\nAccuracySec=1s\nRemainAfterElapse=no\n"
        ));
        assert!(check_setting("OnActiveSec=bogus").is_err());
        assert!(check_setting("OnCalendar=nonsense").is_err());
        assert!(check_setting("OnCalendar=hourly").is_ok());
    }
}

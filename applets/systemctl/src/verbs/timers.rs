//! Timers in systemctl's views, as 252 prints them: `list-timers` (NEXT LEFT LAST PASSED
//! UNIT ACTIVATES, legend and footer, `--all`, patterns, `--output=json`), the `Trigger:`
//! line of `status`, and the timer properties of `show` (`TimersMonotonic=`,
//! `NextElapseUSecRealtime=`, `LastTriggerUSec=`, …). The values come from what the
//! timer's supervisor records in its state file ([`TimerRecord`]).

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::output::columns;
use crate::units::Dep;
use crate::verbs::list::{table_output, TableOutput};
use crate::verbs::show::format::timestamp;
use crate::verbs::show::props::Props;
use crate::verbs::show::runtime::recorded_state;
use crate::verbs::show::unit::UnitView;
use unitbox_core::json::Json;
use unitbox_core::scope::Scope;
use unitbox_core::state::StateDir;
use unitbox_core::time::{
    format_timespan, format_timestamp_local, format_timestamp_relative, DualTimestamp, TimeZone,
};
use unitbox_core::timer::{TimerConfig, TimerRecord};
use unitbox_core::unit::Unit;

/// The timer's record, if the timer is active now (a stopped or crashed timer waits for
/// nothing).
pub fn record(scope: &Scope, unit: &Unit) -> TimerRecord {
    let Ok(Some(dir)) = StateDir::existing(scope) else {
        return TimerRecord::default();
    };
    let mut record = TimerRecord::read(&dir.unit_paths(unit.id.as_str()).state);
    if !recorded_state(scope, unit.id.as_str())
        .active_state
        .is_active_or_reloading()
    {
        record.next_elapse_realtime = 0;
        record.next_elapse_monotonic = 0;
    }
    record
}

/// `calc_next_elapse()` of systemctl: the earlier of both clocks, on the wall clock.
pub fn next_elapse(record: &TimerRecord, now: DualTimestamp) -> Option<u64> {
    let real = (record.next_elapse_realtime > 0).then_some(record.next_elapse_realtime);
    let mono = (record.next_elapse_monotonic > 0).then(|| {
        unitbox_core::timer::schedule::map_monotonic_to_realtime(record.next_elapse_monotonic, now)
    });
    match (real, mono) {
        (Some(r), Some(m)) => Some(r.min(m)),
        (r, m) => r.or(m),
    }
}

/// The `    Trigger:` line of `status` for a timer.
pub fn trigger_line(scope: &Scope, unit: &Unit) -> String {
    let now = DualTimestamp::now();
    match next_elapse(&record(scope, unit), now) {
        Some(at) => format!(
            "    Trigger: {}; {}\n",
            format_timestamp_local(at),
            format_timestamp_relative(at, now.realtime)
        ),
        None => "    Trigger: n/a\n".to_string(),
    }
}

/// The `org.freedesktop.systemd1.Timer` properties, before the Unit interface.
pub fn timer_props(view: &UnitView, p: &mut Props) {
    let scope = view.store.scope();
    let (config, _) = TimerConfig::from_unit(view.unit, scope);
    let record = record(scope, view.unit);
    p.text("Unit", config.unit.clone());
    let zone = TimeZone::local();
    let mut monotonic = Vec::new();
    let mut calendar = Vec::new();
    // systemd keeps the values newest first.
    for (i, value) in config.values.iter().enumerate().rev() {
        let elapse = record.value_elapses.get(i).copied().unwrap_or(0);
        match &value.calendar {
            Some(spec) => calendar.push(format!(
                "{{ {}={} ; next_elapse={} }}",
                value.base.property(),
                spec.to_normal_string(zone),
                if elapse == 0 {
                    // 252 prints a NULL timestamp through printf's %s.
                    "(null)".to_string()
                } else {
                    format_timestamp_local(elapse)
                }
            )),
            None => monotonic.push(format!(
                "{{ {}={} ; next_elapse={} }}",
                value.base.property(),
                format_timespan(value.usec, 0),
                format_timespan(elapse, 0)
            )),
        }
    }
    p.lines("TimersMonotonic", monotonic);
    p.lines("TimersCalendar", calendar);
    p.yes_no("OnClockChange", config.on_clock_change);
    p.yes_no("OnTimezoneChange", config.on_timezone_change);
    p.text(
        "NextElapseUSecRealtime",
        timestamp(record.next_elapse_realtime),
    );
    p.text(
        "NextElapseUSecMonotonic",
        if record.next_elapse_monotonic == 0 {
            "infinity".to_string()
        } else {
            format_timespan(record.next_elapse_monotonic, 0)
        },
    );
    p.text("LastTriggerUSec", timestamp(record.last_trigger.realtime));
    p.text(
        "LastTriggerUSecMonotonic",
        format_timespan(record.last_trigger.monotonic, 0),
    );
    p.text("Result", view.runtime.result.clone());
    p.text("AccuracyUSec", format_timespan(config.accuracy, 0));
    p.text(
        "RandomizedDelayUSec",
        format_timespan(config.randomized_delay, 0),
    );
    p.yes_no("FixedRandomDelay", config.fixed_random_delay);
    p.yes_no("Persistent", config.persistent);
    p.yes_no("WakeSystem", config.wake_system);
    p.yes_no("RemainAfterElapse", config.remain_after_elapse);
}

struct Row {
    next: Option<u64>,
    last: u64,
    id: String,
    activates: Vec<String>,
}

/// `systemctl list-timers [PATTERN…]`.
pub fn list_timers(ctx: &Ctx) -> CtlResult {
    let output = table_output(ctx)?;
    let store = ctx.store();
    let scope = store.scope();
    let universe = crate::verbs::sockets::runtime_universe(store);
    let now = DualTimestamp::now();
    let mut rows = Vec::new();
    for unit in crate::verbs::sockets::listed_of_type(ctx, &universe, "timer") {
        let id = unit.id.as_str();
        let record = record(scope, unit);
        rows.push(Row {
            next: next_elapse(&record, now),
            last: record.last_trigger.realtime,
            id: id.to_string(),
            activates: universe
                .deps(id, Dep::Triggers)
                .into_iter()
                .map(str::to_string)
                .collect(),
        });
    }
    rows.sort_by(|a, b| {
        (a.next.unwrap_or(u64::MAX), &a.id).cmp(&(b.next.unwrap_or(u64::MAX), &b.id))
    });
    let text = match output {
        TableOutput::Text => render(ctx, &rows, now.realtime),
        json => {
            let j = Json::Array(rows.iter().map(|r| row_json(r, now.realtime)).collect());
            let mut s = if json == TableOutput::Json {
                j.to_compact()
            } else {
                j.to_pretty()
            };
            s.push('\n');
            s
        }
    };
    print!("{text}");
    Ok(ExitStatus::SUCCESS)
}

/// 252's JSON row: `next`/`left` null without an elapse, `last`/`passed` 0 without a
/// trigger, `activates` one string.
fn row_json(row: &Row, now: u64) -> Json {
    let passed = if row.last > 0 {
        now.saturating_sub(row.last)
    } else {
        0
    };
    Json::Object(vec![
        ("next".into(), row.next.map_or(Json::Null, Json::Number)),
        (
            "left".into(),
            row.next
                .map_or(Json::Null, |n| Json::Number(n.saturating_sub(now))),
        ),
        ("last".into(), Json::Number(row.last)),
        ("passed".into(), Json::Number(passed)),
        ("unit".into(), Json::String(row.id.clone())),
        ("activates".into(), Json::String(row.activates.join(","))),
    ])
}

fn render(ctx: &Ctx, rows: &[Row], now: u64) -> String {
    let legend = !ctx.opts.no_legend;
    let mut table: Vec<Vec<String>> = Vec::new();
    if legend {
        table.push(
            ["NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"]
                .map(String::from)
                .to_vec(),
        );
    }
    let dash = || "-".to_string();
    for row in rows {
        table.push(vec![
            row.next.map_or_else(dash, format_timestamp_local),
            row.next
                .map_or_else(dash, |n| format_timestamp_relative(n, now)),
            if row.last > 0 {
                format_timestamp_local(row.last)
            } else {
                dash()
            },
            if row.last > 0 {
                format_timestamp_relative(row.last, now)
            } else {
                dash()
            },
            row.id.clone(),
            row.activates.join(","),
        ]);
    }
    let mut out = String::new();
    for line in columns(&table) {
        out.push_str(&line);
        out.push('\n');
    }
    if legend {
        out.push_str(&format!("\n{} timers listed.\n", rows.len()));
        if !ctx.opts.all {
            out.push_str("Pass --all to see loaded but inactive timers, too.\n");
        }
    }
    out
}

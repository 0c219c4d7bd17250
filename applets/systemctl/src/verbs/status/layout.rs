//! The status block of one unit, line for line as systemd 252's `print_status_info()`
//! (systemctl-show.c) prints it: the bullet line, `Loaded:`, `Drop-In:`, `Active:`,
//! `Until:`/`Duration:`, triggers, failed conditions, `Docs:`, finished processes,
//! `Main PID:`, `Status:`, `Error:`. The labels are right-aligned so the colons line up.
//!
//! Left out on purpose: `Tasks:`, `Memory:`, `CPU:`, `IO:`, `IP:` and `CGroup:` — systemd
//! takes them from cgroup accounting, which a daemonless unitbox does not set up.

use crate::verbs::show::runtime::RuntimeState;
use unitbox_core::exec::exit_status::{format_exit_status, signal_name};
use unitbox_core::state::unit_state::ExecProcess;
use unitbox_core::state::ExitCode;
use unitbox_core::time::{format_timestamp_local, format_timestamp_relative};
use unitbox_core::unit::value::{format_timespan_accuracy, USEC_INFINITY};

/// Everything the block is printed from.
#[derive(Debug, Clone)]
pub struct StatusInfo {
    pub id: String,
    pub description: String,
    pub load_state: String,
    /// The message of `LoadError=`, for units that did not load.
    pub load_error: Option<String>,
    /// `FragmentPath=` (or `SourcePath=`), empty when there is none.
    pub path: String,
    pub unit_file_state: String,
    pub unit_file_preset: String,
    pub transient: bool,
    pub dropins: Vec<String>,
    pub runtime: RuntimeState,
    /// `RuntimeMaxUSec=` of services; [`USEC_INFINITY`] otherwise.
    pub runtime_max: u64,
    /// The `    Trigger:` line of a timer.
    pub timer_trigger: Option<String>,
    /// The `     Listen:` (and `   Accepted:`) lines of a socket.
    pub socket_lines: Option<String>,
    /// (bullet, unit) for `TriggeredBy:` and `Triggers:`.
    pub triggered_by: Vec<(&'static str, String)>,
    pub triggers: Vec<(&'static str, String)>,
    /// The finished processes for the `Process:` lines, in D-Bus order.
    pub processes: Vec<ExecProcess>,
    pub docs: Vec<String>,
    /// `/proc/PID/comm` of the running main and control processes.
    pub main_comm: Option<String>,
    pub control_comm: Option<String>,
}

/// Terminal colors, empty when stdout is not a terminal (as systemd without a tty).
#[derive(Debug, Clone, Copy, Default)]
pub struct Colors {
    pub enabled: bool,
}

impl Colors {
    fn paint(self, code: &'static str) -> &'static str {
        if self.enabled {
            code
        } else {
            ""
        }
    }

    fn normal(self) -> &'static str {
        self.paint("\x1b[0m")
    }

    /// `format_active_state()`: red for failed, green for active and reloading.
    fn active_state(self, state: &str) -> (&'static str, &'static str) {
        match state {
            "failed" => (self.paint("\x1b[0;1;31m"), self.normal()),
            "active" | "reloading" => (self.paint("\x1b[0;1;32m"), self.normal()),
            _ => ("", ""),
        }
    }

    /// `ansi_highlight_yellow()` of systemd 252 (a legible khaki) and `ansi_normal()`.
    fn yellow(self) -> (&'static str, &'static str) {
        (self.paint("\x1b[0;1;38;5;185m"), self.normal())
    }

    fn red(self) -> (&'static str, &'static str) {
        (self.paint("\x1b[0;1;31m"), self.normal())
    }

    fn load_state(self, state: &str) -> (&'static str, &'static str) {
        match state {
            "error" | "not-found" | "bad-setting" => (self.paint("\x1b[0;1;31m"), self.normal()),
            _ => ("", ""),
        }
    }
}

const INDENT: &str = "             ";

/// Unit file states after which systemd does not print the preset (`show_preset_for_state`).
fn shows_preset(unit_file_state: &str) -> bool {
    !matches!(
        unit_file_state,
        "alias" | "static" | "generated" | "transient"
    )
}

/// `code=exited, status=1/FAILURE` or `code=killed, signal=TERM`.
fn exit_text(code: ExitCode, status: i32) -> String {
    let how = if code == ExitCode::Exited {
        format!("status={}", format_exit_status(status))
    } else {
        format!("signal={}", signal_name(status))
    };
    format!("code={}, {how}", code.as_word())
}

/// A clean exit as `is_clean_exit(…, EXIT_CLEAN_DAEMON)` judges it: status 0, or the
/// signals a daemon is expected to die of.
fn is_clean_exit(code: ExitCode, status: i32) -> bool {
    match code {
        ExitCode::Exited => status == 0,
        ExitCode::Killed => matches!(
            status,
            libc::SIGHUP | libc::SIGINT | libc::SIGTERM | libc::SIGPIPE
        ),
        _ => false,
    }
}

/// `Process: PID ExecStartPre=ARGV (code=…)`.
fn process_line(p: &ExecProcess, colors: Colors) -> String {
    let (on, off) = if is_clean_exit(p.code, p.status) {
        ("", "")
    } else {
        (colors.paint("\x1b[0;1;31m"), colors.normal())
    };
    let argv = if p.command.is_empty() {
        "n/a"
    } else {
        p.command.as_str()
    };
    format!(
        "    Process: {} {}={argv} {on}({}){off}\n",
        p.pid,
        p.kind,
        exit_text(p.code, p.status)
    )
}

/// Appends the status block of one unit (without the journal) to `out`.
pub fn render(info: &StatusInfo, now: u64, colors: Colors, out: &mut String) {
    let rt = &info.runtime;
    let (active_on, active_off) = colors.active_state(&rt.active_state);
    out.push_str(&format!(
        "{active_on}{}{active_off} {}",
        rt.glyph(),
        info.id
    ));
    if !info.description.is_empty() && info.description != info.id {
        out.push_str(&format!(" - {}", info.description));
    }
    out.push('\n');

    let (on, off) = colors.load_state(&info.load_state);
    let load = &info.load_state;
    match &info.load_error {
        Some(reason) => out.push_str(&format!(
            "     Loaded: {on}{load}{off} (Reason: {reason})\n"
        )),
        None if !info.path.is_empty() && !info.unit_file_state.is_empty() => {
            let preset = if !info.unit_file_preset.is_empty() && shows_preset(&info.unit_file_state)
            {
                format!("; preset: {}", info.unit_file_preset)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "     Loaded: {on}{load}{off} ({}; {}{preset})\n",
                info.path, info.unit_file_state
            ));
        }
        None if !info.path.is_empty() => {
            out.push_str(&format!("     Loaded: {on}{load}{off} ({})\n", info.path))
        }
        None => out.push_str(&format!("     Loaded: {on}{load}{off}\n")),
    }
    if info.transient {
        out.push_str("  Transient: yes\n");
    }
    render_dropins(&info.dropins, out);

    if rt.sub_state != rt.active_state {
        out.push_str(&format!(
            "     Active: {active_on}{} ({}){active_off}",
            rt.active_state, rt.sub_state
        ));
    } else {
        out.push_str(&format!(
            "     Active: {active_on}{}{active_off}",
            rt.active_state
        ));
    }
    if !rt.result.is_empty() && rt.result != "success" {
        out.push_str(&format!(" (Result: {})", rt.result));
    }
    let since = match rt.active_state.as_str() {
        "active" | "reloading" => rt.active_enter,
        "inactive" | "failed" => rt.inactive_enter,
        "activating" => rt.inactive_exit,
        _ => rt.active_exit,
    }
    .realtime;
    if since != 0 {
        out.push_str(&format!(
            " since {}; {}\n",
            format_timestamp_local(since),
            format_timestamp_relative(since, now)
        ));
        if rt.active_state == "active" && info.runtime_max < USEC_INFINITY {
            let until = since.saturating_add(info.runtime_max);
            out.push_str(&format!(
                "      Until: {}; {}\n",
                format_timestamp_local(until),
                format_timestamp_relative(until, now)
            ));
        }
        let (enter, exit) = (rt.active_enter.realtime, rt.active_exit.realtime);
        if !info.id.ends_with(".target")
            && matches!(rt.active_state.as_str(), "inactive" | "failed")
            && enter != 0
            && exit != 0
            && exit >= enter
        {
            out.push_str(&format!(
                "   Duration: {}\n",
                format_timespan_accuracy(exit - enter, 1000)
            ));
        }
    } else {
        out.push('\n');
    }

    if let Some(line) = &info.timer_trigger {
        out.push_str(line);
    }
    for (i, (glyph, unit)) in info.triggered_by.iter().enumerate() {
        let label = if i == 0 {
            "TriggeredBy:"
        } else {
            "            "
        };
        out.push_str(&format!("{label} {glyph} {unit}\n"));
    }
    for (i, (_, unit)) in info.triggers.iter().enumerate() {
        let label = if i == 0 {
            "   Triggers:"
        } else {
            "            "
        };
        out.push_str(&format!("{label} ● {unit}\n"));
    }

    render_failed_checks(rt, now, colors, out);

    for (i, doc) in info.docs.iter().enumerate() {
        let label = if i == 0 { "Docs:" } else { "" };
        out.push_str(&format!("   {label:>9} {doc}\n"));
    }
    if let Some(lines) = &info.socket_lines {
        out.push_str(lines);
    }

    let mut main_pid = rt.exec_main_pid;
    let mut control_pid = rt.control_pid;
    for p in &info.processes {
        out.push_str(&process_line(p, colors));
        if p.pid == control_pid {
            control_pid = 0;
        }
    }
    if main_pid == 0 {
        main_pid = rt.main_pid;
    }
    if main_pid > 0 || control_pid > 0 {
        if main_pid > 0 {
            out.push_str(&format!("   Main PID: {main_pid}"));
            if rt.main_pid > 0 {
                if let Some(comm) = &info.main_comm {
                    out.push_str(&format!(" ({comm})"));
                }
            } else if let Some(code) =
                ExitCode::from_number(rt.exec_main_code).filter(|c| *c != ExitCode::NotExited)
            {
                out.push_str(&format!(" ({})", exit_text(code, rt.exec_main_status)));
            }
        }
        if control_pid > 0 {
            out.push_str(if main_pid > 0 {
                "; Control PID: "
            } else {
                "  Cntrl PID: "
            });
            out.push_str(&control_pid.to_string());
            if let Some(comm) = &info.control_comm {
                out.push_str(&format!(" ({comm})"));
            }
        }
        out.push('\n');
    }
    if !rt.status_text.is_empty() {
        out.push_str(&format!("     Status: \"{}\"\n", rt.status_text));
    }
    if rt.status_errno > 0 {
        out.push_str(&format!(
            "      Error: {} ({})\n",
            rt.status_errno,
            nix::errno::Errno::from_raw(rt.status_errno).desc()
        ));
    }
}

/// The `Condition:` and `Assert:` lines of a start that was skipped or failed by them.
fn render_failed_checks(rt: &RuntimeState, now: u64, colors: Colors, out: &mut String) {
    if !rt.condition_result && rt.condition.realtime != 0 {
        let at = rt.condition.realtime;
        let (on, off) = colors.yellow();
        out.push_str(&format!(
            "  Condition: start {on}condition failed{off} at {}; {}\n",
            format_timestamp_local(at),
            format_timestamp_relative(at, now)
        ));
        let n = rt.conditions_not_met.len();
        for (i, c) in rt.conditions_not_met.iter().enumerate() {
            let branch = if i + 1 < n { "├─" } else { "└─" };
            out.push_str(&format!("{INDENT}{branch} {c} was not met\n"));
        }
    }
    if !rt.assert_result && rt.assert.realtime != 0 {
        let at = rt.assert.realtime;
        let (on, off) = colors.red();
        out.push_str(&format!(
            "     Assert: start {on}assertion failed{off} at {}; {}\n",
            format_timestamp_local(at),
            format_timestamp_relative(at, now)
        ));
        // systemd names one failed assert: the last plain one, else the first triggering
        // one, for which it says that none of them held.
        let is_trigger = |a: &&String| a.split_once('=').is_some_and(|(_, v)| v.starts_with('|'));
        let shown = rt
            .asserts_not_met
            .iter()
            .rev()
            .find(|a| !is_trigger(a))
            .or_else(|| rt.asserts_not_met.first());
        match shown {
            Some(a) if is_trigger(&a) => out.push_str(&format!(
                "{INDENT}none of the trigger assertions were met\n"
            )),
            Some(a) => out.push_str(&format!("{INDENT}{a} was not met\n")),
            None => {}
        }
    }
}

/// `Drop-In:` with one line per directory and the files of each directory after `└─`,
/// comma-separated (systemd groups consecutive drop-ins whose path starts with the
/// directory).
fn render_dropins(dropins: &[String], out: &mut String) {
    let mut dir: Option<String> = None;
    let mut last = false;
    for (i, dropin) in dropins.iter().enumerate() {
        if dir.is_none() || last {
            out.push_str(if dir.is_some() {
                INDENT
            } else {
                "    Drop-In: "
            });
            let parent = dropin
                .rsplit_once('/')
                .map(|(d, _)| if d.is_empty() { "/" } else { d })
                .unwrap_or(".")
                .to_string();
            out.push_str(&format!("{parent}\n{INDENT}└─"));
            dir = Some(parent);
        }
        let current = dir.as_deref().unwrap_or("");
        last = !dropins
            .get(i + 1)
            .is_some_and(|next| next.starts_with(current));
        let name = dropin.rsplit('/').next().unwrap_or(dropin);
        out.push_str(name);
        out.push_str(if last { "\n" } else { ", " });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::time::DualTimestamp;

    #[test]
    fn dropins_group_by_directory() {
        let mut out = String::new();
        render_dropins(
            &[
                "/etc/systemd/system/a.service.d/10-x.conf".into(),
                "/etc/systemd/system/a.service.d/20-y.conf".into(),
                "/run/systemd/system/a.service.d/30-z.conf".into(),
            ],
            &mut out,
        );
        assert_eq!(
            out,
            "    Drop-In: /etc/systemd/system/a.service.d\n\
             \x20            └─10-x.conf, 20-y.conf\n\
             \x20            /run/systemd/system/a.service.d\n\
             \x20            └─30-z.conf\n"
        );
    }

    fn info(rt: RuntimeState) -> StatusInfo {
        StatusInfo {
            id: "c.service".into(),
            description: "c.service".into(),
            load_state: "loaded".into(),
            load_error: None,
            path: "/etc/systemd/system/c.service".into(),
            unit_file_state: "static".into(),
            unit_file_preset: "enabled".into(),
            transient: false,
            dropins: Vec::new(),
            runtime: rt,
            runtime_max: USEC_INFINITY,
            timer_trigger: None,
            socket_lines: None,
            triggered_by: vec![("●", "c.socket".into())],
            triggers: Vec::new(),
            processes: Vec::new(),
            docs: Vec::new(),
            main_comm: None,
            control_comm: Some("sh".into()),
        }
    }

    #[test]
    fn failed_conditions_triggers_and_control_processes() {
        let mut rt = RuntimeState::default();
        rt.condition.realtime = 1_000_000;
        rt.conditions_not_met = vec![
            "ConditionPathExists=/x".into(),
            "ConditionUser=!root".into(),
        ];
        rt.control_pid = 12;
        let mut out = String::new();
        render(&info(rt), 1_000_000, Colors::default(), &mut out);
        let at = format_timestamp_local(1_000_000);
        assert_eq!(
            out,
            format!(
                "○ c.service\n\
                 \x20    Loaded: loaded (/etc/systemd/system/c.service; static)\n\
                 \x20    Active: inactive (dead)\n\
                 TriggeredBy: ● c.socket\n\
                 \x20 Condition: start condition failed at {at}; now\n\
                 \x20            ├─ ConditionPathExists=/x was not met\n\
                 \x20            └─ ConditionUser=!root was not met\n\
                 \x20 Cntrl PID: 12 (sh)\n"
            )
        );
    }

    #[test]
    fn a_failed_assert_names_one_setting() {
        let checked = DualTimestamp {
            realtime: 1_000_000,
            monotonic: 1,
        };
        let mut rt = RuntimeState {
            condition_result: true,
            condition: checked,
            assert: checked,
            asserts_not_met: vec!["AssertPathExists=|/a".into(), "AssertUser=!root".into()],
            ..RuntimeState::default()
        };
        let at = format_timestamp_local(1_000_000);
        let mut out = String::new();
        render_failed_checks(&rt, 1_000_000, Colors::default(), &mut out);
        assert_eq!(
            out,
            format!(
                "     Assert: start assertion failed at {at}; now\n\
                 \x20            AssertUser=!root was not met\n"
            )
        );
        rt.asserts_not_met = vec!["AssertPathExists=|/a".into(), "AssertPathExists=|/b".into()];
        out.clear();
        render_failed_checks(&rt, 1_000_000, Colors::default(), &mut out);
        assert!(out.ends_with("\n             none of the trigger assertions were met\n"));
        rt.assert_result = true;
        out.clear();
        render_failed_checks(&rt, 1_000_000, Colors::default(), &mut out);
        assert_eq!(out, "", "passed checks print nothing");
    }

    #[test]
    fn exit_texts_name_statuses_and_signals() {
        assert_eq!(
            exit_text(ExitCode::Exited, 1),
            "code=exited, status=1/FAILURE"
        );
        assert_eq!(exit_text(ExitCode::Exited, 2), "code=exited, status=2");
        assert_eq!(exit_text(ExitCode::Killed, 15), "code=killed, signal=TERM");
        assert!(is_clean_exit(ExitCode::Killed, libc::SIGTERM));
        assert!(!is_clean_exit(ExitCode::Dumped, libc::SIGSEGV));
    }
}

//! Timers in `list-timers`, `status` and `show`, in 252's layout (as a booted 252 prints
//! them; systemd's own systemctl needs its bus for these, so the expectations are fixed
//! strings taken from it), and transient timers of `systemd-run --on-*`.

use crate::lifecycle::{eventually, Lab};
use crate::support::{applet, run_cmd};
use std::process::Command;
use std::time::Duration;

fn oneshot(lab: &Lab, name: &str) {
    lab.unit(
        &format!("{name}.service"),
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
}

/// A waiting timer, an elapsed one and one never started.
fn three_timers(lab: &Lab) {
    for name in ["later", "done", "idle"] {
        oneshot(lab, name);
    }
    lab.unit(
        "later.timer",
        "[Unit]\nDescription=Later\n[Timer]\nOnActiveSec=1h\n",
    );
    lab.unit("done.timer", "[Timer]\nOnActiveSec=50ms\nAccuracySec=1ms\n");
    lab.unit("idle.timer", "[Timer]\nOnCalendar=daily\n");
    lab.ctl(&["start", "later.timer", "done.timer"]).ok();
    assert!(
        eventually(Duration::from_secs(3), || lab
            .prop("done.timer", "SubState")
            == "elapsed"),
        "{:?}",
        lab.state("done.timer")
    );
}

#[test]
fn list_timers_has_252s_columns_order_and_footer() {
    let lab = Lab::new();
    three_timers(&lab);
    let out = lab.ctl(&["list-timers"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NEXT ")
            && lines[0].contains(" LEFT ")
            && lines[0].contains(" UNIT ")
            && lines[0].ends_with(" ACTIVATES"),
        "{}",
        out.stdout
    );
    // Sorted by the next elapse; one that waits for nothing comes last, with dashes.
    assert!(
        lines[1].contains("left") && lines[1].contains("later.timer later.service"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].contains(" 59min left ") || lines[1].contains(" 1h left "),
        "{}",
        out.stdout
    );
    assert!(lines[2].starts_with("-    "), "{}", out.stdout);
    assert!(
        lines[2].contains(" ago ") && lines[2].ends_with("done.timer  done.service"),
        "{}",
        out.stdout
    );
    assert_eq!(
        &lines[3..],
        [
            "",
            "2 timers listed.",
            "Pass --all to see loaded but inactive timers, too."
        ]
    );
    let all = lab.ctl(&["list-timers", "--all"]);
    assert!(all.stdout.contains("idle.timer"), "{}", all.stdout);
    assert!(
        all.stdout.ends_with("\n3 timers listed.\n"),
        "{}",
        all.stdout
    );
    let json = lab.ctl(&["list-timers", "--all", "-o", "json", "idle*"]);
    assert_eq!(
        json.stdout,
        "[{\"next\":null,\"left\":null,\"last\":0,\"passed\":0,\"unit\":\"idle.timer\",\"activates\":\"idle.service\"}]\n"
    );
    let some = lab.ctl(&["list-timers", "--no-legend", "l*"]);
    assert_eq!(some.stdout.lines().count(), 1, "{}", some.stdout);
    assert!(some.stdout.contains("later.timer"));
}

#[test]
fn status_and_show_of_a_timer_as_252_prints_them() {
    let lab = Lab::new();
    three_timers(&lab);
    let status = lab.ctl(&["status", "later.timer"]);
    let text = &status.stdout;
    assert!(text.starts_with("● later.timer - Later\n"), "{text}");
    assert!(
        text.contains("\n     Active: active (waiting) since "),
        "{text}"
    );
    let trigger = text
        .lines()
        .find(|l| l.starts_with("    Trigger: "))
        .unwrap_or_else(|| panic!("no Trigger: line\n{text}"));
    assert!(trigger.ends_with(" left"), "{trigger}");
    assert!(text.contains("\n   Triggers: ● later.service\n"), "{text}");
    let done = lab.ctl(&["status", "done.timer"]).stdout;
    assert!(done.contains("\n    Trigger: n/a\n"), "{done}");
    let service = lab.ctl(&["status", "done.service"]).stdout;
    assert!(
        service.contains("\nTriggeredBy: ● done.timer\n"),
        "{service}"
    );

    let show = lab.ctl(&["show", "later.timer"]).stdout;
    for line in [
        "Unit=later.service\n",
        "OnClockChange=no\n",
        "Result=success\n",
        "AccuracyUSec=1min\n",
        "RandomizedDelayUSec=0\n",
        "Persistent=no\n",
        "RemainAfterElapse=yes\n",
        "LastTriggerUSecMonotonic=0\n",
        "SubState=waiting\n",
    ] {
        assert!(show.contains(line), "{line:?} missing:\n{show}");
    }
    assert!(
        show.contains("TimersMonotonic={ OnActiveUSec=1h ; next_elapse="),
        "{show}"
    );
    let p = lab.ctl(&[
        "show",
        "-p",
        "TimersCalendar",
        "-p",
        "NextElapseUSecMonotonic",
        "idle.timer",
    ]);
    assert_eq!(
        p.stdout,
        "TimersCalendar={ OnCalendar=*-*-* 00:00:00 ; next_elapse=(null) }\nNextElapseUSecMonotonic=infinity\n"
    );
}

#[test]
fn systemd_run_makes_a_transient_timer_that_starts_its_service() {
    let lab = Lab::new();
    let marker = lab.out("ran");
    let run = run_cmd(
        Command::new(applet("systemd-run"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args([
                "--unit=later-job",
                "--on-active=150ms",
                "--timer-property=AccuracySec=1ms",
            ])
            .args(["/bin/touch", marker.to_str().unwrap()]),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "Running timer as unit: later-job.timer\nWill run service as unit: later-job.service\n"
    );
    let timer_file = lab.tree.host("/run/systemd/transient/later-job.timer");
    let text = std::fs::read_to_string(&timer_file).unwrap();
    assert!(
        text.ends_with("[Timer]\nOnActiveSec=150ms\nAccuracySec=1ms\nRemainAfterElapse=no\n"),
        "{text}"
    );
    assert!(
        eventually(Duration::from_secs(3), || marker.exists()),
        "never ran"
    );
    // RemainAfterElapse=no: the timer goes, and with it both transient files.
    assert!(
        eventually(Duration::from_secs(3), || !timer_file.exists()
            && !lab
                .tree
                .host("/run/systemd/transient/later-job.service")
                .exists()),
        "transient units were not collected"
    );
    let refused = run_cmd(
        Command::new(applet("systemd-run"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(["--on-active=1", "--wait", "/bin/true"]),
    );
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr,
        "--wait may not be combined with path, socket or timer operations.\n"
    );
}

//! Timers fire, repeat, elapse, stop, catch up: each service appends a line to a file.

use crate::lifecycle::{eventually, pid_alive, Lab};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A oneshot `NAME.service` that appends the time of each run (seconds.nanoseconds) to
/// `out/NAME`.
fn counted_service(lab: &Lab, name: &str) {
    let out = lab.out(name);
    lab.unit(
        &format!("{name}.service"),
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'date +%%s.%%N >> {}'\n",
            out.display()
        ),
    );
}

fn runs(lab: &Lab, name: &str) -> Vec<f64> {
    lab.read_out(name)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn wait_runs(lab: &Lab, name: &str, n: usize, within: Duration) -> bool {
    eventually(within, || runs(lab, name).len() >= n)
}

#[test]
fn on_active_fires_once_then_the_timer_is_elapsed() {
    let lab = Lab::new();
    counted_service(&lab, "once");
    lab.unit(
        "once.timer",
        "[Timer]\nOnActiveSec=500ms\nAccuracySec=1ms\n",
    );
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    lab.ctl(&["start", "once.timer"]).ok();
    assert_eq!(lab.prop("once.timer", "SubState"), "waiting");
    assert!(
        wait_runs(&lab, "once", 1, Duration::from_secs(4)),
        "never fired"
    );
    let first = runs(&lab, "once")[0];
    assert!(
        first - before >= 0.45,
        "fired too early: {}",
        first - before
    );
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(runs(&lab, "once").len(), 1, "OnActiveSec= fires once");
    assert_eq!(lab.active("once.timer"), "active");
    assert_eq!(lab.prop("once.timer", "SubState"), "elapsed");
    assert_ne!(lab.prop("once.timer", "LastTriggerUSec"), "0");
    lab.ctl(&["stop", "once.timer"]).ok();
    assert_eq!(lab.active("once.timer"), "inactive");
}

#[test]
fn on_unit_active_repeats_until_the_timer_is_stopped() {
    let lab = Lab::new();
    counted_service(&lab, "rep");
    lab.unit(
        "rep.timer",
        "[Timer]\nOnActiveSec=100ms\nOnUnitActiveSec=400ms\nAccuracySec=1ms\n",
    );
    lab.ctl(&["start", "rep.timer"]).ok();
    assert!(
        wait_runs(&lab, "rep", 3, Duration::from_secs(4)),
        "did not repeat: {:?}",
        runs(&lab, "rep")
    );
    let times = runs(&lab, "rep");
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= 0.38, "too close: {times:?}");
    }
    let supervisor: u32 = lab.prop("rep.timer", "SupervisorPID").parse().unwrap();
    lab.ctl(&["stop", "rep.timer"]).ok();
    assert_eq!(lab.active("rep.timer"), "inactive");
    assert!(
        eventually(Duration::from_secs(2), || !pid_alive(supervisor)),
        "the timer's supervisor stays"
    );
    let stopped = runs(&lab, "rep").len();
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(
        runs(&lab, "rep").len(),
        stopped,
        "a stopped timer runs nothing"
    );
}

#[test]
fn calendar_events_fire_on_time_with_a_fine_accuracy() {
    let lab = Lab::new();
    counted_service(&lab, "cal");
    lab.unit(
        "cal.timer",
        "[Timer]\nOnCalendar=*:*:0/1\nAccuracySec=1us\n",
    );
    lab.ctl(&["start", "cal.timer"]).ok();
    assert!(
        wait_runs(&lab, "cal", 2, Duration::from_secs(4)),
        "{:?}",
        runs(&lab, "cal")
    );
    // When the timer fired (not when the service's shell got to run, which a loaded
    // machine delays): right after the full second.
    let trigger: u64 = lab.prop("cal.timer", "LastTriggerUSec").parse().unwrap();
    lab.ctl(&["stop", "cal.timer"]).ok();
    let late = trigger % 1_000_000;
    assert!(late < 200_000, "fired {late} µs after the full second");
    for t in runs(&lab, "cal") {
        let after = t - t.floor();
        assert!(after < 0.9, "the service ran {after:.3}s after the second");
    }
}

#[test]
fn remain_after_elapse_no_makes_the_timer_inactive_after_it_fired() {
    let lab = Lab::new();
    counted_service(&lab, "gone");
    lab.unit(
        "gone.timer",
        "[Timer]\nOnActiveSec=200ms\nAccuracySec=1ms\nRemainAfterElapse=no\n",
    );
    lab.ctl(&["start", "gone.timer"]).ok();
    assert!(wait_runs(&lab, "gone", 1, Duration::from_secs(3)));
    lab.wait_state("gone.timer", "inactive");
}

#[test]
fn randomized_delay_stays_within_its_bound() {
    let lab = Lab::new();
    counted_service(&lab, "rnd");
    lab.unit(
        "rnd.timer",
        "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=10min\n",
    );
    lab.ctl(&["start", "rnd.timer"]).ok();
    let start: u64 = lab
        .prop("rnd.timer", "InactiveExitTimestampMonotonic")
        .parse()
        .unwrap();
    let next: u64 = lab
        .prop("rnd.timer", "NextElapseUSecMonotonic")
        .parse()
        .unwrap();
    let delay = next - start - 3_600_000_000;
    assert!(delay < 600_000_000, "random delay {delay} µs out of bound");
    lab.ctl(&["stop", "rnd.timer"]).ok();
}

#[test]
fn a_timer_without_values_is_refused() {
    let lab = Lab::new();
    counted_service(&lab, "bare");
    lab.unit("bare.timer", "[Timer]\nAccuracySec=1s\n");
    let run = lab.ctl(&["start", "bare.timer"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "Failed to start bare.timer: Unit bare.timer has a bad unit file setting.\n"
    );
    let status = lab.ctl(&["show", "-p", "LoadState", "-p", "LoadError", "bare.timer"]);
    assert!(
        status.stdout.contains("LoadState=bad-setting"),
        "{status:?}"
    );
}

fn set_mtime(path: &std::path::Path, ago: Duration) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.set_modified(SystemTime::now() - ago).unwrap();
}

#[test]
fn persistent_timers_catch_up_on_an_elapse_missed_since_their_stamp() {
    let lab = Lab::new();
    let two_days = Duration::from_secs(2 * 86_400);
    for (name, persistent) in [("late", true), ("fresh", true), ("forgetful", false)] {
        counted_service(&lab, name);
        lab.unit(
            &format!("{name}.timer"),
            &format!("[Timer]\nOnCalendar=daily\nPersistent={persistent}\nAccuracySec=1ms\n"),
        );
    }
    let stamps = lab.tree.host("/var/lib/systemd/timers");
    set_mtime(&stamps.join("stamp-late.timer"), two_days);
    set_mtime(&stamps.join("stamp-forgetful.timer"), two_days);
    lab.ctl(&["start", "late.timer", "fresh.timer", "forgetful.timer"])
        .ok();
    assert!(
        wait_runs(&lab, "late", 1, Duration::from_secs(3)),
        "the missed elapse was not caught up"
    );
    let stamp_age = SystemTime::now()
        .duration_since(
            std::fs::metadata(stamps.join("stamp-late.timer"))
                .unwrap()
                .modified()
                .unwrap(),
        )
        .unwrap();
    assert!(
        stamp_age < Duration::from_secs(5),
        "the stamp records the trigger"
    );
    assert!(
        stamps.join("stamp-fresh.timer").exists(),
        "a first start creates the stamp"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        runs(&lab, "fresh").is_empty(),
        "nothing was missed without a stamp"
    );
    assert!(
        runs(&lab, "forgetful").is_empty(),
        "Persistent=no ignores stamps"
    );
    assert_eq!(runs(&lab, "late").len(), 1, "caught up once");
}

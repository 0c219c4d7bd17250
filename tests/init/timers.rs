//! Timers under a unitbox PID 1: `timers.target` is part of the default boot, its timers
//! fire, `/run/systemd/system` says that systemd runs, `list-timers` shows them.

use super::container::{wait_for, Container, Rootfs};
use std::time::Duration;

const SYS: &str = "/etc/systemd/system";

/// Debian's logrotate.timer, as the logrotate package ships it.
const LOGROTATE_TIMER: &str = "[Unit]\nDescription=Daily rotation of log files\nDocumentation=man:logrotate(8) man:logrotate.conf(5)\n\n[Timer]\nOnCalendar=daily\nAccuracySec=1h\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n";

#[test]
fn enabled_timers_run_under_pid1_and_the_booted_marker_exists() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "tick.timer",
        "timers.target",
        "[Timer]\nOnActiveSec=200ms\nAccuracySec=1ms\n[Install]\nWantedBy=timers.target\n",
    );
    fs.write(
        &format!("{SYS}/tick.service"),
        "[Service]\nType=oneshot\nExecStart=/bin/touch /tmp/ticked\n",
    );
    fs.enabled(SYS, "logrotate.timer", "timers.target", LOGROTATE_TIMER);
    fs.write(
        &format!("{SYS}/logrotate.service"),
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    assert!(
        wait_for(Duration::from_secs(4), || c
            .fs
            .path("/tmp/ticked")
            .exists()
            .then_some(()))
        .is_some(),
        "the timer never fired; console:\n{}",
        c.console()
    );
    let marker = c.exec(&["/bin/ls", "-d", "/run/systemd/system"]);
    assert_eq!(marker.code, 0, "no booted marker: {marker:?}");
    let list = c.systemctl(&["list-timers"]);
    assert_eq!(list.code, 0, "{list:?}");
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NEXT ") && lines[0].ends_with(" ACTIVATES"),
        "{}",
        list.stdout
    );
    let logrotate = lines
        .iter()
        .find(|l| l.contains("logrotate.timer"))
        .unwrap_or_else(|| panic!("logrotate.timer not listed:\n{}", list.stdout));
    // Daily at midnight (plus up to 1h of accuracy is not shown: NEXT is the elapse).
    assert!(
        logrotate.contains(" 00:00:00 UTC ") && logrotate.contains(" left "),
        "{logrotate}"
    );
    assert!(
        list.stdout.contains("\n2 timers listed.\n"),
        "{}",
        list.stdout
    );
}

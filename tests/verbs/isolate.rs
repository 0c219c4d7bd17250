//! `isolate`, `default`, `rescue`, `emergency`: what 252 answers (measured against 252 as
//! PID 1 of a sandbox: `Failed to start nope.target: Operation refused, unit may not be
//! isolated.` plus the `See system logs` line, exit 4; `.target` appended to a bare
//! name; `Too many arguments.`), and the isolation itself, with real services in a
//! `--root` tree and under a unitbox PID 1.

use crate::init::container::{Container, Rootfs};
use crate::lifecycle::{unique_sleep, Lab};

const ISO: &str = "[Unit]\nAllowIsolate=yes\nWants=kept.service\n";

fn sleeper(tag: u32, extra: &str) -> String {
    format!(
        "[Unit]\n{extra}\n[Service]\nExecStart={}\n",
        unique_sleep(tag)
    )
}

#[test]
fn isolate_stops_what_the_target_does_not_want_but_ignore_on_isolate() {
    let lab = Lab::new();
    lab.unit("iso.target", ISO)
        .unit("kept.service", &sleeper(3101, ""))
        .unit("other.service", &sleeper(3102, ""))
        .unit("sticky.service", &sleeper(3103, "IgnoreOnIsolate=yes"))
        .unit(
            "needs-other.service",
            &sleeper(3104, "Requires=other.service\nAfter=other.service"),
        )
        .unit("plain.target", "[Unit]\nDescription=plain\n");
    lab.ctl(&[
        "start",
        "kept.service",
        "sticky.service",
        "needs-other.service",
    ])
    .ok();
    assert_eq!(lab.active("other.service"), "active");

    let refused = lab.ctl(&["isolate", "plain"]);
    assert_eq!(
        (refused.code, refused.stderr.as_str()),
        (
            4,
            "Failed to start plain.target: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status plain.target' for details.\n"
        )
    );
    assert_eq!(
        lab.active("other.service"),
        "active",
        "a refusal stops nothing"
    );

    lab.ctl(&["isolate", "iso"]).ok();
    for (unit, want) in [
        ("iso.target", "active"),
        ("kept.service", "active"),
        ("sticky.service", "active"),
        ("other.service", "inactive"),
        ("needs-other.service", "inactive"),
    ] {
        assert_eq!(lab.active(unit), want, "{unit}");
    }
}

#[test]
fn refusals_are_worded_as_252() {
    let lab = Lab::new();
    for (args, code, message) in [
        (
            &["isolate", "nope"][..],
            4,
            "Failed to start nope.target: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status nope.target' for details.\n",
        ),
        (
            &["isolate", "a.service"],
            4,
            "Failed to start a.service: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status a.service' for details.\n",
        ),
        (
            &["rescue"],
            4,
            "Failed to start rescue.target: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status rescue.target' for details.\n",
        ),
        (&["isolate", "a", "b"], 1, "Too many arguments.\n"),
        (&["emergency", "x"], 1, "Too many arguments.\n"),
        (&["isolate"], 1, "Too few arguments.\n"),
    ] {
        let run = lab.ctl(args);
        assert_eq!((run.code, run.stderr.as_str()), (code, message), "{args:?}");
    }
}

#[test]
fn default_isolates_what_default_target_names() {
    let lab = Lab::new();
    lab.unit(
        "multi-user.target",
        "[Unit]\nAllowIsolate=yes\nWants=kept.service\n",
    )
    .unit("kept.service", &sleeper(3111, ""))
    .unit("other.service", &sleeper(3112, ""));
    lab.tree.symlink(
        "/etc/systemd/system/multi-user.target",
        "/etc/systemd/system/default.target",
    );
    lab.ctl(&["start", "other.service"]).ok();
    lab.ctl(&["default"]).ok();
    assert_eq!(lab.active("multi-user.target"), "active");
    assert_eq!(lab.active("kept.service"), "active");
    assert_eq!(lab.active("other.service"), "inactive");
}

#[test]
fn under_pid1_rescue_stops_the_services_and_pid1_stays() {
    let fs = Rootfs::new();
    fs.write(
        "/etc/systemd/system/rescue.target",
        "[Unit]\nDescription=Rescue Mode\nRequires=rescue.service\nAllowIsolate=yes\n",
    )
    .write(
        "/etc/systemd/system/rescue.service",
        "[Service]\nExecStart=/bin/sh -c 'echo sulogin > /rescue.ran'\n",
    )
    .enabled(
        "/etc/systemd/system",
        "web.service",
        "multi-user.target",
        "[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n",
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    assert_eq!(
        c.systemctl(&["is-active", "web.service"]).stdout,
        "active\n"
    );
    c.systemctl(&["rescue"]).ok();
    assert_eq!(
        c.systemctl(&["is-active", "web.service", "rescue.target"])
            .stdout,
        "inactive\nactive\n"
    );
    // The sulogin service a container cannot use is skipped, and PID 1 still answers.
    assert_ne!(c.exec(&["/bin/cat", "/rescue.ran"]).code, 0);
    assert_eq!(c.systemctl(&["is-system-running"]).stdout, "running\n");
}

//! Transactions: pulled-in dependencies, ordering, failure propagation, conflicts.

use super::Lab;

fn appender(lab: &Lab, word: &str, extra_unit: &str) -> String {
    format!(
        "[Unit]\n{extra_unit}[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'sleep 0.1; echo {word} >> {}'\n",
        lab.out("order").display()
    )
}

#[test]
fn dependencies_start_first_in_order() {
    let lab = Lab::new();
    lab.unit(
        "app.service",
        &appender(
            &lab,
            "app",
            "Requires=db.service\nWants=cache.service\nAfter=db.service cache.service\n",
        ),
    );
    lab.unit(
        "db.service",
        &appender(&lab, "db", "After=net.service\nWants=net.service\n"),
    );
    lab.unit(
        "cache.service",
        &appender(&lab, "cache", "After=db.service\n"),
    );
    lab.unit("net.service", &appender(&lab, "net", ""));
    let r = lab.ctl(&["start", "app.service"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    assert_eq!(lab.read_out("order"), "net\ndb\ncache\napp\n");
    for u in ["app", "db", "cache", "net"] {
        assert_eq!(lab.active(&format!("{u}.service")), "active");
    }
    // Stopping a required unit stops what requires it, first.
    lab.ctl(&["stop", "db.service"]).ok();
    assert_eq!(lab.active("app.service"), "inactive");
    assert_eq!(
        lab.active("cache.service"),
        "active",
        "Wants= does not propagate stop"
    );
}

#[test]
fn a_failed_requirement_fails_its_dependents() {
    let lab = Lab::new();
    lab.unit(
        "broken.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    lab.unit(
        "top.service",
        &appender(
            &lab,
            "top",
            "Requires=broken.service\nAfter=broken.service\n",
        ),
    );
    lab.unit(
        "soft.service",
        &appender(&lab, "soft", "Wants=broken.service\nAfter=broken.service\n"),
    );
    let r = lab.ctl(&["start", "top.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "A dependency job for top.service failed. See 'journalctl -xe' for details.\n"
        )
    );
    assert_eq!(lab.read_out("order"), "", "top.service must not run");
    assert_eq!(lab.active("broken.service"), "failed");
    let r = lab.ctl(&["start", "soft.service"]);
    assert_eq!(r.code, 0, "a wanted unit's failure is not ours: {r:?}");
    assert_eq!(lab.read_out("order"), "soft\n");

    lab.unit(
        "needs.service",
        &appender(&lab, "needs", "Requisite=off.service\n"),
    );
    lab.unit("off.service", &appender(&lab, "off", ""));
    let r = lab.ctl(&["start", "needs.service"]);
    assert_eq!(r.code, 1, "Requisite= is checked, not started: {r:?}");
    assert_eq!(lab.active("off.service"), "inactive");
}

#[test]
fn conflicts_are_stopped_first() {
    let lab = Lab::new();
    lab.unit("old.service", "[Service]\nExecStart=/bin/sleep 1000\n");
    lab.unit(
        "new.service",
        "[Unit]\nConflicts=old.service\n[Service]\nExecStart=/bin/sleep 1000\n",
    );
    lab.ctl(&["start", "old.service"]).ok();
    lab.ctl(&["start", "new.service"]).ok();
    assert_eq!(lab.active("old.service"), "inactive");
    assert_eq!(lab.active("new.service"), "active");
}

#[test]
fn requested_swap_units_are_refused_clearly() {
    let lab = Lab::new();
    lab.unit("swapfile.swap", "[Swap]\nWhat=/swapfile\n");
    let r = lab.ctl(&["start", "swapfile.swap"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Operation on or unit type of swapfile.swap not supported on this system.\n"
        )
    );
}

/// Dependency settings are specifier-expanded for the transaction exactly as for
/// `list-dependencies` (one dependency model): `Wants=%p-extra.service` pulls in and orders
/// `web-extra.service`, and stopping the `Requires=%N-db.service` target stops `web`.
#[test]
fn specifiers_in_dependencies_are_expanded_for_start_and_stop() {
    let lab = Lab::new();
    lab.unit(
        "web.service",
        &appender(
            &lab,
            "web",
            "Wants=%p-extra.service\nRequires=%N-db.service\nAfter=%p-extra.service %N-db.service\n",
        ),
    );
    lab.unit("web-extra.service", &appender(&lab, "extra", ""));
    lab.unit("web-db.service", &appender(&lab, "db", ""));
    let deps = lab.ctl(&["list-dependencies", "--plain", "web.service"]);
    assert!(deps.stdout.contains("web-extra.service"), "{deps:?}");
    let r = lab.ctl(&["start", "web.service"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    let order = lab.read_out("order");
    assert_eq!(order.lines().last(), Some("web"), "{order:?}");
    assert_eq!(lab.active("web-extra.service"), "active");
    assert_eq!(lab.active("web-db.service"), "active");
    lab.ctl(&["stop", "web-db.service"]).ok();
    assert_eq!(lab.active("web.service"), "inactive");
    assert_eq!(lab.active("web-extra.service"), "active");
}

/// `show-environment` prints the one manager environment every spawned process starts
/// from: a service sees exactly it, plus the variables the manager sets per process.
#[test]
fn show_environment_is_what_a_service_sees() {
    let lab = Lab::new();
    lab.tree.write("/etc/locale.conf", "LANG=de_DE.UTF-8\n");
    lab.tree.write(
        "/etc/systemd/system.conf",
        "[Manager]\nDefaultEnvironment=\"GREETING=hello world\" ZED=1\n",
    );
    lab.unit(
        "envdump.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'env > {}'\n",
            lab.out("env").display()
        ),
    );
    lab.ctl(&["start", "envdump.service"]).ok();
    let per_process = ["INVOCATION_ID", "SYSTEMD_EXEC_PID", "PWD", "SHLVL", "_"];
    let mut seen: Vec<String> = lab
        .read_out("env")
        .lines()
        .filter(|l| !per_process.iter().any(|v| l.starts_with(&format!("{v}="))))
        .map(str::to_string)
        .collect();
    seen.sort();
    let shown = lab.ctl(&["show-environment"]);
    shown.ok();
    let shown: Vec<String> = shown
        .stdout
        .lines()
        .map(|l| l.replace("$'hello world'", "hello world"))
        .collect();
    assert_eq!(seen, shown);
    assert!(shown
        .iter()
        .any(|l| l == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

/// One name resolution for every verb: `is-active`/`is-failed` of an enabled `Alias=`
/// report the state of the unit the alias names, as `status` does.
#[test]
fn queries_resolve_aliases() {
    let lab = Lab::new();
    lab.unit(
        "ssh.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nAlias=sshd.service\nWantedBy=multi-user.target\n",
    );
    lab.ctl(&["enable", "ssh.service"]).ok();
    lab.ctl(&["start", "sshd.service"]).ok();
    assert_eq!(lab.active("ssh.service"), "active");
    let r = lab.ctl(&["is-active", "sshd.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "active\n"), "{r:?}");
    lab.ctl(&["stop", "ssh.service"]).ok();
    assert_eq!(lab.active("sshd.service"), "inactive");
}

//! Refused and failed jobs: systemd's messages, exit codes and Result= words.

use super::Lab;

#[test]
fn missing_and_masked_units_are_refused() {
    let lab = Lab::new();
    let r = lab.ctl(&["start", "nosuch"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            5,
            "Failed to start nosuch.service: Unit nosuch.service not found.\n"
        )
    );
    let r = lab.ctl(&["stop", "nosuch.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            5,
            "Failed to stop nosuch.service: Unit nosuch.service not loaded.\n"
        )
    );
    let r = lab.ctl(&["restart", "nosuch.service"]);
    assert_eq!(r.code, 5, "{r:?}");
    let r = lab.ctl(&["is-active", "nosuch.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (3, "inactive\n"));

    lab.tree.write(
        "/usr/lib/systemd/system/m.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    lab.ctl(&["mask", "m.service"]).ok();
    let r = lab.ctl(&["start", "m.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Failed to start m.service: Unit m.service is masked.\n")
    );
}

#[test]
fn a_failing_service_is_failed_until_reset() {
    let lab = Lab::new();
    lab.unit(
        "bad.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    let r = lab.ctl(&["start", "bad.service"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Job for bad.service failed because the control process exited with error code.\n\
         See \"systemctl status bad.service\" and \"journalctl -xeu bad.service\" for details.\n"
    );
    assert_eq!(lab.prop("bad.service", "Result"), "exit-code");
    let r = lab.ctl(&["is-failed", "bad.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "failed\n"));
    let r = lab.ctl(&["is-active", "bad.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (3, "failed\n"));
    lab.ctl(&["stop", "bad.service"]).ok();
    assert_eq!(
        lab.active("bad.service"),
        "failed",
        "stop keeps a failed unit failed"
    );

    lab.ctl(&["reset-failed"]).ok();
    let r = lab.ctl(&["is-failed", "bad.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, "inactive\n"));
    assert_eq!(lab.prop("bad.service", "Result"), "success");
    let r = lab.ctl(&["reset-failed", "ghost.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Failed to reset failed state of unit ghost.service: Unit ghost.service not loaded.\n"
        )
    );
}

#[test]
fn start_limit_hit_after_too_many_starts() {
    let lab = Lab::new();
    lab.unit(
        "flap.service",
        "[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=60\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    lab.ctl(&["start", "flap.service"]).ok();
    lab.ctl(&["start", "flap.service"]).ok();
    let r = lab.ctl(&["start", "flap.service"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stderr,
        "Job for flap.service failed because start of the service was attempted too often.\n\
         See \"systemctl status flap.service\" and \"journalctl -xeu flap.service\" for details.\n\
         To force a start use \"systemctl reset-failed flap.service\"\n\
         followed by \"systemctl start flap.service\" again.\n"
    );
    assert_eq!(lab.prop("flap.service", "Result"), "start-limit-hit");
    lab.ctl(&["reset-failed", "flap.service"]).ok();
    lab.ctl(&["start", "flap.service"]).ok();
}

#[test]
fn reload_needs_an_active_reloadable_service() {
    let lab = Lab::new();
    let out = lab.out("reloads");
    lab.unit(
        "r.service",
        &format!(
            "[Service]\nExecStart=/bin/sleep 1000\nExecReload=/bin/sh -c 'echo reloaded >> {}'\n",
            out.display()
        ),
    );
    lab.unit("n.service", "[Service]\nExecStart=/bin/sleep 1000\n");
    let r = lab.ctl(&["reload", "r.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "r.service is not active, cannot reload.\n")
    );
    let r = lab.ctl(&["reload", "n.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            3,
            "Failed to reload n.service: Job type reload is not applicable for unit n.service.\n"
        )
    );
    lab.ctl(&["start", "r.service", "n.service"]).ok();
    lab.ctl(&["reload", "r.service"]).ok();
    assert_eq!(lab.read_out("reloads"), "reloaded\n");
    let pid = lab.main_pid("n.service");
    lab.ctl(&["reload-or-restart", "r.service", "n.service"])
        .ok();
    assert_eq!(lab.read_out("reloads"), "reloaded\nreloaded\n");
    assert_ne!(lab.main_pid("n.service"), pid, "no ExecReload=: restarted");
    lab.ctl(&["stop", "n.service"]).ok();
    lab.ctl(&["try-restart", "n.service"]).ok();
    assert_eq!(
        lab.active("n.service"),
        "inactive",
        "try-restart leaves it stopped"
    );
}

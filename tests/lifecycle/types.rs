//! Start and stop of each service type, targets, templates, globs, `--no-block`, `--wait`
//! and `enable --now`.

use super::{eventually, pid_alive, processes_with, sleep_token, unique_sleep, Lab};
use std::time::{Duration, Instant};

#[test]
fn simple_service_starts_stops_and_restarts() {
    let lab = Lab::new();
    lab.unit(
        "web.service",
        &format!("[Service]\nExecStart={}\n", unique_sleep(1)),
    );
    let r = lab.ctl(&["start", "web"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    let r = lab.ctl(&["is-active", "web.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "active\n"));
    let pid = lab.main_pid("web.service");
    assert!(pid > 0 && pid_alive(pid), "main pid {pid}");
    // Type=simple is started at fork(): the exec of sleep may still be under way.
    assert!(eventually(Duration::from_secs(5), || processes_with(
        &sleep_token(1)
    ) == vec![pid]));

    lab.ctl(&["restart", "web.service"]).ok();
    let new_pid = lab.main_pid("web.service");
    assert!(new_pid != pid && pid_alive(new_pid));
    assert!(eventually(Duration::from_secs(5), || !pid_alive(pid)));

    let r = lab.ctl(&["stop", "web.service"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    assert!(
        !pid_alive(new_pid),
        "stop returns after the process is gone"
    );
    let r = lab.ctl(&["is-active", "web.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (3, "inactive\n"));
    lab.ctl(&["stop", "web.service"]).ok();
}

#[test]
fn exec_service_with_a_missing_binary_fails_but_simple_one_starts() {
    let lab = Lab::new();
    lab.unit(
        "exec.service",
        "[Service]\nType=exec\nExecStart=/nonexistent/binary\n",
    );
    lab.unit(
        "simple.service",
        "[Service]\nExecStart=/nonexistent/binary\n",
    );
    let r = lab.ctl(&["start", "exec.service"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Job for exec.service failed because the control process exited with error code.\n\
         See \"systemctl status exec.service\" and \"journalctl -xeu exec.service\" for details.\n"
    );
    assert_eq!(lab.active("exec.service"), "failed");
    let r = lab.ctl(&["start", "simple.service"]);
    assert_eq!(r.code, 0, "Type=simple starts before exec: {r:?}");
    lab.wait_state("simple.service", "failed");
}

#[test]
fn forking_service_leaves_no_process_after_stop() {
    let lab = Lab::new();
    let tok = sleep_token(2);
    lab.unit(
        "fork.service",
        &format!(
            "[Service]\nType=forking\nExecStart=/bin/sh -c '( {s} & ) ; {s} & exit 0'\n",
            s = unique_sleep(2)
        ),
    );
    lab.ctl(&["start", "fork.service"]).ok();
    assert_eq!(lab.active("fork.service"), "active");
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&tok).len() == 2),
        "both daemons run"
    );
    lab.ctl(&["stop", "fork.service"]).ok();
    assert!(
        processes_with(&tok).is_empty(),
        "the double-forked daemon was stopped too"
    );
    assert_eq!(lab.active("fork.service"), "inactive");
}

#[test]
fn oneshot_runs_to_completion_and_remain_after_exit_stays_active() {
    let lab = Lab::new();
    let out = lab.out("oneshot");
    lab.unit(
        "once.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.2; echo ran >> {}'\n",
            out.display()
        ),
    );
    lab.unit(
        "keep.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    lab.ctl(&["start", "once.service"]).ok();
    assert_eq!(
        lab.read_out("oneshot"),
        "ran\n",
        "start waits for a oneshot"
    );
    assert_eq!(lab.active("once.service"), "inactive");
    lab.ctl(&["start", "keep.service"]).ok();
    assert_eq!(lab.active("keep.service"), "active");
    lab.ctl(&["stop", "keep.service"]).ok();
    assert_eq!(lab.active("keep.service"), "inactive");
}

#[test]
fn notify_service_start_waits_for_ready() {
    let lab = Lab::new();
    let marker = lab.out("ready");
    let script = lab.out("notify.py");
    std::fs::write(
        &script,
        format!(
            "import os, socket, time\n\
             time.sleep(0.3)\n\
             open('{m}', 'w').write('yes')\n\
             addr = os.environ['NOTIFY_SOCKET']\n\
             if addr.startswith('@'): addr = '\\0' + addr[1:]\n\
             s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
             s.sendto(b'READY=1', addr)\n\
             time.sleep(1000)\n",
            m = marker.display()
        ),
    )
    .unwrap();
    lab.unit(
        "notify.service",
        &format!(
            "[Service]\nType=notify\nExecStart=/usr/bin/python3 {}\n",
            script.display()
        ),
    );
    let r = lab.ctl(&["start", "notify.service"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(marker.exists(), "start returned before READY=1");
    assert_eq!(lab.active("notify.service"), "active");
}

#[test]
fn targets_templates_and_globs() {
    let lab = Lab::new();
    let out = lab.out("inst");
    lab.unit(
        "echo@.service",
        &format!(
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo %i >> {}'\n",
            out.display()
        ),
    );
    lab.unit("app.target", "[Unit]\nWants=echo@one.service\n");
    lab.ctl(&["start", "app.target"]).ok();
    assert_eq!(lab.active("app.target"), "active");
    assert_eq!(lab.active("echo@one.service"), "active");
    lab.ctl(&["start", "echo@two"]).ok();
    assert_eq!(lab.read_out("inst"), "one\ntwo\n");

    let r = lab.ctl(&["stop", "echo@*"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(lab.active("echo@one.service"), "inactive");
    assert_eq!(lab.active("echo@two.service"), "inactive");
    lab.ctl(&["stop", "app.target"]).ok();
    let r = lab.ctl(&["is-active", "app.target", "echo@one.service"]);
    assert_eq!((r.code, r.stdout.as_str()), (3, "inactive\ninactive\n"));

    lab.unit(
        "g-a.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    lab.unit(
        "g-b.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    lab.ctl(&["start", "g-*"]).ok();
    let r = lab.ctl(&["is-active", "g-a.service", "g-b.service"]);
    assert_eq!(r.stdout, "active\nactive\n");
}

#[test]
fn no_block_returns_at_once_and_wait_waits_for_the_end() {
    let lab = Lab::new();
    lab.unit(
        "slow.service",
        "[Service]\nExecStartPre=/bin/sleep 0.5\nExecStart=/bin/sleep 1000\n",
    );
    lab.unit("short.service", "[Service]\nExecStart=/bin/sleep 0.4\n");
    let begin = Instant::now();
    lab.ctl(&["start", "--no-block", "slow.service"]).ok();
    assert!(
        begin.elapsed() < Duration::from_millis(450),
        "--no-block waited"
    );
    lab.wait_state("slow.service", "active");

    let begin = Instant::now();
    lab.ctl(&["start", "--wait", "short.service"]).ok();
    assert!(
        begin.elapsed() >= Duration::from_millis(400),
        "--wait did not wait"
    );
    assert_eq!(lab.active("short.service"), "inactive");

    let r = lab.ctl(&["start", "--wait", "--no-block", "short.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "--wait may not be combined with --no-block.\n")
    );
}

#[test]
fn enable_now_starts_and_disable_now_stops() {
    let lab = Lab::new();
    lab.unit(
        "en.service",
        "[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n",
    );
    lab.ctl(&["enable", "--now", "en.service"]).ok();
    assert_eq!(lab.active("en.service"), "active");
    lab.ctl(&["disable", "--now", "en.service"]).ok();
    assert_eq!(lab.active("en.service"), "inactive");
}

#[test]
fn enable_now_returns_the_start_jobs_failure_and_keeps_the_symlink() {
    let lab = Lab::new();
    lab.unit(
        "broken.service",
        "[Service]\nType=exec\nExecStart=/nonexistent/binary\n[Install]\nWantedBy=multi-user.target\n",
    );
    let r = lab.ctl(&["enable", "--now", "broken.service"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.ends_with(
            "Job for broken.service failed because the control process exited with error code.\n\
             See \"systemctl status broken.service\" and \"journalctl -xeu broken.service\" for details.\n"
        ),
        "{r:?}"
    );
    let link = lab
        .tree
        .host("/etc/systemd/system/multi-user.target.wants/broken.service");
    assert!(link.symlink_metadata().is_ok(), "the symlink is made");
    assert_eq!(lab.active("broken.service"), "failed");
}

//! Init mode: the static binary as PID 1 of a fresh PID namespace in a chroot (see
//! [`container`]), in root mode and in user mode.

mod boot_state;
pub mod container;
mod timers;

use container::{wait_for, Container, Rootfs};
use std::time::Duration;

const SYS: &str = "/etc/systemd/system";

fn service(body: &str) -> String {
    format!("[Unit]\nDescription=test\n[Service]\n{body}\n[Install]\nWantedBy=multi-user.target\n")
}

#[test]
fn boots_enabled_services_and_a_second_systemctl_controls_them() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "hello.service",
        "multi-user.target",
        &service("ExecStart=/bin/sh -c 'echo hello-from-unit; exec sleep 1000'"),
    );
    fs.enabled(
        SYS,
        "other.service",
        "multi-user.target",
        &service("ExecStart=/bin/sleep 1000"),
    );
    fs.write(
        &format!("{SYS}/idle.service"),
        &service("ExecStart=/bin/sleep 1000"),
    );
    let mut c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    let active = c.systemctl(&[
        "is-active",
        "hello.service",
        "other.service",
        "idle.service",
    ]);
    assert_eq!(active.stdout, "active\nactive\ninactive\n", "{active:?}");
    c.systemctl(&["start", "idle.service"]).ok();
    c.systemctl(&["stop", "other.service"]).ok();
    let active = c.systemctl(&["is-active", "idle.service", "other.service"]);
    assert_eq!(active.stdout, "active\ninactive\n");
    // Service output reaches PID 1's stdout, prefixed with the unit name (`docker logs`).
    assert!(
        wait_for(Duration::from_secs(5), || c
            .console()
            .contains("hello.service: hello-from-unit")
            .then_some(()))
        .is_some(),
        "console:\n{}",
        c.console()
    );
    // `exit CODE` from another process ends the container with CODE.
    c.systemctl(&["exit", "3"]).ok();
    let (code, _) = c.wait_exit(Duration::from_secs(30));
    assert_eq!(code, 3, "console:\n{}", c.console());
}

#[test]
fn units_started_by_docker_exec_are_copied_to_the_console_too() {
    let late = service("ExecStart=/bin/sh -c 'echo late-line; exec sleep 1000'");
    for copy in [true, false] {
        let fs = Rootfs::new();
        fs.write(&format!("{SYS}/late.service"), &late);
        let env: &[(&str, &str)] = if copy {
            &[]
        } else {
            &[("UNITBOX_CONSOLE", "0")]
        };
        let c = Container::boot(fs, None, env);
        assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
        let start = c.systemctl(&["start", "late.service"]);
        assert_eq!(start.code, 0, "{start:?}");
        // The journal has the line once the supervisor has read it.
        let logged = wait_for(Duration::from_secs(5), || {
            let journal = c.exec(&["/usr/bin/unitbox", "journalctl", "-u", "late", "-o", "cat"]);
            journal.stdout.contains("late-line\n").then_some(())
        });
        assert!(logged.is_some(), "console:\n{}", c.console());
        let copied = wait_for(Duration::from_secs(if copy { 5 } else { 1 }), || {
            c.console()
                .contains("late.service: late-line\n")
                .then_some(())
        });
        assert_eq!(
            copied.is_some(),
            copy,
            "copy wanted: {copy}; console:\n{}",
            c.console()
        );
    }
}

#[test]
fn halt_refuses_a_foreign_init_and_is_system_running_says_offline() {
    // Outside any unitbox init (the test runner's PID namespace): nothing to talk to.
    let fs = Rootfs::new();
    let out = crate::support::run_cmd(
        std::process::Command::new(container::static_binary())
            .arg("systemctl")
            .arg(format!("--root={}", fs.dir.path().display()))
            .arg("is-system-running"),
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, "offline\n"));
    let out = crate::support::run_cmd(
        std::process::Command::new(container::static_binary())
            .arg("systemctl")
            .arg(format!("--root={}", fs.dir.path().display()))
            .arg("halt"),
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("has not been booted with unitbox"),
        "{out:?}"
    );
}

#[test]
fn orphan_storm_is_reaped_to_zero() {
    let fs = Rootfs::new();
    let c = Container::boot(fs, None, &[]);
    c.wait_booted();
    // 3000 processes orphaned at once: each subshell's child is adopted by PID 1.
    let storm = c.exec(&[
        "/bin/sh",
        "-c",
        "i=0; while [ $i -lt 3000 ]; do ( /bin/sleep 0.3 & ); i=$((i+1)); done",
    ]);
    assert_eq!(storm.code, 0, "{storm:?}");
    let zombies = || {
        let out = c.exec(&[
            "/bin/sh",
            "-c",
            "cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ' || true",
        ]);
        out.stdout.trim().parse::<u32>().unwrap_or(u32::MAX)
    };
    let reaped = wait_for(Duration::from_secs(30), || {
        let left = c
            .exec(&["/bin/sh", "-c", "ls -d /proc/[0-9]* | wc -l"])
            .stdout
            .trim()
            .parse::<u32>()
            .unwrap_or(0);
        (zombies() == 0 && left < 10).then_some(())
    });
    assert!(reaped.is_some(), "zombies left: {}", zombies());
    assert_eq!(c.systemctl(&["is-system-running"]).stdout, "running\n");
}

#[test]
fn sigterm_runs_every_exec_stop_kills_the_rest_and_exits_0() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "a.service",
        "multi-user.target",
        &service("ExecStart=/bin/sleep 1000\nExecStop=/bin/touch /tmp/stopped-a"),
    );
    fs.enabled(
        SYS,
        "b.service",
        "multi-user.target",
        &service("ExecStart=/bin/sleep 1000\nExecStop=/bin/touch /tmp/stopped-b\nTimeoutStopSec=2"),
    );
    // Ignores SIGTERM: the supervisor's SIGKILL after TimeoutStopSec= ends it.
    fs.enabled(
        SYS,
        "stubborn.service",
        "multi-user.target",
        &service(
            "ExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\nTimeoutStopSec=1",
        ),
    );
    let mut c = Container::boot(fs, None, &[("UNITBOX_STOP_GRACE", "3s")]);
    assert_eq!(c.wait_booted(), "running");
    // A stray process that no unit owns: the final SIGTERM must reach it.
    let stray = c.exec(&["/bin/sh", "-c", "/bin/sh -c 'trap \"touch /tmp/stray-term; exit 0\" TERM; while :; do sleep 0.2; done' >/dev/null 2>&1 & echo started"]);
    assert_eq!(stray.stdout, "started\n");
    c.signal(libc::SIGTERM);
    let (code, took) = c.wait_exit(Duration::from_secs(30));
    assert_eq!(code, 0, "console:\n{}", c.console());
    // Stop timeouts: 1 s (stubborn) + the grace period (3 s), with room for slow machines.
    assert!(took < Duration::from_secs(12), "shutdown took {took:?}");
    for marker in ["/tmp/stopped-a", "/tmp/stopped-b", "/tmp/stray-term"] {
        assert!(
            c.fs.path(marker).exists(),
            "{marker} missing; console:\n{}",
            c.console()
        );
    }
}

#[test]
fn restart_follows_kill_9() {
    let fs = Rootfs::new();
    fs.enabled(
        SYS,
        "phoenix.service",
        "multi-user.target",
        &service("ExecStart=/bin/sleep 1000\nRestart=always\nRestartSec=100ms"),
    );
    let c = Container::boot(fs, None, &[]);
    c.wait_booted();
    let main_pid = || {
        c.systemctl(&["show", "-p", "MainPID", "--value", "phoenix.service"])
            .stdout
            .trim()
            .to_string()
    };
    let first = main_pid();
    assert!(first.parse::<u32>().is_ok_and(|p| p > 1), "MainPID={first}");
    c.exec(&["/bin/kill", "-9", &first]).ok();
    let second = wait_for(Duration::from_secs(10), || {
        let now = main_pid();
        (now != first && now != "0" && !now.is_empty()).then_some(now)
    });
    assert!(second.is_some(), "no restart; console:\n{}", c.console());
    assert_eq!(
        c.systemctl(&["is-active", "phoenix.service"]).stdout,
        "active\n"
    );
}

fn user_mode(uid: u32, user_name: Option<&str>) {
    let fs = Rootfs::new();
    let me = user_name
        .map(str::to_string)
        .unwrap_or_else(|| uid.to_string());
    fs.enabled(
        SYS,
        "mine.service",
        "multi-user.target",
        &service(&format!(
            "User={me}\nExecStart=/bin/sh -c 'echo $USER $HOME > /tmp/whoami; exec sleep 1000'"
        )),
    );
    fs.enabled(
        SYS,
        "theirs.service",
        "multi-user.target",
        &service("User=www\nExecStart=/bin/sleep 1000"),
    );
    fs.enabled(
        "/home/app/.config/systemd/user",
        "own.service",
        "default.target",
        "[Service]\nExecStart=/bin/sleep 1000\n",
    );
    fs.chown("/home/app", 1000);
    let c = Container::boot(fs, Some((uid, uid)), &[]);
    let state = c.wait_booted();
    let active = c.systemctl(&["--user", "is-active", "mine.service", "theirs.service"]);
    assert_eq!(
        active.stdout,
        "active\ninactive\n",
        "state {state}; console:\n{}",
        c.console()
    );
    // `docker exec ctr systemctl …` as the container's user, without --user, reaches the
    // user-mode init's services too.
    let implicit = c.systemctl(&["is-active", "mine.service"]);
    assert_eq!(implicit.stdout, "active\n", "{implicit:?}");
    if user_name.is_some() {
        assert_eq!(
            c.systemctl(&["--user", "is-active", "own.service"]).stdout,
            "active\n"
        );
    }
    let refused = c.systemctl(&["--user", "start", "theirs.service"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains(&format!(
            "Unit theirs.service is for user www, refusing (unitbox runs as uid {uid})"
        )),
        "{refused:?}"
    );
    let home = if user_name.is_some() {
        "/home/app"
    } else {
        "/"
    };
    let whoami = std::fs::read_to_string(c.fs.path("/tmp/whoami")).unwrap_or_default();
    assert_eq!(whoami, format!("{me} {home}\n"));
}

#[test]
fn user_mode_as_uid_1000() {
    user_mode(1000, Some("app"));
}

#[test]
fn user_mode_as_an_uid_without_passwd_entry() {
    user_mode(1000770000, None);
}

#[test]
fn a_capsule_is_stopped_cleanly_with_the_container() {
    let fs = Rootfs::new();
    let mut c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    c.systemctl(&["start", "capsule@tatze.service"]).ok();
    let run = c.exec(&[
        "/usr/bin/unitbox",
        "systemd-run",
        "--capsule=tatze",
        "--unit=sleeptest.service",
        "-p",
        "ExecStop=/bin/touch /tmp/capsule-unit-stopped",
        "/bin/sleep",
        "999",
    ]);
    run.ok();
    let active = c.systemctl(&["--capsule=tatze", "is-active", "sleeptest.service"]);
    assert_eq!(active.stdout, "active\n", "{active:?}");
    let passwd_file = c.fs.path("/etc/passwd");
    let passwd = || std::fs::read_to_string(&passwd_file).unwrap();
    assert!(passwd().contains("c-tatze:"), "{}", passwd());

    c.signal(libc::SIGTERM);
    let (code, _) = c.wait_exit(Duration::from_secs(30));
    assert_eq!(code, 0, "console:\n{}", c.console());
    // The capsule's own unit went through its ExecStop=, the capsule released its user
    // and its runtime directory.
    assert!(
        c.fs.path("/tmp/capsule-unit-stopped").exists(),
        "console:\n{}",
        c.console()
    );
    assert!(!passwd().contains("c-tatze:"), "{}", passwd());
    assert!(!c.fs.path("/run/capsules/tatze").exists());
}

/// podman and docker send systemd's halt/poweroff/reboot requests with glibc's numbers
/// (`STOPSIGNAL SIGRTMIN+3` is 37): the static (musl) binary as PID 1 stops every unit,
/// running its ExecStop=, and exits 0 on each.
#[test]
fn engine_rt_signals_37_38_39_shut_down_cleanly() {
    for signal in [37, 38, 39] {
        let fs = Rootfs::new();
        fs.enabled(
            SYS,
            "a.service",
            "multi-user.target",
            &service("ExecStart=/bin/sleep 1000\nExecStop=/bin/touch /tmp/stopped-a"),
        );
        let mut c = Container::boot(fs, None, &[]);
        assert_eq!(c.wait_booted(), "running");
        c.signal(signal);
        let (code, _) = c.wait_exit(Duration::from_secs(30));
        assert_eq!(code, 0, "signal {signal}; console:\n{}", c.console());
        assert!(
            c.fs.path("/tmp/stopped-a").exists(),
            "signal {signal}: ExecStop= did not run; console:\n{}",
            c.console()
        );
    }
}

/// PID 1 starts journald before the default target: a service's syslog lines (busybox
/// `logger` on `/dev/log`) reach the journal and PID 1's console, and a process started
/// from outside (`docker exec`) logging through the native socket is recorded too.
#[test]
fn journald_runs_first_and_syslog_reaches_journal_and_console() {
    let fs = Rootfs::new();
    std::os::unix::fs::symlink("busybox", fs.path("/bin/logger")).unwrap();
    fs.enabled(
        SYS,
        "syslogger.service",
        "multi-user.target",
        &service("ExecStart=/bin/sh -c 'logger -t boxlog -p daemon.warning hello-from-syslog; exec sleep 1000'"),
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    let active = c.systemctl(&["is-active", "systemd-journald.service"]);
    assert_eq!(active.stdout, "active\n", "console:\n{}", c.console());
    let logged = wait_for(Duration::from_secs(5), || {
        let j = c.exec(&[
            "/usr/bin/unitbox",
            "journalctl",
            "-t",
            "boxlog",
            "-o",
            "cat",
        ]);
        j.stdout.contains("hello-from-syslog\n").then_some(())
    });
    assert!(logged.is_some(), "console:\n{}", c.console());
    let warned = c.exec(&[
        "/usr/bin/unitbox",
        "journalctl",
        "-p",
        "warning",
        "SYSLOG_FACILITY=3",
        "-o",
        "cat",
    ]);
    assert!(warned.stdout.contains("hello-from-syslog"), "{warned:?}");
    let copied = wait_for(Duration::from_secs(5), || {
        c.console().contains(": hello-from-syslog\n").then_some(())
    });
    assert!(copied.is_some(), "console:\n{}", c.console());
}

#[test]
fn tmpfiles_d_is_applied_before_the_first_service() {
    let fs = Rootfs::new();
    fs.write(
        "/usr/lib/tmpfiles.d/app.conf",
        "d /run/app 0750 root root -\nf /run/app/config 0640 - - - ready\n",
    );
    // The service fails unless the directory tmpfiles.d makes exists when it starts.
    fs.enabled(
        SYS,
        "app.service",
        "multi-user.target",
        &service(
            "ExecStartPre=/bin/sh -c 'test -d /run/app && cat /run/app/config > /run/app/seen'\n\
             ExecStart=/bin/sleep 1000",
        ),
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    let active = c.systemctl(&["is-active", "app.service"]);
    assert_eq!(active.stdout, "active\n", "console:\n{}", c.console());
    let seen = c.exec(&["/bin/cat", "/run/app/seen"]);
    assert_eq!(seen.stdout, "ready", "{seen:?}");
    let mode = c.exec(&["/bin/busybox", "stat", "-c", "%a", "/run/app"]);
    assert_eq!(mode.stdout.trim(), "750", "{mode:?}");
}

//! Concurrency and crashes: one supervisor for concurrent starts, a killed systemctl,
//! automatic restarts without any PID 1 of ours.

use super::{eventually, pid_alive, processes_with, sleep_token, unique_sleep, Lab};
use crate::support::applet;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn concurrent_starts_give_one_main_process() {
    let lab = Lab::new();
    lab.unit(
        "once.service",
        &format!(
            "[Service]\nExecStartPre=/bin/sleep 0.2\nExecStart={}\n",
            unique_sleep(3)
        ),
    );
    let root = format!("--root={}", lab.tree.path().display());
    let children: Vec<_> = (0..20)
        .map(|_| {
            Command::new(applet("systemctl"))
                .args([root.as_str(), "start", "once.service"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Only this lab's processes: their parent is a supervisor of this --root (another test
    // process running the same test at the same time has its own).
    let root_arg = lab.tree.path().display().to_string();
    let ours: Vec<u32> = processes_with(&sleep_token(3))
        .into_iter()
        .filter(|pid| parent_cmdline(*pid).contains(&root_arg))
        .collect();
    assert_eq!(ours.len(), 1, "main processes: {ours:?}");
    assert_eq!(lab.active("once.service"), "active");
}

#[test]
fn a_killed_systemctl_leaves_a_consistent_state() {
    let lab = Lab::new();
    lab.unit(
        "slow.service",
        &format!(
            "[Service]\nExecStartPre=/bin/sleep 0.5\nExecStart={}\n",
            unique_sleep(4)
        ),
    );
    let mut child = Command::new(applet("systemctl"))
        .arg(format!("--root={}", lab.tree.path().display()))
        .args(["start", "slow.service"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    // The supervisor carries on with the start job on its own.
    lab.wait_state("slow.service", "active");
    assert!(eventually(Duration::from_secs(5), || processes_with(
        &sleep_token(4)
    )
    .len()
        == 1));
    lab.ctl(&["start", "slow.service"]).ok();
    assert_eq!(
        processes_with(&sleep_token(4)).len(),
        1,
        "start is idempotent"
    );
    lab.ctl(&["stop", "slow.service"]).ok();
    assert!(processes_with(&sleep_token(4)).is_empty());
}

#[test]
fn restart_on_failure_after_kill_9() {
    let lab = Lab::new();
    lab.unit(
        "phoenix.service",
        &format!(
            "[Service]\nRestart=on-failure\nRestartSec=100ms\nExecStart={}\n",
            unique_sleep(5)
        ),
    );
    lab.ctl(&["start", "phoenix.service"]).ok();
    let first = lab.main_pid("phoenix.service");
    assert!(first > 0);
    // SAFETY: the main process of the service this test started.
    unsafe { libc::kill(first as i32, libc::SIGKILL) };
    let restarted = eventually(Duration::from_secs(10), || {
        let pid = lab.main_pid("phoenix.service");
        pid != 0 && pid != first && pid_alive(pid) && lab.active("phoenix.service") == "active"
    });
    assert!(restarted, "{:?}", lab.state("phoenix.service"));
    assert_eq!(lab.prop("phoenix.service", "NRestarts"), "1");
    lab.ctl(&["stop", "phoenix.service"]).ok();
    assert_eq!(
        lab.active("phoenix.service"),
        "inactive",
        "stop ends restarting"
    );
}

/// The command line of a process's parent, NUL-separated words joined with spaces.
fn parent_cmdline(pid: u32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ppid = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .unwrap_or("0");
    std::fs::read(format!("/proc/{ppid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

/// Debian's redis/dovecot/mariadb units ask for `LimitNOFILE=65535`, above a container's
/// hard limit, without CAP_SYS_RESOURCE: as systemd's setrlimit_closest(), the service
/// starts with the closest allowed limit and the unit's journal says so.
#[test]
fn limits_above_the_hard_limit_are_lowered_to_it_without_cap_sys_resource() {
    let lab = Lab::new();
    lab.unit(
        "nofile.service",
        &format!(
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nLimitNOFILE=65535\nExecStart=/bin/sh -c 'ulimit -Sn > {out}; ulimit -Hn >> {out}'\n",
            out = lab.out("nofile").display()
        ),
    );
    let systemctl = crate::support::applet("systemctl");
    let r = crate::support::run_cmd(std::process::Command::new("/bin/sh").args([
        "-c",
        "ulimit -n 4096 && exec setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource \"$0\" --root=\"$1\" start nofile.service",
        systemctl.to_str().unwrap(),
        lab.tree.path().to_str().unwrap(),
    ]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(lab.read_out("nofile"), "4096\n4096\n");
    let journal = crate::support::run_cmd(
        std::process::Command::new(crate::support::applet("journalctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(["-u", "nofile.service", "-o", "cat"]),
    );
    assert!(
        journal.stdout.contains(
            "Failed at setting rlimit 65535 for resource RLIMIT_NOFILE. Will attempt setting value 4096 instead."
        ),
        "{journal:?}"
    );
}

/// A scratch image has no /etc/passwd: `User=root`/`Group=root` and `User=nobody` still
/// resolve, as systemd synthesizes them.
#[test]
fn root_and_nobody_resolve_without_a_user_database() {
    let lab = Lab::new();
    assert!(!lab.tree.host("/etc/passwd").exists());
    for (unit, user, group, expected) in [
        ("asroot.service", "root", "root", "0:0"),
        ("asnobody.service", "nobody", "nogroup", "65534:65534"),
    ] {
        lab.unit(
            unit,
            &format!(
                "[Service]\nType=oneshot\nUser={user}\nGroup={group}\nExecStart=/bin/sh -c 'echo $(id -u):$(id -g) > {}'\n",
                lab.out(unit).display()
            ),
        );
        let r = lab.ctl(&["start", unit]);
        assert_eq!(r.code, 0, "{unit}: {r:?}");
        assert_eq!(lab.read_out(unit).trim(), expected, "{unit}");
    }
}

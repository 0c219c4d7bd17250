//! The per-unit supervisor run directly (`unitbox __supervise …`, as `systemctl start`
//! launches it) in temp `--root` trees: the start report on an inherited pipe, requests on
//! the control socket, the state file and the journal. Every test stops what it started
//! (and kills, as a last resort, only the supervisors and main processes it launched).

use crate::support::{unitbox, Tree};
use nix::fcntl::OFlag;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Lab {
    tree: Tree,
    supervisors: Vec<(String, Child)>,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            tree: Tree::new(),
            supervisors: Vec::new(),
        }
    }

    fn unit(&self, name: &str, text: &str) -> &Self {
        self.tree
            .write(&format!("/etc/systemd/system/{name}"), text);
        self
    }

    /// A host path inside the tree, as a string for unit files.
    fn host(&self, logical: &str) -> String {
        self.tree.host(logical).display().to_string()
    }

    /// Launches a supervisor for `unit` and returns its start report line.
    fn start(&mut self, unit: &str) -> String {
        let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        let write_fd = write_end.as_raw_fd();
        let mut cmd = Command::new(unitbox());
        cmd.arg("__supervise")
            .arg("--scope=system")
            .arg(format!("--root={}", self.tree.path().display()))
            .arg(format!("--report-fd={write_fd}"))
            .arg(unit)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                libc::fcntl(write_fd, libc::F_SETFD, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn the supervisor");
        drop(write_end);
        let mut report = String::new();
        let mut pipe = std::fs::File::from(read_end);
        pipe.read_to_string(&mut report).expect("read the report");
        self.supervisors.push((unit.to_string(), child));
        report.trim_end().to_string()
    }

    fn state(&self, unit: &str) -> HashMap<String, String> {
        let path = self.tree.host(&format!("/run/unitbox/units/{unit}.state"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn prop(&self, unit: &str, key: &str) -> String {
        self.state(unit).get(key).cloned().unwrap_or_default()
    }

    fn request(&self, unit: &str, line: &str) -> String {
        let path = self.tree.host(&format!("/run/unitbox/units/{unit}.ctl"));
        let mut s = UnixStream::connect(path).expect("connect to the control socket");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer.trim_end().to_string()
    }

    /// Waits (bounded) until `cond` holds on the unit's state.
    fn wait_state(&self, unit: &str, what: &str, cond: impl Fn(&HashMap<String, String>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.state(unit);
            if cond(&s) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{unit}: timed out waiting for {what}: {s:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the supervisor of `unit` to exit; its exit code.
    fn wait_exit(&mut self, unit: &str) -> i32 {
        let index = self
            .supervisors
            .iter()
            .position(|(u, _)| u == unit)
            .unwrap();
        let (_, mut child) = self.supervisors.remove(index);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{unit}: the supervisor did not exit");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn journal(&self, unit: &str) -> String {
        std::fs::read_to_string(
            self.tree
                .host(&format!("/run/unitbox/journal/{unit}.journal")),
        )
        .unwrap_or_default()
    }
}

fn alive(pid: i32) -> bool {
    pid > 0 && kill(Pid::from_raw(pid), None).is_ok() && {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        !stat.contains(") Z ")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (unit, mut child) in std::mem::take(&mut self.supervisors) {
            if let Ok(None) = child.try_wait() {
                let path = self.tree.host(&format!("/run/unitbox/units/{unit}.ctl"));
                if let Ok(mut s) = UnixStream::connect(path) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = s.write_all(b"stop\n");
                    let _ = s.read_to_string(&mut String::new());
                }
            }
            let main: i32 = self.prop(&unit, "MainPID").parse().unwrap_or(0);
            if alive(main) {
                let _ = kill(Pid::from_raw(main), Signal::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn simple_start_run_stop() {
    let mut lab = Lab::new();
    let marker = lab.host("/out-stop");
    lab.unit(
        "a.service",
        &format!(
            "[Unit]\nDescription=Alpha\n[Service]\nExecStart=/bin/sh -c 'echo hello; echo \"<3>bad\" >&2; exec sleep 300'\n\
             ExecStop=/bin/sh -c 'echo $MAINPID > {marker}'\n\
             ExecStopPost=/bin/sh -c 'echo $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS >> {marker}'\n"
        ),
    );
    std::fs::create_dir_all(lab.tree.host("/")).unwrap();
    assert_eq!(lab.start("a.service"), "started");
    let s = lab.state("a.service");
    assert_eq!(
        (s["ActiveState"].as_str(), s["SubState"].as_str()),
        ("active", "running")
    );
    let main: i32 = s["MainPID"].parse().unwrap();
    assert!(alive(main));
    assert_eq!(s["InvocationID"].len(), 32);
    assert_eq!(lab.request("a.service", "stop"), "ok");
    assert_eq!(lab.wait_exit("a.service"), 0);
    let s = lab.state("a.service");
    assert_eq!(
        (s["ActiveState"].as_str(), s["SubState"].as_str()),
        ("inactive", "dead")
    );
    assert_eq!(s["Result"], "success");
    assert!(!alive(main), "the main process is gone");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        format!("{main}\nsuccess killed TERM\n"),
        "ExecStop= gets $MAINPID, ExecStopPost= the result"
    );
    let journal = lab.journal("a.service");
    assert!(journal.contains(" hello\n"), "{journal}");
    assert!(
        journal.contains(" 3 stdout "),
        "the level prefix sets the priority: {journal}"
    );
    assert!(journal.contains("Started Alpha."), "{journal}");
    assert!(!lab.tree.host("/run/unitbox/units/a.service.ctl").exists());
}

#[test]
fn exec_failures_by_type() {
    let mut lab = Lab::new();
    lab.unit(
        "e.service",
        "[Service]\nType=exec\nExecStart=/nonexistent/binary\n",
    );
    lab.unit("s.service", "[Service]\nExecStart=/nonexistent/binary\n");
    assert_eq!(
        lab.start("e.service"),
        "failed exit-code",
        "Type=exec waits for execve()"
    );
    assert_eq!(lab.prop("e.service", "ActiveState"), "failed");
    assert_eq!(lab.prop("e.service", "ExecMainStatus"), "203");
    assert_eq!(
        lab.start("s.service"),
        "started",
        "Type=simple is started at fork()"
    );
    lab.wait_state("s.service", "failed", |s| {
        s.get("ActiveState").map(String::as_str) == Some("failed")
    });
    assert_eq!(lab.prop("s.service", "Result"), "exit-code");
    assert_eq!(lab.prop("s.service", "ExecMainCode"), "1");
    assert_eq!(lab.prop("s.service", "ExecMainStatus"), "203");
    lab.wait_exit("s.service");
}

#[test]
fn oneshot_runs_every_command_in_order() {
    let mut lab = Lab::new();
    let out = lab.host("/out");
    lab.unit(
        "o.service",
        &format!("[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo one >> {out}'\nExecStart=/bin/sh -c 'echo two >> {out}'\n"),
    );
    lab.unit(
        "r.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    assert_eq!(lab.start("o.service"), "started");
    assert_eq!(lab.wait_exit("o.service"), 0, "nothing left to supervise");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "one\ntwo\n");
    assert_eq!(lab.prop("o.service", "ActiveState"), "inactive");
    assert_eq!(lab.prop("o.service", "Result"), "success");

    assert_eq!(lab.start("r.service"), "started");
    let s = lab.state("r.service");
    assert_eq!(
        (s["ActiveState"].as_str(), s["SubState"].as_str()),
        ("active", "exited")
    );
    assert_eq!(lab.request("r.service", "stop"), "ok");
    assert_eq!(lab.prop("r.service", "ActiveState"), "inactive");
}

#[test]
fn start_pre_failure_skips_the_rest() {
    let mut lab = Lab::new();
    let started = lab.host("/started");
    let post = lab.host("/post");
    lab.unit(
        "p.service",
        &format!(
            "[Service]\nExecStartPre=-/bin/false\nExecStartPre=/bin/sh -c 'exit 3'\nExecStart=/bin/sh -c 'touch {started}; sleep 300'\n\
             ExecStop=/bin/sh -c 'touch {started}.stop'\nExecStopPost=/bin/sh -c 'echo $SERVICE_RESULT > {post}'\n"
        ),
    );
    assert_eq!(lab.start("p.service"), "failed exit-code");
    assert!(
        !std::path::Path::new(&started).exists(),
        "ExecStart= must not run"
    );
    assert!(
        !std::path::Path::new(&format!("{started}.stop")).exists(),
        "nor ExecStop="
    );
    assert_eq!(std::fs::read_to_string(&post).unwrap(), "exit-code\n");
    assert_eq!(lab.prop("p.service", "SubState"), "failed");
    lab.wait_exit("p.service");
}

#[test]
fn exec_condition_skips_without_failing() {
    let mut lab = Lab::new();
    lab.unit(
        "c.service",
        "[Service]\nExecCondition=/bin/sh -c 'exit 1'\nExecStart=/bin/sleep 300\n",
    );
    lab.unit(
        "f.service",
        "[Service]\nExecCondition=/bin/sh -c 'exit 255'\nExecStart=/bin/sleep 300\n",
    );
    lab.unit(
        "u.service",
        "[Unit]\nConditionPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep 300\n",
    );
    assert!(lab
        .start("c.service")
        .starts_with("condition ExecCondition="));
    assert_eq!(lab.prop("c.service", "ActiveState"), "inactive");
    assert_eq!(lab.prop("c.service", "Result"), "exec-condition");
    assert_eq!(lab.start("f.service"), "failed exit-code");
    assert_eq!(
        lab.start("u.service"),
        "condition ConditionPathExists=/nonexistent"
    );
    assert_eq!(lab.prop("u.service", "ActiveState"), "inactive");
    for u in ["c.service", "f.service", "u.service"] {
        lab.wait_exit(u);
    }
}

#[test]
fn forking_daemon_is_found_and_fully_killed() {
    let mut lab = Lab::new();
    // The daemon double-forks: its parent exits at once, it lands on the supervisor.
    lab.unit(
        "d.service",
        "[Service]\nType=forking\nExecStart=/bin/sh -c '(sleep 300 & sleep 300 & wait) & exit 0'\n",
    );
    let pid_file = lab.host("/run/d2.pid");
    lab.unit(
        "d2.service",
        &format!("[Service]\nType=forking\nPIDFile=/run/d2.pid\nExecStart=/bin/sh -c '(sleep 0.3; exec sleep 300) & echo $! > {pid_file}.tmp; sleep 0.2; mv {pid_file}.tmp {pid_file}'\n"),
    );
    assert_eq!(lab.start("d.service"), "started");
    let main: i32 = lab.prop("d.service", "MainPID").parse().unwrap();
    assert!(
        alive(main),
        "the single remaining child is the main process"
    );
    let children: Vec<i32> = std::fs::read_to_string(format!("/proc/{main}/task/{main}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert_eq!(children.len(), 2, "the daemon's own children");
    assert_eq!(lab.request("d.service", "stop"), "ok");
    assert!(!alive(main));
    assert!(
        children.iter().all(|&c| !alive(c)),
        "control-group: every process is killed"
    );

    assert_eq!(lab.start("d2.service"), "started");
    let main: i32 = lab.prop("d2.service", "MainPID").parse().unwrap();
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        main.to_string()
    );
    assert_eq!(lab.request("d2.service", "stop"), "ok");
    assert!(!alive(main));
    assert!(
        !std::path::Path::new(&pid_file).exists(),
        "the PID file is removed"
    );
}

#[test]
fn stop_timeout_escalates_to_sigkill() {
    let mut lab = Lab::new();
    lab.unit(
        "t.service",
        "[Service]\nTimeoutStopSec=1\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\n",
    );
    assert_eq!(lab.start("t.service"), "started");
    let main: i32 = lab.prop("t.service", "MainPID").parse().unwrap();
    let started = Instant::now();
    assert_eq!(lab.request("t.service", "stop"), "ok");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert!(!alive(main));
    assert_eq!(lab.prop("t.service", "Result"), "timeout");
    assert_eq!(lab.prop("t.service", "ActiveState"), "failed");
    assert!(lab
        .journal("t.service")
        .contains("State 'stop-sigterm' timed out. Killing."));
}

#[test]
fn restart_on_failure_after_kill_9() {
    let mut lab = Lab::new();
    lab.unit(
        "r.service",
        "[Service]\nRestart=on-failure\nRestartSec=100ms\nExecStart=/bin/sleep 300\n",
    );
    assert_eq!(lab.start("r.service"), "started");
    let first: i32 = lab.prop("r.service", "MainPID").parse().unwrap();
    kill(Pid::from_raw(first), Signal::SIGKILL).unwrap();
    lab.wait_state("r.service", "a restart", |s| {
        s.get("NRestarts").map(String::as_str) == Some("1")
            && s.get("SubState").map(String::as_str) == Some("running")
    });
    let second: i32 = lab.prop("r.service", "MainPID").parse().unwrap();
    assert_ne!(first, second);
    assert!(alive(second));
    assert_eq!(lab.request("r.service", "stop"), "ok");
    assert_eq!(
        lab.prop("r.service", "ActiveState"),
        "inactive",
        "no restart after stop"
    );
}

#[test]
fn start_limit_ends_restarts() {
    let mut lab = Lab::new();
    lab.unit(
        "l.service",
        "[Unit]\nStartLimitIntervalSec=30\nStartLimitBurst=3\n[Service]\nRestart=always\nRestartSec=10ms\nExecStart=/bin/false\n",
    );
    lab.start("l.service");
    assert_eq!(lab.wait_exit("l.service"), 0);
    let s = lab.state("l.service");
    assert_eq!(s["Result"], "start-limit-hit");
    assert_eq!(s["ActiveState"], "failed");
    assert_eq!(s["NRestarts"], "3");
    assert_eq!(s["StartLimitHistory"].split_whitespace().count(), 3);
    // The history survives: a new supervisor refuses at once.
    assert_eq!(lab.start("l.service"), "failed start-limit-hit");
}

#[test]
fn notify_ready_status_and_protocol_errors() {
    let mut lab = Lab::new();
    let send = "s.sendto(b\"READY=1\\\\nSTATUS=Serving\", os.environ[\"NOTIFY_SOCKET\"])";
    lab.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\nExecStart=/usr/bin/python3 -c 'import socket,os,time; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); time.sleep(0.3); {send}; time.sleep(300)'\n"
        ),
    );
    lab.unit("x.service", "[Service]\nType=notify\nExecStart=/bin/true\n");
    lab.unit(
        "w.service",
        "[Service]\nType=notify\nTimeoutStartSec=1\nExecStart=/bin/sleep 300\n",
    );
    let started = Instant::now();
    assert_eq!(lab.start("n.service"), "started");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "waited for READY=1"
    );
    lab.wait_state("n.service", "the status", |s| {
        s.get("StatusText").map(String::as_str) == Some("Serving")
    });
    assert_eq!(lab.request("n.service", "stop"), "ok");
    assert_eq!(
        lab.start("x.service"),
        "failed protocol",
        "exit before READY=1"
    );
    assert_eq!(lab.start("w.service"), "failed timeout");
    for u in ["x.service", "w.service"] {
        lab.wait_exit(u);
    }
}

#[test]
fn concurrent_clients_and_kill() {
    let mut lab = Lab::new();
    lab.unit(
        "k.service",
        "[Service]\nExecStart=/bin/sleep 300\nRestart=no\n",
    );
    assert_eq!(lab.start("k.service"), "started");
    assert_eq!(lab.request("k.service", "bogus"), "failed invalid-request");
    assert_eq!(
        lab.request("k.service", "kill 0 main"),
        "ok",
        "signal 0 only checks"
    );
    assert_eq!(
        lab.request("k.service", "kill 15 control"),
        "failed No control process to kill"
    );
    // A client that connects and says nothing must not block the others.
    let idle = UnixStream::connect(lab.tree.host("/run/unitbox/units/k.service.ctl")).unwrap();
    let tree_path = lab.tree.host("/run/unitbox/units/k.service.ctl");
    // Connect all three before any asks: once the unit is stopped the supervisor exits
    // and a later connect would (rightly) be refused.
    let clients: Vec<UnixStream> = (0..3)
        .map(|_| UnixStream::connect(&tree_path).unwrap())
        .collect();
    let stoppers: Vec<_> = clients
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                s.write_all(b"stop\n").unwrap();
                let mut answer = String::new();
                s.read_to_string(&mut answer).unwrap();
                answer
            })
        })
        .collect();
    for t in stoppers {
        assert_eq!(t.join().unwrap(), "ok\n");
    }
    drop(idle);
    assert_eq!(lab.prop("k.service", "ActiveState"), "inactive");
}

#[test]
fn sigterm_to_the_supervisor_stops_the_unit() {
    let mut lab = Lab::new();
    lab.unit("g.service", "[Service]\nExecStart=/bin/sleep 300\n");
    assert_eq!(lab.start("g.service"), "started");
    let main: i32 = lab.prop("g.service", "MainPID").parse().unwrap();
    let sup: i32 = lab.prop("g.service", "SupervisorPID").parse().unwrap();
    kill(Pid::from_raw(sup), Signal::SIGTERM).unwrap();
    assert_eq!(lab.wait_exit("g.service"), 0);
    assert!(!alive(main));
    assert_eq!(lab.prop("g.service", "ActiveState"), "inactive");
}

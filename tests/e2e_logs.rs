//! End to end: real services write, their supervisors capture, `journalctl` and
//! `systemctl status` read; a shell `Type=notify` service uses our `systemd-notify`.

use crate::lifecycle::{eventually, pid_alive, processes_with, sleep_token, unique_sleep, Lab};
use crate::support::{applet, python, run_cmd, Run};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn journalctl(lab: &Lab, args: &[&str]) -> Run {
    run_cmd(
        Command::new(applet("journalctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(args),
    )
}

/// The `MESSAGE`s of a unit's own output (the supervisor's `Started …` lines excluded).
fn messages(lab: &Lab, unit: &str) -> Vec<String> {
    journalctl(
        lab,
        &[
            "-u",
            unit,
            "-t",
            unit.trim_end_matches(".service"),
            "-o",
            "cat",
        ],
    )
    .ok()
    .stdout
    .lines()
    .map(str::to_string)
    .collect()
}

/// One record as `journalctl -o json` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    identifier: String,
    pid: u32,
    message: String,
}

/// The records of `unit` (`journalctl -u UNIT -o json`), the manager's own included.
fn entries(lab: &Lab, unit: &str) -> Vec<Entry> {
    let json = journalctl(lab, &["-u", unit, "-o", "json"])
        .ok()
        .stdout
        .clone();
    let script = r#"
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e.get("SYSLOG_IDENTIFIER", ""), e.get("_PID", "0"), e["MESSAGE"], sep="\t")
"#;
    python(script, &json)
        .lines()
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let mut next = || f.next().unwrap_or_default().to_string();
            Entry {
                identifier: next(),
                pid: next().parse().expect(l),
                message: next(),
            }
        })
        .collect()
}

/// The records of the unit's processes (not the manager's).
fn process_entries(lab: &Lab, unit: &str) -> Vec<Entry> {
    entries(lab, unit)
        .into_iter()
        .filter(|e| e.identifier != "systemd")
        .collect()
}

/// The pid `systemctl status` shows for an exited control command (`Process: PID SETTING=…`).
fn process_pid(lab: &Lab, unit: &str, setting_and_command: &str) -> u32 {
    let status = lab.ctl(&["status", unit, "-n", "0"]);
    let suffix = format!(" {setting_and_command} (code=exited, status=0/SUCCESS)");
    status
        .stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Process: "))
        .find_map(|l| l.strip_suffix(suffix.as_str()))
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no {setting_and_command} in {status:?}"))
}

/// `"word PID"` (what `echo "word $$"` prints): the pid.
fn pid_in(entry: &Entry, word: &str) -> u32 {
    entry
        .message
        .strip_prefix(word)
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("{entry:?} is not '{word} PID'"))
}

#[test]
fn each_command_logs_under_its_own_pid_and_name() {
    let lab = Lab::new();
    lab.unit(
        "steps.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStartPre=/bin/echo preparing\n\
         ExecStartPre=/bin/sh -c 'echo \"pre $$$$\"'\n\
         ExecStart=/bin/sh -c 'echo \"main $$$$\"; echo \"<3>main-err $$$$\" >&2'\n",
    );
    lab.ctl(&["start", "steps.service"]).ok();
    let got = process_entries(&lab, "steps.service");
    assert_eq!(got.len(), 4, "{got:?}");
    let echo_pid = process_pid(&lab, "steps.service", "ExecStartPre=/bin/echo preparing");
    assert_eq!(
        got[0],
        Entry {
            identifier: "echo".into(),
            pid: echo_pid,
            message: "preparing".into()
        }
    );
    assert_eq!(
        (got[1].identifier.as_str(), got[1].pid),
        ("sh", pid_in(&got[1], "pre"))
    );
    let main_pid = pid_in(&got[2], "main");
    assert_eq!((got[2].identifier.as_str(), got[2].pid), ("sh", main_pid));
    assert_eq!(
        lab.prop("steps.service", "ExecMainPID"),
        main_pid.to_string()
    );
    assert_eq!(
        (got[3].pid, got[3].message.as_str()),
        (main_pid, format!("main-err {main_pid}").as_str())
    );
    let pids = [echo_pid, got[1].pid, main_pid];
    assert!(pids[0] != pids[1] && pids[1] != pids[2], "{pids:?}");
    // The short format names them as systemd does: `echo[PID]: preparing`.
    let short = journalctl(&lab, &["-u", "steps.service", "-o", "short"])
        .ok()
        .stdout
        .clone();
    assert!(
        short.contains(&format!(" echo[{echo_pid}]: preparing\n")),
        "{short}"
    );
    assert!(
        short.contains(&format!(" sh[{main_pid}]: main {main_pid}\n")),
        "{short}"
    );
    lab.ctl(&["stop", "steps.service"]).ok();
}

#[test]
fn syslog_identifier_names_every_command() {
    let lab = Lab::new();
    lab.unit(
        "named.service",
        "[Service]\nType=oneshot\nSyslogIdentifier=web\n\
         ExecStartPre=/bin/sh -c 'echo \"pre $$$$\"'\n\
         ExecStart=/bin/sh -c 'echo \"main $$$$\"'\n\
         ExecStopPost=/bin/echo cleaned\n",
    );
    lab.ctl(&["start", "named.service"]).ok();
    let got = process_entries(&lab, "named.service");
    let names: Vec<&str> = got.iter().map(|e| e.identifier.as_str()).collect();
    assert_eq!(names, ["web", "web", "web"], "{got:?}");
    assert_eq!(got[0].pid, pid_in(&got[0], "pre"));
    assert_eq!(got[1].pid, pid_in(&got[1], "main"));
    assert_eq!(got[2].message, "cleaned");
    let pids = [got[0].pid, got[1].pid, got[2].pid];
    assert!(
        pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2],
        "{pids:?}"
    );
}

#[test]
fn a_daemons_child_logs_under_the_daemons_command() {
    let lab = Lab::new();
    lab.unit(
        "forks.service",
        &format!(
            "[Service]\nType=forking\n\
             ExecStart=/bin/sh -c 'echo \"parent $$$$\"; (sleep 0.3; echo \"child of $$$$\"; exec {}) &'\n",
            unique_sleep(6)
        ),
    );
    lab.ctl(&["start", "forks.service"]).ok();
    let child_line = || {
        process_entries(&lab, "forks.service")
            .into_iter()
            .find(|e| e.message.starts_with("child of"))
    };
    assert!(eventually(Duration::from_secs(5), || child_line().is_some()));
    let got = process_entries(&lab, "forks.service");
    let parent = pid_in(&got[0], "parent");
    let child = child_line().unwrap();
    // As journald's stdout stream: the pid of the command that owns the stream.
    assert_eq!((child.identifier.as_str(), child.pid), ("sh", parent));
    assert_eq!(pid_in(&child, "child of"), parent);
    assert_ne!(
        lab.main_pid("forks.service"),
        parent,
        "the daemon is the main process"
    );
    lab.ctl(&["stop", "forks.service"]).ok();
    assert!(eventually(Duration::from_secs(5), || processes_with(
        &sleep_token(6)
    )
    .is_empty()));
}

#[test]
fn lines_of_one_process_keep_their_order_and_commands_follow_each_other() {
    let lab = Lab::new();
    lab.unit(
        "seqs.service",
        "[Service]\nType=oneshot\nSyslogIdentifier=seqs\n\
         ExecStartPre=/usr/bin/seq -f pre-%%g 1 3000\nExecStart=/usr/bin/seq 1 3000\n",
    );
    lab.ctl(&["start", "seqs.service"]).ok();
    let got: Vec<String> = process_entries(&lab, "seqs.service")
        .into_iter()
        .map(|e| e.message)
        .collect();
    let expected: Vec<String> = (1..=3000)
        .map(|i| format!("pre-{i}"))
        .chain((1..=3000).map(|i| i.to_string()))
        .collect();
    assert!(
        got == expected,
        "{} lines, first differences: {:?}",
        got.len(),
        got.iter().zip(&expected).find(|(a, b)| a != b)
    );
}

#[test]
fn nothing_is_lost_when_commands_print_and_exit_at_once() {
    let lab = Lab::new();
    lab.unit(
        "quick.service",
        "[Unit]\nStartLimitIntervalSec=0\n\
         [Service]\nType=oneshot\nExecStartPre=/bin/echo pre\nExecStart=/bin/echo main\n\
         ExecStopPost=/bin/echo post\n",
    );
    lab.unit(
        "blip.service",
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/echo blip\n",
    );
    for _ in 0..50 {
        lab.ctl(&["start", "quick.service"]).ok();
        lab.ctl(&["start", "blip.service"]).ok();
        lab.wait_state("blip.service", "inactive");
    }
    let count = |unit: &str, message: &str| {
        process_entries(&lab, unit)
            .iter()
            .filter(|e| e.message == message)
            .count()
    };
    assert_eq!(count("quick.service", "pre"), 50);
    assert_eq!(count("quick.service", "main"), 50);
    assert_eq!(count("quick.service", "post"), 50);
    assert_eq!(count("blip.service", "blip"), 50);
}

#[test]
fn a_leftover_process_holding_a_pipe_does_not_hold_up_the_stop() {
    let lab = Lab::new();
    lab.unit(
        "leaves.service",
        &format!(
            "[Service]\nKillMode=process\nExecStart=/bin/sleep 300\n\
             ExecStop=/bin/sh -c '(echo lingering; exec {}) &'\n",
            unique_sleep(7)
        ),
    );
    lab.ctl(&["start", "leaves.service"]).ok();
    let supervisor: u32 = lab.prop("leaves.service", "SupervisorPID").parse().unwrap();
    let started = Instant::now();
    lab.ctl(&["stop", "leaves.service"]).ok();
    let took = started.elapsed();
    let leftovers = processes_with(&sleep_token(7));
    for &pid in &leftovers {
        // SAFETY: the sleep this test's unit left behind.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    assert_eq!(leftovers.len(), 1, "KillMode=process leaves it running");
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    assert!(eventually(Duration::from_secs(5), || !pid_alive(
        supervisor
    )));
    assert_eq!(lab.active("leaves.service"), "inactive");
    assert!(
        process_entries(&lab, "leaves.service")
            .iter()
            .any(|e| e.message == "lingering"),
        "written before the stop ended"
    );
}

#[test]
fn stdout_and_stderr_arrive_in_order_with_their_priorities() {
    let lab = Lab::new();
    lab.unit(
        "talk.service",
        "[Service]\nType=oneshot\nSyslogIdentifier=talk\nExecStart=/bin/sh -c 'echo out-one; sleep 0.1; echo \"<3>err-two\" >&2; sleep 0.1; echo out-three; sleep 0.1; echo \"<5>note-four\" >&2'\n",
    );
    lab.ctl(&["start", "talk.service"]).ok();
    assert_eq!(
        messages(&lab, "talk.service"),
        ["out-one", "err-two", "out-three", "note-four"]
    );
    let errors = journalctl(&lab, &["-u", "talk.service", "-p", "err", "-o", "cat"]);
    assert_eq!(errors.ok().stdout, "err-two\n");
    let json = journalctl(&lab, &["-u", "talk.service", "-t", "talk", "-o", "json"]);
    let script = r#"
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["MESSAGE"], e["PRIORITY"], e["_SYSTEMD_UNIT"])
"#;
    assert_eq!(
        python(script, &json.ok().stdout),
        "out-one 6 talk.service\nerr-two 3 talk.service\nout-three 6 talk.service\nnote-four 5 talk.service\n"
    );
}

#[test]
fn a_flood_of_output_keeps_every_line_that_fits_and_the_bound_holds() {
    // `seq 1 12000000` writes ~96 MB, far past the 2 × 8 MiB the store keeps of a unit.
    let lines: u64 = 12_000_000;
    let lab = Lab::new();
    lab.unit(
        "flood.service",
        &format!("[Service]\nType=oneshot\nSyslogIdentifier=flood\nTimeoutStartSec=infinity\nExecStart=/usr/bin/seq 1 {lines}\n"),
    );
    lab.ctl(&["start", "flood.service"]).ok();
    let journal = lab.tree.host("/run/unitbox/journal");
    let total: u64 = ["flood.service.journal", "flood.service.journal.1"]
        .iter()
        .filter_map(|f| std::fs::metadata(journal.join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(
        total <= 2 * 8 * 1024 * 1024 + 64 * 1024,
        "bound broken: {total}"
    );
    let kept = messages(&lab, "flood.service");
    let numbers: Vec<u64> = kept.iter().map(|l| l.parse().expect(l)).collect();
    assert_eq!(numbers.last(), Some(&lines), "the last line is there");
    // What fits is kept: a full rotated file plus the live one, from a contiguous tail.
    assert!(total > 8 * 1024 * 1024, "the store kept only {total} bytes");
    assert!(numbers[0] > 1, "the flood did not overflow the bound");
    let gap = numbers.windows(2).find(|w| w[1] != w[0] + 1);
    assert_eq!(gap, None, "a line that fits the bound was lost");
}

#[test]
fn follow_sees_the_lines_of_a_running_service() {
    let lab = Lab::new();
    lab.unit(
        "ticker.service",
        "[Service]\nSyslogIdentifier=ticker\nExecStart=/bin/sh -c 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done'\n",
    );
    lab.ctl(&["start", "ticker.service"]).ok();
    let mut follow = Command::new(applet("journalctl"))
        .arg(format!("--root={}", lab.tree.path().display()))
        .args(["-f", "-u", "ticker.service", "-t", "ticker", "-o", "cat"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("journalctl -f");
    let mut reader = BufReader::new(follow.stdout.take().unwrap());
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 15 && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push(line.trim_end().to_string());
    }
    follow.kill().ok();
    follow.wait().ok();
    lab.ctl(&["stop", "ticker.service"]).ok();
    assert_eq!(seen.len(), 15, "{seen:?}");
    // The first ten come from the store, the rest as they are written: consecutive.
    let numbers: Vec<u32> = seen
        .iter()
        .map(|l| l.trim_start_matches("tick-").parse().expect(l))
        .collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
}

#[test]
fn status_shows_the_last_ten_lines() {
    let lab = Lab::new();
    lab.unit(
        "count.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nSyslogIdentifier=count\nExecStart=/usr/bin/seq 1 25\n",
    );
    lab.ctl(&["start", "count.service"]).ok();
    let status = lab.ctl(&["status", "count.service"]);
    let log: Vec<&str> = status
        .stdout
        .lines()
        .skip_while(|l| !l.is_empty())
        .skip(1)
        .collect();
    assert_eq!(log.len(), 10, "{status:#?}");
    let tail: Vec<&str> = log
        .iter()
        .filter_map(|l| l.rsplit_once("]: ").map(|(_, m)| m))
        .filter(|m| m.parse::<u32>().is_ok())
        .collect();
    assert_eq!(tail.last(), Some(&"25"), "{log:?}");
    assert!(!tail.contains(&"14"), "older lines are cut: {log:?}");
    lab.ctl(&["stop", "count.service"]).ok();
}

#[test]
fn a_shell_notify_service_is_active_only_after_it_says_ready() {
    let lab = Lab::new();
    let notify = applet("systemd-notify");
    lab.unit(
        "late.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=all\nExecStart=/bin/sh -c 'sleep 1; {} --ready --status=up; exec sleep 60'\n",
            notify.display()
        ),
    );
    let started = Instant::now();
    lab.ctl(&["start", "late.service"]).ok();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1),
        "start returned after {took:?}"
    );
    assert_eq!(lab.active("late.service"), "active");
    let show = lab.ctl(&["show", "-p", "StatusText", "late.service"]);
    assert_eq!(show.stdout, "StatusText=up\n");
    lab.ctl(&["stop", "late.service"]).ok();
    assert!(eventually(Duration::from_secs(5), || lab
        .active("late.service")
        == "inactive"));
}

/// The one logger: a unit file's warning reaches the stderr of the command that loaded
/// the unit and the unit's journal (as the manager's record, identifier `systemd`), in
/// systemd 252's words.
#[test]
fn unit_file_warnings_reach_stderr_and_the_journal() {
    let lab = Lab::new();
    lab.unit(
        "warned.service",
        "[Unit]\nDescription=warned\n[Service]\nFoo=1\nType=oneshot\nExecStart=/bin/true\n",
    );
    let r = lab.ctl(&["start", "warned.service"]);
    let path = "/etc/systemd/system/warned.service";
    let expected = format!("{path}:4: Unknown key 'Foo' in section [Service], ignoring.");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.lines().any(|l| l.ends_with(&expected)),
        "{:?}",
        r.stderr
    );
    let journal = journalctl(
        &lab,
        &["-u", "warned.service", "-t", "systemd", "-o", "cat"],
    );
    assert!(
        journal.stdout.lines().any(|l| l.ends_with(&expected)),
        "{journal:?}"
    );
}

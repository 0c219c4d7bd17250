//! End to end: real services write, their supervisors capture, `journalctl` and
//! `systemctl status` read; a shell `Type=notify` service uses our `systemd-notify`.

use crate::lifecycle::{eventually, Lab};
use crate::support::{applet, run_cmd, Run};
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
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(json.ok().stdout.as_bytes())
        .unwrap();
    let parsed = python.wait_with_output().unwrap();
    assert!(parsed.status.success(), "{parsed:?}");
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout),
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

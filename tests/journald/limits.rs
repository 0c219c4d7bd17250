//! journald's limits under load: `RateLimitIntervalSec=`/`RateLimitBurst=` with the
//! "Suppressed N messages" record, and a flood on `/dev/log` under the limit that loses
//! nothing and holds the sender back no longer than journald takes to read.

use super::{journalctl, python_exe, start_journald, wait_for};
use crate::lifecycle::Lab;
use crate::support::{python, run_cmd};
use std::process::Command;
use std::time::{Duration, Instant};

/// Sends `count` messages `PREFIX-i` as fast as it can (blocking sockets, as syslog(3) and
/// sd_journal_send() use), then prints how long that took in seconds.
const SENDER: &str = r#"
import socket, sys, time
path, kind, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(path)
start = time.monotonic()
for i in range(count):
    if kind == "native":
        s.send(b"MESSAGE=%s-%d\nSYSLOG_IDENTIFIER=%s\n" % (prefix.encode(), i, prefix.encode()))
    else:
        s.send(b"<14>%s[1]: %s-%d" % (prefix.encode(), prefix.encode(), i))
print(time.monotonic() - start)
"#;

fn send(lab: &Lab, socket: &str, kind: &str, prefix: &str, count: usize) -> f64 {
    let script = lab.out("sender.py");
    std::fs::write(&script, SENDER).unwrap();
    let path = lab.tree.host(&format!("/run/systemd/journal/{socket}"));
    let run = run_cmd(Command::new(python_exe()).arg(&script).arg(&path).args([
        kind,
        prefix,
        &count.to_string(),
    ]));
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout.trim().parse().unwrap()
}

#[test]
fn rate_limit_drops_and_says_how_many() {
    let lab = Lab::new();
    lab.tree.write(
        "/etc/systemd/journald.conf",
        "[Journal]\nRateLimitIntervalSec=2s\nRateLimitBurst=5\n",
    );
    start_journald(&lab);
    send(&lab, "socket", "native", "burst", 20);
    let first = wait_for(&lab, &["-t", "burst", "-o", "cat"], 5);
    // The window is over: the next message is kept, after the record of what was dropped.
    std::thread::sleep(Duration::from_millis(2300));
    send(&lab, "socket", "native", "later", 1);
    // Outside any unit: system.journal (journald's own start messages are there too).
    wait_for(&lab, &["-t", "later", "-o", "cat"], 1);
    let all = wait_for(&lab, &["-o", "cat"], 7);
    assert_eq!(
        first,
        ["burst-0", "burst-1", "burst-2", "burst-3", "burst-4"]
    );
    assert_eq!(
        all[all.len() - 7..],
        [
            "burst-0",
            "burst-1",
            "burst-2",
            "burst-3",
            "burst-4",
            "Suppressed 15 messages from /",
            "later-0"
        ]
    );
    let json = journalctl(&lab, &["-o", "json", "-t", "systemd-journald"]);
    let check = r#"
import json, sys
e = json.loads(sys.stdin.read())
print(e["N_DROPPED"], e["MESSAGE_ID"], e["PRIORITY"], e["_TRANSPORT"])
"#;
    assert_eq!(
        python(check, &json.ok().stdout),
        "15 a596d6fe7bfa4994828e72309e95d61e 4 driver\n"
    );
}

/// 5000 syslog datagrams as fast as a blocking sender can: every one is stored in order,
/// and the sender was never held up for long (a datagram sender waits only while the
/// socket's queue is full, until journald has read from it — as with journald).
#[test]
fn a_syslog_flood_under_the_limit_loses_nothing() {
    let lab = Lab::new();
    start_journald(&lab);
    let count = 5000;
    let started = Instant::now();
    let took = send(&lab, "dev-log", "syslog", "flood", count);
    let got = wait_for(&lab, &["-t", "flood", "-o", "cat"], count);
    let expected: Vec<String> = (0..count).map(|i| format!("flood-{i}")).collect();
    assert!(got == expected, "{} of {count} records", got.len());
    assert!(took < 10.0, "the sender took {took} s");
    assert!(started.elapsed() < Duration::from_secs(30));
    let driver = journalctl(&lab, &["-t", "systemd-journald", "-o", "cat"]);
    assert!(!driver.ok().stdout.contains("Suppressed"), "{driver:?}");
}
